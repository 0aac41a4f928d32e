"""The Overview tab: the round at a glance (queries in :mod:`planner.overview`)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from planner.domain.words import plural
from planner.overview import build_overview
from planner.tui.text import assemble
from planner.tui.widgets.base import Pane, Snapshot


class OverviewPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="overview-body")

    def render_snapshot(self, snapshot: Snapshot) -> None:
        o = build_overview(snapshot.scenario, snapshot.plan)
        parts: list[str | tuple[str, str]] = [
            (f"{o.team}\n", "bold"),
            f"{o.horizon_start:%a %d %b %Y} – {o.horizon_end:%a %d %b %Y}  ·  {o.timezone}"
            f"  ·  {o.slot_minutes}-minute slots\n\n",
            f"{plural(o.people, 'person')} in {plural(o.departments, 'department')}  ·  "
            f"{plural(o.activities, 'activity')}"
            f"  ·  {plural(o.venues, 'venue')}  ·  {plural(o.queues, 'queue')}\n"
            f"{o.answered:,} of {plural(o.people, 'person')} {'has' if o.people == 1 else 'have'} answered\n\n",
        ]
        if o.warnings:
            parts.append(("Warnings\n", "bold"))
            parts.extend(f"  ⚠ {w}\n" for w in o.warnings)
        else:
            parts.append("✓ No warnings\n")
        parts.append(("\nLast plan: ", "bold"))
        parts.append(f"{o.plan_summary}\n" if o.plan_summary else "none yet — press F5 to solve\n")
        parts.append((f"\nWorkspace: {snapshot.location}\n", "dim"))
        text = assemble(*parts)
        self.query_one("#overview-body", Static).update(text)
