"""sigkit.payload.sha256_stream: the payload hash of a stream, on every read path it takes."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from sigkit import InputError
from sigkit import payload as payload_module
from sigkit.payload import sha256_stream
from sigkit.sigv4.canonical import hash_body
from sigkit.sigv4.config import EMPTY_SHA256

DATA = os.urandom(300_000) + bytes(range(256)) * 10


@pytest.fixture
def read_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the read-ahead thread for small files too, whatever the machine's CPU count."""
    monkeypatch.setattr(payload_module, "READ_AHEAD_MIN", 1)
    monkeypatch.setattr(payload_module.os, "cpu_count", lambda: 2)


def _file(tmp_path: Path, data: bytes = DATA) -> Path:
    path = tmp_path / "body.bin"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("start", [0, 1, 4096, len(DATA) - 1, len(DATA)])
@pytest.mark.parametrize("buffer_size", [1, 4096, 1 << 20])
def test_hashes_from_the_position_and_rewinds(start: int, buffer_size: int) -> None:
    stream = io.BytesIO(DATA)
    stream.seek(start)
    assert (
        sha256_stream(stream, buffer_size=buffer_size) == hashlib.sha256(DATA[start:]).hexdigest()
    )
    assert stream.tell() == start


@pytest.mark.parametrize("buffering", [0, -1])
@pytest.mark.parametrize("threaded", [False, True])
def test_files_raw_and_buffered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, buffering: int, threaded: bool
) -> None:
    if threaded:
        monkeypatch.setattr(payload_module, "READ_AHEAD_MIN", 1)
        monkeypatch.setattr(payload_module.os, "cpu_count", lambda: 2)
    path = _file(tmp_path)
    with open(path, "rb", buffering=buffering) as file:
        file.read(1000)  # a BufferedReader now holds bytes ahead of the descriptor
        for buffer_size in (7, 65536, 1 << 20):
            got = sha256_stream(file, buffer_size=buffer_size)
            assert got == hashlib.sha256(DATA[1000:]).hexdigest()
            assert file.tell() == 1000
        assert file.read() == DATA[1000:]


def test_agrees_with_hash_body(tmp_path: Path) -> None:
    with open(_file(tmp_path), "rb") as file:
        assert sha256_stream(file) == hash_body(file)


@pytest.mark.usefixtures("read_ahead")
def test_empty_file_and_stream(tmp_path: Path) -> None:
    with open(_file(tmp_path, b""), "rb") as file:
        assert sha256_stream(file) == EMPTY_SHA256
    assert sha256_stream(io.BytesIO()) == EMPTY_SHA256


class _ReadOnly(io.RawIOBase):
    """Seekable, but with read() alone (no readinto attribute): the fallback path."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def __getattribute__(self, name: str) -> Any:
        if name == "readinto":
            raise AttributeError(name)
        return super().__getattribute__(name)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def tell(self) -> int:
        return self._data.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._data.seek(offset, whence)


def test_stream_without_readinto() -> None:
    stream = _ReadOnly(DATA)
    assert not hasattr(stream, "readinto")
    assert sha256_stream(stream, buffer_size=1000) == hashlib.sha256(DATA).hexdigest()
    assert stream.tell() == 0


class _Pipe(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("an unseekable stream must not be read")


def test_unseekable_stream_is_refused_before_any_read() -> None:
    with pytest.raises(InputError, match="a stream that cannot be rewound would be used up") as e:
        sha256_stream(_Pipe())  # type: ignore[arg-type]
    assert e.value.field == "body"


class _Failing(io.FileIO):
    """A real file whose second read fails, as a disk or network file system can."""

    calls = 0

    def readinto(self, buffer: Any) -> int:
        self.calls += 1
        if self.calls > 1:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return super().readinto(buffer)


@pytest.mark.parametrize("threaded", [False, True])
def test_read_error_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threaded: bool
) -> None:
    if threaded:
        monkeypatch.setattr(payload_module, "READ_AHEAD_MIN", 1)
        monkeypatch.setattr(payload_module.os, "cpu_count", lambda: 2)
    match = r"^body: cannot be read: Input/output error$"
    with _Failing(_file(tmp_path)) as file, pytest.raises(InputError, match=match):
        sha256_stream(file, buffer_size=1000)


class _NonBlocking(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0

    def readinto(self, buffer: Any) -> None:
        return None


def test_non_blocking_stream_without_data_is_not_hashed_as_empty() -> None:
    with pytest.raises(InputError, match="non-blocking"):
        sha256_stream(_NonBlocking())  # type: ignore[arg-type]


def test_empty_buffer_is_refused() -> None:
    with pytest.raises(InputError, match="buffer size"):
        sha256_stream(io.BytesIO(DATA), buffer_size=0)
