"""Test-vector suites in the aws-c-auth folder layout (see vectors/README.md).

A case is a folder holding ``context.json`` and ``request.txt``; each variant (``header``,
``query``) whose expected files exist is run and compared. The runner only reads files and
calls the pure signers; printing belongs to the CLI.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sigkit.credentials import Credentials
from sigkit.encoding import parse_query
from sigkit.errors import InputError, SigkitError
from sigkit.http import Request, parse_request_text, serialize_request
from sigkit.result import SigningResult
from sigkit.sigv2.s3 import S3V2Config, sign_v2, sign_v2_query
from sigkit.sigv4.config import EMPTY_SHA256, SigV4Config
from sigkit.sigv4.signer import sign_v4, sign_v4_query
from sigkit.textdiff import first_difference
from sigkit.timefmt import parse_time

VARIANTS = ("header", "query")
EXACT_FILES = (
    ("canonical-request", "canonical_request"),
    ("string-to-sign", "string_to_sign"),
    ("signature", "signature"),
)
ALGORITHMS = ("sigv4", "sigv4a", "s3v2")


@dataclass
class Check:
    name: str
    detail: str


@dataclass
class VariantResult:
    case: str
    variant: str
    algorithm: str
    status: str  # passed | failed | skipped
    failures: list[Check] = field(default_factory=list)
    reason: str = ""


def find_cases(paths: Iterable[str | Path]) -> list[Path]:
    """Every folder under `paths` holding both context.json and request.txt, sorted."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(str(raw), "no such file or folder")
        if path.is_file():
            path = path.parent
        if (path / "context.json").is_file() and (path / "request.txt").is_file():
            found.add(path)
        for context in path.rglob("context.json"):
            if (context.parent / "request.txt").is_file():
                found.add(context.parent)
    return sorted(found)


def _algorithm(case: Path, context: dict[str, Any]) -> str:
    algorithm = context.get("algorithm")
    if algorithm is not None:
        if algorithm not in ALGORITHMS:
            raise InputError("context.json algorithm", f"{algorithm!r} is not one of {ALGORITHMS}")
        return str(algorithm)
    if (case / "public-key.json").is_file() or case.parent.name == "v4a":
        return "sigv4a"
    return "sigv4"


def _get(
    context: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None
) -> Any:
    value = context.get(key, default)
    wrong_type = value is not None and not isinstance(value, kind)
    if wrong_type or (kind is int and isinstance(value, bool)):
        raise InputError(f"context.json {key}", f"expected {getattr(kind, '__name__', kind)}")
    return value


def credentials_from(context: dict[str, Any]) -> Credentials:
    creds = context.get("credentials")
    if not isinstance(creds, dict):
        raise InputError("context.json credentials", "missing or not an object")
    access = creds.get("access_key_id")
    secret = creds.get("secret_access_key")
    token = creds.get("token")
    if not isinstance(access, str) or not isinstance(secret, str):
        raise InputError(
            "context.json credentials", "access_key_id and secret_access_key are required"
        )
    if token is not None and not isinstance(token, str):
        raise InputError("context.json credentials.token", "expected a string")
    return Credentials(access, secret, token)


def sigv4_config(context: dict[str, Any]) -> SigV4Config:
    """Map the aws-c-auth context keys (and sigkit's extensions) onto SigV4Config."""
    sign_body = _get(context, "sign_body", bool, False)
    body_value = _get(context, "signed_body_value", str)
    if body_value is not None:
        payload: str | None = body_value
    else:
        payload = None if sign_body else EMPTY_SHA256
    expires = _get(context, "expiration_in_seconds", int, 0)
    return SigV4Config(
        region=_get(context, "region", str, ""),
        service=_get(context, "service", str, ""),
        normalize_path=_get(context, "normalize", bool, True),
        double_uri_encode=_get(context, "double_uri_encode", bool, True),
        payload_hash=payload,
        content_sha256_header=sign_body,
        omit_session_token=_get(context, "omit_session_token", bool, False),
        expires=expires or None,
    )


def s3v2_config(context: dict[str, Any]) -> S3V2Config:
    try:
        return S3V2Config(
            bucket=_get(context, "bucket", str),
            addressing=_get(context, "addressing", str),
            expires_at=_get(context, "expires", int),
            expires_in=_get(context, "expiration_in_seconds", int, 3600) or 3600,
        )
    except InputError as exc:
        raise InputError(f"context.json {exc.field}", exc.message) from None


def _timestamp(context: dict[str, Any]) -> datetime | None:
    stamp = _get(context, "timestamp", str)
    return parse_time(stamp, field="context.json timestamp") if stamp else None


Signer = Callable[[Request, Credentials, datetime], SigningResult]


