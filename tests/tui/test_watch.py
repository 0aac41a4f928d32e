"""Two organisers on one workspace (issue 16): the TUI of organiser Ana shows what Bea
changed, reloads when the workspace moves under it, and asks before an edit of hers meets
one of Bea's. Bea is a second ``Workspace`` handle on the same SQLite file (or PostgreSQL
database); who is who comes from ``PLANNER_ORGANISER``, as for a real organiser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from planner.domain.models import Answer, Person
from planner.store import Workspace
from planner.tui.app import PlannerApp, make_app
from planner.tui.screens.forms import PersonForm
from planner.tui.watch import ChangedBy, StaleDialog, ago
from tests.tui.conftest import NOW, fake_factory

SIZE = (100, 30)


@pytest.fixture
def as_organiser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """``as_organiser("Bea")`` makes the changes that follow Bea's."""

    def become(name: str) -> None:
        monkeypatch.setenv("PLANNER_ORGANISER", name)

    become("Ana")
    yield become


@pytest.fixture
def as_bea(as_organiser: Callable[[str], None]) -> Callable[..., None]:
    """``as_bea(target, change)``: Bea makes ``change`` on her own handle; Ana again after."""

    def edit(target: str, change: Callable[[Workspace], object]) -> None:
        as_organiser("Bea")
        try:
            with Workspace.open(target) as bea:
                change(bea)
        finally:
            as_organiser("Ana")

    return edit


def _app(target: str, tmp_path: Path) -> PlannerApp:
    return make_app(
        target, now=lambda: NOW, out_dir=tmp_path / "out", solver_factory=fake_factory(False)
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tiny_ws: Path) -> str:
    """The tiny workspace (ann, bob, cat, dan; everyone yes to lunch) on either engine."""
    if request.param == "sqlite":
        return str(tiny_ws)
    return _on_postgresql(tiny_ws, request.getfixturevalue("pg_url"))


def _on_postgresql(tiny_ws: Path, url: str) -> str:
    with Workspace.open(tiny_ws) as src, Workspace.open(url) as dst:
        dst.save_scenario(src.load_scenario(), {})
    return url


def line(app: PlannerApp) -> str:
    widget = app.query_one(ChangedBy)
    return str(widget.render()) if widget.display else ""


def answer(target: str, person: str) -> Answer:
    with Workspace.open(target) as ws:
        return ws.load_scenario().answer(person, "lunch")


async def _poll(app: PlannerApp, pilot: Pilot[int]) -> None:
    app.poll_workspace()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _cell(app: PlannerApp) -> str:
    table = app.query_one("#answers-table", DataTable)
    return str(table.get_cell_at(table.cursor_coordinate))


def test_ago_words() -> None:
    assert ago(NOW, NOW + timedelta(seconds=59)) == "just now"
    assert ago(NOW, NOW - timedelta(seconds=5)) == "just now"  # their clock a little ahead
    assert ago(NOW, NOW + timedelta(minutes=2, seconds=30)) == "2 min ago"
    assert ago(NOW, NOW + timedelta(hours=3, minutes=59)) == "3 h ago"
    assert ago(NOW, NOW + timedelta(days=1, hours=2)) == "1 day ago"
    assert ago(NOW, NOW + timedelta(days=4)) == "4 days ago"


