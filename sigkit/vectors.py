"""Test-vector suites in the aws-c-auth folder layout (see vectors/README.md).

A case is a folder holding ``context.json`` and ``request.txt``; each variant (``header``,
``query``) whose expected files exist is run and compared. The runner only reads files and
calls the pure signers; printing belongs to the CLI.

SigV4A signatures are randomised (ECDSA), so they are verified, never compared: the expected
signatures (``*-signature.txt`` and the one inside ``*-signed-request.txt``) with the key of
``public-key.json``, sigkit's own with the key it derives; the signed requests are compared
with the signature masked on both sides, and the derived public key must equal
``public-key.json``.

`case_files` and `write_case` go the other way: they make a case folder for a request, so that
exact expected values can be handed to a signer written elsewhere.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sigkit.credentials import Credentials
from sigkit.encoding import parse_query
from sigkit.errors import InputError, SigkitError
from sigkit.files import SECRET_MODE, signals_interrupt
from sigkit.http import Request, parse_request_text, serialize_request
from sigkit.result import SigningResult
from sigkit.sigv2.s3 import S3V2Config, sign_v2, sign_v2_query
from sigkit.sigv4.config import EMPTY_SHA256, SECURITY_TOKEN, SigV4Config
from sigkit.sigv4.signer import sign_v4, sign_v4_query
from sigkit.sigv4.sigv4a import (
    derive_private_key,
    public_key_from_xy,
    public_key_xy,
    region_set_value,
    sign_v4a,
    sign_v4a_query,
    verify_v4a,
)
from sigkit.textdiff import first_difference
from sigkit.timefmt import parse_time

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

VARIANTS = ("header", "query")
EXACT_FILES = (
    ("canonical-request", "canonical_request"),
    ("string-to-sign", "string_to_sign"),
    ("signature", "signature"),
)
ALGORITHMS = ("sigv4", "sigv4a", "s3v2")
# SigV4A's scope holds no region: the context's region is the region set, and the config
# only needs some valid region to exist (it never reaches the signature).
_V4A_CONFIG_REGION = "aws-global"
_SIGNATURE_IN_AUTHORIZATION = re.compile(r"(Signature=)([0-9A-Fa-f]*)")
_MASKED = "<signature>"


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
        session_token_name=_get(context, "session_token_name", str, SECURITY_TOKEN),
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
    if algorithm == "sigv4a":
        region_set = region_set_value(_get(context, "region", str, ""))
        v4a = sigv4_config({**context, "region": _V4A_CONFIG_REGION})
        if when is None:
            raise InputError("context.json timestamp", "required for sigv4a")
        return {
            "header": lambda r, c, t: sign_v4a(r, c, t, v4a, region_set),
            "query": lambda r, c, t: sign_v4a_query(r, c, t, v4a, region_set),
        }
    v2 = s3v2_config(context)
    return {
        "header": lambda r, c, t: sign_v2(r, c, t, v2),
        "query": lambda r, c, t: sign_v2_query(r, c, t, v2),
    }


def _items(counter: Counter[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(counter.elements())


def signature_in(request: Request) -> str | None:
    """The signature a signed request carries: ``X-Amz-Signature``, else in Authorization."""
    for name, value in parse_query(request.query or ""):
        if name == "X-Amz-Signature":
            return value or ""
    authorization = request.header("authorization")
    if authorization is not None:
        match = _SIGNATURE_IN_AUTHORIZATION.search(authorization)
        if match:
            return match.group(2)
    return None


def _query_pairs(request: Request, mask: bool) -> Counter[tuple[str, str]]:
    pairs = ((n, v or "") for n, v in parse_query(request.query or ""))
    return Counter((n, _MASKED if mask and n == "X-Amz-Signature" else v) for n, v in pairs)


def _header_pairs(request: Request, mask: bool) -> Counter[tuple[str, str]]:
    pairs = ((n.lower(), v) for n, v in request.headers)
    return Counter(
        (n, _SIGNATURE_IN_AUTHORIZATION.sub(rf"\g<1>{_MASKED}", v))
        if mask and n == "authorization"
        else (n, v)
        for n, v in pairs
    )


def compare_signed_requests(
    expected: bytes, actual: bytes, *, mask_signature: bool = False
) -> str | None:
    """Method, path and body exactly; query parameters and headers as multisets.

    `mask_signature` (SigV4A, whose signatures are randomised) replaces the value of
    ``X-Amz-Signature`` and the ``Signature=`` of Authorization on both sides.
    """
    exp = parse_request_text(expected, source="expected signed request")
    act = parse_request_text(actual, source="signed request")
    if exp.method != act.method:
        return f"method: expected {exp.method!r} got {act.method!r}"
    if exp.path != act.path:
        return f"path: expected {exp.path!r} got {act.path!r}"
    exp_q = _query_pairs(exp, mask_signature)
    act_q = _query_pairs(act, mask_signature)
    if exp_q != act_q:
        return f"query: missing {_items(exp_q - act_q)} extra {_items(act_q - exp_q)}"
    exp_h = _header_pairs(exp, mask_signature)
    act_h = _header_pairs(act, mask_signature)
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
    except RecursionError:  # a context.json nested thousands deep
        for variant in present or ["header"]:
            yield VariantResult(
                name, variant, "?", "failed", [Check("context.json", "nests too deeply")]
            )
        return
    except (ValueError, OSError) as exc:
        for variant in present or ["header"]:
            yield VariantResult(name, variant, "?", "failed", [Check("context.json", str(exc))])
        return
    if not present:
        yield VariantResult(name, "-", algorithm, "skipped", reason="no expected files")
        return
    try:
        signers = signers_for(case, context, algorithm)
        credentials = credentials_from(context)
        request = parse_request_text((case / "request.txt").read_bytes(), source="request.txt")
        when = _timestamp(context) or datetime.fromtimestamp(0).astimezone()
        expected_key = _expected_public_key(case) if algorithm == "sigv4a" else None
    except (SigkitError, OSError) as exc:
        for variant in present or ["header"]:
            yield VariantResult(name, variant, algorithm, "failed", [Check("setup", str(exc))])
        return
    for variant in present:
        yield _run_variant(
            case, variant, algorithm, signers[variant], request, credentials, when, expected_key
        )


def _expected_public_key(case: Path) -> ec.EllipticCurvePublicKey | None:
    """The key of ``public-key.json`` (``{"X": hex, "Y": hex}``), or None without the file."""
    path = case / "public-key.json"
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text("utf-8"))
    except RecursionError:
        raise InputError("public-key.json", "not JSON: it nests too deeply") from None
    except ValueError as exc:
        raise InputError("public-key.json", f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in ("X", "Y")):
        raise InputError("public-key.json", 'expected {"X": hex, "Y": hex}')
    try:
        return public_key_from_xy(doc["X"], doc["Y"])
    except InputError as exc:
        raise InputError("public-key.json", exc.message) from None


def _verify(
    check: str, what: str, string_to_sign: str, signature: str, key: ec.EllipticCurvePublicKey
) -> Check | None:
    try:
        if verify_v4a(string_to_sign, signature, key):
            return None
    except InputError as exc:
        return Check(check, f"{what}: {exc.message}")
    return Check(check, f"{what} does not verify over sigkit's string to sign")


def _check_v4a(
    case: Path,
    variant: str,
    signed: SigningResult,
    credentials: Credentials,
    expected_key: ec.EllipticCurvePublicKey | None,
) -> list[Check]:
    """SigV4A's checks beyond the exact files: public key, and every signature verified."""
    failures: list[Check] = []
    derived = derive_private_key(credentials.access_key_id, credentials.secret_access_key)
    own_key = derived.public_key()
    if expected_key is not None:
        exp_x, exp_y = public_key_xy(expected_key)
        own_x, own_y = public_key_xy(own_key)
        if (exp_x, exp_y) != (own_x, own_y):
            failures.append(
                Check(
                    "public-key",
                    f"derived X={own_x} Y={own_y}, public-key.json holds X={exp_x} Y={exp_y}",
                )
            )
    key = expected_key or own_key
    sts = signed["string_to_sign"]
    checks: list[Check | None] = []
    path = case / f"{variant}-signature.txt"
    if path.is_file():
        checks.append(_verify("signature", path.name, sts, _read_text(path), key))
    path = case / f"{variant}-signed-request.txt"
    if path.is_file():
        expected = parse_request_text(path.read_bytes(), source=path.name)
        sig = signature_in(expected)
        if sig is None:
            checks.append(Check("signed-request", f"{path.name} carries no signature"))
        else:
            checks.append(_verify("signed-request", f"the signature in {path.name}", sts, sig, key))
    own = signature_in(signed.request)
    if own != signed.signature:
        checks.append(Check("own-signature", "the signed request does not carry the signature"))
    checks.append(_verify("own-signature", "sigkit's signature", sts, signed.signature, own_key))
    failures.extend(c for c in checks if c is not None)
    return failures


