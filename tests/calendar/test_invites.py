"""Invites out: structure, wire format, privacy, permissions — read back by two parsers.

Every file written is parsed by icalendar *and* by vobject (a second, independent reader),
so a quirk of one library cannot hide a malformed file. The canary test at the end plants
a private string in every field of a person's own calendars and checks that it reaches
neither the workspace file (nor its WAL) nor any output.

The builders here (:func:`team`, :func:`session`, :func:`schedule`) are shared by the other
calendar test modules.
"""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from planner.calendar.invites import DECLINE_SENTENCE, make_uid, scenario_uid_key
from planner.calendar.publish import publish_plan
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Objective, PlannedSession, Schedule
from planner.store import Workspace
from tests.factories import NOW, activity, build, person, scenario_data

STOCKHOLM = ZoneInfo("Europe/Stockholm")


# ------------------------------------------------------------------------------ builders


def team_data(**extra_people: dict[str, Any]) -> dict[str, Any]:
    """Alice consents to being listed; Bob, Carol and Dave do not; Erin answered no."""
    people = [
        person("alice", show_in_attendee_lists=True),
        person("bob"),
        person("carol", "Billing"),
        person("dave", "Training"),
        person("erin", "Billing"),
        *extra_people.values(),
    ]
    activities = [
        activity(
            "team-lunch",
            name="Team lunch",
            description="Lunch together in the cafeteria.",
            venues=["cafe"],
        ),
        activity(
            "workshop",
            name="Cross-team workshop",
            category="learning",
            duration_minutes=90,
            virtual=True,
            url="https://meet.example.com/workshop",
            required=["dave"],
        ),
    ]
    preferences = {
        "alice": {"team-lunch": "yes", "workshop": "yes"},
        "bob": {"team-lunch": "yes", "workshop": "maybe"},
        "carol": {"team-lunch": "yes"},
        "erin": {"team-lunch": "no", "workshop": "no"},
    }
    return scenario_data(
        people,
        activities,
        preferences,
        venues=[{"id": "cafe", "name": "Cafeteria", "capacity": 20}],
    )


def problem(data: dict[str, Any] | None = None) -> PlanningInput:
    return PlanningInput(scenario=build(data or team_data()), now=NOW)


def session(
    sid: str,
    attendees: list[str],
    *,
    day: int = 2,
    hour: int = 12,
    minutes: int = 60,
    venue: str | None = None,
    location: str | None = None,
) -> PlannedSession:
    start = datetime(2027, 3, day, hour, tzinfo=STOCKHOLM)
    return PlannedSession(
        id=sid,
        activity=sid.split("#")[0],
        start=start,
        end=start + timedelta(minutes=minutes),
        attendees=sorted(attendees),
        venue=venue,
        location=location,
    )


def lunch(attendees: list[str], **kw: Any) -> PlannedSession:
    kw.setdefault("venue", "cafe")
    kw.setdefault("location", "Cafeteria")
    return session("team-lunch#1", attendees, **kw)


def workshop(attendees: list[str], **kw: Any) -> PlannedSession:
    kw.setdefault("day", 3)
    kw.setdefault("hour", 14)
    kw.setdefault("minutes", 90)
    kw.setdefault("location", "https://meet.example.com/workshop")
    return session("workshop#1", attendees, **kw)


def schedule(*sessions: PlannedSession) -> Schedule:
    return Schedule(
        status="optimal", objective=Objective(value=0, bound=0, gap=0), sessions=list(sessions)
    )


def default_schedule() -> Schedule:
    return schedule(lunch(["alice", "bob", "carol"]), workshop(["alice", "bob", "dave"]))


