"""The one file writer (sigkit.files) and the commands that write files through it.

Nothing but a regular file is ever replaced, an input is never replaced by its own encoding,
a replaced file keeps its mode, a file holding a secret is 0600, and an interrupted write
(exception, SIGINT, SIGTERM, SIGHUP) leaves the target as it was and no temporary file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sigkit.cli.app import main
from sigkit.errors import InputError
from sigkit.files import atomic_writer, write_file

URL = "https://bkt.s3.amazonaws.com/k"
KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40}
PYTHON = sys.executable
CLI = [PYTHON, "-c", "import sys; from sigkit.cli.app import main; sys.exit(main())"]


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def chunked(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["chunked", URL, "--date", "20240101T000000Z", *argv])
    return code, capsys.readouterr().err


def body(tmp_path: Path, data: bytes = b"hello world\n") -> Path:
    path = tmp_path / "body.bin"
    path.write_bytes(data)
    return path


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("device", ["/dev/full", "/dev/null"])
def test_a_device_node_is_never_replaced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, device: str
) -> None:
    before = os.stat(device)
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", device)
    assert code == 2
    assert (
        err == f"sigkit: error: {device}: is a character device; sigkit writes only regular files\n"
    )
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert not [n for n in os.listdir("/dev") if n.startswith(f".{Path(device).name}.")]


def test_a_fifo_is_never_replaced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(fifo))
    assert code == 2
    assert (
        err == f"sigkit: error: {fifo}: is a FIFO (named pipe); sigkit writes only regular files\n"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert entries(tmp_path) == ["body.bin", "pipe"]


def test_a_folder_or_socket_is_never_replaced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import socket

    folder = tmp_path / "dir"
    folder.mkdir()
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(folder))
    assert (code, err) == (
        2,
        f"sigkit: error: {folder}: is a folder; sigkit writes only regular files\n",
    )
    sock_path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(sock_path))
    assert code == 2 and err.endswith(": is a socket; sigkit writes only regular files\n")
    assert stat.S_ISSOCK(os.lstat(sock_path).st_mode) and stat.S_ISDIR(os.lstat(folder).st_mode)


def test_a_symlink_to_a_device_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to("/dev/full")
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(link))
    assert code == 2
    assert err == (
        f"sigkit: error: {link}: is a symlink to /dev/full, which is a character device; "
        "sigkit writes only regular files\n"
    )
    assert os.readlink(link) == "/dev/full" and stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_symlink_to_a_file_writes_the_file_and_keeps_the_link(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = tmp_path / "real.out"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.out"
    link.symlink_to("real.out")
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "real.out"
    plain = tmp_path / "plain.out"
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(plain))
    assert code == 0, err
    assert real.read_bytes() == plain.read_bytes()  # the same encoding, through the link
    assert real.read_bytes().startswith(b"c;chunk-signature=")  # 12 bytes: one chunk, then 0
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert entries(tmp_path) == ["body.bin", "link.out", "plain.out", "real.out"]


def test_the_output_is_never_the_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = body(tmp_path)
    code, err = chunked(capsys, "--data-file", str(source), "--output", str(source))
    assert code == 2
    assert err == (
        f"sigkit: error: {source}: is the input ({source}); write the output to another file\n"
    )
    assert source.read_bytes() == b"hello world\n"
    # The same file under another name (a hard link, a symlink) is the same input.
    hard = tmp_path / "hard"
    os.link(source, hard)
    soft = tmp_path / "soft"
    soft.symlink_to(source)
    for other in (hard, soft):
        code, err = chunked(capsys, "--data-file", str(source), "--output", str(other))
        assert code == 2 and "write the output to another file" in err, err
    assert source.read_bytes() == b"hello world\n"


def test_stdin_redirected_from_the_output_is_refused(tmp_path: Path) -> None:
    source = body(tmp_path)
    with source.open("rb") as stdin:
        proc = subprocess.run(
            [*CLI, "chunked", URL, "--data-file", "-", "--output", str(source)],
            stdin=stdin,
            capture_output=True,
            env={**os.environ},
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        f"sigkit: error: {source}: is the input (read from stdin); "
        "write the output to another file\n"
    )
    assert source.read_bytes() == b"hello world\n"


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_a_replaced_file_keeps_its_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mode: int
) -> None:
    out = tmp_path / "out"
    out.write_bytes(b"old")
    out.chmod(mode)
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(out))
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert out.read_bytes() != b"old"


def test_a_new_file_gets_the_umask_mode_and_a_secret_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        plain = write_file(tmp_path / "plain", b"x")
        secret = write_file(tmp_path / "secret", b"x", secret=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # A secret written over a readable file narrows it to the owner.
    shared = tmp_path / "shared"
    shared.write_bytes(b"x")
    shared.chmod(0o644)
    write_file(shared, b"key", secret=True)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600


def test_vectors_new_writes_context_json_0600(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        code = main(["vectors", "new", str(tmp_path / "case"), "--example"])
    finally:
        os.umask(old)
    assert code == 0, capsys.readouterr().err
    context = tmp_path / "case" / "context.json"
    assert json.loads(context.read_text())["credentials"]["secret_access_key"]
    assert stat.S_IMODE(context.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "case" / "request.txt").stat().st_mode) == 0o644


def test_a_missing_folder_names_the_path_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "no" / "out"
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(out))
    assert (code, err) == (2, f"sigkit: error: {out}: its folder {out.parent} does not exist\n")
    under_a_file = tmp_path / "body.bin" / "out"
    code, err = chunked(capsys, "--data-file", str(body(tmp_path)), "--output", str(under_a_file))
    assert (code, err) == (
        2,
        f"sigkit: error: {under_a_file}: {under_a_file.parent} is not a folder\n",
    )


@pytest.fixture
def world_dir() -> Iterator[Path]:
    """A folder outside pytest's (root-only) tmp_path that another user can reach."""
    folder = Path(tempfile.mkdtemp(prefix="sigkit-files-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def test_a_read_only_folder_is_named_not_the_temporary_file(world_dir: Path) -> None:
    # Root writes into any folder whatever its mode, so the command runs as `nobody`.
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv is None:  # pragma: no cover - setpriv is in util-linux
        pytest.skip("running as root without setpriv: no user for whom the folder is read-only")
    source = world_dir / "in.txt"
    source.write_bytes(b"hello\n")
    source.chmod(0o644)
    folder = world_dir / "ro"
    folder.mkdir()
    out = folder / "out"
    out.write_bytes(b"old")
    out.chmod(0o666)  # the file is writable: only the folder is not
    folder.chmod(0o555)
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else []
    prefix = as_nobody if os.geteuid() == 0 else []
    proc = subprocess.run(
        [*prefix, *CLI, "chunked", URL, "--data-file", str(source), "--output", str(out)],
        capture_output=True,
        env={**os.environ, "HOME": str(world_dir)},
        cwd=world_dir,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.decode() == (
        f"sigkit: error: {out}: cannot write in its folder: Permission denied\n"
    )
    assert out.read_bytes() == b"old" and entries(folder) == ["out"]


def test_an_exception_mid_write_leaves_the_target_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"new" * 1000
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_file(target, chunks())
    assert target.read_bytes() == b"old" and entries(tmp_path) == ["t"]
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as out:
        out.write(b"partial")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and entries(tmp_path) == ["t"]


def test_a_write_error_names_the_path_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "t"
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InputError) as info:
        write_file(target, b"data")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert str(info.value) == f"{target}: No space left on device"
    assert entries(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_mid_write_of_200_mb_leaves_nothing(tmp_path: Path, signum: int) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as f:
        f.truncate(200 << 20)  # 200 MiB of zeros (sparse: quick to make, read in full)
    target = tmp_path / "big.out"
    target.write_bytes(b"the old content")
    target.chmod(0o640)
    proc = subprocess.Popen(
        [*CLI, "chunked", URL, "--data-file", str(source), "--output", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    seen = 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        partial = [p for p in tmp_path.iterdir() if p.name.startswith(".big.out.")]
        if partial:
            try:
                seen = partial[0].stat().st_size
            except FileNotFoundError:
                continue
            if seen > 1 << 20:
                proc.send_signal(signum)
                break
        time.sleep(0.001)
    _, err = proc.communicate(timeout=60)
    assert seen > 1 << 20, "the write finished before it could be interrupted"
    assert 0 < seen < 210 << 20  # mid-write
    assert proc.returncode == (130 if signum == signal.SIGINT else 128 + signum), err
    assert target.read_bytes() == b"the old content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert entries(tmp_path) == ["big.bin", "big.out"]  # no temporary file, partial or not


def test_sigterm_while_vectors_new_writes_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sigkit.files import Interrupted
    from sigkit.vectors import write_case

    real = Path.write_bytes
    written: list[str] = []

    def signalled(self: Path, data: bytes) -> int:
        written.append(self.name)
        if len(written) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` from another shell
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", signalled)
    before = signal.getsignal(signal.SIGTERM)
    files = {"a.txt": b"a", "b.txt": b"b", "context.json": b"{}"}
    with pytest.raises(Interrupted) as info:
        write_case(tmp_path / "new" / "case", files)
    assert info.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []  # neither the temporary folder nor the parent made
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is given back