def signers_for(case: Path, context: dict[str, Any], algorithm: str) -> dict[str, Signer]:
    when = _timestamp(context)
    if algorithm == "sigv4":
        config = sigv4_config(context)
        if when is None:
            raise InputError("context.json timestamp", "required for sigv4")
        return {
            "header": lambda r, c, t: sign_v4(r, c, t, config),
            "query": lambda r, c, t: sign_v4_query(r, c, t, config),
        }
    v2 = s3v2_config(context)
    return {
        "header": lambda r, c, t: sign_v2(r, c, t, v2),
        "query": lambda r, c, t: sign_v2_query(r, c, t, v2),
    }


def _items(counter: Counter[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(counter.elements())


def compare_signed_requests(expected: bytes, actual: bytes) -> str | None:
    """Method, path and body exactly; query parameters and headers as multisets."""
    exp = parse_request_text(expected, source="expected signed request")
    act = parse_request_text(actual, source="signed request")
    if exp.method != act.method:
        return f"method: expected {exp.method!r} got {act.method!r}"
    if exp.path != act.path:
        return f"path: expected {exp.path!r} got {act.path!r}"
    exp_q = Counter((n, v or "") for n, v in parse_query(exp.query or ""))
    act_q = Counter((n, v or "") for n, v in parse_query(act.query or ""))
    if exp_q != act_q:
        return f"query: missing {_items(exp_q - act_q)} extra {_items(act_q - exp_q)}"
    exp_h = Counter((n.lower(), v) for n, v in exp.headers)
    act_h = Counter((n.lower(), v) for n, v in act.headers)
    if exp_h != act_h:
        return f"headers: missing {_items(exp_h - act_h)} extra {_items(act_h - exp_h)}"
    if exp.body_bytes() != act.body_bytes():
        return "body differs"
    return None


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8").replace("\r", "")
    except UnicodeDecodeError as exc:
        raise InputError(path.name, f"is not UTF-8 (byte {exc.start})") from None


def run_case(case: Path) -> Iterator[VariantResult]:
    name = str(case)
    present = [v for v in VARIANTS if any(case.glob(f"{v}-*.txt"))]
    try:
        context = json.loads((case / "context.json").read_text("utf-8"))
        if not isinstance(context, dict):
            raise InputError("context.json", "not a JSON object")
        algorithm = _algorithm(case, context)
    except (ValueError, OSError) as exc:
        for variant in present or ["header"]:
            yield VariantResult(name, variant, "?", "failed", [Check("context.json", str(exc))])
        return
    if not present:
        yield VariantResult(name, "-", algorithm, "skipped", reason="no expected files")
        return
    if algorithm == "sigv4a":
        for variant in present:
            yield VariantResult(
                name, variant, algorithm, "skipped", reason="SigV4A is not implemented yet"
            )
        return
    try:
        signers = signers_for(case, context, algorithm)
        credentials = credentials_from(context)
        request = parse_request_text((case / "request.txt").read_bytes(), source="request.txt")
        when = _timestamp(context) or datetime.fromtimestamp(0).astimezone()
    except (SigkitError, OSError) as exc:
        for variant in present or ["header"]:
            yield VariantResult(name, variant, algorithm, "failed", [Check("setup", str(exc))])
        return
    for variant in present:
        yield _run_variant(case, variant, algorithm, signers[variant], request, credentials, when)


def _run_variant(
    case: Path,
    variant: str,
    algorithm: str,
    signer: Signer,
    request: Request,
    credentials: Credentials,
    when: datetime,
) -> VariantResult:
    result = VariantResult(str(case), variant, algorithm, "passed")
    try:
        signed = signer(request, credentials, when)
    except SigkitError as exc:
        result.status = "failed"
        result.failures.append(Check("sign", str(exc)))
        return result
    for suffix, step in EXACT_FILES:
        path = case / f"{variant}-{suffix}.txt"
        if path.is_file():
            try:
                diff = first_difference(_read_text(path), signed[step])
            except InputError as exc:
                diff = str(exc)
            if diff:
                result.failures.append(Check(suffix, diff))
    path = case / f"{variant}-signed-request.txt"
    if path.is_file():
        try:
            diff = compare_signed_requests(path.read_bytes(), serialize_request(signed.request))
        except InputError as exc:
            diff = str(exc)
        if diff:
            result.failures.append(Check("signed-request", diff))
    if result.failures:
        result.status = "failed"
    return result


def run_suites(paths: Iterable[str | Path]) -> list[VariantResult]:
    cases = find_cases(paths)
    if not cases:
        raise InputError("vectors", "no case folder (context.json + request.txt) found")
    return [result for case in cases for result in run_case(case)]
