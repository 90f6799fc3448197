"""One home for which signing rules apply: `rules_for()` (SigV4) and `v2_rules()` (S3 V2).

Four kinds of check:

1. Round trip (hypothesis): for every service preset, header and query variant, SigV4 and (for
   s3) S3 V2, what sigkit's signers sign with the config `rules_for` gives is verified as a
   match by `sigkit.verify.verify_request`, after going over the wire (serialised and parsed
   back), for paths with reserved characters, spaces, '+', Unicode and '..' segments, queries and
   headers.
2. The same round trip through the command line: `sigkit sign` (and `presign`) output fed to
   `sigkit verify`.
3. The decisions are one: sign, presign, curl and verify show the same canonical request for the
   same request and service.
4. botocore 1.43.11 as the oracle: the S3 signing names its endpoint rules give are
   `S3_SERVICES`; its signers (the Python classes its AUTH_TYPE_MAPS names for the s3 client and for
   other services) sign what sigkit signs with `rules_for`; and requests a real botocore S3
   client signs for S3 Object Lambda, Outposts and S3 Express verify as a match.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock
from urllib.parse import quote

import botocore  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import pytest
from botocore import auth as botocore_auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest, AWSResponse  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigkit.cli.app import main
from sigkit.credentials import Credentials
from sigkit.endpoints import infer_scope
from sigkit.errors import InputError
from sigkit.http import Request, parse_request_text, serialize_request
from sigkit.sigv2.s3 import sign_v2, sign_v2_query, v2_rules
from sigkit.sigv4.config import S3_SERVICES, UNSIGNED_PAYLOAD, SigV4Config, rules_for
from sigkit.sigv4.signer import sign_v4, sign_v4_query
from sigkit.vectors import run_suites
from sigkit.verify import verify_request

BOTOCORE_VERSION = "1.43.11"
needs_oracle = pytest.mark.skipif(
    botocore.__version__ != BOTOCORE_VERSION,
    reason=f"the oracle is botocore {BOTOCORE_VERSION}, found {botocore.__version__}",
)

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

# service -> (a host of that service, its region). The S3 family hosts follow the URL templates
# of botocore's S3 endpoint rules; the others are the services' regional endpoints.
PRESETS: dict[str, tuple[str, str]] = {
    "s3": ("examplebucket.s3.us-east-1.amazonaws.com", "us-east-1"),
    "s3express": ("bucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com", "us-east-1"),
    "s3-outposts": (
        "myap-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com",
        "us-west-2",
    ),
    "s3-object-lambda": (
        "mybanner-123456789012.s3-object-lambda.us-east-1.amazonaws.com",
        "us-east-1",
    ),
    "execute-api": ("a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", "eu-west-1"),
    "es": ("search-logs-abc123.eu-west-1.es.amazonaws.com", "eu-west-1"),
    "lambda": ("lambda.us-east-1.amazonaws.com", "us-east-1"),
    "sts": ("sts.us-east-1.amazonaws.com", "us-east-1"),
}
NON_S3 = ("execute-api", "es", "lambda", "sts")
TOKEN_NAMES = ("x-amz-security-token", "x-amz-s3session-token")
# The S3 family as botocore's S3 endpoint rules name it (checked against them below): the
# expected values of these tests, written out rather than read from sigkit.
S3_FAMILY = ("s3", "s3express", "s3-outposts", "s3-object-lambda")
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]

# ------------------------------------------------------------------------------------ generators

UNICODE = "éü中文😀ßΩ"
RESERVED = "!$&'()*+,;=:@"
segment_char = st.sampled_from(
    "abcXYZ019-._~" + RESERVED + " +" + UNICODE,
)
segment = st.one_of(
    st.sampled_from([".", "..", "a b", "a+b", "c%d", "x"]),
    st.lists(segment_char, min_size=1, max_size=8).map("".join),
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    """A path as a client puts it on the wire: each segment raw (as typed; no '%', '?', '#'),
    percent-encoded, or encoded with the reserved characters left raw."""
    out = []
    for text in draw(st.lists(segment, max_size=5)):
        how = draw(st.sampled_from(["raw", "encoded", "loose"]))
        if how == "raw" and "%" not in text:
            out.append(text)
        elif how == "loose":
            out.append(quote(text, safe=RESERVED.replace("&", "").replace("=", "")))
        else:
            out.append(quote(text, safe="~"))
    path = "/" + "/".join(out)
    return path + "/" if draw(st.booleans()) else path


query_text = st.lists(st.sampled_from("ab09-_.~ +/:@!$'()*," + UNICODE), max_size=6).map("".join)


@st.composite
def queries(draw: st.DrawFn, *, v2: bool = False) -> str | None:
    """A query of names and values encoded as clients do: %20 or a raw '+' for a space, '+'
    percent-encoded or not, reserved characters raw or encoded; for V2 also sub-resources."""
    pairs = []
    for name, value in draw(st.lists(st.tuples(query_text, query_text), max_size=4)):
        if not name:
            continue
        safe = draw(st.sampled_from(["", "~", "+/:@!$'()*,"]))
        encode = draw(st.sampled_from(["quote", "quote_plus"]))
        if encode == "quote":
            pairs.append(f"{quote(name, safe=safe)}={quote(value, safe=safe)}")
        else:
            pairs.append(
                f"{quote(name, safe=safe).replace('%20', '+')}="
                f"{quote(value, safe=safe).replace('%20', '+')}"
            )
    if v2:
        for extra in draw(
            st.lists(st.sampled_from(["acl", "versionId=3%2B1", "response-content-type=a%2Fb"]))
        ):
            pairs.append(extra)
    if not pairs:
        return None if draw(st.booleans()) else ""
    return "&".join(pairs)


header_value = (
    st.lists(st.sampled_from("ab Z09-_.;=/:,"), min_size=1, max_size=12)
    .map("".join)
    .filter(lambda v: v.strip() != "")
)


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    names = draw(
        st.lists(
            st.sampled_from(
                ["X-Amz-Meta-Note", "x-amz-meta-a", "Content-Type", "X-Custom", "Range"]
            ),
            unique=True,
            max_size=3,
        )
    )
    return [(name, draw(header_value)) for name in names]


methods = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"])
bodies = st.one_of(st.none(), st.binary(max_size=40))
times = st.datetimes(
    min_value=dt.datetime(2015, 1, 1),
    max_value=dt.datetime(2035, 12, 31),
    timezones=st.just(dt.UTC),
).map(lambda t: t.replace(microsecond=0))


@st.composite
def credentials(draw: st.DrawFn) -> Credentials:
    token = draw(st.one_of(st.none(), st.just("FwoGZXIvYXdzEBYaD+/token=")))
    return Credentials(ACCESS_KEY, SECRET_KEY, token)


def over_the_wire(request: Request) -> Request:
    """The request as a server reads it: serialised and parsed back (the scheme is https)."""
    return parse_request_text(serialize_request(request))


# -------------------------------------------------------------------- 1. round trip, library


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(
    service=st.sampled_from(sorted(PRESETS)),
    variant=st.sampled_from(["header", "query"]),
    method=methods,
    path=paths(),
    query=queries(),
    extra=headers(),
    body=bodies,
    creds=credentials(),
    when=times,
    payload_header=st.sampled_from([None, None, UNSIGNED_PAYLOAD, "body"]),
)
def test_sigv4_signed_verifies_for_every_service_and_variant(
    service: str,
    variant: str,
    method: str,
    path: str,
    query: str | None,
    extra: list[tuple[str, str]],
    body: bytes | None,
    creds: Credentials,
    when: dt.datetime,
    payload_header: str | None,
) -> None:
    """`payload_header`: the client sends its own x-amz-content-sha256 (UNSIGNED-PAYLOAD or the
    body's hash), which every service then signs, presigned URLs included."""
    host, region = PRESETS[service]
    url = f"https://{host}{path}" + ("" if query is None else f"?{query}")
    if payload_header is not None:
        value = (
            hashlib.sha256(body or b"").hexdigest() if payload_header == "body" else payload_header
        )
        extra = [*extra, ("x-amz-content-sha256", value)]
    request = Request.from_url(method, url, extra, body)
    sent = payload_header is not None
    if variant == "header":
        config = rules_for(service, region, content_sha256_sent=sent)
        signed = sign_v4(request, creds, when, config)
    else:
        config = rules_for(service, region, variant="query", content_sha256_sent=sent)
        signed = sign_v4_query(request, creds, when, config)
    received = over_the_wire(signed.request)
    outcome = verify_request(received, creds, when, region=region, service=service)
    assert outcome.verdict == "match", (outcome.problems, signed["canonical_request"])
    assert outcome.result is not None
    assert outcome.result["canonical_request"] == signed["canonical_request"]


S3_HOSTS = [
    ("examplebucket.s3.us-east-1.amazonaws.com", ""),  # virtual-hosted
    ("s3.eu-west-1.amazonaws.com", "/examplebucket"),  # path style
    ("127.0.0.1:9000", "/examplebucket"),  # an S3-compatible store, path style
]


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(
    where=st.sampled_from(S3_HOSTS),
    variant=st.sampled_from(["header", "query"]),
    method=methods,
    path=paths(),
    query=queries(v2=True),
    extra=headers(),
    body=bodies,
    creds=credentials(),
    when=times,
)
def test_s3_v2_signed_verifies(
    where: tuple[str, str],
    variant: str,
    method: str,
    path: str,
    query: str | None,
    extra: list[tuple[str, str]],
    body: bytes | None,
    creds: Credentials,
    when: dt.datetime,
) -> None:
    host, prefix = where
    url = f"https://{host}{prefix}{path}" + ("" if query is None else f"?{query}")
    request = Request.from_url(method, url, extra, body)
    config = v2_rules("s3")
    signer = sign_v2 if variant == "header" else sign_v2_query
    signed = signer(request, creds, when, config)
    outcome = verify_request(over_the_wire(signed.request), creds, when)
    assert outcome.verdict == "match", (outcome.problems, signed["string_to_sign"])
    assert outcome.result is not None
    assert outcome.result["string_to_sign"] == signed["string_to_sign"]


@pytest.mark.parametrize("service", sorted(PRESETS))
def test_explicit_payload_lines_verify(service: str) -> None:
    """A chosen payload line reaches the server: UNSIGNED-PAYLOAD on S3 and on other services
    (sent as x-amz-content-sha256), and the body's own hash."""
    host, region = PRESETS[service]
    when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    creds = Credentials(ACCESS_KEY, SECRET_KEY)
    request = Request.from_url("PUT", f"https://{host}/k", (), b"hello")
    for payload in (UNSIGNED_PAYLOAD, None):
        signed = sign_v4(request, creds, when, rules_for(service, region, payload=payload))
        outcome = verify_request(over_the_wire(signed.request), creds, when, service=service)
        assert outcome.verdict == "match", (payload, outcome.problems)


# ------------------------------------------------------------------- the rules, stated once


def test_s3_family_rules_and_generic_rules() -> None:
    """The S3 family signs the path as sent and the payload line as a header; a presigned URL
    signs UNSIGNED-PAYLOAD unless the request sends its own x-amz-content-sha256. Presets and
    the function agree."""
    for service in S3_FAMILY:
        header = rules_for(service, "us-east-1")
        query = rules_for(service, "us-east-1", variant="query")
        sent = rules_for(service, "us-east-1", variant="query", content_sha256_sent=True)
        assert (header.normalize_path, header.double_uri_encode) == (False, False)
        assert header.content_sha256_header and header.payload_hash is None
        assert query.payload_hash == UNSIGNED_PAYLOAD and sent.payload_hash is None
    for service in NON_S3:
        header = rules_for(service, "us-east-1")
        query = rules_for(service, "us-east-1", variant="query")
        assert (header.normalize_path, header.double_uri_encode) == (True, True)
        assert not header.content_sha256_header and query.payload_hash is None
        assert header == SigV4Config.generic("us-east-1", service)
    assert rules_for("s3", "eu-west-1", expires=60) == SigV4Config.s3("eu-west-1", expires=60)
    with pytest.raises(InputError):
        rules_for("s3", "us-east-1", variant="presigned")  # type: ignore[arg-type]


def test_v2_signs_only_s3() -> None:
    assert v2_rules("s3") == v2_rules(None)
    assert v2_rules("s3", addressing="virtual").addressing == "virtual-hosted"
    for service in (*S3_FAMILY[1:], *NON_S3):
        with pytest.raises(InputError, match="S3 V2 signs only 's3'"):
            v2_rules(service)


# --------------------------------------------------------------- 2. round trip, command line


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def steps_of(output: str) -> dict[str, str]:
    data = json.loads(output)
    return {step["name"]: step["value"] for step in data["steps"]}


KEYS = ("--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY)
STAMP = "20250101T000000Z"
# A path with a space, a '+', a reserved character, Unicode and a '..' segment.
CLI_PATH = "/a%20b/c+d/%C3%BC$/../x;y"


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("service", sorted(PRESETS))
@pytest.mark.parametrize("presign", [False, True])
def test_cli_sign_then_verify_is_a_match(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, service: str, presign: bool
) -> None:
    host, region = PRESETS[service]
    url = f"https://{host}{CLI_PATH}?list-type=2&prefix=a+b"
    argv = ["sign", "PUT", url, "-d", "hello", "-H", "X-Amz-Meta-Note: two  spaces"]
    argv += ["--service", service, "--region", region, "--date", STAMP, "--json", *KEYS]
    code, out, err = cli(capsys, *argv, *(["--presign"] if presign else []))
    assert code == 0, err
    steps = steps_of(out)
    source = tmp_path / "request.txt"
    source.write_text(steps["signed_request"])
    code, out, err = cli(capsys, "verify", str(source), "--now", STAMP, "--json", *KEYS)
    report = json.loads(out)
    assert (code, report["verdict"]) == (0, "match"), (err, report)
    assert report["canonical_request"] == steps["canonical_request"]
    assert f"/{service}/aws4_request" in report["credential_scope"]


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("service", S3_FAMILY)
def test_cli_presign_then_verify_is_a_match(
    capsys: pytest.CaptureFixture[str], service: str
) -> None:
    """`sigkit presign` on a URL of each S3 service: the service is read from the host."""
    host, _ = PRESETS[service]
    code, out, err = cli(
        capsys, "presign", f"https://{host}{CLI_PATH}", "--date", STAMP, "--json", *KEYS
    )
    assert code == 0, err
    url = json.loads(out)["url"]
    assert f"%2F{service}%2Faws4_request" in url
    code, out, err = cli(capsys, "verify", url, "--now", STAMP, "--json", *KEYS)
    assert (code, json.loads(out)["verdict"]) == (0, "match"), (err, out)


@pytest.mark.usefixtures("clean_env")
def test_cli_presign_signs_the_payload_header_a_request_sends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A presigned S3 request that sends its own x-amz-content-sha256 is checked with that
    value, by `sign --presign` as by `verify`."""
    body_hash = hashlib.sha256(b"hello").hexdigest()
    source = tmp_path / "request.txt"
    host = PRESETS["s3"][0]
    source.write_text(f"PUT /k HTTP/1.1\nHost:{host}\nx-amz-content-sha256:{body_hash}\n\nhello")
    code, out, err = cli(
        capsys, "sign", "--request-file", str(source), "--presign", "--region", "us-east-1",
        "--service", "s3", "--date", STAMP, "--json", *KEYS,
    )  # fmt: skip
    assert code == 0, err
    steps = steps_of(out)
    assert steps["canonical_request"].endswith("\n" + body_hash)
    signed = tmp_path / "signed.txt"
    signed.write_text(steps["signed_request"])
    code, out, err = cli(capsys, "verify", str(signed), "--now", STAMP, "--json", *KEYS)
    assert (code, json.loads(out)["verdict"]) == (0, "match"), (err, out)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("service", "token_name"),
    [("s3express", "X-Amz-S3session-Token"), ("s3", "X-Amz-Security-Token")],
)
@pytest.mark.parametrize("presign", [False, True])
def test_cli_session_token_travels_where_the_service_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, service: str, token_name: str, presign: bool
) -> None:
    """S3 Express One Zone takes its session token as X-Amz-S3session-Token, never as
    X-Amz-Security-Token (botocore's S3ExpressAuth); sign puts it there and verify reads it."""
    host, region = PRESETS[service]
    token = ("--session-token", "SESSION+TOKEN/=")
    code, out, err = cli(
        capsys, "sign", f"https://{host}/k", "--service", service, "--region", region,
        "--date", STAMP, "--json", "--show-secrets", *KEYS, *token,
        *(["--presign"] if presign else []),
    )  # fmt: skip
    assert code == 0, err
    steps = steps_of(out)
    other = ({"X-Amz-S3session-Token", "X-Amz-Security-Token"} - {token_name}).pop()
    where = steps["signed_request"].split("\n")[0] if presign else steps["signed_request"]
    assert token_name.lower() in where.lower() and other.lower() not in where.lower()
    source = tmp_path / "request.txt"
    source.write_text(steps["signed_request"])
    code, out, err = cli(capsys, "verify", str(source), "--now", STAMP, "--json", *KEYS, *token)
    assert (code, json.loads(out)["verdict"]) == (0, "match"), (err, out)
    code, out, err = cli(
        capsys, "verify", str(source), "--now", STAMP, "--json", *KEYS, "--session-token", "x"
    )
    assert json.loads(out)["error_code"] == "InvalidToken", out


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("style", ["aws-sigv4", "headers", "script"])
def test_curl_sends_the_s3express_session_token_as_s3session_token(
    capsys: pytest.CaptureFixture[str], style: str
) -> None:
    host, region = PRESETS["s3express"]
    code, out, err = cli(
        capsys, "curl", "request", f"https://{host}/k", "--service", "s3express", "--region",
        region, "--style", style, *KEYS, "--session-token", "SESSION+TOKEN/=",
    )  # fmt: skip
    assert code == 0, err
    assert "x-amz-s3session-token" in out.lower()
    assert "x-amz-security-token" not in out.lower()


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("service", sorted(PRESETS))
def test_vectors_new_case_signs_as_sign_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, service: str
) -> None:
    """`vectors new` writes a context from the same rules: the runner, reading only
    context.json, reproduces what `sign` signed (header and query), session token included."""
    host, region = PRESETS[service]
    case = tmp_path / "suite" / service
    code, _, err = cli(
        capsys, "vectors", "new", str(case), "PUT", f"https://{host}/a%20b/../c", "-d", "x",
        "--service", service, "--region", region, "--date", STAMP, *KEYS,
        "--session-token", "SESSION+TOKEN/=",
    )  # fmt: skip
    assert code == 0, err
    context = json.loads((case / "context.json").read_text())
    expected_name = "X-Amz-S3session-Token" if service == "s3express" else None
    assert (context["normalize"], context.get("session_token_name")) == (
        service not in S3_FAMILY,
        expected_name,
    )
    results = run_suites([case])
    assert [(r.variant, r.status) for r in results] == [("header", "passed"), ("query", "passed")]


@pytest.mark.usefixtures("clean_env")
def test_cli_v2_refuses_other_services(capsys: pytest.CaptureFixture[str]) -> None:
    host, _ = PRESETS["s3express"]
    code, out, err = cli(
        capsys, "sign", "--sig", "v2", f"https://{host}/k", "--service", "s3express", *KEYS
    )
    assert (code, out) == (2, "")
    assert err.strip() == (
        "sigkit: error: --sig: S3 V2 signs only 's3' requests, not 's3express'; use SigV4"
    )


# ------------------------------------------------------------ 3. the decisions are one


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("service", sorted(PRESETS))
def test_sign_curl_verify_show_one_canonical_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, service: str
) -> None:
    """The header variant of one request, through `sign`, `curl request --style headers` and
    `verify` of what `sign` produced: one canonical request."""
    host, region = PRESETS[service]
    url = f"https://{host}/a%20b/c%2Bd/%C3%BC"
    common = ["--service", service, "--region", region, "--date", STAMP, "--json", *KEYS]
    code, out, err = cli(
        capsys,
        "sign",
        "PUT",
        url,
        "-d",
        "hello",
        "-H",
        "Content-Type: binary/octet-stream",
        *common,
    )
    assert code == 0, err
    signed = steps_of(out)
    code, out, err = cli(
        capsys, "curl", "request", "PUT", url, "-d", "hello", "--style", "headers", *common
    )
    assert code == 0, err
    curl = steps_of(out)
    source = tmp_path / "request.txt"
    source.write_text(signed["signed_request"])
    code, out, err = cli(capsys, "verify", str(source), "--now", STAMP, "--json", *KEYS)
    verified = json.loads(out)
    assert code == 0, (err, verified)
    assert signed["canonical_request"] == curl["canonical_request"]
    assert signed["canonical_request"] == verified["canonical_request"]
    # an independent statement of the two rules: S3 encodes the path once, others twice
    uri = signed["canonical_request"].split("\n")[1]
    assert uri == ("/a%20b/c%2Bd/%C3%BC" if service in S3_FAMILY else "/a%2520b/c%252Bd/%25C3%25BC")


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("service", S3_FAMILY)
def test_sign_presign_verify_show_one_presigned_canonical_request(
    capsys: pytest.CaptureFixture[str], service: str
) -> None:
    host, region = PRESETS[service]
    url = f"https://{host}/a%20b/c%2Bd"
    code, out, err = cli(
        capsys, "sign", "GET", url, "--presign", "--service", service, "--region", region,
        "--date", STAMP, "--json", *KEYS,
    )  # fmt: skip
    assert code == 0, err
    signed = steps_of(out)
    code, out, err = cli(capsys, "presign", url, "--date", STAMP, "--json", *KEYS)
    assert code == 0, err
    presigned = json.loads(out)
    presign_steps = {step["name"]: step["value"] for step in presigned["steps"]}
    code, out, err = cli(capsys, "verify", presigned["url"], "--now", STAMP, "--json", *KEYS)
    verified = json.loads(out)
    assert code == 0, (err, verified)
    assert signed["canonical_request"] == presign_steps["canonical_request"]
    assert signed["canonical_request"] == verified["canonical_request"]
    assert signed["canonical_request"].endswith("\nUNSIGNED-PAYLOAD")


# --------------------------------------------------------------------- 4. botocore, the oracle


def _ruleset() -> str:
    data = Path(botocore.__file__).parent / "data" / "s3" / "2006-03-01"
    return gzip.decompress((data / "endpoint-rule-set-1.json.gz").read_bytes()).decode()


@needs_oracle
def test_s3_services_are_the_signing_names_of_botocores_s3_endpoint_rules() -> None:
    ruleset = _ruleset()
    names = set(re.findall(r'"signingName"\s*:\s*"([^"]+)"', ruleset))
    assert names == set(S3_FAMILY) == S3_SERVICES
    # every S3 auth scheme disables double encoding: the S3 rules for all of them
    assert set(re.findall(r'"disableDoubleEncoding"\s*:\s*(\w+)', ruleset)) == {"true"}


@needs_oracle
def test_s3express_hosts_of_botocores_endpoint_rules_sign_as_s3express() -> None:
    templates = set(re.findall(r'"url"\s*:\s*"https://([^"/]*s3express[^"/]*)', _ruleset()))
    assert templates
    for template in templates:
        host = (
            template.replace("{Bucket}", "bucket--use1-az4--x-s3")
            .replace("{s3expressAvailabilityZoneId}", "use1-az4")
            .replace("{Region}", "us-east-1")
            .replace("{partitionResult#dnsSuffix}", "amazonaws.com")
        )
        assert infer_scope(host) == ("us-east-1", "s3express"), host


# botocore's own Python signers. With awscrt installed (the test extras install it) botocore's
# AUTH_TYPE_MAPS names its CRT signers instead, which read the clock inside awscrt where
# botocore_clock cannot reach; the Python classes are the ones whose steps botocore logs.
PURE_SIGNERS = {
    "v4": botocore_auth.SigV4Auth,
    "v4-query": botocore_auth.SigV4QueryAuth,
    "s3v4": botocore_auth.S3SigV4Auth,
    "s3v4-query": botocore_auth.S3SigV4QueryAuth,
    "v4-s3express": botocore_auth.S3ExpressAuth,
    "v4-s3express-query": botocore_auth.S3ExpressQueryAuth,
}


@contextmanager
def botocore_clock(when: dt.datetime) -> Iterator[None]:
    naive = when.astimezone(dt.UTC).replace(tzinfo=None)
    epoch = calendar.timegm(naive.utctimetuple())
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=naive),
        mock.patch("botocore.auth.formatdate", lambda *a, **k: email.utils.formatdate(epoch)),
        mock.patch("botocore.auth.time", SimpleNamespace(time=lambda: float(epoch))),
    ):
        yield


