"""A whole programme, two rounds long, through the organiser's TUI (issue 13, Tests): import →
poll → responses → solve (the real engine) → send invites → an RSVP decline → close (the
confirmation shows what it records) → new round → solve again.

The participants' side is the core (``planner respond``'s functions: each writes their own
response file); everything the organiser does goes through keys and dialogs of the pilot.
Reuses the CLI lifecycle's people, coffee pairing and reply builder
(tests/integration/test_cli_rounds.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import tomli_w
from textual.widgets import Input, Static

from planner.respond import Limits, build_response, load_poll, write_response
from planner.store import Workspace
from planner.tui.app import PlannerApp
from planner.tui.screens.dialogs import ConfirmDialog, NewRoundDialog, PathPrompt
from tests.factories import scenario_data
from tests.integration.test_cli_rounds import CLOSE1, COFFEE, NOW1, NOW2, PEOPLE, ROUND2, _decline
from tests.tui.conftest import app_for
from tests.tui.test_rounds_tab import cells, wait_for

SIZE = (100, 30)


async def _import(pilot: object, app: PlannerApp, *paths: Path) -> None:
    """The import dialog (i on the Export tab), every path in one go."""
    await pilot.press("7", "i")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))  # type: ignore[arg-type]
    app.screen.query_one("#path", Input).value = " ".join(map(str, paths))
    await pilot.press("enter")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: not isinstance(app.screen, PathPrompt))  # type: ignore[arg-type]


async def _solve(pilot: object, app: PlannerApp) -> list[frozenset[str]]:
    """F5 with the real engine; the round has no plan before (a new round starts without)."""
    assert app.workspace.latest_plan() is None
    await pilot.press("f5")  # type: ignore[attr-defined]
    await wait_for(
        pilot,  # type: ignore[arg-type]
        lambda: (
            app.workspace.latest_plan() is not None
            and app.snapshot is not None
            and app.snapshot.plan is not None
        ),
        timeout=60,
    )
    plan = app.workspace.latest_plan()
    assert plan is not None
    return [frozenset(s.attendees) for s in plan.sessions]


async def test_two_rounds_through_the_tui(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(tomli_w.dumps(scenario_data(PEOPLE, [COFFEE], {})))
    db = tmp_path / "ws.db"
    Workspace.open(db).close()  # an empty workspace: the app starts at its welcome
    clock = [datetime.fromisoformat(NOW1)]
    out = tmp_path / "out"
    app = app_for(db, now=lambda: clock[0], time_limit=5.0, workers=1, out_dir=out)
    async with app.run_test(size=SIZE) as pilot:
        # Import the scenario from the welcome screen.
        await wait_for(pilot, lambda: app.screen.query("#import").first() is not None)
        await pilot.click("#import")
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        app.screen.query_one("#path", Input).value = str(scenario)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.workspace.has_scenario())

        # Poll out (o on the Export tab), answers back through the import dialog.
        await pilot.press("7", "o")
        polls = out / "polls"
        await wait_for(pilot, lambda: len(list(polls.glob("poll-*.toml"))) == len(PEOPLE))
        answers = tmp_path / "answers"
        answers.mkdir()
        files = [
            write_response(
                build_response(load_poll(polls / f"poll-{p['id']}.toml"), {"coffee": "yes"},
                               Limits(), []),
                answers,
            )
            for p in PEOPLE
        ]  # fmt: skip
        await _import(pilot, app, *files)
        await wait_for(
            pilot,
            lambda: all(
                app.workspace.load_scenario().answer(p["id"], "coffee") == "yes" for p in PEOPLE
            ),
        )

        # Solve, send the invites.
        groups = await _solve(pilot, app)
        assert len(groups) == 2 and all(len(g) == 2 for g in groups)
        await pilot.press("7", "w")
        await wait_for(pilot, lambda: bool(app.workspace.published_sessions()))
        unplaced = {p["id"] for p in PEOPLE} - set().union(*groups)
        decliner, partner = sorted(min(groups, key=sorted))
        met = next(g for g in groups if decliner not in g)

        # One decline comes back.
        reply = _decline(
            out / "invites" / f"{decliner}.ics", f"{decliner}@example.com", tmp_path / "no.ics"
        )
        await _import(pilot, app, reply)
        await wait_for(pilot, lambda: any(p == decliner for p, _ in app.workspace.declined()))

        # Close: the confirmation says what it will record; nothing before the go-ahead.
        clock[0] = datetime.fromisoformat(CLOSE1)
        await pilot.press("8")
        await wait_for(pilot, lambda: bool(cells(app)) and cells(app)[0][2] == "published")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        details = str(app.screen.query_one("#details", Static).render())
        assert "2 sessions held" in details
        assert "3 attendances (3 people reached)" in details  # the decliner did not attend
        assert "1 pair added to the history" in details
        assert f"{1 + len(unplaced)} people missed out" in details
        assert app.workspace.round_rows()[-1].state == "open"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.workspace.round_rows()[-1].state == "closed")
        data = app.workspace.round_rows()[-1].data
        assert data is not None
        assert [frozenset(p) for p in data["pairs"]] == [met]  # not the decliner's pair
        assert set(data["missed_out"]) == {decliner, *unplaced}
        assert partner in {p for s in data["sessions"] for p in s["attended"]}
        await wait_for(pilot, lambda: bool(cells(app)) and cells(app)[0][2] == "closed")

        # Round 2: the dialog, the horizon typed, standing answers kept.
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRoundDialog))
        app.screen.query_one("#horizon", Input).value = ""
        await pilot.press(*ROUND2, "enter")
        await wait_for(pilot, lambda: len(app.workspace.round_rows()) == 2)
        await wait_for(pilot, lambda: len(cells(app)) == 2)
        assert cells(app)[1][:3] == ["2", "2027-03-15 .. 2027-03-26", "open"]

        clock[0] = datetime.fromisoformat(NOW2)
        # What the F5 below plans with: round 1's pair to avoid, its missed_out first.
        history = app.workspace.planning_input(clock[0]).scenario.history
        assert [frozenset(p) for p in history.pairs] == [met]
        assert set(history.missed_out) == {decliner, *unplaced}
        groups2 = await _solve(pilot, app)
        placed2 = set().union(*groups2)
        assert {decliner, *unplaced} <= placed2  # missed out in round 1: first in round 2
        assert met not in groups2  # round-2 groups avoid round 1's pair
