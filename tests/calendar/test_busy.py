"""A person's calendar becomes busy blocks: one small hand-written fixture per rule."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.calendar.busy import BusyBlock, parse_busy_blocks, read_busy_blocks
from planner.domain.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"
DANA = Path(__file__).resolve().parents[1] / "data" / "examples" / "calendars" / "dana.ics"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = datetime(2027, 3, 22, tzinfo=STOCKHOLM)
END = datetime(2027, 4, 3, tzinfo=STOCKHOLM)


def _ics(*components: str, header: str = "") -> bytes:
    """A VCALENDAR around ``components`` (each a block of lines without BEGIN/END)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//planner tests//EN"]
    lines += [line for line in header.splitlines() if line.strip()]
    for component in components:
        kind = "VFREEBUSY" if "FREEBUSY" in component else "VEVENT"
        lines += [
            f"BEGIN:{kind}",
            *(x.strip() for x in component.strip().splitlines()),
            f"END:{kind}",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _busy(data: bytes, zone: ZoneInfo = STOCKHOLM, **kw: datetime) -> list[tuple[str, str]]:
    """Blocks as local ISO strings in ``zone``: easy to read in assertions."""
    blocks = parse_busy_blocks(
        data, zone=zone, start=kw.get("start", START), end=kw.get("end", END), source="t.ics"
    )
    for b in blocks:
        assert b.start.utcoffset() == timedelta(0) and b.end > b.start
    fmt = "%Y-%m-%d %H:%M"
    return [
        (b.start.astimezone(zone).strftime(fmt), b.end.astimezone(zone).strftime(fmt))
        for b in blocks
    ]


def _error(data: bytes, end: datetime = END) -> str:
    with pytest.raises(InputError) as info:
        parse_busy_blocks(data, zone=STOCKHOLM, start=START, end=end, source="t.ics")
    message = str(info.value)
    assert message.startswith("t.ics: ")
    return message


# --- events -------------------------------------------------------------------------------


def test_recurrence_with_exdate_and_overrides() -> None:
    data = _ics(
        """UID:r1
        DTSTART;TZID=Europe/Stockholm:20270322T100000
        DTEND;TZID=Europe/Stockholm:20270322T110000
        RRULE:FREQ=DAILY;COUNT=5
        EXDATE;TZID=Europe/Stockholm:20270323T100000""",
        """UID:r1
        RECURRENCE-ID;TZID=Europe/Stockholm:20270324T100000
        DTSTART;TZID=Europe/Stockholm:20270324T140000
        DTEND;TZID=Europe/Stockholm:20270324T150000""",
        """UID:r1
        RECURRENCE-ID;TZID=Europe/Stockholm:20270325T100000
        DTSTART;TZID=Europe/Stockholm:20270325T100000
        DTEND;TZID=Europe/Stockholm:20270325T110000
        STATUS:CANCELLED""",
    )
    assert _busy(data) == [
        ("2027-03-22 10:00", "2027-03-22 11:00"),
        ("2027-03-24 14:00", "2027-03-24 15:00"),
        ("2027-03-26 10:00", "2027-03-26 11:00"),
    ]


def test_transparent_and_cancelled_events_are_skipped() -> None:
    data = _ics(
        "UID:a\nDTSTART:20270323T080000Z\nDTEND:20270323T090000Z\nTRANSP:TRANSPARENT",
        "UID:b\nDTSTART:20270324T080000Z\nDTEND:20270324T090000Z\nSTATUS:CANCELLED",
        "UID:c\nDTSTART:20270325T080000Z\nDTEND:20270325T090000Z\nTRANSP:OPAQUE",
    )
    assert _busy(data) == [("2027-03-25 09:00", "2027-03-25 10:00")]


def test_all_day_events_are_whole_days_in_the_persons_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    data = _ics(
        "UID:a\nDTSTART;VALUE=DATE:20270323\nDTEND;VALUE=DATE:20270325",
        "UID:b\nDTSTART;VALUE=DATE:20270330",  # no DTEND: one day
    )
    assert _busy(data, zone=tokyo) == [
        ("2027-03-23 00:00", "2027-03-25 00:00"),
        ("2027-03-30 00:00", "2027-03-31 00:00"),
    ]
    blocks = parse_busy_blocks(data, zone=tokyo, start=START, end=END, source="t.ics")
    assert blocks[0].start == datetime(2027, 3, 22, 15, 0, tzinfo=UTC)


def test_x_wr_timezone_keeps_wall_time_across_dst() -> None:
    # Google writes UTC times plus X-WR-TIMEZONE; the series means 09:00 Berlin time.
    data = _ics(
        "UID:g\nDTSTART:20270322T080000Z\nDTEND:20270322T090000Z\nRRULE:FREQ=WEEKLY;COUNT=2",
        header="X-WR-TIMEZONE:Europe/Berlin",
    )
    assert _busy(data) == [
        ("2027-03-22 09:00", "2027-03-22 10:00"),
        ("2027-03-29 09:00", "2027-03-29 10:00"),
    ]


@pytest.mark.parametrize(
    ("tzid", "utc_hour"),
    [
        ("W. Europe Standard Time", 8),
        ("Eastern Standard Time", 13),
        ("Pacific Standard Time", 16),
        ('"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"', 8),
    ],
)
def test_windows_zone_names_without_vtimezone(tzid: str, utc_hour: int) -> None:
    data = _ics(f"UID:w\nDTSTART;TZID={tzid}:20270323T090000\nDTEND;TZID={tzid}:20270323T100000")
    blocks = parse_busy_blocks(data, zone=STOCKHOLM, start=START, end=END, source="t.ics")
    assert [b.start.hour for b in blocks] == [utc_hour]


def _custom_zone(offset: str) -> bytes:
    vtimezone = (
        "BEGIN:VTIMEZONE\nTZID:Customized Time Zone\nBEGIN:STANDARD\nDTSTART:16010101T000000\n"
        f"TZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}\nEND:STANDARD\nEND:VTIMEZONE"
    )
    return _ics(
        "UID:c\nDTSTART;TZID=Customized Time Zone:20270323T090000\n"
        "DTEND;TZID=Customized Time Zone:20270323T100000",
        header=vtimezone,
    )


def test_unknown_tzid_uses_the_files_own_vtimezone_not_another_files() -> None:
    # icalendar caches VTIMEZONEs process-wide by TZID; each file must get its own.
    for offset, hour in (("+0300", 6), ("-0500", 14), ("+0300", 6)):
        blocks = parse_busy_blocks(
            _custom_zone(offset), zone=STOCKHOLM, start=START, end=END, source="t.ics"
        )
        assert [b.start.hour for b in blocks] == [hour]


def test_floating_times_are_read_in_the_persons_zone() -> None:
    data = _ics("UID:f\nDTSTART:20270323T090000\nDTEND:20270323T100000")
    assert _busy(data, zone=ZoneInfo("America/New_York")) == [
        ("2027-03-23 09:00", "2027-03-23 10:00")
    ]


def test_duration_and_missing_end() -> None:
    data = _ics(
        "UID:d\nDTSTART:20270323T080000Z\nDURATION:PT90M",
        "UID:z\nDTSTART:20270324T080000Z",  # date-time without DTEND: zero length, skipped
    )
    assert _busy(data) == [("2027-03-23 09:00", "2027-03-23 10:30")]


def test_weekly_0900_stays_at_0900_across_the_dst_change() -> None:
    data = _ics(
        "UID:s\nDTSTART;TZID=Europe/Stockholm:20270322T090000\n"
        "DTEND;TZID=Europe/Stockholm:20270322T093000\nRRULE:FREQ=WEEKLY"
    )
    assert _busy(data) == [
        ("2027-03-22 09:00", "2027-03-22 09:30"),
        ("2027-03-29 09:00", "2027-03-29 09:30"),
    ]
    blocks = parse_busy_blocks(data, zone=STOCKHOLM, start=START, end=END, source="t.ics")
    assert [b.start.hour for b in blocks] == [8, 7]  # UTC: +01:00, then +02:00


def test_blocks_are_merged_and_clipped_to_the_horizon() -> None:
    data = _ics(
        "UID:1\nDTSTART:20270321T230000Z\nDTEND:20270322T000000Z",  # 00:00-01:00 local
        "UID:2\nDTSTART:20270323T080000Z\nDTEND:20270323T090000Z",
        "UID:3\nDTSTART:20270323T090000Z\nDTEND:20270323T100000Z",  # touches 2
        "UID:4\nDTSTART:20270323T083000Z\nDTEND:20270323T093000Z",  # overlaps both
        "UID:5\nDTSTART:20270402T210000Z\nDTEND:20270403T030000Z",  # crosses the end
    )
    assert _busy(data) == [
        ("2027-03-22 00:00", "2027-03-22 01:00"),
        ("2027-03-23 09:00", "2027-03-23 11:00"),
        ("2027-04-02 23:00", "2027-04-03 00:00"),
    ]


def test_no_events_in_the_horizon_is_fine() -> None:
    data = _ics("UID:old\nDTSTART:20200101T080000Z\nDTEND:20200101T090000Z")
    assert _busy(data) == []


# --- VFREEBUSY ----------------------------------------------------------------------------


def test_vfreebusy_periods_by_type() -> None:
    data = _ics(
        "UID:fb\nFREEBUSY:20270322T080000Z/20270322T090000Z\n"
        "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20270323T080000Z/PT30M\n"
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270324T080000Z/20270324T083000Z,"
        "20270325T080000Z/PT1H\n"
        "FREEBUSY;FBTYPE=FREE:20270326T080000Z/20270326T090000Z"
    )
    assert _busy(data) == [
        ("2027-03-22 09:00", "2027-03-22 10:00"),
        ("2027-03-23 09:00", "2027-03-23 09:30"),
        ("2027-03-24 09:00", "2027-03-24 09:30"),
        ("2027-03-25 09:00", "2027-03-25 10:00"),
    ]


# --- the shared example -------------------------------------------------------------------


def test_dana_example_gives_the_hand_derived_blocks() -> None:
    warsaw = ZoneInfo("Europe/Warsaw")
    blocks = read_busy_blocks(
        DANA,
        zone=warsaw,
        start=datetime(2027, 3, 22, tzinfo=warsaw),
        end=datetime(2027, 4, 3, tzinfo=warsaw),
    )
    # Dentist Tue 23 09:00-11:30; therapy Mon/Wed 15:00-16:00 x4 minus Wed 24 (EXDATE);
    # the name day is transparent. Warsaw changes to +02:00 on Sun 28 March.
    utc = [(b.start, b.end) for b in blocks]
    assert utc == [
        (datetime(2027, 3, 22, 14, tzinfo=UTC), datetime(2027, 3, 22, 15, tzinfo=UTC)),
        (datetime(2027, 3, 23, 8, tzinfo=UTC), datetime(2027, 3, 23, 10, 30, tzinfo=UTC)),
        (datetime(2027, 3, 29, 13, tzinfo=UTC), datetime(2027, 3, 29, 14, tzinfo=UTC)),
        (datetime(2027, 3, 31, 13, tzinfo=UTC), datetime(2027, 3, 31, 14, tzinfo=UTC)),
    ]


# --- privacy ------------------------------------------------------------------------------

CANARY = "CANARY-7f3a"


def test_a_malformed_line_in_an_event_is_dropped_with_the_rest() -> None:
    text = (DATA / "canary.ics").read_text().replace("COMMENT:CANARY-7f3a", "CANARY-7f3a")
    blocks = parse_busy_blocks(text.encode(), zone=STOCKHOLM, start=START, end=END, source="c")
    assert len(blocks) == 4 and CANARY.lower() not in repr(blocks).lower()


def test_canary_never_survives_parsing() -> None:
    path = DATA / "canary.ics"
    assert CANARY in path.read_text()
    blocks = read_busy_blocks(path, zone=STOCKHOLM, start=START, end=END)
    assert len(blocks) == 4
    assert CANARY.lower() not in repr(blocks).lower()
    assert all(set(BusyBlock.__slots__) == {"start", "end"} for _ in blocks)


@pytest.mark.parametrize(
    "breakage",
    [
        ("DTSTART;TZID=Europe/Stockholm:20270323T090000", "DTSTART:2027-03-23 CANARY-7f3a"),
        ("RRULE:FREQ=DAILY;COUNT=3", "RRULE:FREQ=CANARY-7f3a"),
        ("END:VALARM", "END:VCANARY-7f3a"),
        ("X-WR-CALDESC:CANARY-7f3a", "X-WR-TIMEZONE:CANARY-7f3a"),
        ("END:VCALENDAR", "CANARY-7f3a"),
    ],
)
def test_canary_never_appears_in_an_error(breakage: tuple[str, str]) -> None:
    old, new = breakage
    text = (DATA / "canary.ics").read_text()
    assert old in text
    data = text.replace(old, new).encode()
    with pytest.raises(InputError) as info:
        parse_busy_blocks(data, zone=STOCKHOLM, start=START, end=END, source="c.ics")
    rendered = "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert CANARY.lower() not in rendered.lower()
    assert info.value.__cause__ is None and info.value.__context__ is None


# --- refusals -----------------------------------------------------------------------------


def test_empty_file() -> None:
    assert _error(b"") == "t.ics: file is empty"
    assert _error(b"  \r\n") == "t.ics: file is empty"
    assert _error("  \r\n".encode("utf-16")) == "t.ics: file is empty"


def test_not_utf8_names_the_line() -> None:
    data = _ics("UID:x\nDTSTART:20270323T080000Z\nSUMMARY:caf\xe9").replace(
        b"caf\xc3\xa9", b"caf\xe9"
    )
    assert _error(data).startswith("t.ics: line 7, byte 117: not UTF-8 text (iCalendar")


def test_utf8_bom_and_utf16_are_accepted() -> None:
    data = _ics("UID:x\nDTSTART:20270323T080000Z\nDTEND:20270323T090000Z")
    assert _busy(b"\xef\xbb\xbf" + data) == _busy(data)
    assert _busy(data.decode().encode("utf-16")) == _busy(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello, this is a text file\n", "not an iCalendar file (no BEGIN:VCALENDAR)"),
        (b"BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n", "line 1: not an iCalendar file"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\n", "line 3: file ends inside VEVENT"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\n", "line 3: END:VTODO does not close"),
    ],
)
def test_not_icalendar(data: bytes, reason: str) -> None:
    assert reason in _error(data)


