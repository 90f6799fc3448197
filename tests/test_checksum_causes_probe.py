"""An independent probe of the checksum-era causes: what users paste, shaped from public reports.

Each case is an input as a user would hand it to `sigkit explain`, written from a public report
(the URL above it) before sigkit was run on it, with the cause id (and whether it is certain) the
public behaviour implies. The AWS CLI v1 `--debug` logs are the installed AWS CLI's own (1.45,
botocore 1.43, default checksums) against a local socket answering with the store's text from
the report, trimmed of hook/loader records; the v2 logs are the same with CLI v2's version line
and User-Agent (`aws-cli/2.23.0 … md/installer#exe …`, the format aws/aws-cli#9682 shows); the
boto3 logs are boto3's `set_stream_logger` output (signed in awscrt, so without signing records).
SDK lines, JS `$metadata` dumps, Java exceptions, PHP's error, curl -v transcripts, rclone's
`--dump headers,bodies`, raw requests and presigned URLs are shaped as the cited threads quote
them. Controls (a wrong signature, a real body-hash mismatch, an old SDK, a success, another
refusal) must name no checksum cause.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sigkit.cli.app import main

D = Path(__file__).parent / "data" / "checksum_probe"
CHECKSUM = {
    "checksum-unsupported",
    "aws-chunked-unsupported",
    "content-md5-required",
    "presigned-checksum",
    "content-length-chunked",
    "chunked-framing-stored",
}
# What the finding's detail must name for the SDK read from the User-Agent.
CLI1 = ["when_required", "AWS_REQUEST_CHECKSUM_CALCULATION"]
CLI2 = ["AWS CLI v2 2.23.0", "when_required", "2.22.35"]
JS = ["requestChecksumCalculation", "WHEN_REQUIRED"]
GO = ["RequestChecksumCalculationWhenRequired"]
JAVA = ["RequestChecksumCalculation.WHEN_REQUIRED"]
# A JS v3 presigned PUT URL made without the body (seaweedfs/seaweedfs#10216).
PRESIGNED_JS = (D / "presigned-js.url").read_text().strip()


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str | Path]
    # The checksum cause the public behaviour names ('a|b': either), None for a control.
    cause: str | None
    certain: bool | None
    needles: list[str]


CASES = [
    # https://github.com/cloudflare/cloudflare-docs/pull/19236
    Case("v1-r2-put-http", [D / "v1-r2-put-http.log"], "checksum-unsupported", True, CLI1),
    # https://github.com/wayjam/picgo-plugin-s3/issues/52
    Case("v1-r2-put-https", [D / "v1-r2-put-https.log"], "checksum-unsupported", True, CLI1),
    # https://github.com/home-assistant/core/issues/143995
    Case("v1-b2-put-http", [D / "v1-b2-put-http.log"], "checksum-unsupported", True, CLI1),
    # https://github.com/home-assistant/core/issues/143995
    Case(
        "v1-b2-uploadpart-https",
        [D / "v1-b2-uploadpart-https.log"],
        "checksum-unsupported",
        True,
        CLI1,
    ),
    # https://github.com/home-assistant/core/issues/144015
    Case(
        "v1-hetzner-put-https",
        [D / "v1-hetzner-put-https.log"],
        "aws-chunked-unsupported",
        True,
        CLI1,
    ),
    # control: hex body hash refused over HTTP is a changed body
    Case("v1-hetzner-put-http", [D / "v1-hetzner-put-http.log"], None, None, []),
    # https://github.com/pig-mesh/oss-spring-boot-starter/issues/21
    Case(
        "v1-aliyun-put-https",
        [D / "v1-aliyun-put-https.log"],
        "aws-chunked-unsupported",
        True,
        CLI1,
    ),
    # https://github.com/pyronear/old-pyro-platform/pull/214
    Case(
        "v1-multichunk-put-https",
        [D / "v1-multichunk-put-https.log"],
        "aws-chunked-unsupported",
        True,
        CLI1,
    ),
    # https://github.com/scality/cloudserver/issues/5553
    Case(
        "v1-scality-put-https",
        [D / "v1-scality-put-https.log"],
        "aws-chunked-unsupported",
        True,
        CLI1,
    ),
    # https://github.com/storj/gateway-st/issues/89
    Case(
        "v1-storj-put-https", [D / "v1-storj-put-https.log"], "content-length-chunked", True, CLI1
    ),
    # https://github.com/storj/gateway-st/issues/89
    Case(
        "v1-storj-uploadpart-https",
        [D / "v1-storj-uploadpart-https.log"],
        "content-length-chunked",
        True,
        CLI1,
    ),
    # https://github.com/aws/aws-sdk-php/issues/3068
    Case("v1-minio-del-http", [D / "v1-minio-del-http.log"], "content-md5-required", True, []),
    # https://github.com/versity/versitygw/issues/1040
    Case("v1-invreq-del-https", [D / "v1-invreq-del-https.log"], "content-md5-required", True, []),
    # https://github.com/aws/aws-sdk-php/issues/3068
    Case("wr-minio-del-http", [D / "wr-minio-del-http.log"], "content-md5-required", True, []),
    # https://github.com/cloudflare/cloudflare-docs/pull/19236
    Case("v2-r2-put-https", [D / "v2-r2-put-https.log"], "checksum-unsupported", True, CLI2),
    # https://github.com/home-assistant/core/issues/143995
    Case(
        "v2-b2-uploadpart-https",
        [D / "v2-b2-uploadpart-https.log"],
        "checksum-unsupported",
        True,
        CLI2,
    ),
    # https://github.com/home-assistant/core/issues/144015
    Case(
        "v2-hetzner-put-https",
        [D / "v2-hetzner-put-https.log"],
        "aws-chunked-unsupported",
        True,
        CLI2,
    ),
    # https://github.com/storj/gateway-st/issues/89
    Case(
        "v2-storj-put-https", [D / "v2-storj-put-https.log"], "content-length-chunked", True, CLI2
    ),
    # https://github.com/scality/cloudserver/issues/5553
    Case(
        "v2-scality-put-https",
        [D / "v2-scality-put-https.log"],
        "aws-chunked-unsupported",
        True,
        CLI2,
    ),
    # https://github.com/versity/versitygw/issues/1040
    Case(
        "v2-minio-del-http",
        [D / "v2-minio-del-http.log"],
        "content-md5-required",
        True,
        ["AWS CLI v2 2.23.0"],
    ),
    # success with checksums (control)
    Case("v1-ok-put-https", [D / "v1-ok-put-https.log"], None, None, []),
    # success with checksums (control)
    Case("v2-ok-put-https", [D / "v2-ok-put-https.log"], None, None, []),
    # checksum headers present but SignatureDoesNotMatch (control)
    Case("v1-sdnm-put-http", [D / "v1-sdnm-put-http.log"], None, None, []),
    # when_required log, SignatureDoesNotMatch (control)
    Case("wr-sdnm-put-http", [D / "wr-sdnm-put-http.log"], None, None, []),
    # old botocore 1.35 log, SignatureDoesNotMatch (control)
    Case("old-sdnm-put-http", [D / "old-sdnm-put-http.log"], None, None, []),
    # https://github.com/10up/snapshots/pull/25 (real body hash mismatch, no checksum)
    Case("wr-shamm-put-http", [D / "wr-shamm-put-http.log"], None, None, []),
    # https://github.com/aws/aws-sdk-php/issues/522 (old SDK, body hash mismatch)
    Case("old-shamm-put-http", [D / "old-shamm-put-http.log"], None, None, []),
    # https://github.com/stonith404/pingvin-share/issues/798
    Case("go-b2", [D / "go-b2.txt"], "checksum-unsupported", True, []),
    # https://github.com/cloudflare/cloudflare-docs/issues/4508
    Case("go-r2-copy", [D / "go-r2-copy.txt"], "checksum-unsupported", True, []),
    # https://github.com/livekit/egress/issues/1045
    Case(
        "go-hetzner-uploadpart",
        [D / "go-hetzner-uploadpart.txt"],
        "checksum-unsupported|aws-chunked-unsupported",
        False,
        [],
    ),
    # https://github.com/scality/cloudserver/issues/5553
    Case("go-scality", [D / "go-scality.txt"], "aws-chunked-unsupported", True, []),
    # https://github.com/iterate-ch/cyberduck/issues/15841
    Case("rclone-b2", [D / "rclone-b2.txt"], "checksum-unsupported", True, []),
    # https://github.com/google/go-cloud/issues/3535
    Case(
        "go-hetzner-bare",
        [D / "go-hetzner-bare.txt"],
        "checksum-unsupported|aws-chunked-unsupported",
        False,
        [],
    ),
    # https://github.com/pig-mesh/oss-spring-boot-starter/issues/21
    Case("java-aliyun", [D / "java-aliyun.txt"], "aws-chunked-unsupported", True, []),
    # https://github.com/artipie/artipie/issues/1368
    Case("java-storj", [D / "java-storj.txt"], "content-length-chunked", True, []),
    # https://github.com/aws/aws-sdk-java-v2/issues/2732
    Case("java-minio-md5", [D / "java-minio-md5.txt"], "content-md5-required", True, []),
    # https://github.com/iterate-ch/cyberduck/issues/16107
    Case("java-b2-crc32c", [D / "java-b2-crc32c.txt"], "checksum-unsupported", True, []),
    # https://github.com/stonith404/pingvin-share/issues/798
    Case("js-b2", [D / "js-b2.txt"], "checksum-unsupported", True, []),
    # https://github.com/diced/zipline/issues/746
    Case("js-zipline", [D / "js-zipline.txt"], "checksum-unsupported", True, []),
    # https://github.com/vatesfr/xen-orchestra/issues/8358
    Case("js-xo", [D / "js-xo.json"], "checksum-unsupported", True, []),
    # https://github.com/f2face/cloudflare-r2/issues/12
    Case("js-r2", [D / "js-r2.txt"], "checksum-unsupported", True, []),
    # https://github.com/earth-mover/icechunk/pull/1999
    Case("js-r2-crc64", [D / "js-r2-crc64.txt"], "checksum-unsupported", True, []),
    # https://github.com/drodil/backstage-plugin-qeta/issues/278
    Case("js-storj", [D / "js-storj.json"], "content-length-chunked", True, []),
    # https://github.com/home-assistant/core/issues/144015
    Case(
        "boto-hetzner",
        [D / "boto-hetzner.txt"],
        "checksum-unsupported|aws-chunked-unsupported",
        False,
        [],
    ),
    # https://github.com/home-assistant/core/issues/143995
    Case("boto-b2", [D / "boto-b2.txt"], "checksum-unsupported", True, []),
    # https://github.com/storj/gateway-st/issues/89
    Case("boto-storj", [D / "boto-storj.txt"], "content-length-chunked", True, []),
    # https://github.com/pyronear/old-pyro-platform/pull/214
    Case("boto-ovh", [D / "boto-ovh.txt"], "aws-chunked-unsupported", True, []),
    # https://github.com/aws/aws-sdk-php/issues/3068
    Case("boto-del-md5", [D / "boto-del-md5.txt"], "content-md5-required", True, []),
    # https://github.com/aws/aws-sdk-php/issues/3068
    Case("php-del", [D / "php-del.txt"], "content-md5-required", True, []),
    # https://github.com/earth-mover/icechunk/pull/1999
    Case("r2-crc32c-xml", [D / "r2-crc32c.xml"], "checksum-unsupported", True, []),
    # https://github.com/cloudflare/cloudflare-docs/issues/13132
    Case("r2-sha256-dq", [D / "r2-sha256-dq.xml"], "checksum-unsupported", True, []),
    # https://github.com/nocobase/nocobase/issues/6872
    Case("b2-lower", [D / "b2-lower.xml"], "checksum-unsupported", True, []),
    # https://github.com/usememos/memos/pull/4575
    Case("cos-xml", [D / "cos.xml"], "aws-chunked-unsupported", True, []),
    # https://github.com/livekit/egress/issues/1045
    Case(
        "huawei-obs",
        [D / "huawei-obs.xml"],
        "checksum-unsupported|aws-chunked-unsupported",
        False,
        [],
    ),
    # https://github.com/flyology-ada/flyology-object-storage/issues/20
    Case("vast-md5", [D / "vast-md5.xml"], "content-md5-required", True, []),
    # https://github.com/treeverse/lakeFS/issues/3582
    Case("storj-raw-resp", [D / "storj-raw-resp.txt"], "content-length-chunked", True, []),
    # control: plain SignatureDoesNotMatch
    Case("aws-sdnm-plain", [D / "aws-sdnm-plain.xml"], None, None, []),
    # https://github.com/10up/snapshots/pull/25 (control: hex body hashes)
    Case("aws-sha-mm", [D / "aws-sha-mm.xml"], None, None, []),
    # control: BadDigest alone is a changed body, not a store refusal
    Case("aws-baddigest-alone", [D / "aws-badigest-crc32.xml"], "presigned-checksum", False, []),
    # https://github.com/nocobase/nocobase/issues/6872
    Case(
        "js-b2-req",
        [D / "b2-lower.xml", "--request-file", D / "js-b2.req"],
        "checksum-unsupported",
        True,
        [*JS, "3.730.0"],
    ),
    # https://github.com/storj/gateway-st/issues/89
    Case(
        "go-storj-req",
        [D / "storj-raw-resp.txt", "--request-file", D / "go-storj.req"],
        "content-length-chunked",
        True,
        GO,
    ),
    # https://github.com/pig-mesh/oss-spring-boot-starter/issues/21
    Case(
        "java-aliyun-req",
        [D / "java-aliyun.txt", "--request-file", D / "java-aliyun.req"],
        "aws-chunked-unsupported",
        True,
        JAVA,
    ),
    # https://github.com/pig-mesh/oss-spring-boot-starter/issues/21
    Case(
        "java-aliyun-req-xml",
        [D / "aliyun.xml", "--request-file", D / "java-aliyun.req"],
        "aws-chunked-unsupported",
        True,
        JAVA,
    ),
    # https://github.com/aws/aws-sdk-php/issues/3068
    Case(
        "php-del-req",
        [D / "php-del-answer.xml", "--request-file", D / "php-del.req"],
        "content-md5-required",
        True,
        ["AWS SDK for PHP v3 3.339.0"],
    ),
    # https://github.com/f2face/cloudflare-r2/issues/12 (request alone, R2 host)
    Case("js-r2-noanswer", [D / "js-r2-noanswer.req"], "checksum-unsupported", True, JS),
    # https://github.com/seaweedfs/seaweedfs/issues/10216
    Case("presigned-js-url", [D / "presigned-js.url"], "presigned-checksum", False, []),
    # https://github.com/floci-io/floci/issues/4188
    Case("presigned-curl", [D / "presigned-curl.txt"], "presigned-checksum", True, []),
    # https://github.com/seaweedfs/seaweedfs/issues/10216
    Case(
        "presigned-js-seaweed",
        [D / "presigned-seaweed.xml", "--also", PRESIGNED_JS],
        "presigned-checksum",
        True,
        [],
    ),
    # https://github.com/aws/aws-sdk-go-v2/issues/2610
    Case("presigned-go-crc64", [D / "presigned-go-crc64.url"], "presigned-checksum", False, []),
    # https://github.com/seaweedfs/seaweedfs/issues/9075 (signed-header form)
    Case("presigned-hdr", [D / "presigned-hdr.url"], None, None, []),
    # control: presigned GET
    Case("presigned-get", [D / "presigned-get.url"], None, None, []),
    # https://github.com/gaul/s3proxy/issues/657
    Case("get-framed-signed", [D / "get-framed-signed.txt"], "chunked-framing-stored", True, []),
    # https://github.com/seaweedfs/seaweedfs/issues/6548
    Case("get-framed-bare", [D / "get-framed-bare.http"], "chunked-framing-stored", True, []),
    # https://github.com/redpanda-data/redpanda/pull/28874
    Case(
        "get-framed-bare-curl", [D / "get-framed-bare-curl.txt"], "chunked-framing-stored", True, []
    ),
    # control: a GET whose text starts with a hex word
    Case("get-normal-curl", [D / "get-normal-curl.txt"], None, None, []),
    # https://github.com/matrix-org/synapse-s3-storage-provider/issues/128
    # (boto3 set_stream_logger output, signed in awscrt)
    Case(
        "boto3-b2-put-https",
        [D / "boto3-b2-put-https.log"],
        "checksum-unsupported",
        True,
        ["request_checksum_calculation='when_required'", "boto3 1.36.1"],
    ),
    # https://github.com/aws/aws-sdk-php/issues/3068
    Case(
        "boto3-minio-del-http",
        [D / "boto3-minio-del-http.log"],
        "content-md5-required",
        True,
        ["boto3 1.36.1"],
    ),
    # https://github.com/home-assistant/core/issues/144015
    Case(
        "boto3-hetzner-put-https",
        [D / "boto3-hetzner-put-https.log"],
        "aws-chunked-unsupported",
        True,
        ["boto3 1.36.1"],
    ),
    # https://github.com/iterate-ch/cyberduck/issues/16107 (rclone --dump headers,bodies)
    Case("rclone-dump", [D / "rclone-dump.txt"], "checksum-unsupported", True, ["rclone"]),
    # control: RequestTimeTooSkewed to a trailer upload
    Case("v1-skew-put-https", [D / "v1-skew-put-https.log"], None, None, []),
    # control: AccessDenied to a checksum-header upload
    Case("v1-denied-put-http", [D / "v1-denied-put-http.log"], None, None, []),
    # https://github.com/boto/boto3/issues/4400 (SignatureDoesNotMatch to a trailer: likely)
    Case("v1-sdnm-put-https", [D / "v1-sdnm-put-https.log"], "aws-chunked-unsupported", False, []),
    # https://github.com/seaweedfs/seaweedfs/issues/6713 (ClientComputed is the STREAMING value)
    Case(
        "v1-shastream-put-https",
        [D / "v1-shastream-put-https.log"],
        "aws-chunked-unsupported",
        True,
        CLI1,
    ),
    # https://github.com/boto/s3transfer/issues/327 (aws s3 cp)
    Case(
        "v1-r2-cp-https",
        [D / "v1-r2-cp-https.log"],
        "checksum-unsupported",
        True,
        [*CLI1, "s3transfer"],
    ),
    # https://github.com/iterate-ch/cyberduck/issues/16107
    Case("java-attempt", [D / "java-attempt.txt"], "checksum-unsupported", True, []),
    # https://github.com/aws/aws-sdk-go-v2/issues/3003
    Case(
        "java-hetzner",
        [D / "java-hetzner.txt"],
        "checksum-unsupported|aws-chunked-unsupported",
        False,
        [],
    ),
    # control: JS NoSuchBucket
    Case("js-nosuchbucket", [D / "js-nosuchbucket.txt"], None, None, []),
    # control: JS NoSuchKey logfmt
    Case("js-logfmt-nosuchkey", [D / "js-logfmt-nosuchkey.txt"], None, None, []),
    # https://github.com/versity/versitygw/issues/1652 (control: a malformed checksum value)
    Case("aws-invalid-checksum-value", [D / "aws-invalid-checksum-value.xml"], None, None, []),
    # https://github.com/iterate-ch/cyberduck/issues/16107
    Case("curl-b2-manual", [D / "curl-b2-manual.txt"], "checksum-unsupported", True, []),
    # AWS's answer to Transfer-Encoding: chunked without a length names the header
    # (https://github.com/taskcluster/taskcluster/pull/4454, a 501 for a missing Content-Length)
    Case("aws-te-notimpl", [D / "aws-te-notimpl.xml"], "content-length-chunked", True, []),
    # the same answer naming a checksum header (https://github.com/earth-mover/icechunk/pull/1999)
    Case("notimpl-crc64", [D / "notimpl-crc64.xml"], "checksum-unsupported", True, []),
    # control: the same answer naming another header
    Case("aws-other-notimpl", [D / "aws-other-notimpl.xml"], None, None, []),
    # a downloaded object holding the framing (https://github.com/gaul/s3proxy/issues/657,
    # https://github.com/seaweedfs/seaweedfs/issues/6548)
    Case("downloaded-signed", [D / "downloaded.csv"], "chunked-framing-stored", True, []),
    Case("downloaded-bare", [D / "downloaded.txt"], "chunked-framing-stored", True, []),
    # the AWS SDK for Go v2's ClientLogMode dump (LogRequest|LogResponseWithBody) to B2
    # (https://github.com/stonith404/pingvin-share/issues/798 quotes B2's answer)
    Case("go-clientlog", [D / "go-clientlog.txt"], "checksum-unsupported", True, GO),
    # Apache HttpClient's wire log (the Java SDK's default client) to Aliyun OSS
    # (https://github.com/pig-mesh/oss-spring-boot-starter/issues/21 quotes OSS's answer)
    Case("java-wire", [D / "java-wire.txt"], "aws-chunked-unsupported", True, JAVA),
    # Cyberduck's log as pasted: a `> ` / `< ` transcript without the body, then the Java
    # exception's "status code: 400, reason phrase: …" (iterate-ch/cyberduck#16107)
    Case("cyberduck", [D / "cyberduck.txt"], "checksum-unsupported", True, []),
    # s3cmd's line (s3tools/s3cmd#812): the answer alone, both readings likely
    Case(
        "s3cmd",
        [D / "s3cmd.txt"],
        "checksum-unsupported|aws-chunked-unsupported",
        False,
        [],
    ),
    # the same v2 logs saved on Windows: CRLF line ends, and Windows PowerShell 5's `2> log.txt`
    # (UTF-16 with a byte-order mark; aws/aws-cli#9682 is such a Windows log)
    Case("v2-crlf", [D / "v2-crlf.log"], "checksum-unsupported", True, CLI2),
    Case("v2-utf16", [D / "v2-utf16.log"], "checksum-unsupported", True, CLI2),
    # a successful trailer upload (control) read with a store's profile: R2's and Hetzner's say
    # they refuse it, but the answer in view is 200, so nothing is refused; GCS takes it and
    # keeps the framing (https://github.com/redpanda-data/redpanda/pull/28874)
    Case("ok-store-r2", [D / "v1-ok-put-https.log", "--store", "r2"], None, None, []),
    Case("ok-store-hetzner", [D / "v1-ok-put-https.log", "--store", "hetzner"], None, None, []),
    Case(
        "ok-store-gcs",
        [D / "v1-ok-put-https.log", "--store", "gcs"],
        "chunked-framing-stored",
        True,
        CLI1,
    ),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials or profiles from the machine: the sources alone speak."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))


def _explain(
    args: list[str | Path], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    code = main(["explain", *(str(a) for a in args), "--json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, json.loads(out.out)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_probe_case(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _explain(case.args, capsys)
    verdict = report["verdict"]
    assert code == {"match": 0, "mismatch": 1, "refused": 1, "no-data": 2}[verdict]
    if report["refusals"]:
        assert verdict != "match"
    found = [(f["cause"], f["certain"]) for f in report["findings"]]
    named = [(c, certain) for c, certain in found if c in CHECKSUM]
    if case.cause is None:
        assert named == []
        return
    assert verdict == "mismatch"
    choices = case.cause.split("|")
    assert named, found
    assert named[0][0] in choices
    assert named[0][1] is case.certain
    if case.certain:
        assert found[0] == named[0]  # the refusal's cause leads
    else:
        # The answer alone also means something else: nothing it names is certain.
        assert ("body-changed", True) not in found
    detail = " ".join(
        f"{f['fix']} {f.get('detail') or ''}" for f in report["findings"] if f["cause"] in choices
    )
    for needle in case.needles:
        assert needle in detail


@pytest.mark.usefixtures("clean_env")
def test_probe_text_output_has_the_same_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    """The human-readable output of a few representative inputs exits as --json does."""
    for name in ("v2-r2-put-https.log", "php-del.txt", "get-framed-bare-curl.txt", "js-xo.json"):
        text = main(["explain", str(D / name)])
        capsys.readouterr()
        code = main(["explain", str(D / name), "--json"])
        capsys.readouterr()
        assert text == code == 1


@pytest.mark.usefixtures("clean_env")
def test_an_answer_read_by_two_readings_is_said_once(capsys: pytest.CaptureFixture[str]) -> None:
    """The Go SDK's line gives the status; the registry's reading of the same answer does not:
    the finding says the answer once, with its status."""
    _, report = _explain([D / "go-b2.txt"], capsys)
    assert [f["evidence"] for f in report["findings"]] == [
        "the server answered 400 InvalidArgument: Unsupported header "
        "'x-amz-sdk-checksum-algorithm' received for this API call."
    ]


# Wording the stores' answers reach users in (quotes lost, other case, other spelling), with the
# cause the answer alone names: (code, message, cause ids).
WORDINGS = [
    # B2 without quotes (nocobase/nocobase#6872 quotes it so)
    (
        "InvalidArgument",
        "Unsupported header x-amz-checksum-crc32 received for this API call",
        ["checksum-unsupported"],
    ),
    # R2 with double quotes (cloudflare/cloudflare-docs#19236)
    (
        "NotImplemented",
        'Header "x-amz-sdk-checksum-algorithm" with value "CRC32" not implemented',
        ["checksum-unsupported"],
    ),
    # Swift/OVH's sentence spelled right (cloudnative-pg/plugin-barman-cloud#613 has "Transfering")
    (
        "NotImplemented",
        "Transferring payloads in multiple chunks using aws-chunked is not supported.",
        ["aws-chunked-unsupported"],
    ),
    # Scality's text shouted (scality/cloudserver#5553)
    ("BadRequest", "TRAILING CHECKSUM IS NOT SUPPORTED", ["aws-chunked-unsupported"]),
    ("InvalidArgument", "x-amz-trailer is not supported", ["aws-chunked-unsupported"]),
    # AWS's own text when neither digest came (versity/versitygw#1040)
    (
        "InvalidRequest",
        "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
        ["content-md5-required"],
    ),
    # Garage's answer to a trailer: only with the request in view (no cause from it alone)
    (
        "InvalidRequest",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a "
        "valid sha256 value.",
        [],
    ),
]


@pytest.mark.parametrize(("code", "message", "want"), WORDINGS)
def test_wording_variants(code: str, message: str, want: list[str]) -> None:
    from sigkit.debug import causes

    assert [c.id for c in causes.from_answer(code, message)] == want
