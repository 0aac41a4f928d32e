"""The remembered VTIMEZONE wire form gives exactly icalendar's bytes, and a batch of
private files is written as safely as one."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.calendar.invites import (
    AttendeeInfo,
    EventInfo,
    build_calendar,
    calendar_bytes,
    calendar_wire,
    vtimezone,
)
from planner.domain.errors import InputError
from planner.files import write_private_many

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def info(n: int, zone: ZoneInfo = STOCKHOLM, text: str = "Lunch") -> EventInfo:
    start = datetime(2026, 12, 7, 12, tzinfo=zone) + timedelta(days=n)
    return EventInfo(
        uid=f"u{n}@example.org",
        sequence=n,
        start=start,
        end=start + timedelta(hours=1),
        summary=text,
        description=f"{text}\nBEGIN:VEVENT\r\nEND:VCALENDAR",  # text that looks like structure
        location=None,
        url=None,
        organiser_name="Org",
        organiser_email="org@example.org",
        attendees=(AttendeeInfo("a@example.org", "Ann", "REQ-PARTICIPANT"),),
    )


@pytest.mark.parametrize(
    "events",
    [
        [],
        [info(0)],
        [info(0), info(3), info(9)],
        [info(0), info(1, ZoneInfo("America/New_York")), info(2, ZoneInfo("Asia/Tokyo"))],
    ],
    ids=["no events", "one", "three", "three zones"],
)
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL", "PUBLISH", None])
def test_spliced_bytes_equal_icalendar_bytes(events: list[EventInfo], method: str | None) -> None:
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    for _ in range(2):  # the second round reads every zone from the cache
        cal = build_calendar(method, events, now=now, alarm=True, rsvp=True)  # type: ignore[arg-type]
        assert calendar_bytes(cal) == cal.to_ical()
        assert calendar_bytes(cal).count(b"BEGIN:VTIMEZONE") == len(
            {e.start.tzinfo for e in events}
        )


def test_vtimezone_is_made_once_per_zone_and_range() -> None:
    first, last = date(2025, 1, 1), date(2028, 1, 1)
    assert vtimezone("Europe/Warsaw", first, last) is vtimezone("Europe/Warsaw", first, last)
    assert vtimezone("Europe/Warsaw", first, last) is not vtimezone("Europe/Oslo", first, last)


def test_a_batch_is_owner_only_atomic_and_leaves_nothing_behind(tmp_path: Path) -> None:
    old = tmp_path / "out" / "a.ics"
    old.parent.mkdir()
    old.write_text("old")
    paths = write_private_many([(tmp_path / "out" / f"{c}.ics", c * 3) for c in "abc"])
    assert [p.read_text() for p in paths] == ["aaa", "bbb", "ccc"]
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in paths)
    assert sorted(os.listdir(tmp_path / "out")) == ["a.ics", "b.ics", "c.ics"]


def test_a_batch_with_one_bad_target_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "b.ics").mkdir()  # a folder where a file should go
    with pytest.raises(InputError):
        write_private_many([(tmp_path / f"{c}.ics", c) for c in "abc"])
    assert sorted(os.listdir(tmp_path)) == ["b.ics"]


def test_a_session_is_rendered_once_and_spliced_into_every_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Equal VEVENTs are one shared component whose remembered bytes are spliced in; the
    files stay exactly icalendar's bytes, also once the oldest events are forgotten."""
    from planner.calendar import invites

    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    first = build_calendar("REQUEST", [info(0), info(1)], now=now, alarm=True, rsvp=True)
    again = build_calendar("REQUEST", [info(1)], now=now, alarm=True, rsvp=True)
    assert again.subcomponents[-1] is first.subcomponents[-1]
    other = build_calendar("REQUEST", [info(1)], now=now, alarm=False, rsvp=True)
    assert other.subcomponents[-1] is not first.subcomponents[-1]
    # The same instant in another zone is another VEVENT (its DTSTART names the zone).
    tokyo = replace(
        info(1),
        start=info(1).start.astimezone(ZoneInfo("Asia/Tokyo")),
        end=info(1).end.astimezone(ZoneInfo("Asia/Tokyo")),
    )
    assert tokyo == info(1)
    elsewhere = build_calendar("REQUEST", [tokyo], now=now, alarm=True, rsvp=True)
    assert b"TZID=Asia/Tokyo" in calendar_bytes(elsewhere)
    for cal in (first, again, other):
        assert calendar_bytes(cal) == cal.to_ical()
    monkeypatch.setattr(invites, "EVENTS_REMEMBERED", 2)
    cals = [
        build_calendar("PUBLISH", [info(n), info(n + 1)], now=now, alarm=True, rsvp=False)
        for n in range(5, 9)
    ]
    assert len(invites._EVENTS) <= 2
    for cal in [first, *cals]:  # some of their events are forgotten by now
        assert calendar_bytes(cal) == cal.to_ical()


