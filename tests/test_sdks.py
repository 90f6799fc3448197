"""sigkit.debug.sdks: the SDK read from a User-Agent, whether it sends the January 2025 checksum
default, and the exact setting a finding gives for it.

The User-Agent strings are those real clients send, as public issue threads quote them (cited
beside each) or as the installed AWS CLI writes it; the versions that changed and the last ones
before are those of the SDKs' release notes (docs/checksum-era.md lists the sources).
"""

from __future__ import annotations

import pytest

from sigkit.debug import sdks

CASES = [
    # (User-Agent, sdk key, version, sends checksums by default)
    (  # the installed AWS CLI v1 (tests/e2e/test_checksum_era.py reads it from --debug logs)
        "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44 md/arch#x86_64 "
        "lang/python#3.11.7 md/pyimpl#CPython m/U,N,D,b,Z,g cfg/retry-mode#legacy "
        "botocore/1.43.11",
        "awscli1",
        "1.45.11",
        True,
    ),
    ("aws-cli/1.36.40 Python/3.12.3 Linux/6.8 botocore/1.35.99", "awscli1", "1.36.40", False),
    (  # scality/cloudserver#5553
        "aws-cli/2.27.49 Python/3.13.5 Darwin/24.5.0 source/arm64",
        "awscli2",
        "2.27.49",
        True,
    ),
    ("aws-cli/2.22.35 Python/3.12.6 Linux/6.1 exe/x86_64.ubuntu.24", "awscli2", "2.22.35", False),
    (
        "Boto3/1.35.93 md/Botocore#1.35.93 ua/2.0 os/linux#5.15 lang/python#3.11 Botocore/1.35.93",
        "boto3",
        "1.35.93",
        False,
    ),
    ("Boto3/1.36.3 md/Botocore#1.36.3 ua/2.0 os/linux Botocore/1.36.3", "boto3", "1.36.3", True),
    ("Botocore/1.36.3 ua/2.0 os/linux lang/python#3.12", "botocore", "1.36.3", True),
    (  # fsspec/s3fs#931: aiobotocore 2.18 carries botocore 1.36
        "aiobotocore/2.18.0 md/Botocore#1.36.1 ua/2.0 os/linux lang/python#3.12",
        "aiobotocore",
        "2.18.0",
        True,
    ),
    (
        "aws-sdk-js/3.729.0 ua/2.1 os/linux#5.15.0 lang/js md/nodejs#20.18.1 api/s3#3.729.0 m/E",
        "js3",
        "3.729.0",
        True,
    ),
    (
        "aws-sdk-js/3.726.1 ua/2.1 os/linux lang/js md/nodejs#20 api/s3#3.726.1",
        "js3",
        "3.726.1",
        False,
    ),
    ("aws-sdk-js/2.1692.0 promise", "js3", "2.1692.0", False),  # v2: never changed
    (
        "aws-sdk-java/2.30.0 Linux/5.15 OpenJDK_64-Bit_Server_VM/17.0.13+11 Java/17.0.13 "
        "vendor/Eclipse_Adoptium io/sync http/Apache cfg/retry-mode/legacy",
        "java2",
        "2.30.0",
        True,
    ),
    ("aws-sdk-java/2.29.52 Linux/5.15 Java/17 io/sync http/Apache", "java2", "2.29.52", False),
    (
        "aws-sdk-java/1.12.780 Linux/5.15 OpenJDK_64-Bit_Server_VM/17 java/17",
        "java2",
        "1.12.780",
        False,
    ),
    (
        "aws-sdk-go-v2/1.33.0 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 "
        "api/s3#1.73.0 m/E,Z",
        "go2",
        "1.33.0",
        True,
    ),
    ("aws-sdk-go-v2/1.32.8 os/linux lang/go#1.23.4 api/s3#1.72.2", "go2", "1.32.8", False),
    (  # aws/aws-sdk-php#3068
        "aws-sdk-php/3.339.0 ua/2.1 OS/Linux#5.4.0-169-generic lang/php#8.3.1 m/P,Y,e,N",
        "php3",
        "3.339.0",
        True,
    ),
    ("aws-sdk-php/3.336.15 OS/Linux lang/php#8.2", "php3", "3.336.15", False),
    ("aws-sdk-cpp/1.11.486 ua/2.1 api/S3 os/Linux#6.1 lang/c++#C++11", "cpp", "1.11.486", True),
    ("aws-sdk-cpp/1.11.400 api/S3 os/Linux", "cpp", "1.11.400", False),
    (  # aws/aws-sdk-ruby#3167: 1.177.0 worked against MinIO, 1.178.0 did not
        "aws-sdk-ruby3/3.214.1 ua/2.1 api/s3#1.178.0 os/linux md/x86_64 lang/ruby#3.3.6",
        "ruby3",
        "1.178.0",
        True,
    ),
    ("aws-sdk-ruby3/3.201.0 ruby/3.3.0 x86_64-linux aws-sdk-s3/1.177.0", "ruby3", "1.177.0", False),
    (
        "aws-sdk-dotnet-coreclr/3.7.412.4 aws-sdk-dotnet-core/3.7.402.4 .NET_Core/8.0.11 "
        "OS/Linux_6.1 ClientAsync",
        "dotnet",
        "3.7.412.4",
        None,
    ),
    ("rclone/v1.69.1", "rclone", "1.69.1", None),
    ("s3fs/1.95 (commit hash 561ce1e; OpenSSL)", "s3fs-fuse", "1.95", None),
]


