"""Words in the TUI: saved/undone messages name the record, counts are singular for one."""

from __future__ import annotations

from pathlib import Path

from planner.tui.app import PlannerApp
from planner.tui.widgets.plan import status_line
from tests.tui.conftest import app_for


def said(app: PlannerApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_adding_an_activity_and_undoing_it_name_the_activity(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "a", "enter")  # the first template
        await pilot.pause()
        new_id = app.screen.query_one("#toml").text.split('"')[1]  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+z")
        await pilot.pause()
        messages = said(app)
    assert f"Saved activity {new_id}." in messages
    assert f"Undone: add activity {new_id}" in messages
    assert not any("activitie " in m or "Saved add" in m for m in messages)


def test_a_plan_of_one_session_says_so() -> None:
    from datetime import UTC, datetime

    from planner.domain.schedule import Objective, PlannedSession, PlanStatus, Schedule

    start = datetime(2027, 3, 1, 10, tzinfo=UTC)
    plan = Schedule(
        status=PlanStatus.optimal,
        objective=Objective(value=1, bound=1, gap=0.0),
        solve_seconds=1.0,
        sessions=[
            PlannedSession(id="a#1", activity="a", start=start, end=start, attendees=["ann"])
        ],
    )
    line = status_line(plan).plain
    assert "1 session ·" in line and "1 person placed" in line and "0 opt-ins" in line