async def test_another_organisers_change_reloads_keeps_the_cursor_and_says_who(
    shared: str, tmp_path: Path, as_organiser: Callable[[str], None]
) -> None:
    become = as_organiser
    app = _app(shared, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "down")  # bob's lunch (row 2 of ann, bob, cat, dan)
        await pilot.pause()
        assert _cell(app) == "yes" and line(app) == ""
        become("Bea")
        with Workspace.open(shared) as bea:
            bea.set_answer("bob", "lunch", Answer.maybe)
            bea.delete_record("people", "ann")  # bob moves up a row
        become("Ana")
        await _poll(app, pilot)
        table = app.query_one("#answers-table", DataTable)
        assert table.row_count == 3 and table.cursor_coordinate.row == 0  # still bob
        assert _cell(app) == "maybe"
        assert line(app) == "Bob's answer to Lunch: changed by Bea just now"
        app.watcher.clock = lambda: datetime.now(UTC) + timedelta(minutes=2, seconds=5)
        await _poll(app, pilot)  # nothing moved: no reload, the time is said again
        assert line(app) == "Bob's answer to Lunch: changed by Bea 2 min ago"
        await pilot.press("down")  # cat's lunch: nobody else changed it
        await pilot.pause()
        assert line(app) == ""
        await pilot.press("up", "y")  # Ana's own edit: the line goes
        await pilot.pause()
        assert line(app) == ""
        assert not isinstance(app.screen, StaleDialog)  # she had read Bea's change
    assert answer(shared, "bob") is Answer.yes


@pytest.mark.parametrize("choice", ["theirs", "mine", "cancel"])
async def test_an_answer_edit_from_a_stale_read_asks_with_both_values(
    tiny_ws: Path,
    tmp_path: Path,
    as_bea: Callable[..., None],
    choice: str,
) -> None:
    target = str(tiny_ws)
    app = _app(target, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "down")  # bob's lunch, "yes" as Ana read it
        await pilot.pause()
        as_bea(target, lambda bea: bea.set_answer("bob", "lunch", Answer.no))
        await pilot.press("m")  # before her TUI polled: an edit from a stale read
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, StaleDialog)
        assert dialog.label == "Bob's answer to Lunch"
        assert dialog.lines == ["Theirs (by Bea, just now): no", "Yours: maybe"]
        assert answer(target, "bob") is Answer.no  # nothing overwritten while asking
        await pilot.click(f"#{choice}")
        await pilot.pause()
        assert not isinstance(app.screen, StaleDialog)
        if choice == "mine":
            assert answer(target, "bob") is Answer.maybe and _cell(app) == "maybe"
            assert line(app) == ""  # the last change is Ana's now
            await pilot.press("ctrl+z")  # undo takes hers back: Bea's stands again
            await pilot.pause()
            assert answer(target, "bob") is Answer.no and _cell(app) == "no"
        else:
            assert answer(target, "bob") is Answer.no and _cell(app) == "no"
            assert line(app) == "Bob's answer to Lunch: changed by Bea just now"
            await pilot.press("m")  # she has seen Bea's now: a plain edit, no question
            await pilot.pause()
            assert not isinstance(app.screen, StaleDialog)
            assert answer(target, "bob") is Answer.maybe


async def test_use_mine_on_postgresql_then_undo(
    tiny_ws: Path,
    pg_url: str,
    tmp_path: Path,
    as_bea: Callable[..., None],
) -> None:
    shared = _on_postgresql(tiny_ws, pg_url)
    app = _app(shared, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "down")
        await pilot.pause()
        as_bea(shared, lambda bea: bea.set_answer("bob", "lunch", None))
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, StaleDialog)
        assert app.screen.lines == ["Theirs (by Bea, just now): blank", "Yours: maybe"]
        await pilot.click("#mine")
        await pilot.pause()
        assert answer(shared, "bob") is Answer.maybe
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert answer(shared, "bob") is Answer.no  # blank: Bea's clearing stands again


