"""Small modal dialogs: confirm, ask for a path, pick one of several items, show text.

Each returns its answer through ``dismiss`` (the caller passes a callback to
``push_screen``); none touches the workspace.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from planner.tui.text import literal

CANCEL = Binding(
    "escape", "cancel", "Cancel", tooltip="Close without changing anything.", id="dialog-cancel"
)


class ConfirmDialog(ModalScreen[bool]):
    """Yes/no question; ``True`` when confirmed."""

    BINDINGS: ClassVar[list[BindingType]] = [CANCEL]
    AUTO_FOCUS = "#confirm"  # every removal is undoable (ctrl+z): Enter confirms

    def __init__(self, question: str, confirm: str = "Remove", details: Sequence[str] = ()) -> None:
        super().__init__()
        self.question = question
        self.confirm = confirm
        self.details = list(details)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.question), classes="dialog-title")
            if self.details:
                yield Static(literal("\n".join(self.details)), classes="hint", id="details")
            with Horizontal(classes="buttons"):
                yield Button(self.confirm, variant="error", id="confirm")
                yield Button("Cancel", id="cancel")
        yield Footer()

    @on(Button.Pressed, "#confirm")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


def split_paths(text: str) -> list[Path]:
    """Paths typed on one line, as a shell reads them: ``"My Calendar.ics" b.ics`` is two.

    Raises ``ValueError`` with a short reason (an unclosed quote, ``~nobody/x``).
    """
    try:
        return [Path(w).expanduser() for w in shlex.split(text)]
    except (ValueError, RuntimeError) as exc:  # RuntimeError: an unknown ~user
        raise ValueError(f"cannot read the paths: {exc}") from None


class PathPrompt(ModalScreen[list[Path] | None]):
    """Ask for one or more file paths (separated by spaces); checks that they exist."""

    BINDINGS: ClassVar[list[BindingType]] = [CANCEL]
    AUTO_FOCUS = "#path"

    def __init__(self, title: str, hint: str) -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.title_text), classes="dialog-title")
            yield Static(literal(self.hint), classes="hint")
            yield Input(placeholder="path/to/file", id="path")
            yield Static("", classes="error", id="path-error")
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")
        yield Footer()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        error = self.query_one("#path-error", Static)
        try:
            paths = split_paths(self.query_one("#path", Input).value)
        except ValueError as exc:
            error.update(literal(exc))
            return
        if not paths:
            error.update(literal("give a path"))
            return
        # os.path.exists is False on any OSError (a name too long, a directory not ours).
        missing = [str(p) for p in paths if not os.path.exists(p)]
        if missing:
            error.update(literal(f"no such file: {', '.join(missing)}"))
            return
        self.dismiss(paths)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(ModalScreen[str | None]):
    """Pick one item (id, label, description); the description of the highlighted item shows
    beside the list. The filter box has focus: typing filters, Up/Down move through the
    list, Enter picks the highlighted item (the first one, before any move)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        CANCEL,
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("enter", "pick", "Pick", tooltip="Pick the highlighted item.", id="pick"),
    ]
    AUTO_FOCUS = "#filter"

    def __init__(self, title: str, items: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.items = list(items)
        self._descriptions = {i: d for i, _, d in self.items}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(literal(self.title_text), classes="dialog-title")
            yield Input(placeholder="type to filter", id="filter")
            with Horizontal(classes="pick"):
                yield OptionList(
                    *[Option(literal(label), id=i) for i, label, _ in self.items], id="options"
                )
                with VerticalScroll(classes="pick-description"):
                    yield Static("", id="description")
        yield Footer()

    def on_mount(self) -> None:
        self._highlight_first()

    def _highlight_first(self) -> None:
        options = self.query_one("#options", OptionList)
        if options.option_count:
            options.highlighted = 0
            option_id = options.get_option_at_index(0).id
            if option_id:
                self._describe(option_id)
        else:
            self._describe("")

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        needle = event.value.lower()
        options = self.query_one("#options", OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(literal(label), id=i)
                for i, label, desc in self.items
                if needle in f"{i} {label} {desc}".lower()
            ]
        )
        # The description follows the list: never an item the filter hid.
        self._highlight_first()

    @on(Input.Submitted, "#filter")
    def action_pick(self) -> None:
        options = self.query_one("#options", OptionList)
        if options.option_count:
            option = options.get_option_at_index(options.highlighted or 0)
            self.dismiss(option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one("#options", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._describe(event.option.id)

    def _describe(self, item_id: str) -> None:
        self.query_one("#description", Static).update(literal(self._descriptions.get(item_id, "")))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NewRoundDialog(ModalScreen[tuple[str, bool] | None]):
    """Ask for the next round's horizon ``START..END`` and whether to start from fresh
    answers; returns (horizon text, fresh). The horizon is checked here with the core's
    parser; a refusal from opening the round comes back as ``error`` (focus on the field)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        CANCEL,
        Binding("ctrl+s", "ok", "Open", tooltip="Open the next round.", id="round-open"),
    ]
    AUTO_FOCUS = "#horizon"

    def __init__(self, number: int, value: str = "", fresh: bool = False, error: str = "") -> None:
        super().__init__()
        self.number = number
        self.value = value
        self.fresh = fresh
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(f"Open round {self.number}"), classes="dialog-title")
            yield Static(
                literal(
                    "The horizon as START..END (ISO dates, inclusive), after the last round "
                    "ends. People, activities, venues and policy are kept."
                ),
                classes="hint",
            )
            yield Input(value=self.value, placeholder="2027-04-05..2027-04-16", id="horizon")
            yield Static(literal(self.error), classes="field-error", id="horizon-error")
            yield Checkbox(
                "Fresh answers (everyone answers the poll again)", self.fresh, id="fresh"
            )
            with Horizontal(classes="buttons"):
                yield Button("Open round", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")
        yield Footer()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def action_ok(self) -> None:
        from planner.domain.errors import InputError
        from planner.rounds import parse_horizon

        field = self.query_one("#horizon", Input)
        try:
            parse_horizon(field.value)
        except InputError as exc:
            self.query_one("#horizon-error", Static).update(
                literal("; ".join(p.message for p in exc.problems))
            )
            field.focus()
            return
        self.dismiss((field.value.strip(), self.query_one("#fresh", Checkbox).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
