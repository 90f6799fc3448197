"""Writing a file the user named: whole or not at all, and only ever over a regular file.

Every command that writes a file goes through `write_file` (or `atomic_writer` for a stream):

- what is at the path must be a regular file or nothing: a device node, FIFO, socket or folder
  is refused (a symlink is followed to what it names, which must be a regular file or nothing;
  the link itself is kept);
- the output must not be one of the inputs (same device and inode), so a file is never
  replaced by an encoding of itself;
- the bytes go to a temporary file beside the target, renamed over it only when complete;
  the temporary file is removed on any exception, on Ctrl-C, and on SIGTERM or SIGHUP;
- a file that existed keeps its mode (a file holding a secret is never left readable by
  others); a new one gets the umask's mode, or 0600 when it holds a secret;
- every error names the path the user gave, never the temporary file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import BinaryIO

from sigkit.errors import InputError

SECRET_MODE = 0o600
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

# An input: a path, or an open file (stdin) whose descriptor is compared.
Input = str | os.PathLike[str] | int | BinaryIO


class Interrupted(SystemExit):
    """SIGTERM or SIGHUP arrived while a file was being written; exit status 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Interrupted` (as SIGINT raises
    KeyboardInterrupt), so `finally`/`except` clean-ups run; the old handlers come back after.
    Outside the main thread (where handlers cannot be set) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:
        for signum in _SIGNALS:
            previous[signum] = signal.signal(signum, _raise)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _identity(item: Input) -> tuple[int, int] | None:
    try:
        if isinstance(item, int):
            st = os.fstat(item)
        elif isinstance(item, str | os.PathLike):
            st = os.fstat(sys.stdin.fileno()) if os.fspath(item) == "-" else os.stat(item)
        else:
            st = os.fstat(item.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return st.st_dev, st.st_ino


def resolve_target(path: str | os.PathLike[str], inputs: Iterable[Input] = ()) -> Path:
    """Where the bytes for `path` will go, after the checks: a regular file or nothing, and
    none of `inputs`. A symlink gives the file it names. Raises InputError naming `path`."""
    given = os.fspath(path)
    if given in ("", "-"):
        raise InputError(given or "output", "give a file name to write to")
    target = Path(os.path.abspath(given))
    link = ""
    if target.is_symlink():
        resolved = Path(os.path.realpath(target))
        if not resolved.parent.is_dir():
            raise InputError(given, "is a symlink to a missing folder")
        target = resolved
        link = f"is a symlink to {resolved}, which "
    try:
        st = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise InputError(given, exc.strerror or str(exc)) from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            kind = _kind(st.st_mode)
            raise InputError(given, f"{link}is {kind}; sigkit writes only regular files")
        for item in inputs:
            if _identity(item) == (st.st_dev, st.st_ino):
                name = os.fspath(item) if isinstance(item, str | os.PathLike) else "-"
                name = "read from stdin" if name == "-" else name
                raise InputError(
                    given, f"{link}is the input ({name}); write the output to another file"
                )
    elif not target.parent.is_dir():
        if target.parent.exists():
            raise InputError(given, f"{target.parent} is not a folder")
        raise InputError(given, f"its folder {target.parent} does not exist")
    return target


def _mode_for(target: Path, secret: bool) -> tuple[int, os.stat_result | None]:
    try:
        st: os.stat_result | None = os.stat(target)
    except OSError:
        st = None
    if st is not None:
        mode = stat.S_IMODE(st.st_mode)
        return (mode & 0o700 if secret else mode), st
    if secret:
        return SECRET_MODE, None
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask, None


class Output:
    """The temporary file being written; a failed write names the path the user gave."""

    def __init__(self, stream: BinaryIO, given: str) -> None:
        self._stream = stream
        self._given = given

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except OSError as exc:
            raise InputError(self._given, exc.strerror or str(exc)) from None


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike[str], *, inputs: Iterable[Input] = (), secret: bool = False
) -> Iterator[Output]:
    """A binary file to write `path`'s new content to; it replaces `path` when the block ends
    without an exception, and is removed otherwise (SIGTERM/SIGHUP included)."""
    given = os.fspath(path)
    target = resolve_target(given, inputs)
    with signals_interrupt():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise InputError(given, f"cannot write in its folder: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as stream:
                yield Output(stream, given)
                try:
                    stream.flush()
                    os.fsync(stream.fileno())
                except OSError as exc:
                    raise InputError(given, exc.strerror or str(exc)) from None
            # Checked again at the last moment: something put there meanwhile is not replaced.
            resolve_target(given, inputs)
            mode, old = _mode_for(target, secret)
            os.chmod(tmp, mode)
            if old is not None and os.geteuid() == 0:
                with contextlib.suppress(OSError):
                    os.chown(tmp, old.st_uid, old.st_gid)
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise InputError(given, exc.strerror or str(exc)) from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def write_file(
    path: str | os.PathLike[str],
    data: bytes | Iterable[bytes],
    *,
    inputs: Iterable[Input] = (),
    secret: bool = False,
) -> Path:
    """Write `data` (bytes or chunks of bytes) to `path` as `atomic_writer` does; the path
    written (a symlink's target) is returned."""
    target = resolve_target(path, inputs)
    with atomic_writer(path, inputs=inputs, secret=secret) as out:
        for chunk in [data] if isinstance(data, bytes) else data:
            out.write(chunk)
    return target