def test_broken_date_names_the_event() -> None:
    data = _ics(
        "UID:ok\nDTSTART:20270323T080000Z\nDTEND:20270323T090000Z",
        "UID:bad\nDTSTART:20271345T250000Z\nDTEND:20270323T090000Z",
    )
    assert _error(data) == "t.ics: event 2: DTSTART cannot be read (broken date or rule)"


def test_rule_that_cannot_be_expanded() -> None:
    data = _ics("UID:r\nDTSTART:20270323T080000Z\nDTEND:20270323T090000Z\nRRULE:FREQ=FORTNIGHTLY")
    assert "event 1: RRULE" in _error(data)


def test_runaway_rule_is_refused_not_expanded() -> None:
    # COUNT counts from DTSTART, so this rule cannot be moved closer to the horizon.
    rule = "RRULE:FREQ=HOURLY;COUNT=900000;BYMINUTE=0"
    data = _ics(f"UID:r\nDTSTART:20000101T000000Z\nDURATION:PT1H\n{rule}")
    assert "event 1: RRULE repeats hourly from long before" in _error(data)


def test_rule_from_long_ago_is_read_from_near_the_horizon() -> None:
    # Hourly since 2000 (210,000 steps) and weekly since year 1: moved by whole periods.
    data = _ics(
        "UID:h\nDTSTART:20000101T000000Z\nDURATION:PT5M\nRRULE:FREQ=HOURLY;INTERVAL=24",
        "UID:w\nDTSTART:00010101T100000\nDTEND:00010101T110000\nRRULE:FREQ=WEEKLY;BYDAY=TU",
    )
    end = START + timedelta(days=3)
    assert _busy(data, end=end) == [
        ("2027-03-22 01:00", "2027-03-22 01:05"),
        ("2027-03-23 01:00", "2027-03-23 01:05"),
        ("2027-03-23 10:00", "2027-03-23 11:00"),
        ("2027-03-24 01:00", "2027-03-24 01:05"),
    ]


