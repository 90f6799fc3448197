"""`sigkit checksum`: the x-amz-checksum-* values of files, as S3 stores and shows them.

Thin: parsing and rendering; the arithmetic is `sigkit.checksums`. The text output prints each
value twice over, as the header (``x-amz-checksum-crc32: ...``) and as the field name that
``aws s3api head-object --checksum-mode ENABLED`` prints (``ChecksumCRC32``), so that either
can be compared by eye or with grep.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from typing import Annotated, Any

import typer

from sigkit import checksums
from sigkit.cli.options import AsJson
from sigkit.errors import InputError
from sigkit.render import use_colour

S3_MIN_PART = 5 * 1024 * 1024  # every part but the last
S3_MAX_PARTS = 10_000
# As the AWS CLI reads multipart_chunksize: KB, MB, GB are powers of 1024, like KiB, MiB, GiB.
_UNITS = {"": 1, "b": 1, "kb": 1024, "kib": 1024, "k": 1024, "mb": 1024**2, "mib": 1024**2,
          "m": 1024**2, "gb": 1024**3, "gib": 1024**3, "g": 1024**3}  # fmt: skip
_SIZE = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*\Z")


def parse_size(text: str) -> int:
    """``8388608``, ``8MiB``, ``8MB`` (the AWS CLI's reading: 8 MiB), ``512KiB`` -> bytes."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise InputError("--part-size", f"{text!r} is not a size such as 8388608, 8MiB or 8MB")
    size = int(match.group(1)) * _UNITS[unit]
    if size <= 0:
        raise InputError("--part-size", f"{text!r}: a part holds at least one byte")
    return size


def _algorithms(names: list[str] | None) -> list[str]:
    if not names:
        return list(checksums.ALGORITHMS)
    out: list[str] = []
    for item in names:
        for name in item.split(","):
            if not name.strip():
                continue
            try:
                alg = checksums.normalise(name)
            except InputError as exc:
                raise InputError("--algorithm", exc.message) from None
            if alg not in out:
                out.append(alg)
    if not out:
        raise InputError("--algorithm", f"names none of {', '.join(checksums.ALGORITHMS)}")
    return out


def _check_readable(path: str) -> None:
    """A missing, unreadable or directory path, refused before any output. Only a regular
    file is opened to check it: opening a FIFO would wait for its writer."""
    if path == "-":
        return
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(path, "is a directory, not a file")
        if stat.S_ISREG(mode):
            with open(path, "rb"):
                pass
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None


def _summarise(path: str, algs: list[str], part_size: int | None) -> checksums.Summary:
    try:
        if path == "-":
            return checksums.summarise(sys.stdin.buffer, algs, part_size)
        with open(path, "rb") as stream:
            return checksums.summarise(stream, algs, part_size)
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from None


def _document(path: str, summary: checksums.Summary) -> dict[str, Any]:
    item: dict[str, Any] = {"file": path, "size": summary.size, "checksums": summary.checksums}
    if summary.composite is not None:
        item["part_size"] = summary.part_size
        item["parts"] = summary.parts
        item["composite"] = summary.composite
    return item


def _human(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


def _lines(path: str, summary: checksums.Summary, colour: bool) -> list[str]:
    """``ChecksumCRC32  x-amz-checksum-crc32: <value>`` per algorithm, then the multipart ones."""
    title = f"{path}  ({summary.size} byte{'' if summary.size == 1 else 's'})"
    if colour:
        title = f"\x1b[1m{title}\x1b[0m"
    field_width = max(len(checksums.field_name(alg)) for alg in summary.checksums)
    header_width = max(len(checksums.header_name(alg)) for alg in summary.checksums) + 1

    def row(alg: str, value: str, kind: str = "") -> str:
        field, header = checksums.field_name(alg), f"{checksums.header_name(alg)}:"
        return f"  {field:<{field_width}}  {header:<{header_width}} {value}{kind}"

    lines = [title, *(row(alg, value) for alg, value in summary.checksums.items())]
    if summary.composite is None or summary.part_size is None:
        return lines
    size = summary.part_size
    exact = f" ({size} bytes)" if size >= 1024 and size % 1024 == 0 else ""
    lines.append(f"multipart upload in {summary.parts} part(s) of {_human(size)}{exact}:")
    for alg, value in summary.composite.items():
        kind = "COMPOSITE" if alg in checksums.COMPOSITE else "FULL_OBJECT"
        lines.append(row(alg, value, f"  ({kind})"))
    either = [a for a in summary.composite if a in checksums.FULL_OBJECT & checksums.COMPOSITE]
    if either:
        lines.append(
            f"  ({', '.join(either)}: an upload with ChecksumType FULL_OBJECT shows the"
            " whole-file value above instead)"
        )
    if summary.parts == 1:
        lines.append(
            "  (one part: clients upload a file this small with a single PUT, which shows the"
            " whole-file values above)"
        )
    if size < S3_MIN_PART and (summary.parts or 0) > 1:
        lines.append(
            f"  note: {_human(size)} is below S3's 5 MiB minimum for every part but the last;"
            " no real S3 upload has these parts"
        )
    if (summary.parts or 0) > S3_MAX_PARTS:
        lines.append(
            f"  note: {summary.parts} parts is over S3's limit of {S3_MAX_PARTS}; a client"
            " would have used larger parts"
        )
    return lines


def checksum(
    paths: Annotated[list[str], typer.Argument(help="files to read ('-' = standard input)")],
    algorithm: Annotated[
        list[str] | None,
        typer.Option(
            "--algorithm",
            "-a",
            metavar="NAME",
            help="crc32, crc32c, crc64nvme, sha1, sha256, sha512, md5, xxhash64, xxhash3, "
            "xxhash128 (repeatable or comma-separated; default all)",
        ),
    ] = None,
    part_size: Annotated[
        str | None,
        typer.Option(
            "--part-size",
            metavar="SIZE",
            help="also the multipart value for parts of this size: bytes, 8MiB, or 8MB (read"
            " as MiB, like the AWS CLI's multipart_chunksize; its default is 8MB)",
        ),
    ] = None,
    as_json: AsJson = False,
) -> int:
    """Print the x-amz-checksum-* values S3 keeps for each file (every algorithm by default),
    to compare with `aws s3api head-object --checksum-mode ENABLED`. With --part-size, also
    what S3 shows after a multipart upload with that part size: the composite `<b64>-N` form
    (CRC64NVME, full-object only in S3, shows the whole-file value)."""
    algs = _algorithms(algorithm)
    size = parse_size(part_size) if part_size is not None else None
    if paths.count("-") > 1:
        raise InputError("-", "standard input can be read only once")
    for path in paths:
        _check_readable(path)
    slow = [alg for alg in algs if checksums.backend(alg) == "pure"]
    if slow:
        print(
            f"sigkit: {', '.join(slow)} computed in pure Python (slow); "
            "pip install 'sigkit[fast]' for awscrt",
            file=sys.stderr,
        )
    colour = not as_json and use_colour(sys.stdout)
    documents = []
    for number, path in enumerate(paths):
        summary = _summarise(path, algs, size)
        if as_json:
            documents.append(_document(path, summary))
            continue
        if number:
            print()
        print("\n".join(_lines(path, summary, colour)))
        sys.stdout.flush()
    if as_json:
        print(json.dumps(documents, indent=2, ensure_ascii=False))
    return 0

