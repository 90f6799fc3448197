"""`--store NAME` (or a store recognised from the endpoint host) on sign, curl and presign:
what is built follows the store's profile (sigkit/stores.py) — its region (R2 ``auto``, the
region a Backblaze host names), its addressing, its presign lifetime — and no checksum header
is sent where the store refuses one, unless asked by name (then with a warning). Nothing is
left out silently: each choice is one line on stderr.

Expected values are the stores' published facts the profiles cite (R2's region ``auto`` and
its 501 on x-amz-checksum-*, Yandex's 30-day presign limit, AWS's 7 days) and botocore 1.43's
checksum headers for the same body (tests/test_checksum_signing.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from sigkit.cli.app import main

ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
R2 = "https://0123456789abcdef.r2.cloudflarestorage.com"
KEYS = ("--access-key", ACCESS, "--secret-key", SECRET)
R2_REFUSES = (
    "Cloudflare R2 refuses x-amz-checksum-* and x-amz-sdk-checksum-algorithm "
    "(checksum-unsupported)"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # what many users have set


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _steps(out: str) -> dict[str, str]:
    return {s["name"]: s["value"] for s in json.loads(out)["steps"]}


@pytest.fixture
def body(tmp_path: Path) -> Path:
    path = tmp_path / "a file.bin"
    path.write_bytes(b"hello world")
    return path


# --- sign --------------------------------------------------------------------------------------


def test_sign_store_r2_sends_no_checksum_and_signs_for_auto(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "sign", "PUT", "http://127.0.0.1:9000/b/k", "-d", "hello world",
        "--store", "r2", *KEYS, "--json",
    )  # fmt: skip
    assert code == 0, err
    steps = _steps(out)
    assert steps["signed_headers"] == "host;x-amz-content-sha256;x-amz-date"
    assert steps["credential_scope"].split("/")[1:] == ["auto", "s3", "aws4_request"]
    assert f"{R2_REFUSES}: none sent; --checksum crc32 sends it anyway" in err
    assert "region 'auto' from the r2 store profile" in err


def test_sign_r2_recognised_from_the_host(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "sign", "PUT", f"{R2}/b/k", "-d", "x", *KEYS, "--json")
    assert code == 0, err
    assert "checksum" not in _steps(out)["signed_headers"]
    assert "store r2 (Cloudflare R2) recognised from the host" in err
    assert R2_REFUSES in err


def test_an_explicit_checksum_wins_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "sign", "PUT", f"{R2}/b/k", "-d", "hello world", "--checksum", "crc32",
        *KEYS, "--json",
    )  # fmt: skip
    assert code == 0, err
    steps = _steps(out)
    assert "x-amz-checksum-crc32:DUoRhQ==\n" in steps["canonical_request"]  # botocore's value
    assert "x-amz-sdk-checksum-algorithm:CRC32\n" in steps["canonical_request"]
    assert (
        f"sigkit: warning: {R2_REFUSES}: sent anyway because --checksum crc32 was given; "
        "--checksum none leaves it out\n"
    ) in err


def test_checksum_none_with_a_store_says_nothing_of_refusal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "sign", "PUT", f"{R2}/b/k", "-d", "x", "--checksum", "none", *KEYS, "--json"
    )
    assert code == 0, err
    assert "checksum" not in _steps(out)["signed_headers"]
    assert "warning" not in err


def test_sign_b2_region_from_its_host(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "sign", "PUT", "https://s3.us-west-004.backblazeb2.com/b/k", "-d", "x",
        *KEYS, "--json",
    )  # fmt: skip
    assert code == 0, err
    assert _steps(out)["credential_scope"].split("/")[1:3] == ["us-west-004", "s3"]
    assert "Backblaze B2 refuses x-amz-checksum-*" in err


def test_store_trailer_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    """Ceph RGW (before Squid) refuses STREAMING-UNSIGNED-PAYLOAD-TRAILER: --trailer with
    --store ceph is sent as asked, with the warning; the header form is not."""
    base = ("sign", "PUT", "http://127.0.0.1:7480/b/k", "-d", "x", "--store", "ceph", *KEYS)
    code, out, err = run(capsys, *base, "--checksum", "crc32", "--trailer", "--json")
    assert code == 0, err
    assert "warning: Ceph Object Gateway (RGW) refuses aws-chunked bodies" in err
    assert "STREAMING-UNSIGNED-PAYLOAD-TRAILER" in _steps(out)["canonical_request"]
    code, out, err = run(capsys, *base, "--checksum", "crc32", "--json")
    assert code == 0 and "warning" not in err
    assert "x-amz-checksum-crc32" in _steps(out)["signed_headers"]


def test_unknown_store(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "sign", "https://b.s3.amazonaws.com/k", "--store", "nope", *KEYS)
    assert (code, out) == (2, "")
    assert err.startswith("sigkit: error: --store: no store profile 'nope'; known: aws, r2, b2")


def test_aws_host_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sign", "PUT", "https://b.s3.amazonaws.com/k", "-d", "x", *KEYS)
    assert code == 0
    assert "store" not in err and "checksum" not in err


# --- curl --------------------------------------------------------------------------------------


def test_curl_put_store_r2(capsys: pytest.CaptureFixture[str], body: Path) -> None:
    code, out, err = run(
        capsys, "curl", "put", str(body), "s3://bucket/k", "--endpoint-url", R2,
        "--store", "r2", "--checksum", "none", *KEYS, "--style", "headers", "--json",
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(out)
    assert document["region"] == "auto"
    assert "/auto/s3/aws4_request" in document["command"]
    assert "checksum" not in document["command"]


def test_curl_put_r2_host_without_checksum_option(
    capsys: pytest.CaptureFixture[str], body: Path
) -> None:
    code, out, err = run(
        capsys, "curl", "put", str(body), "s3://bucket/k", "--endpoint-url", R2, *KEYS
    )
    assert code == 0, err
    assert "aws:amz:auto:s3" in out and "x-amz-checksum" not in out
    assert f"{R2_REFUSES}: none sent" in err


def test_curl_put_checksum_on_a_store_that_takes_it(
    capsys: pytest.CaptureFixture[str], body: Path
) -> None:
    code, out, err = run(
        capsys, "curl", "put", str(body), "s3://bucket/k", "--endpoint-url",
        "http://127.0.0.1:9000", "--store", "minio", "--checksum", "sha256", *KEYS,
    )  # fmt: skip
    assert code == 0, err
    assert "-H 'x-amz-checksum-sha256: uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek='" in out
    assert "warning" not in err


def test_curl_store_addressing(capsys: pytest.CaptureFixture[str]) -> None:
    """MinIO's profile says path style; --addressing still wins."""
    base = ("curl", "ls", "s3://bucket", "--endpoint-url", "http://minio.example:9000")
    code, out, err = run(capsys, *base, "--store", "minio", *KEYS)
    assert code == 0, err
    assert "'http://minio.example:9000/bucket?list-type=2'" in out
    code, out, err = run(capsys, *base, "--store", "minio", "--addressing", "virtual", *KEYS)
    assert code == 0, err
    assert "'http://bucket.minio.example:9000/?list-type=2'" in out