@pytest.mark.parametrize("choice", ["theirs", "mine", "cancel"])
async def test_a_person_form_saved_over_a_newer_change_asks_first(
    tiny_ws: Path, tmp_path: Path, as_organiser: Callable[[str], None], choice: str
) -> None:
    become = as_organiser
    target = str(tiny_ws)
    app = _app(target, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "down", "e")  # Ana opens bob's form
        await pilot.pause()
        assert isinstance(app.screen, PersonForm)
        become("Bea")
        with Workspace.open(target) as bea:
            bob = bea.load_scenario().person("bob")
            bea.put_record(
                "people", bob.model_copy(update={"department": "Sales"}), replacing="bob"
            )
        become("Ana")
        await _poll(app, pilot)  # her table reloads; her open form keeps what she read
        name = app.screen.query_one("#f-name", Input)
        name.value = "Bobby"
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, StaleDialog)
        assert dialog.lines == [
            "Theirs (by Bea, just now):",
            "  name: Bob",
            "  department: Sales",
            "Yours:",
            "  name: Bobby",
            "  department: Billing",
        ]
        await pilot.click(f"#{choice}")
        await pilot.pause()
        with Workspace.open(target) as ws:
            stored: Person = ws.load_scenario().person("bob")
        if choice == "mine":
            assert (stored.name, stored.department) == ("Bobby", "Billing")
        else:
            assert (stored.name, stored.department) == ("Bob", "Sales")
        if choice == "cancel":  # back in her form, her values kept; now it saves
            assert isinstance(app.screen, PersonForm)
            assert app.screen.query_one("#f-name", Input).value == "Bobby"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not isinstance(app.screen, StaleDialog | PersonForm)
            with Workspace.open(target) as ws:
                assert ws.load_scenario().person("bob").name == "Bobby"
        else:
            assert not isinstance(app.screen, StaleDialog | PersonForm)


async def test_the_apps_own_writes_never_reload_only_anothers_do(
    tiny_ws: Path, tmp_path: Path, as_organiser: Callable[[str], None]
) -> None:
    """A solve saves its plan without a reload (the app hands the plan over itself); the
    poll must not take that write for someone else's and throw the snapshot away."""
    app = _app(str(tiny_ws), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        for _ in range(200):
            await pilot.pause(0.05)
            if app.snapshot is not None and app.snapshot.plan is not None:
                break
        assert app.snapshot is not None and app.snapshot.plan is not None
        shown = app.snapshot
        await _poll(app, pilot)
        assert app.snapshot is shown  # the plan's save was the app's own
        as_organiser("Bea")
        with Workspace.open(tiny_ws) as bea:
            bea.set_answer("dan", "lunch", Answer.maybe)
        await _poll(app, pilot)
        assert app.snapshot is not shown
        assert app.snapshot.scenario.answer("dan", "lunch") is Answer.maybe


async def test_a_toml_edit_of_an_activity_or_the_policy_meets_a_newer_change(
    tiny_ws: Path, tmp_path: Path, as_organiser: Callable[[str], None]
) -> None:
    from textual.widgets import TextArea

    from planner.tui.screens.forms import RecordEditor

    target = str(tiny_ws)
    app = _app(target, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "e")  # Ana opens lunch as TOML
        await pilot.pause()
        assert isinstance(app.screen, RecordEditor)
        as_organiser("Bea")
        with Workspace.open(target) as bea:
            lunch = bea.load_scenario().activity("lunch")
            bea.put_record(
                "activities", lunch.model_copy(update={"name": "Team lunch"}), replacing="lunch"
            )
        as_organiser("Ana")
        area = app.screen.query_one("#toml", TextArea)
        area.text = area.text.replace("max_participants = 4", "max_participants = 3")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, StaleDialog)
        assert app.screen.lines == [
            "Theirs (by Bea, just now):",
            "  name: Team lunch",
            "  max_participants: 4",
            "  sessions: (not set)",  # the editor's text spells out the default
            "Yours:",
            "  name: Lunch",
            "  max_participants: 3",
            "  sessions: 1",
        ]
        await pilot.click("#theirs")
        await pilot.pause()
        with Workspace.open(target) as ws:
            stored = ws.load_scenario().activity("lunch")
        assert (stored.name, stored.max_participants) == ("Team lunch", 4)

        await pilot.press("5")  # Rules: the team is the first row, the policy the second
        await pilot.pause()
        await pilot.press("down", "e")
        await pilot.pause()
        assert isinstance(app.screen, RecordEditor)
        as_organiser("Bea")
        with Workspace.open(target) as bea:
            policy = bea.load_scenario().policy
            bea.put_document("policy", policy.model_copy(update={"max_events_per_day": 2}))
        as_organiser("Ana")
        await pilot.press("ctrl+s")  # unchanged text, but read before Bea's edit
        await pilot.pause()
        assert isinstance(app.screen, StaleDialog)
        assert app.screen.label == "The policy"
        await pilot.click("#mine")
        await pilot.pause()
        with Workspace.open(target) as ws:
            assert ws.load_scenario().policy.max_events_per_day == 1


