"""Small hostile calendar files: each is read or refused within about a second, never hangs.

Timings are CPU time of this thread (``time.thread_time``), with generous slack: this is a
robustness test, not a speed test, and the machine running it may be shared. Each file
here hung for minutes, or crashed, before the bounds went in.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.calendar.busy import parse_busy_blocks, read_busy_blocks
from planner.domain.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = datetime(2027, 3, 22, tzinfo=STOCKHOLM)
END = datetime(2027, 4, 3, tzinfo=STOCKHOLM)
CPU_SECONDS = 2.0


def _read(name: str) -> tuple[list[tuple[str, str]] | str, float]:
    """Blocks as local "YYYY-MM-DD HH:MM" pairs, or the error text; and the CPU time spent."""
    began = time.thread_time()
    try:
        blocks = read_busy_blocks(DATA / name, zone=STOCKHOLM, start=START, end=END, source=name)
    except InputError as exc:
        return str(exc), time.thread_time() - began
    fmt = "%Y-%m-%d %H:%M"
    result = [
        (b.start.astimezone(STOCKHOLM).strftime(fmt), b.end.astimezone(STOCKHOLM).strftime(fmt))
        for b in blocks
    ]
    return result, time.thread_time() - began


@pytest.mark.timeout(60)
def test_minutely_vtimezone_from_1601_is_refused_at_once() -> None:
    # 455 bytes: icalendar's own conversion walked the rule for 400 s and 2.7 GB.
    result, spent = _read("vtimezone-minutely-1601.ics")
    assert result == (
        "vtimezone-minutely-1601.ics: time zone 1: VTIMEZONE STANDARD repeats minutely; a time "
        "zone changes its offset yearly or monthly at most (refused)"
    )
    assert spent < CPU_SECONDS


@pytest.mark.timeout(60)
def test_rule_that_never_matches_by_week_number_costs_nothing() -> None:
    # BYWEEKNO=53 falls in December or January, never in June: dateutil searched to 9999.
    result, spent = _read("rrule-weekno-never.ics")
    assert result == [("2027-03-23 09:00", "2027-03-23 10:00")]
    assert spent < CPU_SECONDS


@pytest.mark.timeout(60)
def test_daily_rule_whose_interval_skips_its_weekday_costs_nothing() -> None:
    # Every 7 days from a Monday, on Tuesdays only: dateutil searched to 9999 for nothing.
    result, spent = _read("rrule-interval-never.ics")
    assert result == []
    assert spent < CPU_SECONDS


@pytest.mark.timeout(60)
def test_rule_that_never_matches_otherwise_is_stopped_by_the_budget() -> None:
    # The second of one occurrence a day: no filter test knows it, the CPU budget stops it.
    result, spent = _read("rrule-setpos-never.ics")
    assert result == (
        "rrule-setpos-never.ics: event 1: reading this calendar takes too long (a recurrence "
        "rule that never or rarely matches, or a time zone with endless changes); refused"
    )
    assert spent < CPU_SECONDS + 1.0  # the budget is one second of CPU, plus the file's share


@pytest.mark.timeout(60)
def test_year_one_dates_in_rules_and_free_busy_are_read() -> None:
    # 0001-01-01 in a zone east of UTC has no UTC form: OverflowError (a traceback) before.
    result, spent = _read("year-one.ics")
    assert result == [  # weekly on Tuesdays since year 1, and a FREEBUSY period
        ("2027-03-23 10:00", "2027-03-23 11:00"),
        ("2027-03-24 09:00", "2027-03-24 10:00"),
        ("2027-03-30 10:00", "2027-03-30 11:00"),
    ]
    assert spent < CPU_SECONDS


def test_own_vtimezone_keeps_wall_time_across_the_change() -> None:
    # An Outlook-style zone without an IANA name: offsets are worked out around the horizon
    # only, yet a weekly 09:00 from 2025 stays at 09:00 on both sides of 28 March 2027.
    result, spent = _read("vtimezone-custom-yearly.ics")
    assert result == [
        ("2027-03-22 09:00", "2027-03-22 09:30"),
        ("2027-03-26 10:00", "2027-03-26 11:00"),
        ("2027-03-29 09:00", "2027-03-29 09:30"),
    ]
    assert spent < CPU_SECONDS


@pytest.mark.timeout(60)
def test_events_nested_thousands_deep_are_refused_with_the_line() -> None:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x"]
    lines += ["BEGIN:VEVENT", "DTSTART:20270323T080000Z"] * 5000 + ["END:VEVENT"] * 5000
    data = ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()
    began = time.thread_time()
    with pytest.raises(InputError) as info:
        parse_busy_blocks(data, zone=STOCKHOLM, start=START, end=END, source="deep.ics")
    assert str(info.value) == "deep.ics: line 18: components nested more than 8 deep (refused)"
    assert time.thread_time() - began < CPU_SECONDS


@pytest.mark.timeout(60)
def test_budget_grows_with_occurrences_found() -> None:
    # A dense but honest rule (every 15 minutes for 30 days, 2,880 occurrences) is read
    # whole: only searching without finding runs out of budget.
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:d\r\n"
        b"DTSTART:20270322T000000Z\r\nDURATION:PT5M\r\nRRULE:FREQ=MINUTELY;INTERVAL=15\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    start = datetime(2027, 3, 22, tzinfo=UTC)
    blocks = parse_busy_blocks(
        data, zone=STOCKHOLM, start=start, end=start + timedelta(days=30), source="d.ics"
    )
    assert len(blocks) == 30 * 96
