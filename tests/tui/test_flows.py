"""Pilot tests of the organiser's flows: assert on the messages and on the workspace."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input

from planner.domain.models import Answer
from planner.respond import Limits, build_response, load_poll, write_response
from planner.store import Workspace
from planner.tui.app import SolveFinished, SolveProgressed
from planner.tui.screens.forms import PersonForm, RecordEditor
from planner.tui.screens.help import HelpScreen
from planner.tui.widgets.answers import AnswersPane
from planner.tui.widgets.export import ExportPane
from planner.tui.widgets.people import PeoplePane
from planner.tui.widgets.plan import PlanPane
from tests.tui.conftest import app_for, fake_factory

SIZE = (100, 30)


async def wait_for(pilot: Pilot[int], done: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not done():
        if loop.time() > end:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def of(messages: list[Message], kind: type[Message]) -> list[Message]:
    """Messages of one kind, each once (the hook sees a bubbling message at every node)."""
    seen: dict[int, Message] = {}
    for m in messages:
        if isinstance(m, kind):
            seen.setdefault(id(m), m)
    return list(seen.values())


async def fill(pilot: Pilot[int], values: dict[str, str]) -> None:
    screen = pilot.app.screen
    for name, value in values.items():
        screen.query_one(f"#f-{name}", Input).value = value
    await pilot.pause()


async def test_add_person_through_the_form(demo_ws: Path) -> None:
    messages: list[Message] = []
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2", "a")
        assert isinstance(app.screen, PersonForm)
        await fill(
            pilot,
            {
                "id": "zed-new",
                "name": "Zed New",
                "email": "not-an-email",
                "department": "Support",
                "max_events_per_week": "-",
            },
        )
        await pilot.press("ctrl+s")
        # The form stays open and says what is wrong next to each field.
        assert isinstance(app.screen, PersonForm)
        assert "not an email" in str(app.screen.query_one("#e-email").render())
        assert "valid integer" in str(app.screen.query_one("#e-max_events_per_week").render())
        await fill(
            pilot,
            {"email": "zed@example.com", "queues": "no-such-queue", "max_events_per_week": "1"},
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The workspace refuses an unknown queue: the form comes back with the error there.
        assert isinstance(app.screen, PersonForm)
        assert "unknown queue" in str(app.screen.query_one("#e-queues").render())
        # An id someone already has is refused, not a silent replacement of that person.
        await fill(pilot, {"queues": "phone", "id": "erik-nilsson"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PersonForm)
        assert "already taken" in str(app.screen.query_one("#e-id").render())
        await fill(pilot, {"id": "zed-new"})
        app.screen.query_one("#f-show_in_attendee_lists", Checkbox).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, PersonForm)
    assert of(messages, PeoplePane.AddRequested)
    with Workspace.open(demo_ws) as ws:
        added = ws.load_scenario().person("zed-new")
        assert added.queues == ["phone"] and added.show_in_attendee_lists
        assert added.max_events_per_week == 1
        assert ws.last_edit() == "add person zed-new"
        assert ws.load_scenario().person("erik-nilsson").name != "Zed New"


async def test_search_filters_people_and_remove_undo(demo_ws: Path) -> None:
    messages: list[Message] = []
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2", "slash", *"erik", "enter")
        pane = app.query_one(PeoplePane)
        assert pane.selected_id() == "erik-nilsson"
        await pilot.press("d")
        await pilot.click("#confirm")
        await pilot.pause()
        with Workspace.open(demo_ws) as ws:
            assert "erik-nilsson" not in {p.id for p in ws.load_scenario().people}
        await pilot.press("ctrl+z")
        await pilot.pause()
    assert of(messages, PeoplePane.RemoveRequested)
    with Workspace.open(demo_ws) as ws:
        assert "erik-nilsson" in {p.id for p in ws.load_scenario().people}


async def test_answer_cycles_and_is_saved_at_once(demo_ws: Path) -> None:
    messages: list[Message] = []
    app = app_for(demo_ws)
    with Workspace.open(demo_ws) as ws:
        before = ws.load_scenario()
    first = before.people[0].id
    activity = before.activities[0].id
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("4", "y")
        with Workspace.open(demo_ws) as ws:
            assert ws.load_scenario().answer(first, activity) is Answer.yes
        await pilot.press("up", "space")  # yes -> maybe
        with Workspace.open(demo_ws) as ws:
            assert ws.load_scenario().answer(first, activity) is Answer.maybe
        await pilot.press("ctrl+z")
        await pilot.pause()
    changes = of(messages, AnswersPane.AnswerChanged)
    assert [(m.person_id, m.answer) for m in changes] == [  # type: ignore[attr-defined]
        (first, Answer.yes),
        (first, Answer.maybe),
    ]
    with Workspace.open(demo_ws) as ws:
        assert ws.load_scenario().answer(first, activity) is Answer.yes


@pytest.mark.parametrize("no_answers_yet", [False, True])
async def test_a_refused_answer_reverts_its_cell(
    demo_ws: Path, monkeypatch: pytest.MonkeyPatch, no_answers_yet: bool
) -> None:
    from planner.domain.errors import WorkspaceBusy
    from planner.tui.widgets.answers import cell

    if no_answers_yet:  # the first row's person has given no answer at all
        with Workspace.open(demo_ws) as ws:
            scenario = ws.load_scenario()
            for a in scenario.activities:
                ws.set_answer(scenario.people[0].id, a.id, None)
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.pause()
        table = app.query_one("#answers-table", DataTable)
        shown = str(table.get_cell_at(table.cursor_coordinate))

        calls: list[tuple[object, ...]] = []

        def busy(*args: object, **_kwargs: object) -> None:
            calls.append(args)
            raise WorkspaceBusy("workspace busy, try again")

        monkeypatch.setattr(app.workspace, "set_answer", busy)
        await pilot.press("y" if shown == str(cell(None)) else "x")  # a change either way
        await pilot.pause()
        assert calls  # the change was asked for, and refused
        assert str(table.get_cell_at(table.cursor_coordinate)) == shown


async def test_solve_with_the_engine(tiny_ws: Path) -> None:
    pytest.importorskip("planner.solve")
    messages: list[Message] = []
    app = app_for(tiny_ws, time_limit=3.0, workers=1)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: bool(of(messages, SolveFinished)))
        await pilot.pause()
        status = str(app.query_one("#plan-status").render())
    finished = of(messages, SolveFinished)[0]
    assert finished.schedule.status.value in {"optimal", "feasible"}  # type: ignore[attr-defined]
    assert finished.schedule.sessions  # type: ignore[attr-defined]
    assert finished.schedule.status.value.upper() in status  # type: ignore[attr-defined]
    with Workspace.open(tiny_ws) as ws:
        plan = ws.latest_plan()
    assert plan is not None and plan.sessions


async def test_cancel_keeps_the_best_plan(demo_ws: Path) -> None:
    messages: list[Message] = []
    app = app_for(demo_ws, solver_factory=fake_factory(block=True), check_plans=False)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("6", "s")
        await wait_for(pilot, lambda: bool(of(messages, SolveProgressed)))
        assert app.query_one(PlanPane).solving
        # The UI stays live while the solver runs.
        await pilot.press("v")
        await pilot.press("x")
        await wait_for(pilot, lambda: bool(of(messages, SolveFinished)))
        await pilot.pause()
        assert not app.query_one(PlanPane).solving
    assert of(messages, PlanPane.SolveRequested) and of(messages, PlanPane.CancelRequested)
    finished = of(messages, SolveFinished)[0]
    assert finished.stopped  # type: ignore[attr-defined]
    with Workspace.open(demo_ws) as ws:
        plan = ws.latest_plan()
    assert plan is not None and plan.status.value == "feasible"


async def test_person_view_explains(demo_ws: Path) -> None:
    pytest.importorskip("planner.solve.explain")
    app = app_for(demo_ws, solver_factory=fake_factory(block=False), check_plans=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        pane = app.query_one(PlanPane)
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.plan is not None)
        await pilot.press("p")
        await pilot.press(*"anna", "enter")
        await wait_for(pilot, lambda: pane.explanation is not None)
        assert pane.explanation is not None
        assert pane.explanation[0] == "anna-lindqvist"
        assert "Anna Lindqvist" in str(pane.explanation[1])


async def test_export_poll_and_import_a_response(demo_ws: Path, tmp_path: Path) -> None:
    messages: list[Message] = []
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("7", "o")
        await pilot.pause()
        polls = tmp_path / "out" / "polls"
        poll_path = polls / "poll-ali-haddad.toml"
        assert poll_path.exists()
        assert stat.S_IMODE(poll_path.stat().st_mode) == 0o600
        with Workspace.open(demo_ws) as ws:
            people = [p.id for p in ws.load_scenario().people]
        # One poll per person, listed in the pane.
        assert sorted(p.name for p in polls.iterdir()) == sorted(f"poll-{p}.toml" for p in people)
        assert len(app.query_one(ExportPane).files) == len(people)
        poll = load_poll(poll_path)
        assert poll.person == "ali-haddad"
        response = build_response(
            poll,
            {"quiz": "yes", "walk": "no"},
            Limits(max_events_per_week=1, share_reasons=True),
            [],
        )
        path = write_response(response, tmp_path)
        await pilot.press("i")
        app.screen.query_one("#path", Input).value = str(path)
        await pilot.press("enter")
        await pilot.pause()
    with Workspace.open(demo_ws) as ws:
        s = ws.load_scenario()
        ali = s.person("ali-haddad")
        assert s.answer("ali-haddad", "quiz") is Answer.yes
        assert s.answer("ali-haddad", "walk") is Answer.no
        assert ali.max_events_per_week == 1 and ali.share_reasons
        assert ws.last_edit() == "import response ali-haddad"


async def test_export_invites(demo_ws: Path, tmp_path: Path) -> None:
    pytest.importorskip("planner.calendar.publish")
    app = app_for(demo_ws, solver_factory=fake_factory(block=False), check_plans=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.plan is not None)
        await pilot.press("7", "w")
        await wait_for(pilot, lambda: bool(list((tmp_path / "out").glob("**/*.ics"))))
        # A re-plan that holds nothing still goes out: it cancels what was sent (as the CLI).
        with Workspace.open(demo_ws) as ws:
            sent = ws.latest_plan()
            assert sent is not None and sent.sessions
            ws.save_plan(sent.model_copy(update={"sessions": []}))
        await pilot.press("w")
        await wait_for(pilot, lambda: bool(list((tmp_path / "out").glob("**/*-cancel.ics"))))


async def test_edit_policy_as_toml(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "down", "e")
        assert isinstance(app.screen, RecordEditor)
        area = app.screen.query_one("#toml")
        area.text = area.text.replace("max_events_per_week = 2", "max_events_per_week = 1")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
    with Workspace.open(demo_ws) as ws:
        assert ws.load_scenario().policy.max_events_per_week == 1


async def test_help_lists_every_binding_and_palette_offers_actions(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
        await pilot.press("escape")
        titles = {title for title, _, _ in app.palette_commands()}
    assert {"Solve", "Export invites", "Import…", "Add person", "Undo"} <= titles
    keys = {(where, key) for where, key, _, _ in rows}
    assert ("App", "ctrl+z") in keys and ("Answers", "space") in keys
    for section, bindings in app.help_sections():
        for b in bindings:
            assert b.tooltip, f"{section}: {b.key} has no tooltip"  # type: ignore[union-attr]
            if section != "App" or b.key != "ctrl+p":  # type: ignore[union-attr]
                assert b.id, f"{section}: {b.key} has no id"  # type: ignore[union-attr]


def test_typed_paths_are_split_like_a_shell() -> None:
    from planner.tui.screens.dialogs import split_paths

    assert split_paths('"My Calendar.ics" b.ics') == [Path("My Calendar.ics"), Path("b.ics")]
    assert split_paths(r"My\ Calendar.ics") == [Path("My Calendar.ics")]
    with pytest.raises(ValueError, match="cannot read the paths"):
        split_paths('"unclosed.ics')
    with pytest.raises(ValueError, match="cannot read the paths"):
        split_paths("~no-such-user-here/calendar.ics")