def _run_variant(
    case: Path,
    variant: str,
    algorithm: str,
    signer: Signer,
    request: Request,
    credentials: Credentials,
    when: datetime,
    expected_key: ec.EllipticCurvePublicKey | None = None,
) -> VariantResult:
    result = VariantResult(str(case), variant, algorithm, "passed")
    v4a = algorithm == "sigv4a"
    try:
        signed = signer(request, credentials, when)
    except SigkitError as exc:
        result.status = "failed"
        result.failures.append(Check("sign", str(exc)))
        return result
    for suffix, step in EXACT_FILES:
        if v4a and step == "signature":
            continue  # randomised: verified below
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
            diff = compare_signed_requests(
                path.read_bytes(), serialize_request(signed.request), mask_signature=v4a
            )
        except InputError as exc:
            diff = str(exc)
        if diff:
            result.failures.append(Check("signed-request", diff))
    if v4a:
        try:
            result.failures.extend(_check_v4a(case, variant, signed, credentials, expected_key))
        except InputError as exc:
            result.failures.append(Check("verify", str(exc)))
    if result.failures:
        result.status = "failed"
    return result


def run_suites(paths: Iterable[str | Path]) -> list[VariantResult]:
    cases = find_cases(paths)
    if not cases:
        raise InputError("vectors", "no case folder (context.json + request.txt) found")
    return [result for case in cases for result in run_case(case)]


