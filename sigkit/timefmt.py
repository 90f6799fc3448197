"""Signing times: parsing what people paste, and the formats each algorithm signs.

The core never reads the clock; callers pass a timezone-aware UTC datetime.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sigkit.errors import InputError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T = TypeVar("T")
_AMZ = re.compile(r"([0-9]{8})T([0-9]{6})Z\Z")  # ASCII digits only, as AWS reads them


def parse_time(text: str, *, field: str = "date") -> datetime:
    """Accept the forms people have at hand: ``20150830T123600Z``, ISO 8601, an HTTP date,
    or seconds since the epoch (``YYYYMMDD`` alone is a day, not epoch seconds); the result is
    aware and in UTC."""
    value = text.strip()
    if not value:
        raise InputError(field, "empty date")
    if not value.isascii():  # other scripts' digits and dashes are no date to AWS
        raise InputError(field, f"{text!r} is not a date: it holds non-ASCII characters")
    try:
        # read by hand: strptime's first use imports _strptime, calendar and locale (2 ms)
        if _AMZ.match(value):
            v = value
            return datetime(
                int(v[:4]), int(v[4:6]), int(v[6:8]), int(v[9:11]), int(v[11:13]), int(v[13:15]),
                tzinfo=UTC,
            )  # fmt: skip
        if value.isdigit() and len(value) == 8:
            return datetime(int(value[:4]), int(value[4:6]), int(value[6:8]), tzinfo=UTC)
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        if value[:4].isdigit() and "-" in value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise InputError(field, f"{text!r} has no time zone; add Z for UTC")
            return check_utc(parsed, field)
        from email.utils import parsedate_to_datetime  # only for pasted HTTP dates

        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # RFC 5322 "-0000": UTC, origin unknown
            parsed = parsed.replace(tzinfo=UTC)
        return check_utc(parsed, field)
    except (ValueError, OverflowError, OSError, TypeError, IndexError):
        raise InputError(
            field,
            f"{text!r} is not a date (use 20150830T123600Z, 2015-08-30T12:36:00Z, "
            "an HTTP date or epoch seconds)",
        ) from None


def check_utc(when: datetime, field: str = "date") -> datetime:
    if not isinstance(when, datetime):
        raise InputError(field, f"the signing time must be a datetime, not {type(when).__name__}")
    if when.tzinfo is None:
        raise InputError(field, "the signing time must be timezone-aware (UTC)")
    try:
        utc = when.astimezone(UTC)
    except OverflowError:
        raise InputError(field, f"{when.isoformat()} is out of range in UTC") from None
    if not 1970 <= utc.year <= 9999:
        raise InputError(field, f"year {utc.year} (UTC) is out of range 1970-9999")
    return utc


def epoch_seconds(when: datetime) -> int:
    """Whole seconds since 1970 (exact: no float rounding for far dates)."""
    return (check_utc(when) - EPOCH) // timedelta(seconds=1)


def amz_date(when: datetime) -> str:
    """``YYYYMMDDTHHMMSSZ``, the SigV4 timestamp (formatted by hand: strftime costs 2 µs)."""
    return (
        f"{when.year:04d}{when.month:02d}{when.day:02d}"
        f"T{when.hour:02d}{when.minute:02d}{when.second:02d}Z"
    )


_KEPT = 64  # times remembered per format


def _remembered(format_utc: Callable[[datetime], T]) -> Callable[[datetime], T]:
    """``format_utc(check_utc(when))``, remembered for recent times in UTC.

    Loops sign many requests at one time. Only times whose tzinfo is UTC itself are remembered:
    in another zone two different instants can compare equal (the repeated hour when clocks go
    back differs only by ``fold``, which equality ignores), and a tzinfo may even claim no offset.
    """
    seen: dict[datetime, T] = {}

    def lookup(when: datetime) -> T:
        in_utc = type(when) is datetime and when.tzinfo is UTC
        if in_utc:
            value = seen.get(when)
            if value is not None:
                return value
        value = format_utc(check_utc(when))
        if in_utc:
            if len(seen) >= _KEPT:
                seen.clear()
            seen[when] = value
        return value

    lookup.__doc__ = format_utc.__doc__
    return lookup


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(when: datetime) -> str:
    """RFC 7231 IMF-fixdate, e.g. ``Sun, 30 Aug 2015 12:36:00 GMT`` (S3 V2 Date header).

    Formatted by hand: English names whatever the locale, and no email package to import."""
    utc = when.astimezone(UTC)
    return (
        f"{_DAYS[utc.weekday()]}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} GMT"
    )


signing_stamp = _remembered(amz_date)
"""The SigV4 timestamp of a signing time (checked aware and in range)."""
signing_http_date = _remembered(http_date)
"""The S3 V2 Date of a signing time (checked aware and in range)."""
signing_epoch = _remembered(lambda utc: (utc - EPOCH) // timedelta(seconds=1))
"""Whole seconds since 1970 of a signing time (checked aware and in range)."""