def botocore_signature(
    auth_type: str, service: str, region: str, request: Request, token: str | None, when: Any
) -> tuple[str, str, dict[str, str]]:
    """Sign with the botocore class its AUTH_TYPE_MAPS names for `auth_type` (what the s3 client
    uses: 's3v4', 'v4-s3express' and their -query forms; 'v4' / 'v4-query' for the others):
    the signature, the URL and the headers (lower-case names) botocore produced."""
    cls = PURE_SIGNERS[auth_type]
    creds = BotoCredentials(ACCESS_KEY, SECRET_KEY, token)
    options: dict[str, Any] = {"expires": 3600} if auth_type.endswith("-query") else {}
    if "s3express" in auth_type:
        options["identity_cache"] = None  # S3ExpressQueryAuth's own default is 300 seconds
    signer = cls(creds, service, region, **options)
    boto = AWSRequest(method=request.method, url=request.url, data=request.body)
    for name, value in request.headers:
        boto.headers[name] = value
    with botocore_clock(when):
        signer.add_auth(boto)
    if auth_type.endswith("-query"):
        match = re.search(r"X-Amz-Signature=([0-9a-f]{64})", boto.url)
    else:
        match = re.search(r"Signature=([0-9a-f]{64})", boto.headers["Authorization"])
    assert match is not None
    return match.group(1), boto.url, {n.lower(): str(v) for n, v in boto.headers.items()}


