"""What the app hands down to its panes, and the pane base class.

Attributes down, messages up: the app owns the workspace, loads a :class:`Snapshot` after
every edit and gives it to each pane with :meth:`Pane.show_snapshot`; panes post messages
asking for edits and never touch the workspace or a sibling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from textual.containers import Vertical
from textual.timer import Timer
from textual.widget import Widget

from planner.domain.models import Scenario
from planner.domain.schedule import Schedule


def shorten(name: str, width: int) -> str:
    """``name`` cut to ``width`` characters with an ellipsis (table cells, headers)."""
    return name if len(name) <= width else name[: width - 1] + "…"


@dataclass(frozen=True)
class Snapshot:
    """The workspace as the panes see it after the last edit."""

    scenario: Scenario
    plan: Schedule | None = None
    replies: list[str] = field(default_factory=list)
    location: str = ""
    version: int = 0
    plan_state: str = "none"
    """:data:`planner.tui.state.PlanState`: is the plan still this workspace's plan?"""
    invites: str = "none"
    """:data:`planner.tui.state.InviteState`: are the invites still the plan's?"""


class Pane(Vertical):
    """One tab's content. Only the visible pane renders a new snapshot at once; the others
    render when their tab is shown (first paint of a 2,000-person workspace stays fast)."""

    snapshot: Snapshot | None = None
    _rendered: int = -1
    _filter_timer: Timer | None = None

    HOME: ClassVar[str] = "DataTable"
    """Where focus goes when the tab opens or Escape leaves a box (never a text box)."""

    FILTER_DELAY = 0.12
    """Seconds a filter waits for the next key: typing "anna" refills a 2,000-row table
    once, not four times."""

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self.is_mounted and self._shown():
            self.refresh_if_stale()

    def _shown(self) -> bool:
        parent = self.parent
        return not isinstance(parent, Widget) or parent.display

    def refresh_if_stale(self) -> None:
        if self.snapshot is not None and self._rendered != self.snapshot.version:
            self._rendered = self.snapshot.version
            self.render_snapshot(self.snapshot)

    def on_mount(self) -> None:
        if self._shown():
            self.refresh_if_stale()

    def refill_soon(self, fill: Callable[[], object]) -> None:
        """Run ``fill`` once typing pauses (each call restarts the wait)."""
        self.refill_now()
        self._filter_timer = self.set_timer(self.FILTER_DELAY, fill)

    def refill_now(self) -> None:
        """Cancel a pending :meth:`refill_soon` (the caller fills at once instead)."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None

    def focus_home(self) -> bool:
        """Focus the pane's first useful widget; False when it has none."""
        for widget in self.query(self.HOME):
            if widget.focusable:
                widget.focus()
                return True
        return False

    def render_snapshot(self, snapshot: Snapshot) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
