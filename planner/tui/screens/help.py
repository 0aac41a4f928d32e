"""The help screen (``?``): every key binding of the app, where it works and what it does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, Static

from planner.tui.screens.dialogs import CANCEL
from planner.tui.text import literal, one_line


def binding_rows(
    sections: Sequence[tuple[str, Sequence[BindingType]]],
) -> list[tuple[str, str, str, str]]:
    """(where, key, description, tooltip) for every :class:`Binding` in ``sections``."""
    rows: list[tuple[str, str, str, str]] = []
    for where, bindings in sections:
        for b in bindings:
            if not isinstance(b, Binding):
                continue
            key = b.key_display or b.key
            rows.append((where, key, b.description, b.tooltip))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists the bindings handed to it (the app collects them from its panes)."""

    BINDINGS: ClassVar[list[BindingType]] = [CANCEL]
    AUTO_FOCUS = "#keys"

    def __init__(self, rows: list[tuple[str, str, str, str]], intro: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.intro = intro

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide help"):
            yield Label("Keys", classes="dialog-title")
            if self.intro:
                yield Static(literal(self.intro), classes="hint")
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_columns("Where", "Key", "Does", "Details")
        for row in self.rows:
            # Keys may come from PLANNER_KEYMAP: literal like every other text.
            table.add_row(*(one_line(cell) for cell in row))
        table.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