_PEOPLE = [
    AttendeeInfo(f"p{i}@example.org", f"Person {i} " + "with a name long enough to fold " * (i % 3),
                 "REQ-PARTICIPANT" if i % 2 else "OPT-PARTICIPANT")
    for i in range(8)
]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    listed=st.lists(st.sampled_from(_PEOPLE), unique=True, max_size=6),
    day=st.integers(0, 3),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    cancelled=st.sampled_from([None, "session", "attendee"]),
)
def test_a_vevent_from_its_frame_and_attendee_lines_is_icalendars(
    listed: list[AttendeeInfo],
    day: int,
    flags: tuple[bool, bool, bool],
    cancelled: str | None,
) -> None:
    """The invitations of one session differ in their attendee lists (a viewer who keeps out
    of lists sees themself): each VEVENT is its frame with the attendee lines spliced in,
    byte for byte what icalendar writes, none listed included."""
    from planner.calendar import invites

    alarm, rsvp, agent = flags
    stamp = datetime(2026, 12, 1, 8, tzinfo=UTC)
    event = replace(info(day), attendees=tuple(listed), cancelled=cancelled)  # type: ignore[arg-type]
    made = invites._event(event, stamp, alarm=alarm, rsvp=rsvp, agent_client=agent)
    wire, _ = invites._event_wire(event, stamp, alarm=alarm, rsvp=rsvp, agent_client=agent)
    assert wire == made.to_ical()
    assert wire.count(b"\r\nATTENDEE") == len(listed)
    assert b"splice@planner.invalid" not in wire


_ZONES_SEEN = [STOCKHOLM, ZoneInfo("America/New_York"), UTC, ZoneInfo("Asia/Kolkata")]


@st.composite
def _events(draw: st.DrawFn) -> list[EventInfo]:
    out = []
    for n in range(draw(st.integers(0, 4))):
        zone = draw(st.sampled_from(_ZONES_SEEN))
        days = draw(st.integers(0, 400))  # into the next year: VTIMEZONEs over more years
        base = replace(info(n), uid=f"u{draw(st.integers(0, 3))}@example.org")
        start = (base.start + timedelta(days=days)).astimezone(zone)
        out.append(
            replace(
                base,
                start=start,
                end=start + timedelta(hours=1),
                attendees=tuple(draw(st.lists(st.sampled_from(_PEOPLE), unique=True, max_size=4))),
                cancelled=draw(st.sampled_from([None, "session", "attendee"])),
                language=draw(st.sampled_from(["en", "sv", "pl"])),
            )
        )
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=_events(),
    method=st.sampled_from(["REQUEST", "CANCEL", "PUBLISH", None]),
    alarm=st.booleans(),
    rsvp=st.booleans(),
    cover=st.sampled_from([None, (date(2026, 12, 1), date(2027, 1, 31))]),
)
def test_a_calendar_from_remembered_wire_forms_is_icalendars(
    events: list[EventInfo],
    method: str | None,
    alarm: bool,
    rsvp: bool,
    cover: tuple[date, date] | None,
) -> None:
    """Invitation files are written from wire forms alone (no VEVENT object per viewer):
    byte for byte the calendar icalendar writes, VTIMEZONEs of every zone used included."""
    now = datetime(2026, 12, 1, 8, 17, 33, 12345, tzinfo=UTC)
    kw = {"now": now, "alarm": alarm, "rsvp": rsvp, "cover": cover}
    wire = calendar_wire(method, events, **kw)  # type: ignore[arg-type]
    assert wire == build_calendar(method, events, **kw).to_ical()  # type: ignore[arg-type]
