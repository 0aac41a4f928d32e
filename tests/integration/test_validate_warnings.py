"""`planner validate` warns (stderr, exit 0) about what a valid scenario can never do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner.domain.io import dump_scenario
from tests.factories import activity, build, person, scenario_data
from tests.integration.cli import run


def write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "s.toml"
    path.write_text(dump_scenario(build(data), "toml"))
    return str(path)


def test_clean_scenario_has_no_warnings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    people = [person("alice"), person("bob")]
    prefs = {"alice": {"lunch": "yes"}, "bob": {"lunch": "maybe"}}
    path = write(tmp_path, scenario_data(people, [activity("lunch", min_participants=2)], prefs))
    code, out, err = run(capsys, "validate", path)
    assert code == 0 and "valid" in out and err == ""


def test_activity_that_can_never_reach_its_minimum(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    people = [person("alice"), person("bob"), person("carol"), person("dave")]
    acts = [activity("quiz", name="Pub quiz", min_participants=4, required=["dave"])]
    prefs = {"alice": {"quiz": "yes"}, "bob": {"quiz": "maybe"}, "carol": {"quiz": "no"}}
    path = write(tmp_path, scenario_data(people, acts, prefs))
    code, out, err = run(capsys, "validate", path)
    assert code == 0 and "valid" in out
    assert err.strip() == (
        f"{path}: activities.0 (quiz): warning: Pub quiz can never be held: only 3 people opted in "
        "or are required, min_participants is 4"
    )
    assert "carol" not in err.lower()  # a count, never who said no


def test_activity_with_no_start_in_its_windows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    people = [person("alice"), person("bob")]
    prefs = {"alice": {"talk": "yes"}, "bob": {"talk": "yes"}}
    # a 120-minute talk in a one-hour window never fits
    acts = [
        activity(
            "talk",
            duration_minutes=120,
            windows=[{"days": ["mon"], "time": "10:00-11:00"}],
        )
    ]
    path = write(tmp_path, scenario_data(people, acts, prefs))
    code, _, err = run(capsys, "validate", path)
    assert code == 0
    assert f"{path}: activities.0 (talk): warning: Talk can never be held: no start" in err


def test_queue_floor_no_member_set_can_meet(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    people = [person("alice", queues=["phone"]), person("bob", queues=["phone"])]
    prefs = {"alice": {"lunch": "yes"}, "bob": {"lunch": "yes"}}
    queues = [
        {"id": "phone", "name": "Phone line", "min_on_duty": 2},
        {"id": "chat", "name": "Chat", "min_on_duty": 0},
    ]
    path = write(tmp_path, scenario_data(people, [activity("lunch")], prefs, queues=queues))
    code, out, err = run(capsys, "validate", path)
    assert code == 0 and "valid" in out
    assert err.strip() == (
        f"{path}: queues.0 (phone): warning: min_on_duty 2 is not below its 2 members: no member can "
        "ever attend an event during its service hours"
    )
