"""The palette's "Why is … not placed" and "Explain session …" (issue 14)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual.pilot import Pilot

from planner.domain.schedule import NotHeld
from planner.solve.explain import annotate
from planner.tui.widgets.plan import PlanPane
from tests.tui.conftest import app_for, fake_factory

SIZE = (120, 40)


async def wait_for(pilot: Pilot[int], done: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not done():
        if loop.time() > end:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


async def test_palette_explains_a_person_and_a_session_not_held(demo_ws: Path) -> None:
    app = app_for(demo_ws, solver_factory=fake_factory(block=False), check_plans=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.plan is not None)
        assert app.snapshot is not None and app.snapshot.plan is not None
        scenario = app.snapshot.scenario
        problem = app.workspace.planning_input(app.now())
        last = scenario.activities[-1]
        plan = app.snapshot.plan.model_copy(
            update={
                "sessions": [s for s in app.snapshot.plan.sessions if s.activity != last.id],
                "not_held": [NotHeld(activity=last.id, session=1)],
            }
        )
        plan = annotate(problem, plan)
        app.snapshot = replace(app.snapshot, plan=plan)
        pane = app.query_one(PlanPane)

        await pilot.press("ctrl+p")
        await pilot.press(*"Explain session")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.explanation is not None)
        assert pane.explanation is not None
        text = str(pane.explanation[1])
        assert text.startswith(f"{last.name}") and "not held" in text
        assert f"{last.id}#" not in text

        (first, *_) = plan.unplaced
        name = scenario.person(first.person).name
        pane.explanation = None
        await pilot.press("ctrl+p")
        await pilot.press(*f"Why is {name}")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.explanation is not None)
        assert pane.explanation is not None and pane.explanation[0] == first.person
        assert name in str(pane.explanation[1])
