"""A checkbox that shows its state as a symbol (✓ or blank), not only as a colour."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class Tick(Checkbox):
    """Textual's Checkbox draws an ``X`` in both states and tells them apart by colour;
    this one draws ``✓`` when on and a space when off, so it reads in any theme."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return super()._button