async def test_removing_a_person_another_organiser_just_changed_asks_first(
    tiny_ws: Path, tmp_path: Path, as_organiser: Callable[[str], None]
) -> None:
    target = str(tiny_ws)
    app = _app(target, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "down", "d")  # Ana asks to remove bob
        await pilot.pause()
        as_organiser("Bea")
        with Workspace.open(target) as bea:
            bob = bea.load_scenario().person("bob")
            bea.put_record("people", bob.model_copy(update={"name": "Bob B."}), replacing="bob")
        as_organiser("Ana")
        await pilot.click("#confirm")
        await pilot.pause()
        assert isinstance(app.screen, StaleDialog)
        assert app.screen.label == "Bob"  # as she read it
        assert app.screen.lines == ["Theirs (by Bea, just now): changed it", "Yours: remove it"]
        await pilot.click("#theirs")
        await pilot.pause()
        with Workspace.open(target) as ws:
            assert ws.load_scenario().person("bob").name == "Bob B."
        await pilot.press("d")  # she has seen it now: removed without a question
        await pilot.pause()
        await pilot.click("#confirm")
        await pilot.pause()
        assert not isinstance(app.screen, StaleDialog)
        with Workspace.open(target) as ws:
            assert "bob" not in {p.id for p in ws.load_scenario().people}


async def test_undo_leaves_another_organisers_later_change_and_says_why(
    tiny_ws: Path, tmp_path: Path, as_bea: Callable[..., None]
) -> None:
    target = str(tiny_ws)
    app = _app(target, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "down", "m")  # Ana: bob's lunch yes -> maybe
        await pilot.pause()
        # Bea, after her, the same answer
        as_bea(target, lambda bea: bea.set_answer("bob", "lunch", Answer.no))
        await _poll(app, pilot)
        await pilot.press("ctrl+z")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(
            "cannot undo 'answer bob/lunch': Bea changed the same data" in m for m in messages
        )
        assert answer(target, "bob") is Answer.no and _cell(app) == "no"  # Bea's stands


async def test_two_tuis_editing_one_answer_never_lose_an_edit(
    shared: str, tmp_path: Path, as_organiser: Callable[[str], None]
) -> None:
    become = as_organiser
    become("Ana")
    ana = _app(shared, tmp_path / "ana")
    become("Bea")
    bea = _app(shared, tmp_path / "bea")
    async with ana.run_test(size=(100, 30)) as pa, bea.run_test(size=(100, 30)) as pb:
        become("Ana")
        await pa.press("4", "down")  # both on bob's lunch ("yes")
        become("Bea")
        await pb.press("4", "down")
        await pb.press("n")  # Bea first: no
        await pb.pause()
        assert answer(shared, "bob") is Answer.no
        become("Ana")
        await pa.press("m")  # Ana from her older read: asked, nothing overwritten
        await pa.pause()
        assert isinstance(ana.screen, StaleDialog)
        assert ana.screen.lines == ["Theirs (by Bea, just now): no", "Yours: maybe"]
        assert answer(shared, "bob") is Answer.no
        await pa.click("#mine")
        await pa.pause()
        assert answer(shared, "bob") is Answer.maybe
        become("Bea")
        await _poll(bea, pb)  # Bea's TUI reloads and says who changed it
        assert _cell(bea) == "maybe"
        assert line(bea) == "Bob's answer to Lunch: changed by Ana just now"
