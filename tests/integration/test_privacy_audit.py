"""Privacy audit: plant a distinct marker in every private field, run the whole flow, and
scan every artefact — the workspace file and its WAL, schedule.json, invites, the team
calendar, the poll, the response, what the CLI printed, and a TUI screenshot.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.calendar.busy import read_busy_blocks
from planner.cli import main
from planner.domain.io import dump_scenario
from planner.domain.models import Answer
from planner.respond import Limits, build_response, load_poll, write_response
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data
from tests.integration.cli import solve_argv

NOW = "2027-02-01T09:00:00+00:00"
FIELDS = ["SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CATEGORIES", "CONTACT", "X-PRIVATE"]


def marker(n: int) -> str:
    return f"PRIVMARK{n:03d}Q"


def private_calendar(start: int) -> tuple[str, list[str]]:
    """An .ics where every free-text field carries its own marker."""
    used: list[str] = []

    def m() -> str:
        used.append(marker(start + len(used)))
        return used[-1]

    events = []
    for day, hour in (("20270302", "10"), ("20270304", "13")):
        lines = [
            "BEGIN:VEVENT",
            f"UID:{m()}@example.com",
            "DTSTAMP:20270201T080000Z",
            f"DTSTART;TZID=Europe/Stockholm:{day}T{hour}0000",
            f"DTEND;TZID=Europe/Stockholm:{day}T{int(hour) + 1}1500",
            *[f"{field}:{m()}" for field in FIELDS],
            f"ATTENDEE;CN={m()}:mailto:{m().lower()}@example.com",
            f"ORGANIZER;CN={m()}:mailto:{m().lower()}@example.com",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{m()}",
            "TRIGGER:-PT10M",
            "END:VALARM",
            "END:VEVENT",
        ]
        events.extend(lines)
    text = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:-//{m()}//EN",
            f"X-WR-CALNAME:{m()}",
            *events,
            "END:VCALENDAR",
            "",
        ]
    )
    return text, used


def scan(paths: list[Path], needles: list[str], texts: dict[str, str]) -> list[str]:
    leaks = []
    for path in paths:
        data = path.read_bytes()
        for needle in needles:
            if needle.encode() in data or needle.lower().encode() in data:
                leaks.append(f"{path.name}: {needle}")
    for name, text in texts.items():
        for needle in needles:
            if needle in text or needle.lower() in text:
                leaks.append(f"{name}: {needle}")
    return leaks


@pytest.fixture
def flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    """Run the whole organiser flow on a scenario full of private markers."""
    cal_text, cal_markers = private_calendar(0)
    (tmp_path / "cal").mkdir()
    (tmp_path / "cal" / "ann.ics").write_text(cal_text)
    people = [
        person("ann", "Support", calendars=["cal/ann.ics"], queues=["phone"]),
        person("bob", "Billing", time_off=[{"start": "2027-03-03", "end": "2027-03-03"}]),
        person("cat", "Sales", busy=[{"start": "2027-03-02T09:00", "end": "2027-03-02T17:00"}]),
        person("dan", "Sales", show_in_attendee_lists=True),
        person("eve", "Billing"),
        person("refuser", "Support", queues=["phone"]),
    ]
    data = scenario_data(
        people,
        [activity("lunch", max_participants=6), activity("secret-no-act", max_participants=6)],
        {
            "ann": {"lunch": "yes", "secret-no-act": "maybe"},
            "bob": {"lunch": "yes", "secret-no-act": "yes"},
            "cat": {"lunch": "maybe", "secret-no-act": "yes"},
            "dan": {"lunch": "yes", "secret-no-act": "yes"},
            "eve": {"lunch": "yes", "secret-no-act": "maybe"},
            "refuser": {"lunch": "yes", "secret-no-act": "no"},
        },
        queues=[{"id": "phone", "name": "Phone", "min_on_duty": 1}],
    )
    scenario_path = tmp_path / "scenario.toml"
    scenario_path.write_text(dump_scenario(build(data), "toml"))
    db = tmp_path / "ws.db"
    out = tmp_path / "out"
    printed: dict[str, str] = {}

    def cli(*argv: str) -> int:
        code = main(list(argv))
        captured = capsys.readouterr()
        printed[" ".join(argv[:2])] = captured.out + captured.err
        return code

    assert cli("import", str(scenario_path), "--workspace", str(db)) == 0
    assert cli(*solve_argv("--workspace", str(db), out=out, now=NOW, time_limit=10, workers=1)) == 0
    assert (
        cli(
            "export",
            "invites",
            "--workspace",
            str(db),
            "--out",
            str(tmp_path / "export"),
            "--now",
            NOW,
        )
        == 0
    )
    assert cli("export", "poll", "--workspace", str(db), "--out", str(tmp_path / "polls")) == 0
    for pid in ("ann", "bob", "cat", "refuser"):
        argv = [
            "explain",
            str(scenario_path),
            "--person",
            pid,
            "--schedule",
            str(out / "schedule.json"),
        ]
        assert main([*argv, "--now", NOW]) == 0
        captured = capsys.readouterr()
        printed[f"explain-{pid}"] = captured.out + captured.err

    # The participant side: Eve answers with her own private calendar, read locally.
    eve_text, eve_markers = private_calendar(100)
    (tmp_path / "eve.ics").write_text(eve_text)
    poll = load_poll(tmp_path / "polls" / "poll-eve.toml")
    blocks = read_busy_blocks(
        tmp_path / "eve.ics",
        zone=poll.tz,
        start=datetime(2027, 2, 1, tzinfo=UTC),
        end=datetime(2027, 4, 1, tzinfo=UTC),
    )
    response = build_response(
        poll,
        {"lunch": Answer.yes, "secret-no-act": Answer.no},
        Limits(),
        [(b.start, b.end) for b in blocks],
    )
    response_path = write_response(response, tmp_path / "responses")
    assert cli("import", str(response_path), "--workspace", str(db)) == 0
    return {
        "tmp": tmp_path,
        "db": db,
        "out": out,
        "printed": printed,
        "poll": tmp_path / "polls" / "poll-eve.toml",
        "polls": sorted((tmp_path / "polls").glob("poll-*.toml")),
        "response": response_path,
        "markers": cal_markers + eve_markers,
    }


def artefacts(flow: dict) -> list[Path]:
    """Everything planner wrote: all files except the two private input calendars."""
    tmp: Path = flow["tmp"]
    inputs = {tmp / "cal" / "ann.ics", tmp / "eve.ics"}
    return [p for p in tmp.rglob("*") if p.is_file() and p not in inputs]


def test_calendar_details_never_leave_the_parser(flow: dict) -> None:
    paths = artefacts(flow)
    names = {p.name for p in paths}
    assert {"ws.db", "schedule.json", "calendar.ics", "poll-eve.toml", "response-eve.toml"} <= names
    # the scan finds what is there: the inputs hold every marker
    inputs = [flow["tmp"] / "cal" / "ann.ics", flow["tmp"] / "eve.ics"]
    assert len(scan(inputs, flow["markers"], {})) >= len(flow["markers"])
    leaks = scan(paths, flow["markers"], flow["printed"])
    assert leaks == []


def test_a_no_is_never_shown(flow: dict) -> None:
    schedule = json.loads((flow["out"] / "schedule.json").read_text())
    for s in schedule["sessions"]:
        if s["activity"] == "secret-no-act":
            assert "refuser" not in s["attendees"]
    assert not [
        u
        for u in schedule["unplaced"]
        if u["person"] == "refuser" and u["activity"] == "secret-no-act"
    ]
    # the refuser's invite (if any) does not mention the activity they refused
    for directory in (flow["out"] / "invites", flow["tmp"] / "export" / "invites"):
        invite = directory / "refuser.ics"
        if invite.exists():
            assert "Secret no act" not in invite.read_text()
    # each poll carries nobody's answers and names nobody but its own person (and the
    # organiser and facilitators); the explain output names only opt-ins
    with Workspace.open(flow["db"]) as ws:
        people = ws.load_scenario().people
    assert len(flow["polls"]) == len(people)
    for path in flow["polls"]:
        own = path.stem.removeprefix("poll-")
        poll_text = path.read_text()
        assert '"no"' not in poll_text and "Refuser" not in poll_text
        for other in people:
            if other.id != own:
                assert f'"{other.id}"' not in poll_text, (path.name, other.id)
                assert other.email not in poll_text, (path.name, other.id)
    assert "secret-no-act" not in flow["printed"]["explain-refuser"]
    assert "secret no act" not in flow["printed"]["explain-refuser"].lower()


def test_reasons_stay_private_without_consent(flow: dict) -> None:
    schedule = json.loads((flow["out"] / "schedule.json").read_text())
    for entry in schedule["unplaced"] + schedule["not_held"]:
        for reason in entry["reasons"]:
            assert reason["rule"] not in {"time_off", "busy"}, entry
            assert "2027-03-03" not in reason["detail"]


def test_invites_list_only_consenting_colleagues(flow: dict) -> None:
    with Workspace.open(flow["db"]) as ws:
        scenario = ws.load_scenario()
    emails = {p.id: p.email for p in scenario.people}
    for invite in (flow["out"] / "invites").glob("*.ics"):
        pid = invite.stem.removesuffix("-cancel")
        text = invite.read_text().replace("\r\n ", "")
        for other, email in emails.items():
            if other not in {pid, "dan"}:
                assert f"mailto:{email}" not in text, (invite.name, other)
    team = (flow["out"] / "calendar.ics").read_text().replace("\r\n ", "")
    for other, email in emails.items():
        if other != "dan":
            assert f"mailto:{email}" not in team


def test_output_files_are_owner_only(flow: dict) -> None:
    polls = flow["polls"]
    for path in [*flow["out"].rglob("*"), *polls, polls[0].parent, flow["response"], flow["db"]]:
        mode = path.stat().st_mode & 0o777
        assert mode & 0o077 == 0, (path, oct(mode))


async def test_tui_screens_show_no_private_detail(flow: dict) -> None:
    from planner.tui.app import make_app

    app = make_app(str(flow["db"]))
    async with app.run_test(size=(120, 40)) as pilot:
        texts = []
        for key in "1234567":
            await pilot.press(key)
            await pilot.pause()
            texts.append(app.export_screenshot())
    leaks = scan([], flow["markers"], {f"screen{i}": t for i, t in enumerate(texts)})
    assert leaks == []
