"""Diagnose: each catalogued cause reproduced from a realistic pair.

The other side ("theirs": a client's log, a server's error body) is built with botocore
1.43.11, or by hand-editing a text, never with sigkit's variant search; our side is sigkit's
ordinary signer. For the variant search the client's signature comes from botocore.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from typing import Any
from unittest import mock

from botocore.auth import (  # type: ignore[import-untyped]
    HmacV1Auth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
)
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]

from sigkit import Credentials, Request, S3V2Config, SigV4Config
from sigkit.debug.diagnose import diagnose, verdict
from sigkit.debug.model import CAUSES, Finding, Observation
from sigkit.debug.variants import find_variant, find_variant_v2, search_v4
from sigkit.sigv2.s3 import sign_v2
from sigkit.sigv4 import UNSIGNED_PAYLOAD, sign_v4

WHEN = dt.datetime(2026, 11, 24, 12, 0, 0, tzinfo=dt.UTC)
KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(KEY, SECRET)


class _Record:
    seen: dict[str, str]

    def canonical_request(self, request: Any) -> str:
        value: str = super().canonical_request(request)  # type: ignore[misc]
        self.seen.setdefault("canonical_request", value)
        return value

    def string_to_sign(self, request: Any, canonical_request: str) -> str:
        value: str = super().string_to_sign(request, canonical_request)  # type: ignore[misc]
        self.seen["string_to_sign"] = value
        return value

    def signature(self, string_to_sign: str, request: Any) -> str:
        value: str = super().signature(string_to_sign, request)  # type: ignore[misc]
        self.seen["signature"] = value
        return value


class V4(_Record, SigV4Auth):  # type: ignore[misc]
    pass


class S3V4(_Record, S3SigV4Auth):  # type: ignore[misc]
    pass


class S3V4Query(_Record, S3SigV4QueryAuth):  # type: ignore[misc]
    pass


class V2(HmacV1Auth):  # type: ignore[misc]
    seen: dict[str, str]

    def sign_string(self, string_to_sign: str) -> str:
        value: str = super().sign_string(string_to_sign)
        self.seen = {"string_to_sign": string_to_sign, "signature": value}
        return value


def boto(
    cls: Any,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    body: bytes | None = None,
    region: str = "us-east-1",
    service: str = "s3",
    secret: str = SECRET,
    token: str | None = None,
    when: dt.datetime = WHEN,
    **kwargs: Any,
) -> tuple[dict[str, str], Request]:
    """Sign with botocore at `when`; return what it computed and the request it sent."""
    creds = BotoCredentials(KEY, secret, token)
    signer = cls(creds) if cls is V2 else cls(creds, service, region, **kwargs)
    signer.seen = {}
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    naive = when.astimezone(dt.UTC).replace(tzinfo=None)
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=naive),
        mock.patch("botocore.auth.formatdate", return_value="Tue, 24 Nov 2026 12:00:00 GMT"),
    ):
        signer.add_auth(request)
    sent = Request.from_url(method, request.url, list(request.headers.items()), body)
    return signer.seen, sent


def theirs_of(seen: dict[str, str], party: str = "server", **kw: Any) -> Observation:
    return Observation(
        source="test",
        party=party,
        canonical_request=seen.get("canonical_request"),
        string_to_sign=seen.get("string_to_sign"),
        signature_provided=seen.get("signature"),
        **kw,
    )


def without(request: Request, *names: str) -> Request:
    """The request minus some headers (what a proxy or a log kept)."""
    drop = {n.lower() for n in names}
    return replace(request, headers=tuple(h for h in request.headers if h[0].lower() not in drop))


def first(findings: list[Finding]) -> Finding:
    assert findings, "no finding"
    assert findings[0].cause in CAUSES
    return findings[0]


def s3_request(url: str, headers: tuple[tuple[str, str], ...] = ()) -> Request:
    return Request.from_url("GET", url, headers)


# --- compare-based rules: ours (sigkit) against theirs (botocore or a hand-edited text) ---


def test_header_changed_in_transit() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/k", (("x-amz-meta-a", "one"),)),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    server_cr = ours["canonical_request"].replace("x-amz-meta-a:one", "x-amz-meta-a:two")
    finding = first(diagnose(ours, Observation("s3-error", "server", canonical_request=server_cr)))
    assert finding.cause == "header-changed"
    assert "x-amz-meta-a" in finding.evidence and "'two'" in finding.evidence


def test_range_emptied_by_proxy() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/k", (("Range", "bytes=0-9"),)),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    server_cr = ours["canonical_request"].replace("range:bytes=0-9", "range:")
    finding = first(diagnose(ours, Observation("s3-error", "server", canonical_request=server_cr)))
    assert finding.cause == "header-changed"
    assert "range" in finding.evidence and "removed in transit" in finding.evidence


def test_header_signed_on_one_side_only() -> None:
    url = "https://b.s3.amazonaws.com/k"
    ours = sign_v4(
        s3_request(url, (("x-amz-meta-a", "one"),)), CREDS, WHEN, SigV4Config.s3("us-east-1")
    )
    seen, _ = boto(S3V4, url)
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "unsigned-header"
    assert "x-amz-meta-a" in finding.evidence


def test_x_amz_header_sent_but_not_signed() -> None:
    seen, sent = boto(S3V4, "https://b.s3.amazonaws.com/k")
    received = Request(
        sent.method, sent.path, sent.query, (*sent.headers, ("x-amz-acl", "public-read"))
    )
    signed = "host;x-amz-content-sha256;x-amz-date"
    theirs = theirs_of(seen, request=received, signed_headers=signed)
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/k"), CREDS, WHEN, SigV4Config.s3("us-east-1")
    )
    findings = diagnose(ours, theirs)
    assert any(f.cause == "unsigned-header" and "x-amz-acl" in f.evidence for f in findings)


def test_session_token_not_signed() -> None:
    url = "https://b.s3.amazonaws.com/k"
    ours = sign_v4(
        s3_request(url),
        Credentials("ASIAEXAMPLE", SECRET, "tok"),
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    seen, _ = boto(S3V4, url)  # the client forgot the token
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "session-token"
    assert "x-amz-security-token" in finding.evidence


def test_temporary_key_without_token() -> None:
    seen, sent = boto(S3V4, "https://b.s3.amazonaws.com/k")
    theirs = theirs_of(seen, request=sent, access_key_id="ASIAEXAMPLE")
    findings = diagnose(Observation("x", "ours"), theirs)
    assert first(findings).cause == "session-token"


def test_v2_content_type_added_after_signing() -> None:
    url = "https://s3.amazonaws.com/bucket/key"
    headers = (("Content-Type", "text/plain"), ("Date", "Tue, 24 Nov 2026 12:00:00 GMT"))
    ours = sign_v2(Request.from_url("PUT", url, headers), CREDS, WHEN)
    seen, _ = boto(
        V2, url, {"Content-Type": "text/plain; boundary=x", "Date": headers[1][1]}, method="PUT"
    )
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "content-type-md5"
    assert "boundary" in finding.evidence


def test_v2_content_md5_missing() -> None:
    ours = sign_v2(
        Request.from_url(
            "PUT",
            "https://s3.amazonaws.com/bucket/key",
            (
                ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
                ("Date", "Tue, 24 Nov 2026 12:00:00 GMT"),
            ),
        ),
        CREDS,
        WHEN,
    )
    theirs = ours["string_to_sign"].replace("1B2M2Y8AsgTpgAmY7PhCfg==", "")
    finding = first(diagnose(ours, Observation("s3-error", "server", string_to_sign=theirs)))
    assert finding.cause == "content-type-md5" and "Content-MD5" in finding.evidence


def test_plus_versus_percent_20_in_query() -> None:
    ours = sign_v4(
        Request.from_url("GET", "https://search.example.com/q?text=a+b"),
        CREDS,
        WHEN,
        SigV4Config("us-east-1", "es"),
    )
    seen, _ = boto(V4, "https://search.example.com/q?text=a%2Bb", service="es")
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "query-encoding"
    assert "%2B" in finding.evidence


def test_path_double_encoded_for_s3() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/my%20key"), CREDS, WHEN, SigV4Config.s3("us-east-1")
    )
    seen, _ = boto(V4, "https://b.s3.amazonaws.com/my%20key")  # generic signer: encodes twice
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "path-encoding"
    assert "/my%2520key" in finding.evidence and "once more" in finding.evidence


def test_reserved_character_raw_in_path() -> None:
    url = "https://b.s3.amazonaws.com/photos/a*b.jpg"
    ours = sign_v4(s3_request(url), CREDS, WHEN, SigV4Config.s3("us-east-1"))
    seen, _ = boto(S3V4, url)  # botocore signs an S3 path as given
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "path-encoding"
    assert "'*'" in finding.evidence


def test_parentheses_raw_in_query() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/?prefix=a(b)"),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    server_cr = ours["canonical_request"].replace("prefix=a%28b%29", "prefix=a(b)")
    finding = first(diagnose(ours, Observation("x", "client", canonical_request=server_cr)))
    assert finding.cause == "query-encoding"
    assert "'()'" in finding.evidence


def test_query_unsorted() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/?prefix=x&list-type=2"),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    client_cr = ours["canonical_request"].replace("list-type=2&prefix=x", "prefix=x&list-type=2")
    finding = first(diagnose(ours, Observation("curl", "client", canonical_request=client_cr)))
    assert finding.cause == "query-order"


def test_acl_without_equals() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/?acl"), CREDS, WHEN, SigV4Config.s3("us-east-1")
    )
    curl_cr = ours["canonical_request"].replace("\nacl=\n", "\nacl\n")  # curl < 8.5
    finding = first(diagnose(ours, Observation("curl", "client", canonical_request=curl_cr)))
    assert finding.cause == "empty-query-value"
    assert "acl" in finding.evidence


def test_query_not_sent() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/?list-type=2"),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    seen, _ = boto(S3V4, "https://b.s3.amazonaws.com/")
    assert first(diagnose(ours, theirs_of(seen))).cause == "query-not-sent"


def test_host_with_and_without_port() -> None:
    ours = sign_v4(
        s3_request("http://minio.local:9000/bucket/key"), CREDS, WHEN, SigV4Config.s3("us-east-1")
    )
    seen, _ = boto(S3V4, "http://minio.local/bucket/key")
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "host-port"
    assert "minio.local:9000" in finding.evidence


def test_v2_virtual_host_resource_without_bucket() -> None:
    url = "https://bucket.s3.amazonaws.com/key"
    date = "Tue, 24 Nov 2026 12:00:00 GMT"
    ours = sign_v2(Request.from_url("GET", url, (("Date", date),)), CREDS, WHEN)
    seen, _ = boto(V2, url, {"Date": date})  # no auth_path: botocore signs /key
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "addressing-style"
    assert "/bucket/key" in finding.evidence


def test_v2_subresource_left_out() -> None:
    url = "https://s3.amazonaws.com/bucket/key?partNumber=1&uploadId=abc"
    ours = sign_v2(
        Request.from_url("PUT", url, (("Date", "Tue, 24 Nov 2026 12:00:00 GMT"),)), CREDS, WHEN
    )
    theirs = ours["string_to_sign"].replace("partNumber=1&", "")
    finding = first(diagnose(ours, Observation("minio", "server", string_to_sign=theirs)))
    assert finding.cause == "v2-subresource"


def test_wrong_region() -> None:
    url = "https://b.s3.amazonaws.com/k"
    ours = sign_v4(s3_request(url), CREDS, WHEN, SigV4Config.s3("us-east-1"))
    seen, _ = boto(S3V4, url, region="eu-west-1")
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "region"
    assert "eu-west-1" in finding.evidence


def test_wrong_service() -> None:
    url = "https://abc.execute-api.us-east-1.amazonaws.com/prod/items"
    ours = sign_v4(
        Request.from_url("GET", url), CREDS, WHEN, SigV4Config("us-east-1", "execute-api")
    )
    seen, _ = boto(V4, url, service="apigateway")
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "service"
    assert "apigateway" in finding.evidence


def test_scope_date_not_matching_amz_date() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/k"), CREDS, WHEN, SigV4Config.s3("us-east-1")
    )
    theirs = ours["string_to_sign"].replace("\n20261124/", "\n20261123/")
    findings = diagnose(ours, Observation("x", "client", string_to_sign=theirs))
    assert first(findings).cause == "scope-date"
    lint = Observation(
        "x",
        "client",
        credential_scope="20261123/us-east-1/s3/aws4_request",
        amz_date="20261124T000500Z",
    )
    assert first(diagnose(Observation("x", "ours"), lint)).cause == "scope-date"


def test_clock_skew() -> None:
    seen, sent = boto(S3V4, "https://b.s3.amazonaws.com/k", when=WHEN - dt.timedelta(minutes=20))
    findings = diagnose(Observation("x", "ours"), theirs_of(seen, request=sent), when=WHEN)
    finding = first(findings)
    assert finding.cause == "clock-skew"
    assert "-1200 s" in finding.evidence


def test_expired_presigned_url() -> None:
    seen, sent = boto(
        S3V4Query, "https://b.s3.amazonaws.com/k", when=WHEN - dt.timedelta(hours=2), expires=3600
    )
    finding = first(diagnose(Observation("x", "ours"), theirs_of(seen, request=sent), when=WHEN))
    assert finding.cause == "expired"
    assert "3600" in finding.evidence


def test_payload_hash_differs() -> None:
    url = "https://b.s3.amazonaws.com/k"
    ours = sign_v4(
        Request.from_url("PUT", url, body=b"hello"),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1", payload_hash=UNSIGNED_PAYLOAD),
    )
    seen, _ = boto(S3V4, url, method="PUT", body=b"hello")
    finding = first(diagnose(ours, theirs_of(seen)))
    assert finding.cause == "payload-hash"
    assert "UNSIGNED-PAYLOAD" in finding.evidence


def test_signature_version() -> None:
    ours = sign_v4(
        s3_request("https://b.s3.amazonaws.com/k"), CREDS, WHEN, SigV4Config.s3("us-east-1")
    )
    seen, _ = boto(V2, "https://b.s3.amazonaws.com/k")
    assert first(diagnose(ours, theirs_of(seen))).cause == "signature-version"


def test_secret_with_trailing_newline_is_certain() -> None:
    url = "https://b.s3.amazonaws.com/k"
    seen, _ = boto(S3V4, url, secret=SECRET + "\n")
    ours = sign_v4(
        s3_request(url, (("X-Amz-Content-SHA256", seen["canonical_request"].split("\n")[-1]),)),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1", content_sha256_header=False),
    )
    assert ours["canonical_request"] == seen["canonical_request"]
    assert verdict(ours.signature, seen["signature"]) == "mismatch"
    finding = first(diagnose(ours, theirs_of(seen), secret=SECRET))
    assert finding.cause == "secret-whitespace" and finding.certain
    assert "trailing newline" in finding.evidence


def test_different_secret() -> None:
    url = "https://b.s3.amazonaws.com/k"
    seen, _ = boto(S3V4, url, secret="another-secret-altogether")
    ours = sign_v4(
        s3_request(url, (("X-Amz-Content-SHA256", seen["canonical_request"].split("\n")[-1]),)),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1", content_sha256_header=False),
    )
    finding = first(diagnose(ours, theirs_of(seen), secret=SECRET))
    assert finding.cause == "wrong-secret" and not finding.certain
    assert "identical" in finding.evidence


def test_verdict() -> None:
    assert verdict("ab", "ab") == "match"
    assert verdict("ab", "cd") == "mismatch"
    assert verdict(None, "cd") == "no-data"


# --- the variant search: a server holding the secret and the request as received ---


def test_variant_path_double_encoded_by_client() -> None:
    _, sent = boto(V4, "https://b.s3.amazonaws.com/my%20key")
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    finding = find_variant(sent, CREDS, WHEN, SigV4Config.s3("us-east-1"), signature)
    assert finding is not None and finding.certain
    assert finding.cause == "path-encoding"
    assert "/my%2520key" in finding.evidence  # the client's canonical request, reconstructed


def test_variant_plus_signed_as_literal() -> None:
    _, sent = boto(V4, "https://search.example.com/q?text=a%2Bb", service="es")
    received = sent.with_query("text=a+b")  # the client's HTTP stack sent the plus raw
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    finding = find_variant(received, CREDS, WHEN, SigV4Config("us-east-1", "es"), signature)
    assert finding is not None and finding.certain and finding.cause == "query-encoding"


def test_variant_host_port_added_by_proxy() -> None:
    _, sent = boto(S3V4, "http://minio.local/bucket/key")
    headers = tuple(
        (n, "minio.local:9000") if n.lower() == "host" else (n, v) for n, v in sent.headers
    )
    if sent.header("host") is None:
        headers = (("Host", "minio.local:9000"), *headers)
    received = Request("GET", sent.path, sent.query, headers, scheme="http")
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    finding = find_variant(received, CREDS, WHEN, SigV4Config.s3("us-east-1"), signature)
    assert finding is not None and finding.certain and finding.cause == "host-port"


def test_variant_unsigned_header_added_in_transit() -> None:
    _, sent = boto(V4, "https://api.example.com/items", service="execute-api")
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    received = without(sent, "authorization").with_headers([("X-Forwarded-For", "10.0.0.1")])
    config = SigV4Config("us-east-1", "execute-api")
    finding = find_variant(received, CREDS, WHEN, config, signature)
    assert finding is not None and finding.certain and finding.cause == "unsigned-header"
    assert "x-forwarded-for" in finding.evidence


def test_variant_region_when_only_the_signature_is_known() -> None:
    _, sent = boto(S3V4, "https://b.s3.amazonaws.com/k", region="eu-central-1")
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    received = without(sent, "authorization")
    finding = find_variant(received, CREDS, WHEN, SigV4Config.s3("us-east-1"), signature)
    assert finding is not None and finding.certain and finding.cause == "region"
    assert "eu-central-1" in finding.evidence


def test_variant_payload_hash() -> None:
    _, sent = boto(V4, "https://b.s3.amazonaws.com/k", method="PUT", body=b"hello")
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    config = SigV4Config.s3("us-east-1", payload_hash=UNSIGNED_PAYLOAD)
    finding = find_variant(sent, CREDS, WHEN, config, signature)
    assert finding is not None and finding.certain and finding.cause == "payload-hash"


def test_variant_secret_newline_and_diagnose_uses_it() -> None:
    seen, sent = boto(S3V4, "https://b.s3.amazonaws.com/k", secret=SECRET + "\n")
    signature = seen["signature"]
    finding = find_variant(sent, CREDS, WHEN, SigV4Config.s3("us-east-1"), signature)
    assert finding is not None and finding.certain and finding.cause == "secret-whitespace"
    server = Observation(
        "serve",
        "server",
        request=sent,
        signature_provided=signature,
        credential_scope="20261124/us-east-1/s3/aws4_request",
    )
    assert first(diagnose(Observation("x", "ours"), server, secret=SECRET, when=WHEN)).certain


def test_variant_clock_when_x_amz_date_was_dropped() -> None:
    _, sent = boto(
        V4,
        "https://api.example.com/items",
        service="execute-api",
        when=WHEN - dt.timedelta(seconds=300),
    )
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    received = without(sent, "authorization", "x-amz-date")
    started = time.perf_counter()
    report = search_v4(received, CREDS, WHEN, SigV4Config("us-east-1", "execute-api"), signature)
    print(f"skew search: {report.tried} candidates, {time.perf_counter() - started:.3f} s")
    assert report.finding is not None and report.finding.cause == "clock-skew"
    assert "-300 s" in report.finding.evidence


def test_variant_none_reproduces() -> None:
    _, sent = boto(S3V4, "https://b.s3.amazonaws.com/k?prefix=a", secret="not-the-secret")
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    received = without(sent, "authorization")
    report = search_v4(received, CREDS, WHEN, SigV4Config.s3("us-east-1"), signature)
    print(f"exhaustive search: {report.tried} candidates, {report.seconds:.3f} s")
    assert report.exhausted
    assert report.finding is not None and report.finding.cause == "wrong-secret"
    assert not report.finding.certain


def test_variant_matches_as_given() -> None:
    seen, sent = boto(S3V4, "https://b.s3.amazonaws.com/k")
    assert find_variant(sent, CREDS, WHEN, SigV4Config.s3("us-east-1"), seen["signature"]) is None


def test_v2_variant_addressing_style() -> None:
    date = "Tue, 24 Nov 2026 12:00:00 GMT"
    seen, sent = boto(V2, "https://bucket.s3.amazonaws.com/key", {"Date": date})
    finding = find_variant_v2(sent, CREDS, WHEN, S3V2Config(), seen["signature"])
    assert finding is not None and finding.certain and finding.cause == "addressing-style"
    assert finding.evidence.endswith("\n/key")


def test_variant_presigned_url_host_rewritten() -> None:
    _, sent = boto(S3V4Query, "http://minio.local/bucket/key", expires=600)
    assert find_variant(sent, CREDS, WHEN, SigV4Config.s3("us-east-1"), "0" * 64) is not None
    signature = dict(p.split("=", 1) for p in (sent.query or "").split("&"))["X-Amz-Signature"]
    assert find_variant(sent, CREDS, WHEN, SigV4Config.s3("us-east-1"), signature) is None
    received = sent.with_headers([("Host", "minio.local:9000")])
    finding = find_variant(received, CREDS, WHEN, SigV4Config.s3("us-east-1"), signature)
    assert finding is not None and finding.certain and finding.cause == "host-port"


def test_variant_scope_region_other_than_the_servers() -> None:
    seen, sent = boto(S3V4, "https://b.s3.amazonaws.com/k", region="us-west-2")
    finding = find_variant(sent, CREDS, WHEN, SigV4Config.s3("eu-west-1"), seen["signature"])
    assert finding is not None and finding.certain and finding.cause == "region"
    assert "us-west-2" in finding.evidence


def test_diagnose_takes_the_scope_from_the_request() -> None:
    _, sent = boto(V4, "https://b.s3.amazonaws.com/my%20key")
    signature = sent.header("authorization").rsplit("=", 1)[1]  # type: ignore[union-attr]
    server = Observation("serve", "server", request=sent, signature_provided=signature)
    finding = first(diagnose(Observation("x", "ours"), server, secret=SECRET, when=WHEN))
    assert finding.cause == "path-encoding" and finding.certain
