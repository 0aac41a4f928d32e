"""The TUI's solve goes through the same memory budget as ``validate`` and ``solve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner.domain import budget
from planner.tui.widgets.plan import PlanPane
from tests.tui.conftest import app_for, fake_factory
from tests.tui.test_flows import SIZE, wait_for


async def test_solve_over_the_budget_is_refused_before_the_solver_starts(
    demo_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget, "MEMORY_BUDGET", 1024**2)  # the demo team needs ~0.25 GB
    started: list[Any] = []
    factory = fake_factory(block=False)

    def recording(*args: Any) -> Any:
        started.append(args)
        return factory(*args)

    app = app_for(demo_ws, solver_factory=recording, check_plans=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(
            pilot, lambda: any("too large to plan" in n.message for n in app._notifications)
        )
        await pilot.pause()
        assert not app.query_one(PlanPane).solving
        (note,) = [n for n in app._notifications if "too large to plan" in n.message]
    assert started == []
    assert note.severity == "error"
    assert note.message.startswith(f"{demo_ws}: team.horizon: too large to plan: ")
