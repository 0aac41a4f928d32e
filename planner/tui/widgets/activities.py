"""The Activities tab: the round's activities with search and descriptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from planner.domain.models import Activity
from planner.overview import answer_totals
from planner.tui.text import assemble, one_line
from planner.tui.widgets.base import Pane, Snapshot


def describe(a: Activity) -> Text:
    parts: list[str | tuple[str, str]] = [
        (a.name, "bold"),
        f"  ({a.id})\n",
        f"{a.category.value} · {a.kind.value} · {a.duration_minutes} min · "
        f"{a.sessions} session{'s' if a.sessions != 1 else ''} · "
        f"{a.min_participants}–{a.max_participants} people\n",
    ]
    where = a.location or (", ".join(a.venues) if a.venues else ("online" if a.virtual else ""))
    if where:
        parts.append(f"where: {where}\n")
    if a.provides:
        parts.append(f"provides: {', '.join(a.provides)}\n")
    if a.required:
        parts.append(f"facilitators: {', '.join(a.required)}\n")
    if a.after_hours:
        parts.append("may be after working hours\n")
    parts.append(f"\n{a.description}\n" if a.description else "\n(no description)\n")
    return assemble(*parts)


class ActivitiesPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a",
            "add",
            "Add",
            tooltip="Add an activity from the catalogue of templates.",
            id="activities-add",
        ),
        Binding("e", "edit", "Edit", tooltip="Edit the selected activity.", id="activities-edit"),
        Binding(
            "d", "remove", "Remove", tooltip="Remove the selected activity.", id="activities-remove"
        ),
        Binding("slash", "search", "Search", tooltip="Search activities.", id="activities-search"),
    ]

    @dataclass
    class AddRequested(Message):
        pass

    @dataclass
    class EditRequested(Message):
        activity_id: str

    @dataclass
    class RemoveRequested(Message):
        activity_id: str

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ search activities", id="activities-search", compact=True)
        with Horizontal(classes="split"):
            yield DataTable(id="activities-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(classes="detail"):
                yield Static(id="activity-detail")

    def on_mount(self) -> None:
        table = self.query_one("#activities-table", DataTable)
        table.add_column("Activity", key="name")
        table.add_column("Min", key="min")
        table.add_column("Yes+?", key="optin")
        self._ids: list[str] = []
        super().on_mount()

    def render_snapshot(self, snapshot: Snapshot) -> None:
        self._fill()

    def _fill(self) -> None:
        if self.snapshot is None:
            return
        scenario = self.snapshot.scenario
        totals = answer_totals(scenario)
        needle = self.query_one("#activities-search", Input).value.lower()
        shown = [
            a
            for a in scenario.activities
            if not needle or needle in f"{a.id} {a.name} {a.description} {a.category}".lower()
        ]
        table = self.query_one("#activities-table", DataTable)
        selected = self.selected_id()
        table.clear()
        for a in shown:
            t = totals[a.id]
            table.add_row(
                one_line(a.name), str(a.duration_minutes), one_line(f"{t.yes}+{t.maybe}?")
            )
        self._ids = [a.id for a in shown]
        if selected in self._ids:
            table.move_cursor(row=self._ids.index(selected), animate=False)
        self._describe()

    def selected_id(self) -> str | None:
        table = self.query_one("#activities-table", DataTable)
        if not self._ids or not (0 <= table.cursor_row < len(self._ids)):
            return None
        return self._ids[table.cursor_row]

    def _describe(self) -> None:
        detail = self.query_one("#activity-detail", Static)
        aid = self.selected_id()
        if aid is None or self.snapshot is None:
            detail.update("no activity selected")
            return
        detail.update(describe(self.snapshot.scenario.activity(aid)))

    @on(DataTable.RowHighlighted, "#activities-table")
    def _highlighted(self) -> None:
        self._describe()

    @on(DataTable.RowSelected, "#activities-table")
    def _selected(self) -> None:
        self.action_edit()

    @on(Input.Changed, "#activities-search")
    def _search(self) -> None:
        self._fill()

    @on(Input.Submitted, "#activities-search")
    def _search_done(self) -> None:
        self.query_one("#activities-table", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#activities-search", Input).focus()

    def action_add(self) -> None:
        self.post_message(self.AddRequested())

    def action_edit(self) -> None:
        aid = self.selected_id()
        if aid:
            self.post_message(self.EditRequested(aid))

    def action_remove(self) -> None:
        aid = self.selected_id()
        if aid:
            self.post_message(self.RemoveRequested(aid))