oracle_paths = st.lists(
    st.lists(st.sampled_from("abc09-_.~" + RESERVED + " +" + UNICODE), min_size=1, max_size=6)
    .map("".join)
    .map(lambda s: quote(s, safe="~")),
    max_size=4,
).map(lambda segments: "/" + "/".join(segments))
oracle_queries = st.lists(
    st.tuples(query_text.filter(bool), query_text), max_size=3, unique_by=lambda p: p[0]
).map(lambda pairs: "&".join(f"{quote(n, safe='~')}={quote(v, safe='~')}" for n, v in pairs))


@needs_oracle
@settings(max_examples=150, deadline=None, suppress_health_check=SLOW)
@given(
    service=st.sampled_from(sorted(PRESETS)),
    variant=st.sampled_from(["header", "query"]),
    method=methods,
    path=oracle_paths,
    query=oracle_queries,
    body=bodies,
    token=st.one_of(st.none(), st.just("FwoGZXIvYXdzEBYaD+/token=")),
    when=times,
)
def test_signature_equals_botocores_for_every_service(
    service: str,
    variant: str,
    method: str,
    path: str,
    query: str,
    body: bytes | None,
    token: str | None,
    when: dt.datetime,
) -> None:
    """The signer botocore uses for each service (S3SigV4Auth for s3, s3-outposts and
    s3-object-lambda, S3ExpressAuth for s3express, SigV4Auth for the rest; the Query forms for
    presigned URLs) gives sigkit's signature with the config `rules_for` gives."""
    host, region = PRESETS[service]
    url = f"https://{host}{path}" + (f"?{query}" if query else "")
    if variant == "query":
        body = None  # botocore moves a body into the query of a presigned URL
    if service == "s3express":
        # an S3 Express session always has a token (S3ExpressAuth sends it as
        # x-amz-s3session-token / X-Amz-S3session-Token, never X-Amz-Security-Token)
        token = token or "session-token"
    creds = Credentials(ACCESS_KEY, SECRET_KEY, token)
    auth_type = {
        "s3express": "v4-s3express",
        "s3": "s3v4",
        "s3-outposts": "s3v4",
        "s3-object-lambda": "s3v4",
    }.get(service, "v4")
    request = Request.from_url(method, url, (), body)
    if variant == "header":
        ours = sign_v4(request, creds, when, rules_for(service, region))
    else:
        auth_type += "-query"
        ours = sign_v4_query(request, creds, when, rules_for(service, region, variant="query"))
    theirs, boto_url, boto_headers = botocore_signature(
        auth_type, service, region, request, token, when
    )
    assert ours.signature == theirs, ours["canonical_request"]
    # the same headers or parameters added, the session token under the same name
    if variant == "header":
        names = ("authorization", "x-amz-date", "x-amz-content-sha256", *TOKEN_NAMES)
        sent = {n.lower(): v for n, v in ours.request.headers}
        assert {n: sent.get(n) for n in names} == {n: boto_headers.get(n) for n in names}
    else:
        assert sorted(boto_url.split("?", 1)[1].split("&")) == sorted(
            ours["url"].split("?", 1)[1].split("&")
        )