def read_ical(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def events(path: Path) -> list[Any]:
    return [c for c in read_ical(path).walk("VEVENT")]


def emails(event: Any) -> list[str]:
    value = event.get("ATTENDEE")
    items = value if isinstance(value, list) else ([value] if value is not None else [])
    return sorted(str(a).removeprefix("mailto:") for a in items)


def check_with_vobject(path: Path) -> Any:
    """vobject must read the file too; return the parsed component."""
    cal = vobject.readOne(path.read_text(encoding="utf-8"))
    for ev in cal.vevent_list:
        assert ev.uid.value and ev.dtstamp.value and ev.dtstart.value
        assert ev.dtstart.value.utcoffset() is not None
    return cal


@pytest.fixture
def published(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    publish_plan(problem(), default_schedule(), out, workspace=None, now=NOW)
    return out


# ------------------------------------------------------------------------------ files


def test_one_file_per_attendee_and_team_calendar(published: Path) -> None:
    names = sorted(p.name for p in (published / "invites").iterdir())
    assert names == ["alice.ics", "bob.ics", "carol.ics", "dave.ics"]
    assert (published / "calendar.ics").is_file()


def test_files_owner_only_and_directories_0700(published: Path) -> None:
    for path in [published, published / "invites"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in [published / "calendar.ics", *(published / "invites").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_invite_structure(published: Path) -> None:
    cal = read_ical(published / "invites" / "bob.ics")
    assert cal["METHOD"] == "REQUEST"
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    tzids = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert tzids == ["Europe/Stockholm"]
    evs = cal.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in evs] == ["Team lunch", "Cross-team workshop"]
    for ev in evs:
        assert ev["DTSTAMP"].dt == NOW
        assert int(ev["SEQUENCE"]) == 0
        assert ev["DTSTART"].params["TZID"] == "Europe/Stockholm"
        assert ev["STATUS"] == "CONFIRMED"
        assert DECLINE_SENTENCE in str(ev["DESCRIPTION"])
        organizer = ev["ORGANIZER"]
        assert str(organizer) == "mailto:olga@example.com"
        assert organizer.params["CN"] == "Olga Organiser"
        me = next(a for a in ev["ATTENDEE"] if str(a) == "mailto:bob@example.com")
        assert me.params["PARTSTAT"] == "NEEDS-ACTION"
        assert me.params["RSVP"] == "TRUE"
        assert me.params["ROLE"] == "OPT-PARTICIPANT"
        assert me.params["CN"] == "Bob"
        (alarm,) = ev.walk("VALARM")
        assert alarm["ACTION"] == "DISPLAY"
        assert alarm["TRIGGER"].dt == timedelta(minutes=-15)
    lunch_ev, workshop_ev = evs
    assert lunch_ev["DTSTART"].dt == datetime(2027, 3, 2, 12, tzinfo=STOCKHOLM)
    assert lunch_ev["DTEND"].dt == datetime(2027, 3, 2, 13, tzinfo=STOCKHOLM)
    assert lunch_ev["LOCATION"] == "Cafeteria"
    assert "Lunch together in the cafeteria." in str(lunch_ev["DESCRIPTION"])
    assert workshop_ev["URL"] == "https://meet.example.com/workshop"
    assert workshop_ev["LOCATION"] == "https://meet.example.com/workshop"


def test_required_person_is_req_participant(published: Path) -> None:
    (ev,) = events(published / "invites" / "dave.ics")
    me = next(a for a in ev["ATTENDEE"] if str(a) == "mailto:dave@example.com")
    assert me.params["ROLE"] == "REQ-PARTICIPANT"


def test_every_file_parses_with_vobject(published: Path) -> None:
    for path in [published / "calendar.ics", *(published / "invites").iterdir()]:
        cal = check_with_vobject(path)
        assert cal.method.value in {"REQUEST", "PUBLISH"}
        for ev in cal.vevent_list:
            assert ev.dtstart.value.tzinfo is not None


def test_crlf_lines_folded_at_75_octets(tmp_path: Path) -> None:
    data = team_data()
    data["people"][0]["name"] = "Åsa Öberg-Ångström " + "Ä" * 40
    data["activities"][0]["description"] = "Smörgåsbord och kaffe. " * 30
    out = tmp_path / "out"
    publish_plan(problem(data), default_schedule(), out, workspace=None, now=NOW)
    for path in [out / "calendar.ics", *(out / "invites").iterdir()]:
        raw = path.read_bytes()
        assert raw.endswith(b"\r\n")
        lines = raw.split(b"\r\n")[:-1]
        assert all(b"\n" not in line and b"\r" not in line for line in lines)
        assert max(len(line) for line in lines) <= 75
        for line in lines:
            line.decode("utf-8")  # folding never splits a UTF-8 sequence
    (ev, _) = events(out / "invites" / "alice.ics")
    assert str(ev["DESCRIPTION"]).startswith(("Smörgåsbord och kaffe. " * 30).strip())


# ------------------------------------------------------------------------------ privacy


def test_invite_lists_organiser_self_and_consenting_only(published: Path) -> None:
    lunch_bob, workshop_bob = events(published / "invites" / "bob.ics")
    assert emails(lunch_bob) == ["alice@example.com", "bob@example.com"]
    assert emails(workshop_bob) == ["alice@example.com", "bob@example.com"]
    (lunch_carol,) = events(published / "invites" / "carol.ics")
    assert emails(lunch_carol) == ["alice@example.com", "carol@example.com"]
    text = (published / "invites" / "carol.ics").read_text()
    assert "Bob" not in text and "bob@" not in text


def test_team_calendar_lists_consenting_people_only(published: Path) -> None:
    """A PUBLISH carries no ATTENDEE (RFC 5546 §3.2.1); consenting people are named in text."""
    cal = read_ical(published / "calendar.ics")
    assert cal["METHOD"] == "PUBLISH"
    evs = cal.walk("VEVENT")
    assert len(evs) == 2
    for ev in evs:
        assert "ATTENDEE" not in ev
        assert str(ev["DESCRIPTION"]).endswith(
            "\n\nTaking part (only colleagues who agreed to be listed are named): Alice."
        )
    assert b"ATTENDEE" not in (published / "calendar.ics").read_bytes()
    text = (published / "calendar.ics").read_text()
    for name in ("Bob", "Carol", "Dave", "Erin", "bob@", "carol@", "dave@", "erin@"):
        assert name not in text


def test_no_output_mentions_a_no_answer(published: Path) -> None:
    for path in [published / "calendar.ics", *(published / "invites").iterdir()]:
        text = path.read_text()
        assert "erin" not in text.lower()  # Erin said no to everything
        assert "maybe" not in text.lower() and "opted" not in text.lower()


# ------------------------------------------------------------------------------ identity


def test_uid_stable_without_workspace(tmp_path: Path) -> None:
    publish_plan(problem(), default_schedule(), tmp_path / "a", workspace=None, now=NOW)
    later = NOW + timedelta(days=3)
    moved = schedule(lunch(["alice", "bob"], hour=13), workshop(["alice", "bob", "dave"]))
    publish_plan(problem(), moved, tmp_path / "b", workspace=None, now=later)
    first = {str(e["UID"]) for e in events(tmp_path / "a" / "calendar.ics")}
    second = {str(e["UID"]) for e in events(tmp_path / "b" / "calendar.ics")}
    assert first == second and len(first) == 2
    for ev in events(tmp_path / "b" / "invites" / "bob.ics"):
        assert int(ev["SEQUENCE"]) == 0 and ev["DTSTAMP"].dt == later
    key = scenario_uid_key(build(team_data()))
    assert make_uid(key, "team-lunch#1") in first
    other = team_data()
    other["team"]["name"] = "Another team"
    assert scenario_uid_key(build(other)) != key


def test_uid_derives_from_workspace_id(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.db") as ws:
        ws.save_scenario(build(team_data()), {})
        publish_plan(problem(), default_schedule(), tmp_path / "out", workspace=ws, now=NOW)
        uids = {str(e["UID"]) for e in events(tmp_path / "out" / "calendar.ics")}
        assert uids == {
            make_uid(ws.workspace_id, "team-lunch#1"),
            make_uid(ws.workspace_id, "workshop#1"),
        }


def test_dtstamp_is_utc(tmp_path: Path) -> None:
    now = datetime(2027, 2, 1, 10, 30, 15, 123456, tzinfo=STOCKHOLM)
    publish_plan(problem(), default_schedule(), tmp_path, workspace=None, now=now)
    raw = (tmp_path / "invites" / "bob.ics").read_text()
    assert "DTSTAMP:20270201T093015Z" in raw


# ------------------------------------------------------------------------------ canary

CANARY = "PRIV-5e1d-canary"


def _canary_calendar(tag: str) -> str:
    c = f"{CANARY}-{tag}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{c}//EN",
        f"X-WR-CALNAME:{c}",
        f"X-WR-CALDESC:{c}",
        "BEGIN:VEVENT",
        f"UID:{c}-1@example.com",
        "DTSTAMP:20270201T080000Z",
        "DTSTART;TZID=Europe/Stockholm:20270302T090000",
        "DTEND;TZID=Europe/Stockholm:20270302T100000",
        f"SUMMARY:{c} summary",
        f"DESCRIPTION:{c} description",
        f"LOCATION:{c} location",
        f'ATTENDEE;CN="{c} Person":mailto:{c}@example.com',
        f"ORGANIZER;CN={c}:mailto:organiser-{c}@example.com",
        f"COMMENT:{c} comment",
        f"CATEGORIES:{c}",
        f"X-PRIVATE-NOTE:{c} x-property",
        f"URL:https://example.com/{c}",
        f"CONTACT:{c} contact",
        f"RESOURCES:{c}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{c} alarm",
        "TRIGGER:-PT15M",
        "END:VALARM",
        "END:VEVENT",
        "BEGIN:VEVENT",
        f"UID:{c}-2@example.com",
        "DTSTAMP:20270201T080000Z",
        "DTSTART:20270303T080000Z",
        "DURATION:PT30M",
        "RRULE:FREQ=DAILY;COUNT=3",
        f"SUMMARY:{c} recurring",
        f"X-{c.upper().replace('-', '')}:{c}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def test_canary_never_reaches_workspace_or_outputs(tmp_path: Path) -> None:
    import tomli_w

    from planner.domain.io import scenario_document
    from planner.service import import_files

    src = tmp_path / "src"
    (src / "cals").mkdir(parents=True)
    (src / "cals" / "work.ics").write_text(_canary_calendar("work"), encoding="utf-8")
    (src / "cals" / "home.ics").write_text(_canary_calendar("home"), encoding="utf-8")
    data = team_data()
    data["people"][1]["calendars"] = ["cals/work.ics", "cals/home.ics"]  # bob
    document = scenario_document(build(data))
    document["people"][1]["calendars"] = ["cals/work.ics", "cals/home.ics"]
    scenario_file = src / "scenario.toml"
    scenario_file.write_text(tomli_w.dumps(document), encoding="utf-8")

    db = tmp_path / "ws" / "workspace.db"
    out = tmp_path / "out"
    with Workspace.open(db) as ws:
        import_files(ws, [scenario_file])
        planning = ws.planning_input(NOW)
        assert planning.busy["bob"], "the calendars must have produced busy blocks"
        plan = schedule(lunch(["alice", "bob", "carol"]), workshop(["alice", "bob", "dave"]))
        publish_plan(planning, plan, out, workspace=ws, now=NOW)
        # A re-plan (bob moved off the lunch) writes a cancellation too.
        moved = schedule(lunch(["alice", "carol"]), workshop(["alice", "bob", "dave"]))
        publish_plan(ws.planning_input(NOW), moved, out / "2", workspace=ws, now=NOW)
        assert (out / "2" / "invites" / "bob-cancel.ics").is_file()
        # Checked while the workspace is open, so the WAL file still exists.
        stores = [p for p in db.parent.iterdir() if p.name.startswith("workspace.db")]
        assert any(p.name.endswith("-wal") for p in stores)
        for path in stores:
            assert CANARY.encode() not in path.read_bytes(), path.name
            assert CANARY.upper().replace("-", "").encode() not in path.read_bytes()
    outputs = [p for p in out.rglob("*") if p.is_file()]
    assert len(outputs) >= 6
    for path in outputs:
        raw = path.read_bytes()
        assert CANARY.encode() not in raw, path
        assert CANARY.encode().upper() not in raw.upper(), path
