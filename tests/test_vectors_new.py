"""`sigkit vectors new`: cases that `sigkit vectors` passes, in the layout's exact bytes,
written whole or not at all, and with values checked against the AWS documentation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sigkit.cli.app import main
from sigkit.errors import InputError
from sigkit.vectors import run_suites, write_case

KEYS = [
    "--access-key",
    "AKIAIOSFODNN7EXAMPLE",
    "--secret-key",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
]

# Published in the S3 documentation, "Signature Calculations for the Authorization Header:
# Transferring Payload in a Single Chunk" (GET Object example) and "Authenticating Requests:
# Using Query Parameters" (presigned GET), and the V2 "Signing and authenticating REST
# requests" Object GET example.
DOC_CANONICAL_REQUEST = (
    "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
    "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)
DOC_STRING_TO_SIGN = (
    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
)
DOC_SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
DOC_PRESIGNED_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
DOC_V2_SIGNATURE = "bWq2s1WEIj+Ydj0vQ697zp+IXMU="


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "NO_COLOR":
            monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_documentation_get_example_is_reproduced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    case = tmp_path / "get-object-range"
    code, _, err = run(
        capsys,
        "vectors",
        "new",
        str(case),
        "https://examplebucket.s3.amazonaws.com/test.txt",
        "-H",
        "Range: bytes=0-9",
        "--date",
        "20130524T000000Z",
        *KEYS,
    )
    assert code == 0, err
    assert (case / "header-signature.txt").read_text() == DOC_SIGNATURE
    assert (case / "header-canonical-request.txt").read_text() == DOC_CANONICAL_REQUEST
    assert (case / "header-string-to-sign.txt").read_text() == DOC_STRING_TO_SIGN
    assert (case / "request.txt").read_bytes() == (
        b"GET /test.txt HTTP/1.1\nHost:examplebucket.s3.amazonaws.com\nRange:bytes=0-9\n\n"
    )
    context = json.loads((case / "context.json").read_text())
    assert context["timestamp"] == "2013-05-24T00:00:00Z"
    assert (context["sign_body"], context["normalize"], context["double_uri_encode"]) == (
        True,
        False,
        False,
    )


def test_documentation_presigned_and_v2_examples(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "vectors",
        "new",
        str(tmp_path / "presigned"),
        "https://examplebucket.s3.amazonaws.com/test.txt",
        "--unsigned-payload",
        "--expires",
        "86400",
        "--date",
        "20130524T000000Z",
        *KEYS,
    )
    assert code == 0, err
    assert (tmp_path / "presigned" / "query-signature.txt").read_text() == DOC_PRESIGNED_SIGNATURE
    code, _, err = run(
        capsys,
        "vectors",
        "new",
        str(tmp_path / "v2"),
        "--sig",
        "v2",
        "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg",
        "-H",
        "Date: Tue, 27 Mar 2007 19:36:42 +0000",
        *KEYS,
    )
    assert code == 0, err
    assert (tmp_path / "v2" / "header-signature.txt").read_text() == DOC_V2_SIGNATURE
    assert not (tmp_path / "v2" / "header-canonical-request.txt").exists()  # V2 has none


CASES = {
    "s3-get-range": ["--example"],
    "s3-put-body": ["PUT", "https://b.s3.eu-west-1.amazonaws.com/a b/ü+%2F", "-d", "hello\r\n"],
    "s3-unsigned-token": [
        "https://b.s3.amazonaws.com/k?versionId=3&list-type=2&prefix=a%20b&empty=",
        "--unsigned-payload",
        "--session-token",
        "Fwo/ab+cTOKEN==",
    ],
    "s3-custom-endpoint": [
        "PUT",
        "http://127.0.0.1:9000/bucket/dir/./k",
        "--region",
        "us-east-1",
        "--service",
        "s3",
        "-H",
        "Content-Type: text/plain",
        "-H",
        "X-Amz-Meta-A:  spaced   value ",
        "-d",
        "x",
    ],
    "generic-post-body": [
        "-X",
        "POST",
        "https://sts.amazonaws.com/",
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "-d",
        "Action=GetCallerIdentity&Version=2011-06-15",
    ],
    "generic-path-normalised": [
        "https://example.amazonaws.com/a/../b//c/./d?b=2&a=1&a=0",
        "--region",
        "us-east-1",
        "--service",
        "service",
    ],
    "v2-put-amz-headers": [
        "PUT",
        "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?acl",
        "--sig",
        "v2",
        "-H",
        "Content-Type: image/jpeg",
        "-H",
        "x-amz-meta-b: 2",
        "-H",
        "X-Amz-Meta-A: 1",
        "-d",
        "body",
        "--session-token",
        "TOKEN",
    ],
    "v2-path-style": ["--sig", "v2", "http://127.0.0.1:9000/bucket/key", "--expires", "60"],
    "v4a-region-set": [
        "--sig",
        "v4a",
        "--region-set",
        "us-*",
        "https://example.amazonaws.com/",
        "--service",
        "service",
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_through_the_runner(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    case = tmp_path / "suite" / name
    argv = CASES[name]
    if "--example" not in argv:
        argv = [*argv, "--date", "20240517T103045Z", *KEYS]
    code, out, err = run(capsys, "vectors", "new", str(case), *argv)
    assert code == 0, err
    assert f"wrote {case}" in out
    # the runner, as a library and as the command
    results = run_suites([case])
    assert [(r.variant, r.status) for r in results] == [("header", "passed"), ("query", "passed")]
    code, out, err = run(capsys, "vectors", str(tmp_path / "suite"))
    assert code == 0, out + err
    assert out.splitlines()[-1] == "2 passed, 0 failed"
    _check_byte_conventions(case)


def _check_byte_conventions(case: Path) -> None:
    """vectors/README.md: expected files have no trailing newline; a signed request is the
    header block, an empty line, then the body (as request.txt is)."""
    body = (case / "request.txt").read_bytes().split(b"\n\n", 1)[1]
    names = sorted(p.name for p in case.iterdir())
    assert "context.json" in names and "request.txt" in names
    for name in names:
        data = (case / name).read_bytes()
        if name.endswith("-signed-request.txt"):
            head, sep, rest = data.partition(b"\n\n")
            assert sep and rest == body and not head.endswith(b"\n"), name
        elif name != "request.txt":
            assert not data.endswith(b"\n"), name
    context = json.loads((case / "context.json").read_text())
    assert context["algorithm"] in ("sigv4", "sigv4a", "s3v2")
    if context["algorithm"] == "sigv4a":
        assert "public-key.json" in names
    else:
        assert "public-key.json" not in names


def test_json_output_lists_the_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "vectors", "new", str(tmp_path / "c"), "--example", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["algorithm"] == "sigv4"
    assert doc["files"] == sorted(p.name for p in (tmp_path / "c").iterdir())
    assert len(doc["files"]) == 10


def test_keys_never_come_from_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    code, _, err = run(
        capsys, "vectors", "new", str(tmp_path / "c"), "https://b.s3.amazonaws.com/k"
    )
    assert code == 0, err
    text = (tmp_path / "c" / "context.json").read_text()
    assert "real-secret" not in text and "AKIAIOSFODNN7EXAMPLE" in text


def test_refuses_a_non_empty_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "notes.txt").write_text("mine")
    code, out, err = run(capsys, "vectors", "new", str(case), "--example")
    assert code == 2 and out == ""
    assert err.startswith(f"sigkit: error: {case}: exists and is not empty")
    assert [p.name for p in case.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]  # no temporary left
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "vectors", "new", str(tmp_path / "file"), "--example")
    assert code == 2 and "exists and is not a folder" in err


def test_an_empty_folder_is_filled(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "case").mkdir()
    code, _, err = run(capsys, "vectors", "new", str(tmp_path / "case"), "--example")
    assert code == 0, err
    assert len(list((tmp_path / "case").iterdir())) == 10


@pytest.mark.parametrize(
    "argv",
    [
        ["https://b.s3.amazonaws.com/k", "--sig", "v5"],
        ["https://b.s3.amazonaws.com/k", "-H", "Bad Name: v"],
        ["https://h.example/", "--region", "r"],  # no service
        ["https://b.s3.amazonaws.com/k", "--sig", "v2", "--unsigned-payload"],
        ["https://b.s3.amazonaws.com/k", "--payload-hash", "nothex"],
        ["https://b.s3.amazonaws.com/k", "--expires", "0"],
        ["https://b.s3.amazonaws.com/k", "--date", "yesterday"],
        ["--example", "https://b.s3.amazonaws.com/k"],
    ],
)
def test_an_error_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    case = tmp_path / "parent" / "case"
    code, out, err = run(capsys, "vectors", "new", str(case), *argv)
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) == 1 and err.startswith("sigkit: error:")
    assert list(tmp_path.iterdir()) == []  # not even the missing parent


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    real = Path.write_bytes

    def failing(self: Path, data: bytes) -> int:  # type: ignore[override]
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(self.name)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    files = {"request.txt": b"GET / HTTP/1.1\nHost:h\n\n", "a.txt": b"a", "context.json": b"{}"}
    with pytest.raises(OSError, match="No space"):
        write_case(tmp_path / "new" / "deeper" / "case", files)
    assert list(tmp_path.iterdir()) == []


def test_write_case_refuses_a_folder_filled_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rename replaces only an empty folder: files appearing after the check are kept.
    case = tmp_path / "case"
    case.mkdir()
    real_rename = os.rename

    def racing_rename(src: str | Path, dst: str | Path) -> None:
        (case / "theirs.txt").write_text("x")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", racing_rename)
    with pytest.raises(InputError, match="filled or replaced while writing"):
        write_case(case, {"context.json": b"{}", "request.txt": b"GET / HTTP/1.1\nHost:h\n\n"})
    assert [p.name for p in case.iterdir()] == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]
