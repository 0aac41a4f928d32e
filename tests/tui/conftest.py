"""Fixtures for the TUI tests: workspaces in tmp_path, a fixed clock, no cursor blink."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from planner.demo import demo_scenario
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Objective, PlannedSession, PlanStatus, Schedule
from planner.solve import SolveProgress, SolveResult
from planner.store import Workspace
from planner.tui.app import PlannerApp, make_app
from tests.factories import activity, build, everyone_yes, person, scenario_data

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    """No blinking cursors, so screenshots do not depend on when they are taken."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor", lambda self: None, raising=False)
    monkeypatch.delenv("PLANNER_CALDAV_URL", raising=False)
    monkeypatch.delenv("PLANNER_SMTP", raising=False)
    monkeypatch.delenv("PLANNER_KEYMAP", raising=False)


@pytest.fixture
def demo_ws(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "demo.db"
    ws = Workspace.open(path)
    ws.save_scenario(demo_scenario(), {}, label="create demo")
    ws.close()
    yield path


TINY_PEOPLE = [person("ann"), person("bob", "Billing"), person("cat"), person("dan", "Billing")]


@pytest.fixture
def tiny_ws(tmp_path: Path) -> Iterator[Path]:
    """Four people, one lunch everyone wants: solves in well under a second."""
    path = tmp_path / "tiny.db"
    data = scenario_data(
        TINY_PEOPLE,
        [activity("lunch", min_participants=2, max_participants=4)],
        everyone_yes(TINY_PEOPLE, "lunch"),
    )
    ws = Workspace.open(path)
    ws.save_scenario(build(data), {})
    ws.close()
    yield path


def fixed_schedule(problem: PlanningInput, stopped: bool = False) -> Schedule:
    """A plan the fake solver returns: every activity's first session on the first Monday."""
    s = problem.scenario
    from planner.domain.timeutil import local_instant, zone

    tz = zone(s.team.timezone)
    sessions = []
    for i, a in enumerate(s.activities[:4]):
        start = local_instant(s.team.horizon.start, (10 + 2 * i) * 60, tz)
        people = [p.id for p in s.people if s.answer(p.id, a.id).value == "yes"][:6]
        sessions.append(
            PlannedSession(
                id=f"{a.id}#1",
                activity=a.id,
                start=start,
                end=start + timedelta(minutes=a.duration_minutes),
                attendees=sorted(people),
            )
        )
    return Schedule(
        status=PlanStatus.feasible if stopped else PlanStatus.optimal,
        objective=Objective(value=100, bound=100, gap=0.0),
        solve_seconds=1.5,
        sessions=sessions,
    )


class FakeSolver:
    """Reports progress, then blocks until ``stop()`` (or returns at once when ``block`` is
    false): cancelling is tested without depending on how fast the real engine is."""

    def __init__(self, problem: PlanningInput, block: bool) -> None:
        self.problem = problem
        self.block = block
        self.stopped = threading.Event()

    def solve(self, on_progress: Callable[[SolveProgress], None] | None = None) -> SolveResult:
        if on_progress:
            on_progress(SolveProgress(90, 120, 0.25, 0.5, 1))
        if self.block:
            self.stopped.wait(20)
        stopped = self.stopped.is_set()
        return SolveResult(fixed_schedule(self.problem, stopped), 0.0, 0.0, stopped)

    def stop(self) -> None:
        self.stopped.set()


def fake_factory(block: bool) -> Callable[[PlanningInput, float, int], FakeSolver]:
    return lambda problem, _limit, _workers: FakeSolver(problem, block)


def app_for(path: Path, **kwargs: Any) -> PlannerApp:
    kwargs.setdefault("now", lambda: NOW)
    kwargs.setdefault("out_dir", path.parent / "out")
    return make_app(str(path), **kwargs)
