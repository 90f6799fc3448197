"""`sigkit checksum`: the values it prints equal botocore's for the same bytes (and, with
--part-size, S3's composite rule computed here from botocore's digests); errors are one line
and exit 2; `-` reads standard input."""

from __future__ import annotations

import base64
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from botocore.httpchecksum import _CHECKSUM_CLS
from botocore.utils import calculate_md5

from sigkit.checksums import ALGORITHMS
from sigkit.cli.app import main
from sigkit.cli.checksum_cmd import parse_size

MiB = 1 << 20


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["checksum", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _botocore(alg: str, data: bytes) -> str:
    if alg == "md5":
        return str(calculate_md5(data))
    state = _CHECKSUM_CLS[alg]()
    state.update(data)
    return str(state.b64digest())


def _composite(alg: str, data: bytes, part_size: int) -> str:
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)] or [b""]
    digests = b"".join(base64.b64decode(_botocore(alg, p)) for p in parts)
    return f"{_botocore(alg, digests)}-{len(parts)}"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, bytes, Path, bytes]:
    small, big = b"hello", random.Random(11).randbytes(12 * MiB + 5)
    a, b = tmp_path / "hello.txt", tmp_path / "big.bin"
    a.write_bytes(small)
    b.write_bytes(big)
    return a, small, b, big


def test_json_every_algorithm_by_default(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, bytes, Path, bytes]
) -> None:
    a, small, b, big = files
    code, out, err = run(capsys, str(a), str(b), "--json")
    assert code == 0 and err == ""
    assert json.loads(out) == [
        {"file": str(p), "size": len(d), "checksums": {x: _botocore(x, d) for x in ALGORITHMS}}
        for p, d in ((a, small), (b, big))
    ]
    # Known values for "hello" (the CRC32 and MD5 any tool gives).
    assert json.loads(out)[0]["checksums"]["crc32"] == "NhCmhg=="
    assert json.loads(out)[0]["checksums"]["md5"] == "XUFAKrxLKna5cZ2REBfFkg=="


def test_json_part_size_gives_the_composite(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, bytes, Path, bytes]
) -> None:
    _, _, b, big = files
    code, out, _ = run(
        capsys, str(b), "-a", "CRC32", "--algorithm", "crc64nvme,sha256", "--part-size", "5MiB",
        "--json",
    )  # fmt: skip
    assert code == 0
    (item,) = json.loads(out)
    assert item["part_size"] == 5 * MiB and item["parts"] == 3
    assert list(item["checksums"]) == ["crc32", "crc64nvme", "sha256"]
    assert item["composite"] == {
        "crc32": _composite("crc32", big, 5 * MiB),
        "crc64nvme": _botocore("crc64nvme", big),  # S3: full-object only
        "sha256": _composite("sha256", big, 5 * MiB),
    }
    assert item["composite"]["crc32"].endswith("-3")


def test_text_shows_header_and_head_object_field(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, bytes, Path, bytes]
) -> None:
    a, small, b, big = files
    code, out, err = run(
        capsys, str(a), str(b), "-a", "crc32", "-a", "xxhash3", "--part-size", "8MB"
    )
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"{a}  (5 bytes)"
    assert lines[1].split() == ["ChecksumCRC32", "x-amz-checksum-crc32:", "NhCmhg=="]
    xxhash3 = _botocore("xxhash3", small)
    assert lines[2].split() == ["ChecksumXXHASH3", "x-amz-checksum-xxhash3:", xxhash3]
    assert "multipart upload in 1 part(s) of 8 MiB (8388608 bytes):" in lines
    assert any("single PUT" in line for line in lines)
    at = lines.index("multipart upload in 2 part(s) of 8 MiB (8388608 bytes):")
    assert lines[at + 1].split() == [
        "ChecksumCRC32", "x-amz-checksum-crc32:", _composite("crc32", big, 8 * MiB), "(COMPOSITE)"
    ]  # fmt: skip
    assert "FULL_OBJECT shows the whole-file value above" in lines[at + 3]


def test_small_part_size_is_flagged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abcdefgh")
    code, out, _ = run(capsys, str(path), "-a", "sha1", "--part-size", "3")
    assert code == 0
    assert f"x-amz-checksum-sha1: {_composite('sha1', b'abcdefgh', 3)}  (COMPOSITE)" in out
    assert "below S3's 5 MiB minimum" in out


def test_stdin(files: tuple[Path, bytes, Path, bytes]) -> None:
    _, _, _, big = files
    proc = subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", "checksum", "-", "-a", "crc32c", "--json"],
        input=big,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [
        {"file": "-", "size": len(big), "checksums": {"crc32c": _botocore("crc32c", big)}}
    ]


def test_stdin_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"")))
    code, out, _ = run(capsys, "-", "-a", "crc32", "--json")
    assert code == 0
    assert json.loads(out) == [{"file": "-", "size": 0, "checksums": {"crc32": "AAAAAA=="}}]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["/nonexistent/file"], "/nonexistent/file: No such file or directory"),
        (["{tmp}"], "is a directory"),
        (["{file}", "-a", "crc16"], "--algorithm: 'crc16' is not one of crc32, crc32c"),
        (["{file}", "--part-size", "0"], "--part-size: '0': a part holds at least one byte"),
        (["{file}", "--part-size", "8XB"], "--part-size: '8XB' is not a size"),
        (["{file}", "--part-size", "-5"], "--part-size: '-5' is not a size"),
        (["-", "-"], "standard input can be read only once"),
        ([], "Missing argument"),
    ],
)
def test_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    file = tmp_path / "f"
    file.write_bytes(b"x")
    argv = [a.format(tmp=tmp_path, file=file) for a in argv]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigkit: error:"), err
    assert message in lines[0]


def test_a_missing_second_file_prints_nothing(
    capsys: pytest.CaptureFixture[str], files: tuple[Path, bytes, Path, bytes]
) -> None:
    a = files[0]
    code, out, err = run(capsys, str(a), str(a.parent / "missing"))
    assert code == 2 and out == "" and "missing: No such file or directory" in err


def test_pure_backend_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SIGKIT_CHECKSUM_BACKEND", "pure")
    path = tmp_path / "f"
    path.write_bytes(b"hello")
    code, out, err = run(capsys, str(path), "-a", "xxhash64", "--json")
    assert code == 0
    assert json.loads(out)[0]["checksums"] == {"xxhash64": _botocore("xxhash64", b"hello")}
    assert err == (
        "sigkit: xxhash64 computed in pure Python (slow); pip install 'sigkit[fast]' for awscrt\n"
    )


@pytest.mark.parametrize(
    ("text", "size"),
    [("8388608", 8 * MiB), ("8MiB", 8 * MiB), ("8MB", 8 * MiB), ("8mb", 8 * MiB),
     ("512KiB", 512 * 1024), ("1GiB", 1 << 30), ("5M", 5 * MiB), ("100B", 100)],
)  # fmt: skip
def test_part_sizes_as_the_aws_cli_reads_them(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_one_byte_is_one_byte(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The title counts a single byte in the singular; CRC32 of b'x' as zlib gives it."""
    one = tmp_path / "one"
    one.write_bytes(b"x")
    code, out, _ = run(capsys, str(one), "-a", "crc32")
    assert code == 0
    assert out.splitlines() == [
        f"{one}  (1 byte)",
        "  ChecksumCRC32  x-amz-checksum-crc32: jNwWgw==",
    ]
