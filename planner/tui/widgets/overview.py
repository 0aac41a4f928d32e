"""The Overview tab: the round at a glance (queries in :mod:`planner.overview`)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from planner.overview import build_overview
from planner.tui.widgets.base import Pane, Snapshot


class OverviewPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="overview-body")

    def render_snapshot(self, snapshot: Snapshot) -> None:
        o = build_overview(snapshot.scenario, snapshot.plan)
        text = Text()
        text.append(f"{o.team}\n", style="bold")
        text.append(
            f"{o.horizon_start:%a %d %b %Y} – {o.horizon_end:%a %d %b %Y}  ·  {o.timezone}"
            f"  ·  {o.slot_minutes}-minute slots\n\n"
        )
        text.append(
            f"{o.people} people in {o.departments} departments  ·  {o.activities} activities"
            f"  ·  {o.venues} venues  ·  {o.queues} queues\n"
            f"{o.answered} of {o.people} people have answered\n\n"
        )
        if o.warnings:
            text.append("Warnings\n", style="bold")
            for w in o.warnings:
                text.append(f"  ⚠ {w}\n")
        else:
            text.append("✓ No warnings\n")
        text.append("\nLast plan: ", style="bold")
        text.append(f"{o.plan_summary}\n" if o.plan_summary else "none yet — press F5 to solve\n")
        text.append(f"\nWorkspace: {snapshot.location}\n", style="dim")
        self.query_one("#overview-body", Static).update(text)
