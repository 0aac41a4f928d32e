"""`planner price` end to end: the table, the JSON, privacy, bad input (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.domain.io import dump_scenario
from tests.factories import activity, build, everyone_yes, person, scenario_data
from tests.integration.cli import run
from tests.solve.test_price import LUNCH_ONLY, ONE_WEEK, lunch_queue

NOW = "2027-02-01T09:00:00+00:00"
LIMITS = ("--time-limit", "30", "--workers", "1", "--seed", "0", "--now", NOW)

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:dentist-1@example.com
DTSTAMP:20270201T090000Z
DTSTART:20270302T110000Z
DTEND:20270302T113000Z
SUMMARY:PLANTED-SUMMARY-MARKER dentist
DESCRIPTION:PLANTED-DESCRIPTION-MARKER
LOCATION:PLANTED-LOCATION-MARKER
END:VEVENT
END:VCALENDAR
"""


def write(tmp_path: Path, data: dict[str, Any], name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(dump_scenario(build(data), "toml"))
    return path


def test_price_ranks_the_binding_limit_first_and_writes_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = write(tmp_path, lunch_queue())
    report = tmp_path / "out" / "price.json"
    code, out, err = run(capsys, "price", str(scenario), *LIMITS, "--json", str(report))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ("current plan (optimal): 2 people with a yes placed, 2 yes answers placed")
    rows = [line.split() for line in lines if line.strip().startswith("1 ")]
    assert rows and " ".join(rows[0]) == (
        "1 Phone line floor, Tue 12:00–13:00: 2 → 1 +1 people, +1 yes yes"
    )
    assert "not binding:" in lines
    assert "  Team cap, events per week: 2 → 3" in lines
    data = json.loads(report.read_text())
    assert data["plan"] == {
        "status": "optimal",
        "people_with_yes": 2,
        "yes_placed": 2,
        "proven": True,
    }
    first = data["limits"][0]
    assert first["id"] == "queue-floor:phone:tue:12:00"
    assert (first["people_gain"], first["yes_gain"], first["proven"]) == (1, 1, True)
    assert all(x["status"] == "not_binding" for x in data["limits"][1:])
    assert report.stat().st_mode & 0o077 == 0


def test_price_from_a_workspace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    people = [person(p) for p in ("ann", "bo", "cy", "di")]
    data = scenario_data(
        people,
        [activity("quiz"), activity("walk")],
        everyone_yes(people, "quiz", "walk"),
        team=ONE_WEEK,
        policy={"max_events_per_week": 1},
    )
    db = tmp_path / "ws.db"
    code, _, err = run(capsys, "import", str(write(tmp_path, data)), "--workspace", str(db))
    assert code == 0, err
    code, out, err = run(capsys, "price", "--workspace", str(db), *LIMITS)
    assert code == 0, err
    first = next(line for line in out.splitlines() if line.strip().startswith("1 "))
    assert "Team cap, events per week: 1 → 2" in first and "+0 people, +4 yes" in first


def test_price_when_nothing_binds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    people = [person(p) for p in ("ann", "bo", "cy")]
    data = scenario_data(people, [activity("quiz")], everyone_yes(people, "quiz"), team=ONE_WEEK)
    code, out, err = run(capsys, "price", str(write(tmp_path, data)), *LIMITS)
    assert code == 0, err
    assert "no limit binds: relaxing any one of them places nobody more" in out
    assert not any(line.strip().startswith("1 ") for line in out.splitlines())


def test_no_personal_boundary_or_reason_in_any_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Planted markers in a person's calendar, name, time off and a `no` answer: none of it
    (nor the words for it) appears in the table or the JSON, though the person's own
    boundaries are what hold the plan back."""
    (tmp_path / "zed.ics").write_text(CALENDAR)
    people = [
        person("zed-marker", name="Zed Plantedname", calendars=["zed.ics"], **LUNCH_ONLY),
        person(
            "yan-marker",
            name="Yan Plantedname",
            time_off=[{"start": "2027-03-02", "end": "2027-03-02"}],
            max_events_per_week=1,
        ),
        person("xu-marker", name="Xu Plantedname", needs=["step-free"], **LUNCH_ONLY),
        person("ann"),
        person("bo"),
        person("fac", name="Fac Host", time_off=[{"start": "2027-03-03", "end": "2027-03-03"}]),
    ]
    prefs = everyone_yes(people[:-1], "quiz", "talk")
    prefs["ann"] = {"quiz": "no"}
    data = scenario_data(
        people,
        [
            activity("quiz", windows=[{"days": ["tue"], "time": "12:00-13:00"}]),
            # The host is away on the only day of the talk: "another facilitator" gains,
            # and says nothing of why.
            activity("talk", required=["fac"], windows=[{"days": ["wed"], "time": "10:00-12:00"}]),
        ],
        prefs,
        team=ONE_WEEK,
        queues=[{"id": "phone", "name": "Phone line", "min_on_duty": 1}],
    )
    report = tmp_path / "price.json"
    code, out, err = run(
        capsys, "price", str(write(tmp_path, data)), *LIMITS, "--json", str(report)
    )
    assert code == 0, err
    text = (out + err + report.read_text()).lower()
    for marker in (
        "planted",
        "dentist",
        "marker",
        "zed",
        "yan",
        "ann",
        "time off",
        "time_off",
        "busy",
        "working hours",
        "working_hours",
        "step-free",
        "needs",
        "opted_out",
    ):
        assert marker not in text, marker
    # The window is what the organiser can move: it is priced and gains.
    assert "quiz, windows: lifted" in text
    assert "talk: another facilitator in place of fac host" in text


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda t: t.replace("ann@example.com", "not-an-email"), "people.0 (ann).email"),
        (
            lambda t: t.replace("min_on_duty = 2", 'min_on_duty = "two"'),
            "queues.0 (phone).min_on_duty",
        ),
        (lambda t: t + "\n[[nonsense\n", "scenario.toml"),
    ],
)
def test_bad_scenario_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, edit: Any, where: str
) -> None:
    scenario = write(tmp_path, lunch_queue())
    scenario.write_text(edit(scenario.read_text()))
    report = tmp_path / "price.json"
    code, out, err = run(capsys, "price", str(scenario), *LIMITS, "--json", str(report))
    assert code == 2
    assert "scenario.toml" in err and where in err
    assert "Traceback" not in err and out == ""
    assert not report.exists()


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scenario = write(tmp_path, lunch_queue())
    code, out, err = run(capsys, "price", *LIMITS)
    assert code == 2 and "give a SCENARIO file or --workspace DB" in err and out == ""
    code, _, err = run(capsys, "price", str(scenario), "--workspace", str(tmp_path / "w.db"))
    assert code == 2 and "not both" in err
    code, _, err = run(capsys, "price", str(tmp_path / "missing.toml"), *LIMITS)
    assert code == 2 and "missing.toml" in err
    code, _, err = run(capsys, "price", str(scenario), "--time-limit", "-1")
    assert code == 2
    # A --json that is a folder is refused before the search.
    code, out, err = run(capsys, "price", str(scenario), *LIMITS, "--json", str(tmp_path))
    assert code == 2 and str(tmp_path) in err and out == ""
