"""Preview of the busy blocks a calendar file yields, before they are kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from planner.domain.planning import Interval
from planner.domain.words import plural
from planner.tui.screens.dialogs import CANCEL
from planner.tui.text import literal
from planner.tui.widgets.week_grid import GridItem, WeekGrid


class BusyPreview(ModalScreen[bool]):
    """Shows ``blocks`` on a week grid; ``True`` when the organiser keeps them."""

    BINDINGS: ClassVar[list[BindingType]] = [CANCEL]
    AUTO_FOCUS = "#preview-grid"  # [ and ] page through the weeks

    def __init__(
        self,
        title: str,
        blocks: Sequence[Interval],
        tz: ZoneInfo,
        days: tuple[date, date],
        *,
        keep: str = "Keep",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.blocks = list(blocks)
        self.tz = tz
        self.days = days
        self.keep = keep

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(literal(self.title_text), classes="dialog-title")
            yield Static(
                literal(
                    f"{plural(len(self.blocks), 'busy block')} (start and end only; titles are never read)"
                ),
                classes="hint",
            )
            yield WeekGrid(self.tz, empty="no busy blocks in the horizon", id="preview-grid")
            with Horizontal(classes="buttons"):
                yield Button(self.keep, variant="primary", id="keep")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        grid = self.query_one(WeekGrid)
        grid.show([GridItem(s, e, "busy") for s, e in self.blocks], self.tz, self.days)

    @on(Button.Pressed, "#keep")
    def _keep(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
