#!/usr/bin/env python3
"""Convert the verified AWS S3 documentation examples into sigkit case folders.

Reads the JSON records of ``shared/vectors/aws-docs/`` (SigV4 header and presigned URL, S3 V2
header and presigned URL) and writes ``vectors/aws-docs/sigv4/<record>/`` and
``vectors/aws-docs/s3v2/<record>/`` in the aws-c-auth folder layout, plus
``vectors/aws-docs/README.md``. Only records with ``"verified": true`` are converted. Every
expected file holds a value the documentation prints (canonical request, string to sign,
signature) or one that follows from them exactly (the signed request: the request plus the
documented ``Authorization`` header or presigned query string).

Usage (from the repository root)::

    python tests/oracle/convert_aws_docs.py [--shared ../shared/vectors] [--check]

Deterministic: re-running rewrites the same bytes.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "vectors"
OUT_NAME = "aws-docs"

SIGV4_FILES = ("s3-sigv4-header.json", "s3-sigv4-presigned-url.json")
V2_FILES = ("s3-sigv2-header.json", "s3-sigv2-presigned-url.json")
OTHER_FAMILIES = (
    "s3-sigv4-streaming.json",
    "s3-sigv4-post-policy.json",
    "s3-sigv2-post-policy.json",
)

X_AMZ_DATE_REASON = (
    "the documented StringToSign puts the x-amz-date value in the Date slot and leaves"
    " x-amz-date out of the amz headers, contradicting the page's own rule (empty Date line,"
    " x-amz-date listed as an amz header), and botocore does a third thing (Date in the Date"
    " slot and x-amz-date listed). Only the signature of the printed string to sign reproduces;"
    " the shared README leaves the V2 x-amz-date rule open."
)
SKIP_REASONS = {
    "delete-object-x-amz-date": X_AMZ_DATE_REASON,
    "delete-object-x-amz-date-awsexamplebucket1": X_AMZ_DATE_REASON,
    "upload-cname-metadata-example-com": (
        "a later edit renamed the host to static.example.com but kept the signature computed for"
        " static.awsexamplebucket1.net; the printed StringToSign signs to"
        " jtBQa0Aq+DkULFI8qrpwIjGEx0E=, not the documented value."
    ),
    "intro-object-get": (
        "illustrative request at the top of the page: no StringToSign is printed and neither"
        " example key reproduces its signature."
    ),
    "presigned-object-get-awsexamplebucket1": (
        "not re-signed after the bucket rename: the documented signature is the johnsmith one"
        " (the printed StringToSign signs to 1No4mq5ETf02z8aet9voy6gui6E=)."
    ),
    "intro-presigned-object-get": (
        "illustrative URL: no StringToSign is printed and neither example key reproduces it."
    ),
}


@dataclass
class Converted:
    suite: str  # "sigv4" or "s3v2"
    family: str  # JSON file name
    record: dict[str, Any]
    variant: str  # "header" or "query"
    note: str


def iso_timestamp(compact: str) -> str:
    """``20130524T000000Z`` -> ``2013-05-24T00:00:00Z``."""
    d, t = compact.rstrip("Z").split("T")
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{t[0:2]}:{t[2:4]}:{t[4:6]}Z"


def target(inputs: dict[str, Any]) -> str:
    query = inputs.get("query") or ""
    return str(inputs["path"]) + (f"?{query}" if query else "")


def render(method: str, tgt: str, headers: Sequence[Sequence[str]], extra: Sequence[str]) -> str:
    lines = [f"{method} {tgt} HTTP/1.1", *(f"{n}:{v}" for n, v in headers), *extra]
    return "\n".join(lines) + "\n"


def request_txt(inputs: dict[str, Any], body: str) -> str:
    text = render(inputs["method"], target(inputs), inputs["headers"], [])
    return text + (f"\n{body}" if body else "")


def signed_request(
    inputs: dict[str, Any], tgt: str, extra_headers: Sequence[str], body: str
) -> str:
    return render(inputs["method"], tgt, inputs["headers"], extra_headers) + "\n" + body


def presigned_target(inputs: dict[str, Any], url: str) -> str:
    parts = urlsplit(url)
    if parts.path != inputs["path"]:
        raise SystemExit(f"presigned URL path {parts.path!r} != request path {inputs['path']!r}")
    own = inputs.get("query") or ""
    if own and not parts.query.startswith(own + "&"):
        raise SystemExit("presigned URL does not keep the request's query")
    return f"{parts.path}?{parts.query}"


def sdk_authorization(doc_value: str, signature: str) -> str:
    """The documented SigV4 Authorization value with the SDK separators (', ')."""
    algorithm, _, rest = doc_value.partition(" ")
    parts = rest.split(",")
    if len(parts) != 3 or not parts[2].endswith(signature):
        raise SystemExit(f"unexpected Authorization value {doc_value!r}")
    return f"{algorithm} " + ", ".join(p.strip() for p in parts)


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    for name, content in sorted(files.items()):
        (folder / name).write_bytes(content.encode("utf-8"))


def convert_sigv4(record: dict[str, Any], family: str, out: Path) -> Converted:
    inputs, expected = record["inputs"], record["expected"]
    rules = inputs.get("s3_path_rules", {"normalize": False, "double_encode": False})
    if rules != {"normalize": False, "double_encode": False}:
        raise SystemExit(f"{record['name']}: unexpected path rules {rules}")
    body = str(inputs.get("payload", ""))
    presigned = "url" in expected
    context: dict[str, Any] = {
        "algorithm": "sigv4",
        "credentials": inputs["credentials"],
        "double_uri_encode": False,
        "expiration_in_seconds": int(inputs.get("expires", 3600)),
        "normalize": False,
        "region": inputs["region"],
        "service": inputs["service"],
        # The SHA-256 of the body; the documented requests that carry x-amz-content-sha256
        # carry exactly that value, and the signer uses the request's own header.
        "sign_body": True,
        "timestamp": iso_timestamp(inputs["timestamp"]),
    }
    if inputs.get("payload_hash"):
        context["signed_body_value"] = inputs["payload_hash"]
    files = {"context.json": dump(context), "request.txt": request_txt(inputs, body)}
    if presigned:
        variant = "query"
        note = "presigned URL: query-* files; signed request from the documented URL"
        tgt = presigned_target(inputs, expected["url"])
        files["query-signed-request.txt"] = signed_request(inputs, tgt, [], body)
    else:
        variant = "header"
        note = (
            "request carries x-amz-date and x-amz-content-sha256: the signer adds only"
            " Authorization (SDK ', ' separators)"
        )
        auth = sdk_authorization(expected["authorization"], expected["signature"])
        files[f"{variant}-signed-request.txt"] = signed_request(
            inputs, target(inputs), [f"Authorization:{auth}"], body
        )
    files[f"{variant}-canonical-request.txt"] = expected["canonical_request"]
    files[f"{variant}-string-to-sign.txt"] = expected["string_to_sign"]
    files[f"{variant}-signature.txt"] = expected["signature"]
    write(out / "sigv4" / record["name"], files)
    return Converted("sigv4", family, record, variant, note)


def convert_v2(record: dict[str, Any], family: str, out: Path) -> Converted:
    inputs, expected = record["inputs"], record["expected"]
    context: dict[str, Any] = {
        "addressing": inputs["addressing"],
        "algorithm": "s3v2",
        "bucket": inputs["bucket"],
        "credentials": inputs["credentials"],
    }
    files: dict[str, str] = {}
    if "expires" in inputs:
        variant = "query"
        context["expires"] = int(inputs["expires"])
        tgt = presigned_target(inputs, expected["url"])
        files["query-signed-request.txt"] = signed_request(inputs, tgt, [], "")
        note = "presigned URL: query-* files; signed request from the documented URL"
    else:
        variant = "header"
        auth = expected["authorization"]
        if auth != f"AWS {inputs['credentials']['access_key_id']}:{expected['signature']}":
            raise SystemExit(f"{record['name']}: unexpected Authorization {auth!r}")
        if not any(name.lower() == "date" for name, _ in inputs["headers"]):
            raise SystemExit(f"{record['name']}: no Date header")
        files["header-signed-request.txt"] = signed_request(
            inputs, target(inputs), [f"Authorization:{auth}"], ""
        )
        note = "request carries Date: the signer adds only Authorization"
    if any(name.lower() == "content-length" for name, _ in inputs["headers"]):
        note += "; Content-Length kept as documented, body not given (V2 does not sign it)"
    files["context.json"] = dump(context)
    files["request.txt"] = request_txt(inputs, "")
    files[f"{variant}-string-to-sign.txt"] = expected["string_to_sign"]
    files[f"{variant}-signature.txt"] = expected["signature"]
    write(out / "s3v2" / record["name"], files)
    return Converted("s3v2", family, record, variant, note)


def first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def readme(done: list[Converted], skipped: list[tuple[str, dict[str, Any]]], licence: str) -> str:
    out = [
        "# AWS documentation examples as sigkit cases",
        "",
        "Generated by `tests/oracle/convert_aws_docs.py` from the JSON records of the shared",
        "vectors (`aws-docs/s3-sigv4-header.json`, `s3-sigv4-presigned-url.json`,",
        "`s3-sigv2-header.json`, `s3-sigv2-presigned-url.json`). Only records marked",
        '`"verified": true` (every documented value recomputed independently) are converted. Do',
        "not edit by hand: re-run the script.",
        "",
        "## Licence",
        "",
        licence,
        "",
        "Each case below names its page (title, section, URL and, where one exists, the awsdocs",
        "GitHub copy with its commit).",
        "",
        "## Conversion decisions",
        "",
        "- Layout: aws-c-auth folder layout with sigkit's extensions (`algorithm`,",
        "  `double_uri_encode`, `signed_body_value`; for S3 V2 `bucket`, `addressing`, `expires`).",
        '  `sigv4/` cases use `"double_uri_encode": false, "normalize": false` (S3 paths are',
        "  signed as sent, e.g. `/test%24file.text`), the documented region/service and the",
        "  documented time as `timestamp` (`20130524T000000Z` -> `2013-05-24T00:00:00Z`).",
        "- Headers are written in the documentation's order with the trimmed values of the JSON",
        "  records; the request line is `METHOD path[?query] HTTP/1.1` as sent",
        "  (`GET /?lifecycle`).",
        "- SigV4 header cases: the documented requests already carry `x-amz-date` (equal to the",
        "  timestamp) and `x-amz-content-sha256`; the signer keeps them (it uses the request's own",
        "  payload hash and adds neither header again). `sign_body` is `true`, and the SHA-256 of",
        "  the body equals the documented header in every case, so both readings agree. The",
        "  documented `put-object-storage-class` also carries `Date`, signed as an ordinary",
        "  header.",
        "- **Authorization separators**: the S3 pages print",
        "  `Credential=...,SignedHeaders=...,Signature=...` without spaces; SDKs (botocore,",
        "  aws-c-auth) and sigkit emit `, `. Since the runner compares header values exactly,",
        "  `header-signed-request.txt` uses the `, ` form (same credential, signed headers and",
        "  signature as documented).",
        '- SigV4 presigned URL: `"signed_body_value": "UNSIGNED-PAYLOAD"`,',
        "  `expiration_in_seconds` = the documented `X-Amz-Expires`; `query-signed-request.txt`",
        "  carries the documented URL's query.",
        "- S3 V2 cases: context keys `algorithm`, `credentials`, `bucket`, `addressing` (and",
        "  `expires` for the presigned URL), as in the README's worked example. Every documented",
        "  V2 header request carries its own `Date`, so the signer adds only `Authorization`. The",
        "  upload/PUT examples document `Content-Length` without a body; the header is kept and",
        "  the body left empty (V2 signs neither).",
        "- No file ends with a newline except `request.txt` (after its last header) and signed",
        "  requests (header block, empty line, body).",
        "",
        f"## Cases ({len(done)})",
        "",
        "| folder | variant | source (title, section, URL; GitHub copy) | notes |",
        "|---|---|---|---|",
    ]
    for c in done:
        src = c.record["source"]
        gh = src.get("github")
        where = f'{src["title"]}, section "{src["section"]}", <{src["url"]}>'
        if gh:
            where += f"; {gh['repository']} `{gh['path']}` @ `{gh['commit'][:12]}`"
        out.append(f"| `{c.suite}/{c.record['name']}` | {c.variant} | {where} | {c.note} |")
    out += [
        "",
        f"## Records not converted ({len(skipped)})",
        "",
        "Unverified records of the same families (kept in the shared JSON because they document",
        "errors in the published examples):",
        "",
    ]
    for family, record in skipped:
        reason = SKIP_REASONS.get(record["name"]) or first_sentence(record.get("note", "?"))
        out.append(f"- `{family}` / `{record['name']}`: {reason}")
    out += [
        "",
        "Other aws-docs families (`" + "`, `".join(OTHER_FAMILIES) + "`: chunked uploads and",
        "POST policies) have no request/response form in the folder layout and are not converted.",
        "",
    ]
    return "\n".join(out)


def generate(shared: Path, out_root: Path) -> int:
    out = out_root / OUT_NAME
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    done: list[Converted] = []
    skipped: list[tuple[str, dict[str, Any]]] = []
    licence = ""
    for family in (*SIGV4_FILES, *V2_FILES):
        data = json.loads((shared / "aws-docs" / family).read_text(encoding="utf-8"))
        licence = licence or str(data["licence"])
        for record in data["records"]:
            if record.get("verified") is not True:
                skipped.append((family, record))
            elif family in SIGV4_FILES:
                done.append(convert_sigv4(record, family, out))
            else:
                done.append(convert_v2(record, family, out))
    (out / "README.md").write_bytes(readme(done, skipped, licence).encode("utf-8"))
    return len(done)


def trees_equal(left: Path, right: Path) -> bool:
    cmp = filecmp.dircmp(left, right)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(left, right, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(trees_equal(left / sub, right / sub) for sub in cmp.common_dirs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="shared vectors folder (default: ../shared/vectors)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "vectors",
        help="vectors folder (default: the repository's vectors/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and compare with --out",
    )
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(args.shared, Path(tmp))
            same = (args.out / OUT_NAME).is_dir() and trees_equal(
                Path(tmp) / OUT_NAME, args.out / OUT_NAME
            )
        print("aws-docs up to date" if same else "out of date: aws-docs", file=sys.stderr)
        return 0 if same else 1
    count = generate(args.shared, args.out)
    print(f"{OUT_NAME}: {count} case folders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