def test_curl_store_needs_its_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "curl", "ls", "s3://bucket", "--store", "r2", *KEYS)
    assert (code, out) == (2, "")
    assert err == "sigkit: error: --endpoint-url: the r2 store has no one endpoint; give its URL\n"


def test_every_curl_subcommand_takes_store(capsys: pytest.CaptureFixture[str]) -> None:
    for sub in ("mb", "put", "ls", "get", "rm", "rb", "request", "walkthrough"):
        assert main(["curl", sub, "--help"]) == 0
        assert "--store" in capsys.readouterr().out, sub


# --- presign -----------------------------------------------------------------------------------


def test_presign_r2_region_and_no_checksum(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "presign", "s3://bucket/k", "-X", "PUT", "--endpoint-url", R2, *KEYS
    )
    assert code == 0, err
    query = dict(parse_qsl(urlsplit(out.strip()).query))
    assert query["X-Amz-Credential"].split("/")[2] == "auto"
    assert not any("checksum" in name for name in query)
    assert (
        "Cloudflare R2 refuses a presigned URL that binds a checksum (presigned-checksum): "
        "none sent; --checksum crc32 sends it anyway"
    ) in err


def test_presign_r2_explicit_checksum_warns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "presign", "s3://bucket/k", "-X", "PUT", "--endpoint-url", R2,
        "--checksum", "crc32", *KEYS,
    )  # fmt: skip
    assert code == 0, err
    assert "x-amz-checksum-crc32=AAAAAA%3D%3D" in out
    assert "sigkit: warning: Cloudflare R2 refuses a presigned URL that binds a checksum" in err
    assert "the checksum of an empty body" in err


