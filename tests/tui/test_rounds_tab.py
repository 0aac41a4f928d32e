"""The Rounds tab (issue 13 item 5): the round list, people reached per round, the latest
closed round's department heatmap, and closing / opening rounds — from keys and from the
command palette. Pilot tests at 80×24 against real workspaces; assertions on the widgets
and on the workspace."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Sparkline, Static

from planner.rounds import close_round, list_rounds, preview_close
from planner.store import Workspace
from planner.tui.app import PlannerApp, make_app
from planner.tui.screens.dialogs import ConfirmDialog, NewRoundDialog
from planner.tui.widgets.rounds import RoundsView, heatmap_text
from tests.tui.conftest import app_for, fake_factory

SIZE = (80, 24)
AFTER = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
"""After the demo's horizon (2027-03-08 .. 2027-03-19): every session has ended."""
NEXT = "2027-03-22..2027-04-02"


async def wait_for(pilot: Pilot[int], done: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not done():
        if loop.time() > end:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def cells(app: PlannerApp) -> list[list[str]]:
    table = app.query_one("#rounds-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def rounds_app(path: Path, clock: list[datetime], **kwargs: Any) -> PlannerApp:
    return app_for(
        path,
        now=lambda: clock[0],
        solver_factory=fake_factory(block=False),
        check_plans=False,
        **kwargs,
    )


async def publish(pilot: Pilot[int], app: PlannerApp, out: Path) -> None:
    """Solve (the fake engine: 4 sessions of 6 people) and send the invites."""
    await pilot.press("f5")
    await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.plan is not None)
    await pilot.press("7", "w")
    await wait_for(pilot, lambda: bool(list(out.glob("**/*.ics"))))
    await wait_for(pilot, lambda: bool(app.workspace.published_sessions()))


async def test_the_tab_renders_the_demo_round(demo_ws: Path) -> None:
    app = rounds_app(demo_ws, [AFTER])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        await wait_for(pilot, lambda: len(cells(app)) == 1)
        assert cells(app) == [["1", "2027-03-08 .. 2027-03-19", "open", "0", "0"]]
        assert app.focused is app.query_one("#rounds-table", DataTable)
        heat = str(app.query_one("#rounds-heat", Static).render())
        assert "No closed round yet" in heat


async def test_close_confirms_what_it_records_then_the_table_shows_it_closed(
    demo_ws: Path, tmp_path: Path
) -> None:
    clock = [datetime(2027, 2, 1, 9, 0, tzinfo=UTC)]
    app = rounds_app(demo_ws, clock)
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, app, tmp_path / "out")
        clock[0] = AFTER
        expected = preview_close(app.workspace, now=AFTER)
        assert expected.sessions_held == 4 and expected.attended > 0 and expected.pairs > 0
        await pilot.press("8")
        await wait_for(pilot, lambda: len(cells(app)) == 1 and cells(app)[0][2] == "published")
        # Held so far by the app's clock (not the wall clock): all four have ended.
        held = ["1", "2027-03-08 .. 2027-03-19", "published", "4", str(expected.people_reached)]
        assert cells(app)[0] == held
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        details = str(app.screen.query_one("#details", Static).render())
        assert f"{expected.sessions_held} sessions held" in details
        assert f"{expected.attended} attendances" in details
        assert f"{expected.pairs} pairs added to the history" in details
        assert f"{expected.missed_out} people missed out" in details
        assert app.workspace.round_rows()[-1].state == "open"  # nothing recorded yet
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(cells(app)) and cells(app)[0][2] == "closed")
        assert app.workspace.round_rows()[-1].state == "closed"
        row = cells(app)[0]
        assert row[3] == "4"
        assert row[4] == str(expected.people_reached)
        # The heatmap of the closed round: departments and counts, never a name.
        heat = str(app.query_one("#rounds-heat", Static).render())
        assert "round 1" in heat and "Support" in heat
        names = [p.name for p in app.workspace.load_scenario().people]
        assert not any(name in heat for name in names)
        spark = app.query_one("#rounds-spark", Sparkline)
        assert list(spark.data or []) == [float(expected.people_reached)]


async def test_cancel_records_nothing(demo_ws: Path) -> None:
    app = rounds_app(demo_ws, [AFTER])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")
        await pilot.pause()
        assert app.workspace.round_rows()[-1].state == "open"


def _closed(demo_ws: Path) -> None:
    with Workspace.open(demo_ws) as ws:
        close_round(ws, now=AFTER, force=True)


