"""The SigV4 timestamp, formatted by hand and remembered, against the standard library's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigkit.errors import InputError
from sigkit.timefmt import amz_date, http_date, signing_stamp


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 30)))
def test_amz_date_matches_strftime(moment: datetime) -> None:
    assert amz_date(moment) == moment.strftime("%Y%m%dT%H%M%SZ")


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_signing_stamp_is_the_utc_instant_whatever_the_offset(
    moment: datetime, minutes: int
) -> None:
    local = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    expected = local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert signing_stamp(local) == expected
    assert signing_stamp(local) == expected  # remembered
    assert signing_stamp(local.astimezone(UTC)) == expected


def test_a_naive_time_is_refused_even_after_an_equal_aware_one() -> None:
    aware = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    assert signing_stamp(aware) == "20150830T123600Z"
    with pytest.raises(InputError, match="timezone-aware"):
        signing_stamp(aware.replace(tzinfo=None))


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)))
def test_http_date_matches_the_email_package(moment: datetime) -> None:
    from email.utils import format_datetime

    aware = moment.replace(tzinfo=UTC)
    assert http_date(aware) == format_datetime(aware, usegmt=True)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_parse_time_reads_amz_stamps_and_days_as_strptime_does(moment: datetime) -> None:
    from sigkit.timefmt import parse_time

    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    assert parse_time(stamp) == datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    day = moment.strftime("%Y%m%d")
    assert parse_time(day) == datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["20151330T123600Z", "20150830T246000Z", "20150230"])
def test_parse_time_refuses_impossible_stamps(text: str) -> None:
    from sigkit.timefmt import parse_time

    with pytest.raises(InputError, match="is not a date"):
        parse_time(text)


def test_the_repeated_hour_of_a_clock_change_is_not_mistaken_for_its_twin() -> None:
    """01:30 happens twice in New York on 2023-11-05 (fold 0 is EDT, fold 1 EST); the two
    compare equal in Python, but are an hour apart in UTC (the standard library says which)."""
    from zoneinfo import ZoneInfo

    first = datetime(2023, 11, 5, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    for moment in (first, second, first, second):
        expected = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        assert signing_stamp(moment) == expected


def test_parse_time_refuses_digits_of_other_scripts() -> None:
    from sigkit.timefmt import parse_time

    with pytest.raises(InputError, match="non-ASCII"):
        parse_time(
            "\u0662\u0660\u0661\u0665\u0660\u0668\u0663\u0660T\u0661\u0662\u0663\u0666\u0660\u0660Z"
        )
