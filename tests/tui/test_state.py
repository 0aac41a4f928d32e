"""Out-of-date badges, the re-export summary and the readable invite preview (issue 14)."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from planner.domain.models import Answer
from planner.tui.app import PlannerApp
from planner.tui.widgets.export import ExportPane
from tests.tui.conftest import app_for, fake_factory
from tests.tui.test_flows import wait_for

SIZE = (120, 40)


def text_of(app: PlannerApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def solve(pilot: Pilot[int], app: PlannerApp) -> None:
    before = app._plan_id
    await pilot.press("f5")
    await wait_for(
        pilot, lambda: app._plan_id != before and not app.query_one("#plan-pane").solving
    )  # type: ignore[attr-defined]
    await pilot.pause()


async def export(pilot: Pilot[int], app: PlannerApp) -> tuple[str, ...]:
    pane = app.query_one(ExportPane)
    pane.report = ()
    await pilot.press("7", "w")
    await wait_for(pilot, lambda: bool(pane.report))
    await pilot.pause()
    return pane.report


async def plan_status(pilot: Pilot[int], app: PlannerApp) -> str:
    """The Plan tab's status line as it shows (a hidden tab renders when shown)."""
    await pilot.press("6")
    await pilot.pause()
    return text_of(app, "#plan-status")


async def test_edits_and_undo_mark_the_plan_and_invites(demo_ws: Path) -> None:
    app = app_for(demo_ws, solver_factory=fake_factory(block=False), check_plans=False)
    async with app.run_test(size=SIZE) as pilot:
        await solve(pilot, app)
        assert "OUT OF DATE" not in text_of(app, "#plan-status")
        report = await export(pilot, app)
        assert report[0].startswith("Invites: ") and "new invites" in report[0]
        assert "Invites up to date with the plan." in text_of(app, "#export-state")
        # An edit: the plan and, through it, the invites are out of date.
        assert app.snapshot is not None
        attendee = app.snapshot.plan.sessions[0].attendees[0]  # type: ignore[union-attr]
        await pilot.press("2")
        await pilot.pause()
        pane = app.query_one("#people-pane")
        table = pane.query_one("#people-table")
        table.move_cursor(row=pane._ids.index(attendee))  # type: ignore[attr-defined]
        await pilot.press("d", "enter")
        await pilot.pause()
        assert "OUT OF DATE" in await plan_status(pilot, app)
        await pilot.press("7")
        await pilot.pause()
        assert "plan is OUT OF DATE" in text_of(app, "#export-state")
        # Undo: the workspace is what the plan was made from again.
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "OUT OF DATE" not in await plan_status(pilot, app)
        await pilot.press("7")
        await pilot.pause()
        assert "Invites up to date" in text_of(app, "#export-state")
        # An answer changed on the Answers tab marks it too.
        await pilot.press("4", "x")
        await pilot.pause()
        assert "OUT OF DATE" in await plan_status(pilot, app)


async def test_a_re_export_says_who_gets_an_update_or_a_cancellation(demo_ws: Path) -> None:
    app = app_for(demo_ws, solver_factory=fake_factory(block=False), check_plans=False)
    async with app.run_test(size=SIZE) as pilot:
        await solve(pilot, app)
        await export(pilot, app)
        assert app.snapshot is not None and app.snapshot.plan is not None
        first = app.snapshot.plan.sessions[0]
        gone = first.attendees[0]
        name = app.snapshot.scenario.person(gone).name
        app.workspace.set_answer(gone, first.activity, Answer.no)  # they change their mind
        app.reload()
        await solve(pilot, app)  # the fake plan takes the next person in
        await pilot.press("7")
        await pilot.pause()
        assert "Invites OUT OF DATE" in text_of(app, "#export-state")
        report = await export(pilot, app)
        summary = report[0]
        assert "1 new invite, 1 cancellation, " in summary, summary
        assert summary.endswith(" unchanged: not written"), summary
        assert any(line.startswith("cancellations: ") and name in line for line in report), report
        assert "Invites up to date" in text_of(app, "#export-state")


async def test_the_invite_preview_reads_like_an_invite_with_the_raw_text_one_key_away(
    demo_ws: Path,
) -> None:
    app = app_for(demo_ws, solver_factory=fake_factory(block=False), check_plans=False)
    async with app.run_test(size=SIZE) as pilot:
        await solve(pilot, app)
        await export(pilot, app)
        pane = app.query_one(ExportPane)
        invite = next(p for p in pane.files if p.parent.name == "invites")
        pane._preview(invite)
        await pilot.pause()
        shown = text_of(app, "#export-preview")
        assert shown.startswith("Invitation for ")
        assert "when: " in shown and "BEGIN:V" not in shown
        assert app.snapshot is not None
        assert any(a.name in shown for a in app.snapshot.scenario.activities)
        assert "\nlisted: " in shown
        await pilot.press("r")
        await pilot.pause()
        assert text_of(app, "#export-preview").startswith("BEGIN:VCALENDAR")


async def test_solving_names_its_phases_and_honours_the_time_limit(demo_ws: Path) -> None:
    from textual.message import Message

    from planner.tui.app import SolvePhase
    from planner.tui.widgets.plan import PHASES, PlanPane

    limits: list[float] = []

    def factory(problem, limit, workers):  # type: ignore[no-untyped-def]
        limits.append(limit)
        return fake_factory(block=False)(problem, limit, workers)

    messages: list[Message] = []
    app = app_for(demo_ws, solver_factory=factory, check_plans=False, time_limit=4.0)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await solve(pilot, app)
        pane = app.query_one(PlanPane)
        pane.solving = True
        pane.progress = None
        pane.phase = "checking"
        await pilot.pause()
        assert text_of(app, "#plan-progress-text") == PHASES["checking"]
        pane.solving = False
    phases = list(dict.fromkeys(m.phase for m in messages if isinstance(m, SolvePhase)))
    assert phases == ["building", "searching", "checking", "saving"]
    assert limits == [4.0]
