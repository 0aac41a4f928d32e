"""One pipeline: the CLI and the core function give the same plan, pinned for a small case.

The pinned plan guards the refactorings of the engine (phases, incumbent, venue records):
behaviour must not change, so the same seed must give exactly this plan.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from planner import service
from planner.domain.io import dump_scenario
from planner.domain.schedule import PlanStatus, Schedule
from planner.solve import SolveOptions
from planner.solve.pipeline import PlannedRound, plan_round
from tests.factories import activity, build, everyone_yes, person, scenario_data
from tests.integration.cli import run, solve_argv

NOW = "2027-02-01T09:00:00+00:00"


def _scenario(tmp_path: Path) -> Path:
    people = [person(f"p{i}", ("Support", "Billing", "Sales")[i % 3]) for i in range(9)]
    acts = [
        activity("lunch", max_participants=4, sessions=2),
        activity("quiz", min_participants=3, max_participants=5),
    ]
    answers = everyone_yes(people, "lunch", "quiz")
    answers["p0"]["quiz"] = "no"
    answers["p4"]["lunch"] = "maybe"
    path = tmp_path / "small.toml"
    path.write_text(dump_scenario(build(scenario_data(people, acts, answers)), "toml"))
    return path


def _plan(schedule: Schedule) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [
        (s.id, s.start.isoformat(), s.end.isoformat(), tuple(s.attendees))
        for s in sorted(schedule.sessions, key=lambda s: s.id)
    ]


PINNED = [
    ("lunch#1", "2027-03-01T09:00:00+01:00", "2027-03-01T10:00:00+01:00", ("p0", "p1", "p2", "p3")),
    ("lunch#2", "2027-03-01T09:00:00+01:00", "2027-03-01T10:00:00+01:00", ("p5", "p6", "p7", "p8")),
    (
        "quiz#1",
        "2027-03-02T09:00:00+01:00",
        "2027-03-02T10:00:00+01:00",
        ("p1", "p2", "p3", "p4", "p5"),
    ),
]
"""The plan main made before the pipeline (seed 0, one worker, proven optimal)."""


def test_cli_and_pipeline_give_the_same_pinned_plan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _scenario(tmp_path)
    argv = solve_argv(str(path), out=tmp_path / "out", now=NOW, time_limit=20, workers=1)
    code, _, err = run(capsys, *argv, "--seed", "0")
    assert code == 0, err
    from_cli = Schedule.model_validate(json.loads((tmp_path / "out" / "schedule.json").read_text()))
    problem = service.planning_input_from_file(path, service.parse_now(NOW))
    planned = plan_round(problem, SolveOptions(time_limit=20, workers=1, seed=0))
    assert isinstance(planned, PlannedRound)
    assert planned.violations == [] and not planned.stopped
    assert from_cli.status is planned.schedule.status is PlanStatus.optimal
    assert _plan(from_cli) == _plan(planned.schedule) == PINNED
    assert from_cli.objective.value == planned.schedule.objective.value
    # explained by the same pipeline: the same unplaced opt-ins with the same reasons
    assert [u.model_dump() for u in from_cli.unplaced] == [
        u.model_dump() for u in planned.schedule.unplaced
    ]


def test_setting_stop_ends_the_search_with_the_best_plan_so_far(tmp_path: Path) -> None:
    problem = service.planning_input_from_file(_scenario(tmp_path), service.parse_now(NOW))
    stop = threading.Event()
    stop.set()
    planned = plan_round(problem, SolveOptions(time_limit=20, workers=1), stop=stop)
    assert planned.stopped
    assert planned.violations == []
