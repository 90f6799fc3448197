"""Which AWS SDK (or tool) sent a request, read from its User-Agent, and that SDK's setting for
the January 2025 checksum default.

In January 2025 the AWS SDKs began to send a CRC32 checksum on every request that supports
one (x-amz-sdk-checksum-algorithm, x-amz-checksum-crc32, and over TLS an aws-chunked body with
a trailing checksum) and dropped Content-MD5; many S3-compatible stores refuse one or the
other. The way back is a setting whose name differs per SDK. This table is the one home of
those facts (versions, settings, the code paths that ignore the setting); the cause registry
(`sigkit.debug.causes`) holds one fix per cause and a finding carries the line from here that
names the SDK read and its exact setting. Sources are listed in docs/checksum-era.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The settings every SDK that follows the AWS SDKs and Tools reference guide reads.
SHARED_CONFIG = (
    "~/.aws/config: request_checksum_calculation = when_required and "
    "response_checksum_validation = when_required"
)
# botocore 1.36+ sends a CRC32 for DeleteObjects even with when_required (checked with botocore
# 1.43 against `sigkit serve --store minio`): no setting brings Content-MD5 back.
BOTOCORE_MD5 = (
    "no botocore setting brings Content-MD5 back (when_required still sends a CRC32 for "
    "DeleteObjects): add Content-MD5 in a 'before-sign.s3.DeleteObjects' event handler, or "
    "delete keys one at a time (delete_object)"
)
CLI_MD5 = (
    "no AWS CLI setting brings Content-MD5 back (when_required still sends a CRC32 for "
    "DeleteObjects): delete keys one at a time (`aws s3api delete-object`)"
)
ENVIRONMENT = (
    "AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
    "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required"
)


@dataclass(frozen=True)
class Sdk:
    """One SDK or tool: how its User-Agent names it and what changed when."""

    key: str
    name: str
    pattern: str  # regex with one group, the version, searched in the User-Agent
    first: str | None  # the first release that sends checksums by default; None: not known
    last_before: str  # the last release before the change ("" when there was none)
    setting: str  # the exact setting that turns the default off
    ignores: str = ""  # code paths known to ignore the setting
    unaffected_major: str = ""  # a major version line the change never reached ("2" for JS v2)
    md5: str = ""  # how to send Content-MD5 again where a store requires it (DeleteObjects ...)


SDKS: tuple[Sdk, ...] = (
    Sdk(
        "awscli2",
        "AWS CLI v2",
        r"\baws-cli/(2\.[0-9.]+)",
        "2.23.0",
        "2.22.35",
        f"{ENVIRONMENT}, or `aws configure set request_checksum_calculation when_required` "
        "and `aws configure set response_checksum_validation when_required`",
        "`aws s3 cp`/`sync` (s3transfer) ignored the setting until its fix "
        "(boto/s3transfer#327, aws/aws-cli#9238)",
        md5=CLI_MD5,
    ),
    Sdk(
        "awscli1",
        "AWS CLI v1",
        r"\baws-cli/(1\.[0-9.]+)",
        "1.37.0",
        "1.36.x",
        f"{ENVIRONMENT}, or `aws configure set request_checksum_calculation when_required` "
        "and `aws configure set response_checksum_validation when_required`",
        "`aws s3 cp`/`sync` (s3transfer) ignored the setting until its fix "
        "(boto/s3transfer#327, aws/aws-cli#9238)",
        md5=CLI_MD5,
    ),
    Sdk(
        "boto3",
        "boto3",
        r"\bBoto3/([0-9.]+)",
        "1.36.0",
        "1.35.99",
        "botocore.config.Config(request_checksum_calculation='when_required', "
        f"response_checksum_validation='when_required'), or {ENVIRONMENT}",
        "s3transfer (upload_file, upload_fileobj) ignored it until its fix (boto/s3transfer#327)",
        md5=BOTOCORE_MD5,
    ),
    Sdk(
        "aiobotocore",
        "aiobotocore (s3fs, fsspec)",
        r"\baiobotocore/([0-9.]+)",
        "2.18.0",
        "2.17.0",
        "client_kwargs / config_kwargs: request_checksum_calculation='when_required', "
        f"response_checksum_validation='when_required' (botocore's Config), or {ENVIRONMENT}",
    ),
    Sdk(
        "botocore",
        "botocore",
        r"(?i)\b(?:md/)?botocore[/#]([0-9.]+)",
        "1.36.0",
        "1.35.99",
        "botocore.config.Config(request_checksum_calculation='when_required', "
        f"response_checksum_validation='when_required'), or {ENVIRONMENT}",
        md5=BOTOCORE_MD5,
    ),
    Sdk(
        "js3",
        "AWS SDK for JavaScript v3",
        r"\baws-sdk-js/([0-9.]+)",
        "3.729.0",
        "3.726.1",
        'new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED", '
        'responseChecksumValidation: "WHEN_REQUIRED" })',
        "DeleteObjects still sends a CRC32 instead of Content-MD5 (aws/aws-sdk-js-v3#6819): add "
        "an MD5 middleware for stores that require it; presigned URLs made before the setting "
        "carry the empty body's checksum",
        unaffected_major="2",
        md5="add Content-MD5 in a middleware on the DeleteObjects command (the SDK's "
        "supplemental docs, aws/aws-sdk-js-v3#6932), or delete keys one at a time",
    ),
    Sdk(
        "java2",
        "AWS SDK for Java 2.x",
        r"\baws-sdk-java/([0-9.]+)",
        "2.30.0",
        "2.29.52",
        "S3Client.builder().requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)"
        ".responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED); for DeleteObjects "
        "also .addPlugin(LegacyMd5Plugin.create())",
        "S3AsyncClient ignores chunkedEncodingEnabled(false) (aws/aws-sdk-java-v2#6387); "
        "DeleteObjects needs LegacyMd5Plugin (aws/aws-sdk-java-v2#5805, #6055)",
        unaffected_major="1",
        md5="S3Client.builder().addPlugin(LegacyMd5Plugin.create()) (aws/aws-sdk-java-v2#5805)",
    ),
    Sdk(
        "go2",
        "AWS SDK for Go v2",
        r"\baws-sdk-go-v2/([0-9.]+)",
        "1.33.0",
        "1.32.8",
        "s3.NewFromConfig(cfg, func(o *s3.Options) { o.RequestChecksumCalculation = "
        "aws.RequestChecksumCalculationWhenRequired; o.ResponseChecksumValidation = "
        "aws.ResponseChecksumValidationWhenRequired }) (service/s3 1.73.0 and core 1.33.0 made "
        f"the change; the last before: s3 1.72.x, core 1.32.8), or {ENVIRONMENT}",
        "feature/s3/manager and feature/s3/transfermanager add CRC32 whatever the setting "
        "(aws/aws-sdk-go-v2#3151, #3469)",
    ),
    Sdk(
        "php3",
        "AWS SDK for PHP v3",
        r"\baws-sdk-php/([0-9.]+)",
        "3.337.0",
        "3.336.x",
        "new S3Client([... 'request_checksum_calculation' => 'when_required', "
        "'response_checksum_validation' => 'when_required'])",
        "DeleteObjects sends a CRC32 and no Content-MD5 (aws/aws-sdk-php#3068)",
    ),
    Sdk(
        "cpp",
        "AWS SDK for C++",
        r"\baws-sdk-cpp/([0-9.]+)",
        "1.11.486",
        "1.11.485",
        f"{ENVIRONMENT}, or {SHARED_CONFIG}",
    ),
    Sdk(
        "ruby3",
        "AWS SDK for Ruby v3 (aws-sdk-s3)",
        r"\baws-sdk-ruby3/.*?(?:\baws-sdk-s3/|\bapi/s3#)([0-9.]+)",
        "1.178.0",
        "1.177.0",
        "Aws::S3::Client.new(request_checksum_calculation: 'when_required', "
        "response_checksum_validation: 'when_required')",
        "batch_delete! (DeleteObjects) sends a CRC32 and no Content-MD5 (aws/aws-sdk-ruby#3167)",
    ),
    Sdk(
        "dotnet",
        "AWS SDK for .NET",
        r"\baws-sdk-dotnet[a-z-]*/([0-9.]+)",
        None,
        "",
        "new AmazonS3Config { RequestChecksumCalculation = RequestChecksumCalculation."
        "WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED }",
    ),
    Sdk(
        "rclone",
        "rclone",
        r"\brclone/v?([0-9.]+)",
        None,
        "",
        f"(try) {ENVIRONMENT} in rclone's environment (it builds its S3 requests on the AWS SDK "
        "for Go v2), and check its S3 backend options for the store (rclone help backend s3)",
    ),
    Sdk(
        "s3fs-fuse",
        "s3fs-fuse",
        r"\bs3fs/([0-9.]+)",
        None,
        "",
        "nothing: s3fs-fuse signs with its own code (no AWS SDK default checksums)",
    ),
)

_BY_KEY = {sdk.key: sdk for sdk in SDKS}
GENERIC_MD5 = (
    "add Content-MD5 to the request in the SDK's request hook or middleware, or delete keys one "
    "at a time (DeleteObject needs no MD5); upgrading the store also ends it"
)


@dataclass(frozen=True)
class Fingerprint:
    """An SDK as a User-Agent names it."""

    sdk: Sdk
    version: str
    # True when this release sends checksums by default, False when it does not (an older
    # release, or a major version the change never reached), None when sigkit does not know.
    defaulted: bool | None

    @property
    def label(self) -> str:
        return f"{self.sdk.name} {self.version}"

    def advice(self, cause: str = "") -> str:
        """One line for a finding: the SDK read, its exact setting, the last release before the
        change and the code paths that ignore the setting (for content-md5-required: how this
        SDK sends Content-MD5 again)."""
        sdk = self.sdk
        if cause == "content-md5-required" and self.defaulted is not False:
            return f"{self.label} (from the User-Agent): {sdk.md5 or GENERIC_MD5}"
        if self.defaulted is False:
            why = (
                f"{self.label} (from the User-Agent) predates the January 2025 checksum default"
                if not sdk.unaffected_major or not self.version.startswith(sdk.unaffected_major)
                else f"{self.label} (from the User-Agent) is a line the 2025 default never reached"
            )
            return (
                f"{why}: the checksum was asked for in code (ChecksumAlgorithm, a checksum "
                "parameter); leave it out for this store"
            )
        said = f"{self.label} (from the User-Agent)"
        if self.defaulted:
            said += f" sends checksums by default since {sdk.first}"
        said += f"; set {sdk.setting}"
        if sdk.last_before:
            said += f"; the last release before the change: {sdk.last_before}"
        if sdk.ignores:
            said += f"; known to ignore the setting: {sdk.ignores}"
        return said


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:4])


def _defaulted(sdk: Sdk, version: str) -> bool | None:
    if sdk.unaffected_major and version.split(".")[0] == sdk.unaffected_major:
        return False
    if sdk.first is None:
        return None
    return _version(version) >= _version(sdk.first)


def read_user_agent(user_agent: str | None) -> tuple[Fingerprint, ...]:
    """Every SDK or tool the User-Agent names, the most specific first (the AWS CLI before the
    botocore it runs on, boto3 before botocore)."""
    if not user_agent:
        return ()
    found: list[Fingerprint] = []
    for sdk in SDKS:
        match = re.search(sdk.pattern, user_agent)
        if match is None:
            continue
        version = match.group(1).rstrip(".")
        if not version or not version[0].isdigit():
            continue
        found.append(Fingerprint(sdk, version, _defaulted(sdk, version)))
    return tuple(found)


def fingerprint(user_agent: str | None) -> Fingerprint | None:
    """The SDK or tool that sent a request, from its User-Agent (None when none is known)."""
    found = read_user_agent(user_agent)
    return found[0] if found else None


def generic_advice(cause: str = "") -> str:
    """The setting when no SDK is recognised."""
    if cause == "content-md5-required":
        return f"no known SDK in the User-Agent; {GENERIC_MD5}"
    return (
        "no known SDK in the User-Agent; the AWS SDKs read "
        f"{ENVIRONMENT} or {SHARED_CONFIG} (JS: requestChecksumCalculation: \"WHEN_REQUIRED\"; "
        "Go: aws.RequestChecksumCalculationWhenRequired; Java: "
        "RequestChecksumCalculation.WHEN_REQUIRED)"
    )


def get(key: str) -> Sdk:
    return _BY_KEY[key]