@pytest.mark.parametrize(("ua", "key", "version", "defaulted"), CASES)
def test_fingerprint(ua: str, key: str, version: str, defaulted: bool | None) -> None:
    found = sdks.fingerprint(ua)
    assert found is not None
    assert (found.sdk.key, found.version, found.defaulted) == (key, version, defaulted)


def test_unknown_user_agents() -> None:
    for ua in (None, "", "curl/7.88.1", "Mozilla/5.0 (X11; Linux x86_64)", "python-requests/2.32"):
        assert sdks.fingerprint(ua) is None


def test_the_cli_before_the_botocore_it_runs_on() -> None:
    found = sdks.read_user_agent(CASES[0][0])
    assert [f.sdk.key for f in found] == ["awscli1", "botocore"]
    assert found[1].version == "1.43.11"


# The exact setting each SDK's finding gives, from its documentation and release notes.
SETTINGS = {
    "awscli1": ("AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "1.36.x"),
    "awscli2": ("aws configure set request_checksum_calculation when_required", "2.22.35"),
    "boto3": ("request_checksum_calculation='when_required'", "1.35.99"),
    "js3": ('requestChecksumCalculation: "WHEN_REQUIRED"', "3.726.1"),
    "java2": ("RequestChecksumCalculation.WHEN_REQUIRED", "2.29.52"),
    "go2": ("aws.RequestChecksumCalculationWhenRequired", "1.32.8"),
    "php3": ("'request_checksum_calculation' => 'when_required'", "3.336.x"),
    "cpp": ("AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "1.11.485"),
    "ruby3": ("request_checksum_calculation: 'when_required'", "1.177.0"),
}


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_advice_names_the_setting_and_the_last_release_before(key: str) -> None:
    ua = next(ua for ua, k, _, defaulted in CASES if k == key and defaulted)
    found = sdks.fingerprint(ua)
    assert found is not None
    setting, last = SETTINGS[key]
    said = found.advice()
    assert found.label in said and setting in said and f"before the change: {last}" in said


def test_advice_for_an_older_release_says_the_checksum_was_asked_for() -> None:
    found = sdks.fingerprint("aws-sdk-java/2.29.52 Linux/5.15 Java/17")
    assert found is not None and "predates the January 2025" in found.advice()
    v2 = sdks.fingerprint("aws-sdk-js/2.1692.0 promise")
    assert v2 is not None and "never reached" in v2.advice()


def test_content_md5_advice_is_the_sdks_way_back_to_md5() -> None:
    java = sdks.fingerprint("aws-sdk-java/2.30.0 Linux/5.15 Java/17")
    assert java is not None and "LegacyMd5Plugin" in java.advice("content-md5-required")
    cli = sdks.fingerprint(CASES[0][0])
    assert cli is not None and "aws s3api delete-object" in cli.advice("content-md5-required")
    assert "Content-MD5" in sdks.generic_advice("content-md5-required")


def test_known_code_paths_that_ignore_the_setting() -> None:
    go = sdks.fingerprint("aws-sdk-go-v2/1.33.0 os/linux api/s3#1.73.0")
    assert go is not None and "transfermanager" in go.advice()
    js = sdks.fingerprint("aws-sdk-js/3.729.0 ua/2.1 lang/js")
    assert js is not None and "DeleteObjects" in js.advice()
    cli = sdks.fingerprint("aws-cli/2.23.0 Python/3.12")
    assert cli is not None and "s3transfer" in cli.advice()
