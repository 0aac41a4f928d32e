"""The Plan tab's "What would it take?" view (issue 19), driven with the Textual pilot.

The workspace is built so that one limit binds: four people want lunch, the lunch seats
three. The view must list that limit first with its exact gain, show the sessions that
change in counts only, apply it as an ordinary undoable edit after asking, and never show
a person's own boundary or anything of their reasons.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import ProgressBar

from planner.store import Workspace
from planner.tui.screens.dialogs import ConfirmDialog
from planner.tui.widgets.price import PriceView
from tests.factories import activity, build, person, scenario_data
from tests.tui.conftest import NOW, app_for, fake_factory

SIZE = (120, 40)
ONE_WEEK = {"horizon": {"start": "2027-03-01", "end": "2027-03-05"}}


def _people() -> list[dict[str, Any]]:
    return [
        person("ann"),
        person("bob", "Billing"),
        person("cat"),
        # Planted: her own boundaries (time off, a busy block, a `no`) hold nothing back
        # the organiser may negotiate, and none of it may be shown.
        person(
            "zed-marker",
            "Billing",
            name="Zed Plantedname",
            time_off=[{"start": "2027-03-01", "end": "2027-03-01"}],
            busy=[{"start": "2027-03-02T09:00", "end": "2027-03-02T10:00"}],
        ),
    ]


@pytest.fixture
def lunch_ws(tmp_path: Path) -> Iterator[Path]:
    people = _people()
    prefs: dict[str, dict[str, str]] = {p["id"]: {"lunch": "yes"} for p in people}
    prefs["ann"]["coffee"] = prefs["bob"]["coffee"] = "maybe"
    prefs["zed-marker"]["coffee"] = "no"
    data = scenario_data(
        people,
        [
            # The binding limit: four want lunch, it seats three.
            activity("lunch", min_participants=2, max_participants=3),
            activity("coffee", name="Billing coffee", min_participants=2, max_participants=4),
        ],
        prefs,
        team=ONE_WEEK,
    )
    path = tmp_path / "lunch.db"
    ws = Workspace.open(path)
    ws.save_scenario(build(data), {})
    ws.close()
    yield path


async def wait_for(pilot: Pilot[int], done: Callable[[], bool], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not done():
        if loop.time() > end:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def _lunch_max(path: Path) -> int:
    with Workspace.open(path) as ws:
        return next(a.max_participants for a in ws.load_scenario().activities if a.id == "lunch")


def _app(path: Path) -> Any:
    return app_for(path, solver_factory=fake_factory(block=False), check_plans=False, time_limit=20)


async def _priced(pilot: Pilot[int], app: Any) -> PriceView:
    await pilot.press("6", "w")
    view = app.query_one(PriceView)
    await wait_for(pilot, lambda: view.report is not None)
    await pilot.pause()
    return view


def _screen_text(app: Any) -> str:
    svg = app.export_screenshot()
    return re.sub(r"<[^>]+>", "", svg).replace("&#160;", " ")


async def test_lists_the_binding_limit_first_with_the_session_changes(lunch_ws: Path) -> None:
    app = _app(lunch_ws)
    async with app.run_test(size=SIZE) as pilot:
        view = await _priced(pilot, app)
        assert app.focused is view.query_one("#price-table")  # focus on open
        first = view._rows[0]
        assert first.relaxation.id == "activity:lunch:max"
        assert (first.status, first.people_gain, first.yes_gain, first.proven) == (
            "gain",
            1,
            1,
            True,
        )
        assert [p.status for p in view._rows[1:]].count("gain") == 0
        text = view.text()
        assert "Lunch, most participants: 3 → 4" in text
        assert re.search(r"\+ Lunch \w{3} \d\d:\d\d: 1 more", text), text
        assert "unchanged: Billing coffee" in text
        assert view.query_one(ProgressBar).percentage == 1


async def test_apply_asks_then_edits_the_rule_and_u_undoes_it(lunch_ws: Path) -> None:
    app = _app(lunch_ws)
    async with app.run_test(size=SIZE) as pilot:
        await _priced(pilot, app)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert _lunch_max(lunch_ws) == 3  # never automatic: it asks first
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await pilot.pause()
        assert _lunch_max(lunch_ws) == 4
        assert app.snapshot.scenario.activities[0].max_participants == 4
        await pilot.press("u")
        await pilot.pause()
        assert _lunch_max(lunch_ws) == 3
        assert app.snapshot.scenario.activities[0].max_participants == 3


async def test_cancelled_apply_changes_nothing(lunch_ws: Path) -> None:
    app = _app(lunch_ws)
    async with app.run_test(size=SIZE) as pilot:
        await _priced(pilot, app)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert _lunch_max(lunch_ws) == 3


async def test_no_personal_boundary_or_reason_on_screen(lunch_ws: Path) -> None:
    app = _app(lunch_ws)
    async with app.run_test(size=SIZE) as pilot:
        view = await _priced(pilot, app)
        for row in range(len(view._rows)):
            view.query_one("#price-table").move_cursor(row=row)
            await pilot.pause()
            text = (_screen_text(app) + view.text()).lower()
            for marker in (
                "planted",
                "zed",
                "marker",
                "time off",
                "time_off",
                "busy",
                "working hours",
                "unavailable",
            ):
                assert marker not in text, marker
        assert "personal availability" in view.text().lower()


async def test_the_palette_opens_it(lunch_ws: Path) -> None:
    app = _app(lunch_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"What would it take")
        await pilot.pause(0.5)
        await pilot.press("enter")
        view = app.query_one(PriceView)
        await wait_for(pilot, lambda: view.report is not None)
        assert view._rows[0].relaxation.id == "activity:lunch:max"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare: Any, lunch_ws: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("6", "w")
        view = pilot.app.query_one(PriceView)
        await wait_for(pilot, lambda: view.report is not None)
        # The seconds it took vary from run to run: pinned for the picture.
        view._status(view.query_one("#price-status").render().plain.rsplit("·", 1)[0] + "· 1 s")
        await pilot.pause()

    app = app_for(
        lunch_ws,
        now=lambda: NOW,
        out_dir=Path("planner-out"),
        solver_factory=fake_factory(block=False),
        check_plans=False,
        time_limit=20,
        workers=1,  # one CP-SAT worker: the same optimal plan, so the same picture, each run
    )
    assert snap_compare(app, terminal_size=size, run_before=run_before)