# --------------------------------------------------------------------------------------------
# Writing cases


def case_files(request: Request, context: Mapping[str, Any]) -> dict[str, bytes]:
    """Every file of a case folder for `request` signed as `context` says, by name.

    context.json, request.txt (with a Host header, as the layout wants), and for each variant
    the canonical request (SigV4 and SigV4A), string to sign, signature and signed request;
    public-key.json for SigV4A. The expected values come from signing request.txt *as parsed
    back* with the signers `run_case` uses for this context, so a written case runs exactly as
    it will be read. Bytes follow vectors/README.md: no trailing newline; a signed request is
    its head, an empty line, then the body. Nothing is written here.
    """
    context = dict(context)
    algorithm = context.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise InputError("context algorithm", f"{algorithm!r} is not one of {ALGORITHMS}")
    when = _timestamp(context)
    if when is None:
        raise InputError("context timestamp", "required to write a case")
    if request.header("host") is None:
        request = request.with_headers([("Host", request.host)])
    request_txt = serialize_request(request)
    parsed = parse_request_text(request_txt, source="request.txt")
    credentials = credentials_from(context)
    files = {
        "context.json": json.dumps(context, indent=4, sort_keys=True, ensure_ascii=False).encode(),
        "request.txt": request_txt,
    }
    for variant, signer in signers_for(Path(), context, str(algorithm)).items():
        signed = signer(parsed, credentials, when)
        for suffix, step in EXACT_FILES:
            if step in signed:
                files[f"{variant}-{suffix}.txt"] = signed[step].encode("utf-8")
        files[f"{variant}-signed-request.txt"] = serialize_request(signed.request)
    if algorithm == "sigv4a":
        key = derive_private_key(credentials.access_key_id, credentials.secret_access_key)
        x, y = public_key_xy(key.public_key())
        files["public-key.json"] = json.dumps({"X": x, "Y": y}, indent=2).encode()
    return files


def write_case(folder: str | Path, files: Mapping[str, bytes]) -> Path:
    """Write a case folder whole or not at all, and never over someone's files.

    The files go into a hidden temporary sibling (context.json last, so that an interrupted
    write never looks like a case), which is then renamed to `folder`. An existing folder must
    be empty (rename replaces only an empty one, so a folder filled meanwhile is refused too);
    missing parents are made, and removed again if the write fails.
    """
    target = Path(os.path.abspath(folder))
    if target.is_symlink() or target.exists():
        if target.is_symlink() or not target.is_dir():
            raise InputError(str(folder), "exists and is not a folder")
        if any(target.iterdir()):
            raise InputError(str(folder), "exists and is not empty; give a new case folder")
    made: list[Path] = []
    parent = target.parent
    while not parent.exists():
        made.append(parent)
        parent = parent.parent
    tmp: Path | None = None
    with signals_interrupt():  # SIGTERM/SIGHUP clean up as Ctrl-C does
        try:
            for path in reversed(made):
                path.mkdir()
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            for name in sorted(files, key=lambda n: n == "context.json"):
                (tmp / name).write_bytes(files[name])
                if name == "context.json":  # it holds the secret key (the folder is 0700 so far)
                    (tmp / name).chmod(SECRET_MODE)
            umask = os.umask(0)
            os.umask(umask)
            tmp.chmod(0o777 & ~umask)
            try:
                os.rename(tmp, target)
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                    raise InputError(str(folder), "was filled or replaced while writing") from None
                raise
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            for path in made:
                try:
                    path.rmdir()
                except OSError:
                    break
            raise
    return target
