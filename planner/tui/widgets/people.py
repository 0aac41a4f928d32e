"""The People tab: a searchable, filterable table; edits are requested from the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static

from planner.domain.models import Person, Scenario
from planner.domain.words import plural
from planner.tui.text import literal, one_line
from planner.tui.widgets.base import Pane, Snapshot

ALL = "__all__"


def person_row(scenario: Scenario, p: Person) -> tuple[Text, ...]:
    limits = []
    if p.max_events_per_week is not None:
        limits.append(f"≤{p.max_events_per_week}/wk")
    if p.max_minutes_per_week is not None:
        limits.append(f"≤{p.max_minutes_per_week}min")
    if p.after_hours:
        limits.append("after hours")
    answered = "✓" if scenario.preferences.get(p.id) else "–"
    cells = (
        p.name,
        p.department,
        ", ".join(p.queues) or "–",
        answered,
        " ".join(limits) or "–",
        p.timezone or "team",
        p.id,
    )
    return tuple(one_line(c) for c in cells)


def matches(p: Person, needle: str, department: str, queue: str) -> bool:
    if department != ALL and p.department != department:
        return False
    if queue != ALL and queue not in p.queues:
        return False
    if needle:
        hay = f"{p.id} {p.name} {p.email} {p.department} {' '.join(p.queues)}".lower()
        return all(word in hay for word in needle.lower().split())
    return True


class PeoplePane(Pane):
    """People with search and filters; ``a``/``e``/``d`` ask the app to add, edit, remove."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add", tooltip="Add a person through a form.", id="people-add"),
        Binding("e", "edit", "Edit", tooltip="Edit the selected person.", id="people-edit"),
        Binding("d", "remove", "Remove", tooltip="Remove the selected person.", id="people-remove"),
        Binding(
            "i",
            "import_file",
            "Import",
            tooltip="Import a roster CSV or a scenario into the workspace.",
            id="people-import",
        ),
        Binding(
            "c",
            "calendar",
            "Calendar",
            tooltip="Read the selected person's .ics and preview their busy blocks.",
            id="people-calendar",
        ),
        Binding(
            "slash", "search", "Search", tooltip="Search by name, id, email.", id="people-search"
        ),
    ]

    @dataclass
    class AddRequested(Message):
        """Open the form for a new person."""

    @dataclass
    class EditRequested(Message):
        person_id: str

    @dataclass
    class RemoveRequested(Message):
        person_id: str

    @dataclass
    class ImportRequested(Message):
        """Ask for files and import them (roster CSV, scenario, responses)."""

    @dataclass
    class CalendarRequested(Message):
        person_id: str

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Input(placeholder="/ search name, id, email", id="people-search", compact=True)
            yield Select[str]([], prompt="department", id="people-department", compact=True)
            yield Select[str]([], prompt="queue", id="people-queue", compact=True)
        yield DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="people-count", classes="status")

    def on_mount(self) -> None:
        table = self.query_one("#people-table", DataTable)
        table.add_column("Name", key="name")
        table.add_column("Department", key="department")
        table.add_column("Queues", key="queues")
        table.add_column("Ans", key="answered")
        table.add_column("Limits", key="limits")
        table.add_column("Zone", key="zone")
        table.add_column("Id", key="id")
        self._options_for: tuple[str, ...] = ()
        super().on_mount()

    def render_snapshot(self, snapshot: Snapshot) -> None:
        scenario = snapshot.scenario
        departments = tuple(sorted({p.department for p in scenario.people}))
        queues = tuple(q.id for q in scenario.queues)
        if (departments, queues) != getattr(self, "_options_for", None):
            self._options_for = (departments, queues)  # type: ignore[assignment]
            dep = self.query_one("#people-department", Select)
            dep.set_options(
                [(Text("all departments"), ALL), *((literal(d), d) for d in departments)]
            )
            que = self.query_one("#people-queue", Select)
            que.set_options([(Text("all queues"), ALL), *((literal(q), q) for q in queues)])
        self._fill()

    def _filter_values(self) -> tuple[str, str, str]:
        needle = self.query_one("#people-search", Input).value
        dep = self.query_one("#people-department", Select).value
        que = self.query_one("#people-queue", Select).value
        return (
            needle,
            dep if isinstance(dep, str) else ALL,
            que if isinstance(que, str) else ALL,
        )

    def _fill(self) -> None:
        if self.snapshot is None:
            return
        scenario = self.snapshot.scenario
        table = self.query_one("#people-table", DataTable)
        selected = self.selected_id()
        needle, dep, que = self._filter_values()
        shown = [p for p in scenario.people if matches(p, needle, dep, que)]
        table.clear()
        table.add_rows([person_row(scenario, p) for p in shown])
        # Row keys are the person ids (add_rows gives generated keys; map them).
        self._ids = [p.id for p in shown]
        if selected in self._ids:
            table.move_cursor(row=self._ids.index(selected), animate=False)
        self.query_one("#people-count", Static).update(
            literal(
                f"{len(shown):,} of {plural(len(scenario.people), 'person')}"
                + ("" if len(shown) == len(scenario.people) else " (filtered)")
            )
        )

    def selected_id(self) -> str | None:
        table = self.query_one("#people-table", DataTable)
        ids: list[str] = getattr(self, "_ids", [])
        if not ids or table.cursor_row < 0 or table.cursor_row >= len(ids):
            return None
        return ids[table.cursor_row]

    @on(Input.Changed, "#people-search")
    @on(Select.Changed)
    def _filters_changed(self) -> None:
        self.refill_soon(self._fill)

    @on(Input.Submitted, "#people-search")
    def _search_done(self) -> None:
        self.refill_now()
        self._fill()
        self.query_one("#people-table", DataTable).focus()

    @on(DataTable.RowSelected, "#people-table")
    def _row_selected(self) -> None:
        self.action_edit()

    def action_search(self) -> None:
        self.query_one("#people-search", Input).focus()

    def action_add(self) -> None:
        self.post_message(self.AddRequested())

    def action_edit(self) -> None:
        pid = self.selected_id()
        if pid:
            self.post_message(self.EditRequested(pid))

    def action_remove(self) -> None:
        pid = self.selected_id()
        if pid:
            self.post_message(self.RemoveRequested(pid))

    def action_import_file(self) -> None:
        self.post_message(self.ImportRequested())

    def action_calendar(self) -> None:
        pid = self.selected_id()
        if pid:
            self.post_message(self.CalendarRequested(pid))