async def test_new_round_opens_round_2(demo_ws: Path) -> None:
    _closed(demo_ws)
    app = rounds_app(demo_ws, [AFTER])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        await wait_for(pilot, lambda: bool(cells(app)) and cells(app)[0][2] == "closed")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRoundDialog))
        field = app.screen.query_one("#horizon", Input)
        assert app.focused is field
        # Suggested: as long as round 1, from the Monday after it ends.
        assert field.value == NEXT
        field.value = ""
        await pilot.press(*NEXT, "enter")
        await wait_for(pilot, lambda: len(cells(app)) == 2)
        assert cells(app)[1] == ["2", "2027-03-22 .. 2027-04-02", "open", "0", "0"]
        assert [r.state for r in list_rounds(app.workspace)] == ["closed", "open"]


async def test_an_invalid_horizon_keeps_the_dialog_open_with_the_error(demo_ws: Path) -> None:
    _closed(demo_ws)
    app = rounds_app(demo_ws, [AFTER])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRoundDialog))
        app.screen.query_one("#horizon", Input).value = ""
        await pilot.press(*"2027-04-10..2027-04-01", "enter")
        await pilot.pause()
        assert isinstance(app.screen, NewRoundDialog)
        error = str(app.screen.query_one("#horizon-error", Static).render())
        assert "2027-04-10..2027-04-01" in error
        assert app.focused is app.screen.query_one("#horizon", Input)
        # Refused by the core (it overlaps round 1): the dialog comes back with the reason,
        # the text and the choice kept.
        field = app.screen.query_one("#horizon", Input)
        field.value = ""
        await pilot.click("#fresh")
        await pilot.click("#horizon")
        await pilot.press(*"2027-03-15..2027-03-26", "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, NewRoundDialog)
                and "2027-03-19" in str(app.screen.query_one("#horizon-error", Static).render())
            ),
        )
        assert app.screen.query_one("#horizon", Input).value == "2027-03-15..2027-03-26"
        assert app.screen.query_one("#fresh", Checkbox).value is True
        assert app.focused is app.screen.query_one("#horizon", Input)
        assert len(app.workspace.round_rows()) == 1


async def test_close_and_new_from_the_command_palette(demo_ws: Path) -> None:
    app = rounds_app(demo_ws, [AFTER])
    async with app.run_test(size=SIZE) as pilot:
        actions = {action for _, _, action in app.palette_commands()}
        assert {"close_round", "new_round", "tab('rounds')"} <= actions
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Close round")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.workspace.round_rows()[-1].state == "closed")
        await app.run_action("new_round")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRoundDialog))
        await pilot.press("enter")  # the suggested horizon
        await wait_for(pilot, lambda: len(app.workspace.round_rows()) == 2)


def test_the_preview_is_what_closing_records(demo_ws: Path) -> None:
    with Workspace.open(demo_ws) as ws:
        before = preview_close(ws, now=AFTER, force=True)
        assert ws.round_rows()[-1].state == "open"
        assert before == close_round(ws, now=AFTER, force=True)


def test_snapshot_after_closing_round_1(
    snap_compare: Any, demo_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tab at 80×24 once round 1 is closed: the table, the sparkline, the heatmap."""
    monkeypatch.chdir(tmp_path)  # the invites go to ./planner-out
    clock = [datetime(2027, 2, 1, 9, 0, tzinfo=UTC)]

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, PlannerApp)
        await publish(pilot, app, tmp_path / "planner-out")
        clock[0] = AFTER
        await pilot.press("8", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(cells(app)) and cells(app)[0][2] == "closed")
        await wait_for(pilot, lambda: "round 1" in str(app.query_one("#rounds-heat").render()))
        app.clear_notifications()
        await pilot.pause()

    app = make_app(
        str(demo_ws),
        now=lambda: clock[0],
        out_dir=Path("planner-out"),
        solver_factory=fake_factory(block=False),
        check_plans=False,
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_a_suppressed_cell_is_drawn_as_fewer_than_k_and_names_are_literal() -> None:
    view = RoundsView(
        heat_round=3,
        departments=("Billing", "[b]Ops[/b]"),
        meetings=((None, 4), (4, 0)),
        min_count=3,
    )
    rows = heatmap_text(view).plain.splitlines()
    assert rows[0].startswith("Meetings between departments, round 3")
    assert rows[2].split() == ["1", "Billing", "<3", "4"]
    assert rows[3].split() == ["2", "[b]Ops[/b]", "4", "·"]
