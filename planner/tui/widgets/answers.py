"""The Answers tab: a people × activities matrix of yes / maybe / no / blank.

Answers are shown as words (and a style), never by colour alone. ``no`` answers are visible
here to the organiser only: nothing on this tab is ever written to a file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowKey

from planner.domain.models import Answer
from planner.overview import answer_totals, cycle_answer
from planner.tui.text import assemble, one_line
from planner.tui.widgets.base import Pane, Snapshot, shorten

_CELL_WIDTH = len("maybe")
"""The widest answer word: a column is as wide as this or its heading."""

_STYLE = {"yes": "bold", "maybe": "italic", "no": "dim strike", None: "dim"}


class AnswerMatrix(DataTable[Text]):
    """The answers table. Every column has a fixed width, so a new row needs no measuring:
    DataTable would otherwise measure all 80,000 cells of a 2,000 × 40 workspace (seconds)
    only to learn widths it is never allowed to use."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if any(c.auto_width for c in self.columns.values()):
            super()._update_dimensions(new_rows)
        else:  # still sizes the scrollable area from the fixed widths and the row count
            super()._update_dimensions(())


def _word(value: str | None) -> Text:
    return Text(value or "·", style=_STYLE[value])


_CELLS: dict[str | None, Text] = {v: _word(v) for v in _STYLE}
"""One Text per word, shared by every cell: rendering never changes a Text, and 80,000
fresh ones were a third of a 2,000-person table's first paint."""


def cell(answer: Answer | None) -> Text:
    return _CELLS[answer.value if answer is not None else None]


class AnswersPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "cycle",
            "Cycle",
            tooltip="Cycle the answer: yes → maybe → no → blank.",
            id="answers-cycle",
        ),
        Binding("y", "set('yes')", "Yes", tooltip="Set the answer to yes.", id="answers-yes"),
        Binding(
            "m", "set('maybe')", "Maybe", tooltip="Set the answer to maybe.", id="answers-maybe"
        ),
        Binding("n", "set('no')", "No", tooltip="Set the answer to no.", id="answers-no"),
        Binding(
            "x",
            "set('')",
            "Clear",
            tooltip="Clear the answer (blank counts as no).",
            id="answers-clear",
        ),
        Binding("slash", "search", "Search", tooltip="Filter people.", id="answers-search"),
    ]

    @dataclass
    class AnswerChanged(Message):
        """Ask the app to store one answer (``None`` clears it)."""

        person_id: str
        activity_id: str
        answer: Answer | None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ filter people", id="answers-search", compact=True)
        yield AnswerMatrix(
            id="answers-table", cursor_type="cell", zebra_stripes=True, fixed_columns=1
        )
        yield Static("", id="answers-totals", classes="status")

    def on_mount(self) -> None:
        self._people: list[str] = []
        self._activities: list[str] = []
        self._shape: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        self._seen: dict[str, dict[str, Answer]] = {}
        super().on_mount()

    def render_snapshot(self, snapshot: Snapshot) -> None:
        self._fill()

    def _fill(self) -> None:
        """Repaint only the rows whose answers changed; rebuild when the rows or columns
        (filter, people, activities) changed."""
        if self.snapshot is None:
            return
        scenario = self.snapshot.scenario
        table = self.query_one("#answers-table", DataTable)
        needle = self.query_one("#answers-search", Input).value.lower()
        people = [p for p in scenario.people if not needle or needle in f"{p.id} {p.name}".lower()]
        activities = [a.id for a in scenario.activities]
        shape = (tuple(p.id for p in people), tuple(activities))
        if shape == self._shape and table.row_count == len(people):
            # Same rows and columns: update only the people whose answers changed.
            for r, pid in enumerate(self._people):
                answers = scenario.preferences.get(pid, {})
                if pid in self._seen and answers == self._seen[pid]:
                    continue
                for c, aid in enumerate(self._activities):
                    table.update_cell_at(Coordinate(r, c + 1), cell(answers.get(aid)))
                self._seen[pid] = dict(answers)
        else:
            cursor = table.cursor_coordinate
            table.clear(columns=True)
            table.add_column("Person", key="person", width=16)
            for a in scenario.activities:
                label = one_line(shorten(a.name, 7))
                table.add_column(label, key=a.id, width=max(label.cell_len, _CELL_WIDTH))
            table.add_rows(
                [
                    (
                        one_line(shorten(p.name, 16)),
                        *(cell(scenario.preferences.get(p.id, {}).get(aid)) for aid in activities),
                    )
                    for p in people
                ]
            )
            self._people, self._activities, self._shape = list(shape[0]), activities, shape
            self._seen = {p.id: dict(scenario.preferences.get(p.id, {})) for p in people}
            if people:
                table.cursor_coordinate = Coordinate(
                    min(cursor.row, len(people) - 1), max(1, min(cursor.column, len(activities)))
                )
        self._totals()

    def _current(self) -> tuple[str, str] | None:
        table = self.query_one("#answers-table", DataTable)
        coord = table.cursor_coordinate
        if not self._people or coord.column < 1 or coord.column > len(self._activities):
            return None
        if coord.row >= len(self._people):
            return None
        return self._people[coord.row], self._activities[coord.column - 1]

    def _totals(self) -> None:
        if self.snapshot is None:
            return
        scenario = self.snapshot.scenario
        current = self._current()
        status = self.query_one("#answers-totals", Static)
        if current is None:
            status.update("Move to an activity column to see its totals.")
            return
        aid = current[1]
        t = answer_totals(scenario, [aid])[aid]
        status.update(
            assemble(
                scenario.activity(aid).name,
                f": {t.yes} yes · {t.maybe} maybe · {t.no} no · "
                f"{t.blank} blank   (only you see this matrix)",
            )
        )

    @on(DataTable.CellHighlighted, "#answers-table")
    def _moved(self) -> None:
        self._totals()

    @on(DataTable.CellSelected, "#answers-table")
    def _selected(self) -> None:
        self.action_cycle()

    @on(Input.Changed, "#answers-search")
    def _search(self) -> None:
        # A changed filter changes the rows, which rebuilds the table; nothing else needs to.
        self.refill_soon(self._fill)

    @on(Input.Submitted, "#answers-search")
    def _search_done(self) -> None:
        self.refill_now()
        self._fill()
        self.query_one("#answers-table", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#answers-search", Input).focus()

    def action_cycle(self) -> None:
        current = self._current()
        if current is None or self.snapshot is None:
            return
        pid, aid = current
        now = self.snapshot.scenario.preferences.get(pid, {}).get(aid)
        self._request(pid, aid, cycle_answer(now))

    def action_set(self, word: str) -> None:
        current = self._current()
        if current is None:
            return
        self._request(*current, Answer(word) if word else None)

    def _request(self, pid: str, aid: str, answer: Answer | None) -> None:
        # Show the new word at once; the app's next snapshot confirms (or reverts) it.
        table = self.query_one("#answers-table", DataTable)
        table.update_cell_at(table.cursor_coordinate, cell(answer))
        self._seen.pop(pid, None)  # so the next snapshot repaints this row either way
        self.post_message(self.AnswerChanged(pid, aid, answer))
