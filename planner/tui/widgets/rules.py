"""The Rules tab: team, policy (with protected windows), queues and their floors, venues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from planner.domain.models import Scenario
from planner.tui.screens.forms import to_toml
from planner.tui.text import literal, notify, one_line
from planner.tui.widgets.base import Pane, Snapshot

RuleKind = Literal["team", "policy", "queues", "venues"]


def rule_rows(scenario: Scenario) -> list[tuple[RuleKind, str, str, str]]:
    """(kind, id, label, summary) for every rule-like record."""
    p = scenario.policy
    members: dict[str, int] = {}
    for person in scenario.people:
        for q in person.queues:
            members[q] = members.get(q, 0) + 1
    minutes = f", ≤{p.max_minutes_per_week} min/week" if p.max_minutes_per_week else ""
    rows: list[tuple[RuleKind, str, str, str]] = [
        ("team", "team", "Team", f"{scenario.team.name}, {scenario.team.timezone}"),
        (
            "policy",
            "policy",
            "Policy",
            f"≤{p.max_events_per_week}/week, ≤{p.max_events_per_day}/day{minutes}, "
            f"{len(p.protected)} protected windows",
        ),
    ]
    rows += [
        ("queues", q.id, f"Queue {q.name}", f"floor {q.min_on_duty} of {members.get(q.id, 0)}")
        for q in scenario.queues
    ]
    rows += [
        (
            "venues",
            v.id,
            f"Venue {v.name}",
            f"{v.capacity} places" + (f", {', '.join(v.provides)}" if v.provides else ""),
        )
        for v in scenario.venues
    ]
    return rows


def rule_data(scenario: Scenario, kind: RuleKind, record_id: str) -> dict[str, object]:
    if kind == "team":
        return scenario.team.model_dump(mode="json")
    if kind == "policy":
        return scenario.policy.model_dump(mode="json", exclude_none=True)
    records = scenario.queues if kind == "queues" else scenario.venues
    record = next(r for r in records if r.id == record_id)
    return record.model_dump(mode="json", exclude_none=True)


class RulesPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", tooltip="Edit the selected rule as TOML.", id="rules-edit"),
        Binding(
            "q", "add('queues')", "Add queue", tooltip="Add a staffed queue.", id="rules-add-queue"
        ),
        Binding("v", "add('venues')", "Add venue", tooltip="Add a venue.", id="rules-add-venue"),
        Binding(
            "d",
            "remove",
            "Remove",
            tooltip="Remove the selected queue or venue.",
            id="rules-remove",
        ),
    ]

    @dataclass
    class EditRequested(Message):
        kind: RuleKind
        record_id: str

    @dataclass
    class AddRequested(Message):
        kind: Literal["queues", "venues"]

    @dataclass
    class RemoveRequested(Message):
        kind: Literal["queues", "venues"]
        record_id: str

    def compose(self) -> ComposeResult:
        with Horizontal(classes="split"):
            yield DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(classes="detail"):
                yield Static(id="rule-detail")

    def on_mount(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        table.add_column("Rule", key="rule")
        table.add_column("Summary", key="summary")
        self._rows: list[tuple[RuleKind, str, str, str]] = []
        super().on_mount()

    def render_snapshot(self, snapshot: Snapshot) -> None:
        table = self.query_one("#rules-table", DataTable)
        row = table.cursor_row
        self._rows = rule_rows(snapshot.scenario)
        table.clear()
        for _kind, _rid, label, summary in self._rows:
            table.add_row(one_line(label), one_line(summary))
        if self._rows:
            table.move_cursor(row=min(row, len(self._rows) - 1), animate=False)
        self._describe()

    def selected(self) -> tuple[RuleKind, str] | None:
        table = self.query_one("#rules-table", DataTable)
        if not self._rows or not (0 <= table.cursor_row < len(self._rows)):
            return None
        kind, rid, _, _ = self._rows[table.cursor_row]
        return kind, rid

    def _describe(self) -> None:
        sel = self.selected()
        detail = self.query_one("#rule-detail", Static)
        if sel is None or self.snapshot is None:
            detail.update("")
            return
        detail.update(literal(to_toml(rule_data(self.snapshot.scenario, *sel))))

    @on(DataTable.RowHighlighted, "#rules-table")
    def _highlighted(self) -> None:
        self._describe()

    @on(DataTable.RowSelected, "#rules-table")
    def _selected(self) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        sel = self.selected()
        if sel:
            self.post_message(self.EditRequested(*sel))

    def action_add(self, kind: Literal["queues", "venues"]) -> None:
        self.post_message(self.AddRequested(kind))

    def action_remove(self) -> None:
        sel = self.selected()
        if sel is None:
            return
        kind, rid = sel
        if kind in ("queues", "venues"):
            self.post_message(self.RemoveRequested(kind, rid))  # type: ignore[arg-type]
        else:
            notify(self, "The team and the policy cannot be removed; edit them instead.")