class _Stop(Exception):
    """Raised by the send hook once botocore has signed the request that matters."""


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


SESSION_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><CreateSessionResult '
    b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials>'
    b"<SessionToken>SESSIONTOKEN+/=</SessionToken><SecretAccessKey>sessionsecret</SecretAccessKey>"
    b"<AccessKeyId>ASIASESSIONKEY</AccessKeyId><Expiration>2099-01-01T00:00:00Z</Expiration>"
    b"</Credentials></CreateSessionResult>"
)


@needs_oracle
@pytest.mark.parametrize(
    ("bucket", "service"),
    [
        (
            "arn:aws:s3-object-lambda:us-east-1:123456789012:accesspoint/mybanner",
            "s3-object-lambda",
        ),
        (
            "arn:aws:s3-outposts:us-east-1:123456789012:outpost/op-01234567890123456/accesspoint/ap",
            "s3-outposts",
        ),
        ("mybucket--use1-az4--x-s3", "s3express"),
        ("examplebucket", "s3"),
    ],
)
@pytest.mark.parametrize("operation", ["put_object", "presign"])
def test_requests_botocores_s3_client_signs_verify(
    monkeypatch: pytest.MonkeyPatch, bucket: str, service: str, operation: str
) -> None:
    """A real botocore S3 client picks the signer, the signing name and the encoding itself
    (S3 Express: CreateSession first, answered here, then the session credentials); what it
    sends verifies as a match, under the service its endpoint rules name."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    sent: list[Any] = []

    def hook(request: Any, **_: Any) -> Any:
        sent.append(request)
        if request.url.endswith("?session"):
            return AWSResponse(request.url, 200, {}, _Raw(SESSION_XML))
        raise _Stop

    client = botocore.session.get_session().create_client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        # without it botocore presigns plain S3 and Object Lambda with S3 V2
        config=None if service == "s3express" else Config(signature_version="s3v4"),
    )
    client.meta.events.register("before-send.s3", hook)
    now = dt.datetime.now(dt.UTC)
    key = "a b/c+d/ü/../x;y"
    if operation == "presign":
        url = client.generate_presigned_url("get_object", {"Bucket": bucket, "Key": key})
        request = Request.from_url("GET", url)
    else:
        with pytest.raises(_Stop):
            client.put_object(Bucket=bucket, Key=key, Body=b"hello")
        last = sent[-1]
        body = last.body if isinstance(last.body, bytes) else last.body.read()
        pairs = [(n, v.decode() if isinstance(v, bytes) else v) for n, v in last.headers.items()]
        request = Request.from_url(last.method, last.url, pairs, body)
    creds = Credentials(ACCESS_KEY, SECRET_KEY)
    if service == "s3express":
        creds = Credentials("ASIASESSIONKEY", "sessionsecret", "SESSIONTOKEN+/=")
    outcome = verify_request(request, creds, now, service=service)
    assert outcome.verdict == "match", outcome.problems
    assert outcome.result is not None
    assert outcome.result["credential_scope"].endswith(f"/{service}/aws4_request")