def test_presign_lifetimes(capsys: pytest.CaptureFixture[str]) -> None:
    """Yandex Object Storage: 30 days (2592000 s); AWS and R2: 7 days (604800 s). (A 30-day
    Yandex URL is signed: tests/test_store_lifetime.py.)"""
    yandex = ("presign", "s3://bucket/k", "--endpoint-url", "https://storage.yandexcloud.net")
    cases = [
        (
            (*yandex, "--expires", "2592001"),
            "--expires: 2592001 s is longer than Yandex Object Storage accepts (2592000 s at most)",
        ),
        (
            ("presign", "s3://bucket/k", "--endpoint-url", R2, "--expires", "604801"),
            "--expires: 604801 s is longer than Cloudflare R2 accepts (604800 s at most)",
        ),
        (
            ("presign", "s3://bucket/k", "--store", "aws", "--expires", "604801"),
            "--expires: 604801 s is longer than Amazon S3 accepts (604800 s at most)",
        ),
    ]
    for argv, message in cases:
        code, out, err = run(capsys, *argv, *KEYS)
        assert (code, out) == (2, ""), argv
        assert err == f"sigkit: error: {message}\n"
    code, out, err = run(capsys, *yandex, "--expires", "604800", *KEYS)
    assert code == 0, err
    assert "X-Amz-Expires=604800" in out
    assert "%2Fru-central1%2Fs3%2F" in out  # Yandex's region from its profile


def test_v2_refused_by_a_profile_is_said(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile saying a store refuses S3 V2 (`Store.sigv2 is False`) makes --sig v2 warn."""
    import dataclasses

    from sigkit import stores

    no_v2 = dataclasses.replace(stores.get("minio"), sigv2=False)
    monkeypatch.setattr(stores, "get", lambda name, field_name="--store": no_v2)
    warning = "sigkit: warning: MinIO does not accept S3 Signature Version 2 (--sig v4)\n"
    for argv in (
        ("sign", "--sig", "v2", "https://bkt.s3.amazonaws.com/k"),
        ("presign", "s3://bkt/k", "--sig", "v2", "--endpoint-url", "http://127.0.0.1:9000"),
        ("curl", "ls", "s3://bkt", "--sig", "v2", "--endpoint-url", "http://127.0.0.1:9000"),
    ):
        code, _, err = run(capsys, *argv, "--store", "minio", *KEYS)
        assert code == 0, err
        assert warning in err, argv


# --- chunked -----------------------------------------------------------------------------------


def test_chunked_store_r2_signs_for_auto_and_warns_of_the_checksum(
    capsys: pytest.CaptureFixture[str], body: Path
) -> None:
    """chunked takes --store as sign does: R2's region ``auto`` in the scope, and the trailer
    checksum asked for by name is built with R2's refusal said as a warning."""
    code, out, err = run(
        capsys, "chunked", f"{R2}/b/k", "--data-file", str(body), "--checksum", "crc32",
        "--store", "r2", "--date", "20250115T120000Z", "--json", *KEYS,
    )  # fmt: skip
    assert code == 0
    seed = {s["name"]: s["value"] for s in json.loads(out)["seed"]}
    assert seed["credential_scope"] == "20250115/auto/s3/aws4_request"
    assert "x-amz-trailer:x-amz-checksum-crc32\n" in seed["canonical_headers"]
    code, _, err = run(
        capsys, "chunked", f"{R2}/b/k", "--data-file", str(body), "--checksum", "crc32",
        "--store", "r2", *KEYS,
    )  # fmt: skip
    assert f"warning: {R2_REFUSES}: sent anyway because --checksum crc32" in err


def test_chunked_hetzner_refuses_several_chunks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Hetzner answers 'Transfering payloads in multiple chunks using aws-chunked is not
    supported.' (velero-io/velero#8660): two chunks are warned of, one chunk is not; the
    region is the location the host names."""
    data = tmp_path / "d.bin"
    data.write_bytes(b"x" * 70000)
    url = "https://fsn1.your-objectstorage.com/b/k"
    code, out, err = run(capsys, "chunked", url, "--data-file", str(data), *KEYS)
    assert code == 0
    assert "region 'fsn1' from the hetzner store profile" in err
    assert "Credential=AKIDEXAMPLE/" in out and "/fsn1/s3/aws4_request" in out
    assert "refuses an aws-chunked body of more than one chunk" in err
    code, _, err = run(
        capsys, "chunked", url, "--data-file", str(data), "--chunk-size", "70000", *KEYS
    )
    assert code == 0
    assert "more than one chunk" not in err


def test_chunked_unknown_store(capsys: pytest.CaptureFixture[str], body: Path) -> None:
    code, out, err = run(capsys, "chunked", f"{R2}/b/k", "--data-file", str(body),
                         "--store", "nosuch", *KEYS)  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--store: no store profile 'nosuch'" in err