@pytest.mark.parametrize(
    "rule",
    ["FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=10", "FREQ=DAILY;BYHOUR=9;BYMINUTE=0,5,10"],
)
def test_rule_finer_than_the_planning_grid_is_refused(rule: str) -> None:
    data = _ics(f"UID:r\nDTSTART:20270322T000000Z\nDURATION:PT1M\nRRULE:{rule}")
    assert _error(data) == (
        "t.ics: event 1: RRULE repeats more often than every 15 minutes, the finest planning "
        "grid (refused)"
    )


@pytest.mark.timeout(60)
def test_too_many_occurrences_in_the_horizon_are_refused() -> None:
    data = _ics("UID:r\nDTSTART:20270322T000000Z\nDURATION:PT1M\nRRULE:FREQ=MINUTELY;INTERVAL=15")
    end = START + timedelta(days=210)  # 20,160 occurrences
    assert "more than 20,000 event occurrences" in _error(data, end=end)


@pytest.mark.timeout(10)
def test_rule_that_never_matches_does_not_hang() -> None:
    data = _ics(
        "UID:n\nDTSTART;VALUE=DATE:20000101\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "UID:m\nDTSTART:20000101T000000Z\nDURATION:PT1H\nRRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    )
    assert _busy(data) == []


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.ics"
    path.write_bytes(_ics("UID:x\nDTSTART:20270323T080000Z\nDTEND:20270323T090000Z"))
    with pytest.raises(InputError) as info:
        read_busy_blocks(
            path, zone=STOCKHOLM, start=START, end=END, source="big.ics", max_bytes=100
        )
    assert (
        str(info.value) == f"big.ics: file is {path.stat().st_size:,} bytes; the limit is 100 bytes"
    )


def test_missing_file_names_the_path_as_given(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_busy_blocks(tmp_path / "nope.ics", zone=STOCKHOLM, start=START, end=END)
    assert str(info.value) == f"{tmp_path / 'nope.ics'}: no such file"


@pytest.mark.timeout(10)
def test_device_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "zero.ics"
    path.symlink_to("/dev/zero")
    with pytest.raises(InputError) as info:
        read_busy_blocks(path, zone=STOCKHOLM, start=START, end=END, source="zero.ics")
    assert str(info.value) == "zero.ics: not a regular file"
