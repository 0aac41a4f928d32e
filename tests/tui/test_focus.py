"""The focus model (:mod:`planner.tui.focus`), typed fast at 80x24: each rule once."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Static, TabbedContent, Tabs, TextArea

from planner.store import Workspace
from planner.tui.app import PlannerApp
from planner.tui.respond import make_respond_app
from planner.tui.screens.dialogs import ConfirmDialog, PathPrompt, PickDialog
from planner.tui.screens.forms import PersonForm, RecordEditor
from planner.tui.screens.help import HelpScreen
from tests.tui.conftest import app_for
from tests.tui.test_respond_app import make_poll

SIZE = (80, 24)
NAMES = {" ": "space", "@": "at", ".": "full_stop", "-": "minus", ",": "comma"}


def typed(text: str) -> list[str]:
    """The key names that type ``text``."""
    return [NAMES.get(c, c) for c in text]


def focused_id(app: PlannerApp) -> str | None:
    return app.focused.id if app.focused is not None else None


async def test_a_whole_person_form_typed_in_one_go_lands_field_by_field(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(
            "2",
            "a",
            *typed("zoe-a"),
            "tab",
            *typed("Zoe Andersson"),
            "tab",
            *typed("zoe@example.com"),
            "tab",
            *typed("Sales"),
            "tab",
            *typed("phone"),
            "enter",  # Enter submits, like ctrl+s
        )
        await pilot.pause()
        assert not isinstance(app.screen, PersonForm)
    with Workspace.open(demo_ws) as ws:
        zoe = ws.load_scenario().person("zoe-a")
    assert (zoe.name, zoe.email, zoe.department, zoe.queues) == (
        "Zoe Andersson",
        "zoe@example.com",
        "Sales",
        ["phone"],
    )


async def test_a_refused_form_comes_back_focused_on_the_refused_field(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(
            "2", "a", *typed("zed"), "tab", *typed("Zed"), "tab", *typed("nope"), "enter"
        )
        await pilot.pause()
        assert isinstance(app.screen, PersonForm)
        assert focused_id(app) == "f-email"
        # The workspace's refusal (an unknown queue) re-opens the form: focus on that field.
        app.screen.query_one("#f-email", Input).value = "zed@example.com"
        app.screen.query_one("#f-department", Input).value = "Sales"
        app.screen.query_one("#f-queues", Input).value = "no-such-queue"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PersonForm)
        assert focused_id(app) == "f-queues"
        await pilot.press(*typed("x"))
        assert app.screen.query_one("#f-queues", Input).value == "no-such-queuex"


@pytest.mark.parametrize(
    ("keys", "screen", "widget"),
    [
        (("2", "a"), PersonForm, "f-id"),
        (("2", "e"), PersonForm, "f-name"),  # the id is read-only when editing
        (("2", "i"), PathPrompt, "path"),
        (("2", "d"), ConfirmDialog, "confirm"),
        (("3", "a"), PickDialog, "filter"),
        (("3", "e"), RecordEditor, "toml"),
        (("5", "e"), RecordEditor, "toml"),
        (("question_mark",), HelpScreen, "keys"),
    ],
)
async def test_every_dialog_opens_with_its_first_useful_widget_focused(
    demo_ws: Path, keys: tuple[str, ...], screen: type, widget: str
) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        assert isinstance(app.screen, screen)
        assert focused_id(app) == widget


async def test_the_first_keys_typed_into_the_toml_editor_are_kept(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "e", *typed("# hi"))
        await pilot.pause()
        assert app.screen.query_one("#toml", TextArea).text.startswith("# hi")


async def test_each_tab_opens_on_its_table_not_a_box(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        for key, widget in [
            ("2", "people-table"),
            ("3", "activities-table"),
            ("4", "answers-table"),
            ("5", "rules-table"),
            ("6", "sessions-table"),
            ("7", "export-files"),
        ]:
            await pilot.press(key)
            await pilot.pause()
            assert focused_id(app) == widget, key
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.focused, Tabs)  # the overview has nothing to focus


async def test_escape_backs_out_one_level_and_keeps_the_filter(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "slash", *typed("kowal"), "escape", "4")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "answers"
        assert app.query_one("#people-search", Input).value == "kowal"
        await pilot.press("escape")  # the table -> the tab bar
        assert isinstance(app.focused, Tabs)
        await pilot.press("down")  # and back into the tab
        await pilot.pause()
        assert focused_id(app) == "answers-table"
        # The time limit box: Enter and Escape both leave it, so a digit switches tabs again.
        await pilot.press("6", "tab", "tab", "tab")
        await pilot.pause()
        app.query_one("#time-limit", Input).focus()
        await pilot.pause()
        await pilot.press("backspace", "backspace", *typed("30"), "enter", "3")
        await pilot.pause()
        assert app.query_one("#time-limit", Input).value == "30"
        assert app.query_one(TabbedContent).active == "activities"


async def test_tab_moves_within_the_shown_tab_never_onto_the_tab_bar(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "slash", *typed("anna"))
        seen: list[Widget | None] = []
        for _ in range(6):
            await pilot.press("tab")
            await pilot.pause()
            seen.append(app.focused)
        assert not any(isinstance(w, Tabs) for w in seen)
        assert app.query_one(TabbedContent).active == "people"
        await pilot.press("right")  # on a table or a select: never a tab switch
        assert app.query_one(TabbedContent).active == "people"


async def test_app_keys_stay_off_under_a_dialog(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "d", "enter")  # remove someone: one edit to undo
        await pilot.pause()
        with Workspace.open(demo_ws) as ws:
            people = len(ws.load_scenario().people)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#f-after_hours", Checkbox).focus()
        await pilot.pause()
        await pilot.press("4", "ctrl+z", "f5")
        await pilot.pause()
        assert isinstance(app.screen, PersonForm)
        assert app.query_one(TabbedContent).active == "people"
        with Workspace.open(demo_ws) as ws:
            assert len(ws.load_scenario().people) == people  # not undone beneath the form
        # The dialog's footer shows the dialog's keys, not the People tab's.
        keys = {b.binding.action for b in app.screen.active_bindings.values()}
        assert {"save", "cancel"} <= keys
        assert not keys & {"add", "edit", "undo", "solve"}
        await pilot.press("escape", "ctrl+z")  # back on the main screen, ctrl+z undoes
        await pilot.pause()
        with Workspace.open(demo_ws) as ws:
            assert len(ws.load_scenario().people) == people + 1


async def test_the_catalogue_picks_on_enter_and_describes_only_what_is_shown(
    demo_ws: Path,
) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PickDialog)
        first_id = dialog.items[0][0]
        description = dialog.query_one("#description", Static)
        assert str(description.render()).strip()
        await pilot.press(*typed("zzzz-nothing"))
        await pilot.pause()
        assert str(description.render()).strip() == ""  # not the hidden item's text
        for _ in range(len("zzzz-nothing")):
            await pilot.press("backspace")
        await pilot.press("down", "up", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordEditor)
        assert f'template = "{first_id}"' in app.screen.query_one("#toml", TextArea).text


async def test_form_boxes_stand_out_in_both_themes(demo_ws: Path) -> None:
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.press("2", "a")
            await pilot.pause()
            box = app.screen.query_one("#f-email", Input)
            around, inside = box.background_colors
            # Delta E-ish: the old $boost tint differed by about 1 grey level.
            gap = sum(abs(a - b) for a, b in zip(around.rgb, inside.rgb, strict=True))
            assert gap >= 40, (theme, around, inside)
            assert box.styles.border_left[0] != "", theme
            await pilot.press("escape")
            await pilot.pause()


async def test_respond_keeps_digits_for_tabs_and_boxes_for_typing(
    demo_ws: Path, tmp_path: Path
) -> None:
    app = make_respond_app(make_poll(demo_ws, tmp_path), None, [], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is not None and app.focused.id == "r-table"
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.focused, Tabs)  # not a box: the next digit still switches
        await pilot.press("tab", *typed("3"), "escape", "1")
        await pilot.pause()
        assert app.query_one("#r-events", Input).value == "3"
        assert app.query_one(TabbedContent).active == "r-activities"
        assert app.focused is not None and app.focused.id == "r-table"
        assert isinstance(app.query_one("#r-person"), Static)  # the id is not editable
