"""`planner explain --session`: a held session and one not held, in people's words."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from planner.domain.io import dump_scenario
from planner.domain.schedule import NotHeld, Objective, PlannedSession, Schedule
from tests.factories import activity, build, person, scenario_data
from tests.integration.cli import run

NOW = "2027-02-20T09:00:00+01:00"
OFF = [{"start": "2027-03-01", "end": "2027-03-12"}]


def write(tmp_path: Path) -> tuple[Path, Path]:
    people = [
        person("alice", queues=["phone"]),
        person("bob", queues=["phone"]),
        person("carol", time_off=OFF),  # private: shown as unavailable only
        person("dave"),
        person("erin"),
    ]
    acts = [
        activity("lunch", name="Team lunch", min_participants=2, max_participants=2),
        activity("quiz", name="Pub quiz", min_participants=4),
    ]
    prefs = {
        "alice": {"lunch": "yes", "quiz": "yes"},
        "bob": {"lunch": "yes", "quiz": "yes"},
        "carol": {"lunch": "yes", "quiz": "yes"},
        "dave": {"lunch": "yes", "quiz": "maybe"},
        "erin": {"lunch": "no", "quiz": "no"},
    }
    queues = [{"id": "phone", "name": "Phone line", "min_on_duty": 1}]
    return write_with_plan(tmp_path, scenario_data(people, acts, prefs, queues=queues))


def write_with_plan(tmp_path: Path, data: dict) -> tuple[Path, Path]:
    """``data`` as ``s.toml`` and its plan: lunch held once (Alice and Dave), the quiz not."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(dump_scenario(build(data), "toml"))
    start = datetime.fromisoformat("2027-03-02T12:00:00+01:00")
    lunch = PlannedSession(
        id="lunch#1",
        activity="lunch",
        start=start,
        end=start + timedelta(minutes=60),
        attendees=["alice", "dave"],
    )
    plan = Schedule(
        status="feasible",
        objective=Objective(value=0, bound=0, gap=0),
        sessions=[lunch],
        not_held=[NotHeld(activity="quiz", session=1)],
    )
    schedule = tmp_path / "schedule.json"
    schedule.write_text(plan.model_dump_json())
    return scenario, schedule


def explain(capsys: pytest.CaptureFixture[str], tmp_path: Path, sid: str) -> tuple[int, str, str]:
    scenario, schedule = write(tmp_path)
    argv = ["explain", str(scenario), "--session", sid, "--schedule", str(schedule)]
    return run(capsys, *argv, "--now", NOW)


def test_held_session(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = explain(capsys, tmp_path, "lunch#1")
    assert code == 0, err
    lines = out.splitlines()
    assert (
        lines[0]
        == "Team lunch, Tue 02 Mar 12:00-13:00: held, 2 of 2 places taken (at least 2 needed)"
    )
    assert lines[1:3] == ["  ✓ Alice", "  ✓ Dave"]
    assert "  ✗ Bob: Team lunch, Tue 02 Mar 12:00 (2 of 2) is full" in lines
    assert "  ✗ Carol: not available at the time of Team lunch, Tue 02 Mar 12:00;" in out
    assert "Erin" not in out and "time off" not in out  # a no never appears


def test_session_not_held(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = explain(capsys, tmp_path, "quiz#1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Pub quiz: not held"
    assert lines[1].startswith("  ✗ only 3 of the 4 needed can make any start: the others are ")
    assert "unavailable (1)" in lines[1]
    assert "min_participants = 4" in out
    assert "queue Phone line: min_on_duty = 1 of 2 members" in out
    # the negotiable limits `planner price` would relax (issue 19): never a person's own
    assert "    - Pub quiz, fewest participants: 4 → 3" in lines
    assert "    - Phone line floor, all service hours: 1 → 0" in lines
    assert "most participants" not in out
    assert "Erin" not in out and "erin" not in out and "time off" not in out
    assert not re.search(r"\bno\b", out)


def test_unknown_session(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = explain(capsys, tmp_path, "lunch#7")
    assert code == 2 and out == ""
    assert "unknown session 'lunch#7'" in err and "lunch#1, quiz#1" in err
    assert "Traceback" not in err


def test_person_or_session(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scenario, _ = write(tmp_path)
    code, _, err = run(capsys, "explain", str(scenario), "--now", NOW)
    assert code == 2 and "exactly one of --person and --session" in err
