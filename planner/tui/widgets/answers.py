"""The Answers tab: a people × activities matrix of yes / maybe / no / blank.

Answers are shown as words (and a style), never by colour alone. ``no`` answers are visible
here to the organiser only: nothing on this tab is ever written to a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import Column, ColumnKey, RowKey

from planner.domain.models import Answer
from planner.overview import answer_totals, cycle_answer
from planner.tui.text import assemble, one_line
from planner.tui.widgets.base import Pane, Snapshot, shorten

_CELL_WIDTH = len("maybe")
"""The widest answer word: a column is as wide as this or its heading."""

_STYLE = {"yes": "bold", "maybe": "italic", "no": "dim strike", None: "dim"}


def _word(value: str | None) -> Text:
    return Text(value or "·", style=_STYLE[value])


_CELLS: dict[str | None, Text] = {v: _word(v) for v in _STYLE}
"""One Text per word, shared by every cell: rendering never changes a Text, and 80,000
fresh ones were a third of a 2,000-person table's first paint."""

_WORD_OF = {id(text): text.plain for text in _CELLS.values()}
"""Which word a shared cell shows, by identity (a cell is one of :data:`_CELLS`)."""


def cell(answer: Answer | None) -> Text:
    return _CELLS[answer.value if answer is not None else None]


class AnswerMatrix(DataTable[Text]):
    """The answers table, paged: it holds the rows near the view and adds more as the view
    or the cursor moves, while its scrollable area is that of every row.

    A 2,000 × 40 table filled at once took seconds before its first view; only the rows
    the organiser can reach in a keypress or two are built now (:meth:`page`). Every
    column has a fixed width, so a new row needs no measuring, and an answer cell is
    rendered once per word and look (:meth:`_render_cell`), not once per cell and frame.
    """

    AHEAD = 100
    """Rows kept built below the view and the cursor (more than a page down moves)."""

    CELLS_KEPT = 20_000
    """Cells whose drawing is kept (a few screens of them); past that the store restarts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._total = 0
        self._make_row: Callable[[int], Sequence[Text]] | None = None
        self._adding = False
        self._columns_in_order: list[Column] | None = None
        self._word_lines: dict[tuple[object, ...], list[list[Segment]]] = {}
        """An answer cell's lines by word and look: the same for every cell but its meta."""
        self._cell_lines: dict[tuple[object, ...], list[list[Segment]]] = {}
        """Each cell's lines as last drawn, kept across frames (DataTable's own cache is
        dropped on every change and resize)."""

    @property
    def total_rows(self) -> int:
        """Rows the table shows, built or not (``row_count`` counts the built ones)."""
        return self._total

    def page(self, total: int, make_row: Callable[[int], Sequence[Text]], upto: int = 0) -> None:
        """Show ``total`` rows, building row ``i`` with ``make_row(i)`` when it comes near
        the view; the rows up to ``upto`` (and a page beyond) are built at once."""
        self._total, self._make_row = total, make_row
        self.build_rows(upto + self.AHEAD)
        self._update_dimensions(())  # sized before the first frame, not after it

    def build_rows(self, upto: int) -> None:
        """Build the rows before index ``upto`` (at most all) that are not built yet."""
        end = min(self._total, upto)
        if end <= self.row_count or self._make_row is None or self._adding:
            return
        self._adding = True  # add_row sets the cursor, whose watcher would come back here
        try:
            make_row = self._make_row
            self.add_rows(make_row(i) for i in range(self.row_count, end))
        finally:
            self._adding = False

    def all_rows(self) -> None:
        self.build_rows(self._total)

    def _build_near(self) -> None:
        reach = max(round(self.scroll_y) + self.size.height, self.cursor_coordinate.row + 1)
        if reach + self.AHEAD // 2 > self.row_count:  # in pages: each build repaints the view
            self.build_rows(reach + self.AHEAD)

    def clear(self, columns: bool = False) -> Self:
        self._total, self._make_row = 0, None
        self._cell_lines.clear()
        self._columns_in_order = None
        return super().clear(columns)

    @property
    def ordered_columns(self) -> list[Column]:
        # DataTable works the order out anew twice for every row it adds (half the time of
        # adding a row); here the columns change only by add_column and clear.
        if self._columns_in_order is None:
            self._columns_in_order = super().ordered_columns
        return self._columns_in_order

    def add_column(self, *args: Any, **kwargs: Any) -> ColumnKey:
        self._columns_in_order = None
        return super().add_column(*args, **kwargs)

    def remove_column(self, column_key: ColumnKey | str) -> None:
        self._columns_in_order = None
        super().remove_column(column_key)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._build_near()

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        self._build_near()
        super().watch_cursor_coordinate(old, new)

    def on_resize(self) -> None:
        self._build_near()

    def action_scroll_bottom(self) -> None:
        self.all_rows()  # the last row, not the last one built
        super().action_scroll_bottom()

    def action_page_down(self) -> None:
        self.build_rows(self.cursor_coordinate.row + 2 * self.size.height + self.AHEAD)
        super().action_page_down()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if any(c.auto_width for c in self.columns.values()):
            super()._update_dimensions(new_rows)
        else:  # DataTable would measure every new cell only to learn the fixed widths
            super()._update_dimensions(())
        if self._total > self.row_count:  # rows not built yet scroll like built ones
            header = self.header_height if self.show_header else 0
            self.virtual_size = Size(self.virtual_size.width, header + self._total)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._word_lines.clear()
        self._cell_lines.clear()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        word = ""  # not an answer
        if row_index >= 0 and column_index >= self.fixed_columns:
            word = _WORD_OF.get(id(self.get_cell_at(Coordinate(row_index, column_index))), "")
        if not word:  # headings and names: as DataTable renders them
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key: tuple[object, ...] = (word, base_style, width, cursor, hover)
        key += (self._show_hover_cursor, self._pseudo_class_state, self.show_cursor)
        placed = self._cell_lines.get((row_index, column_index, key))
        if placed is not None:
            return placed
        lines = self._word_lines.get(key)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._word_lines[key] = lines
        # The same segments; only the mouse's meta (which cell this is) is the cell's own.
        meta = Style.from_meta({"row": row_index, "column": column_index})
        placed = [
            [Segment(seg.text, (seg.style or Style()) + meta) for seg in line] for line in lines
        ]
        if len(self._cell_lines) >= self.CELLS_KEPT:
            self._cell_lines.clear()
        self._cell_lines[row_index, column_index, key] = placed
        return placed


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
        self._names: list[Text] = []
        self._seen: dict[str, dict[str, Answer]] = {}
        """Each built row's answers as shown: a new snapshot repaints the rows it changed."""
        super().on_mount()

    def render_snapshot(self, snapshot: Snapshot) -> None:
        self._fill()

    def _fill(self) -> None:
        """Repaint only the built rows whose answers changed; rebuild when the rows or
        columns (filter, people, activities) changed. Rows are built as they come near the
        view (:class:`AnswerMatrix`), each from the snapshot of that moment."""
        if self.snapshot is None:
            return
        scenario = self.snapshot.scenario
        table = self.query_one("#answers-table", AnswerMatrix)
        needle = self.query_one("#answers-search", Input).value.lower()
        people = [p for p in scenario.people if not needle or needle in f"{p.id} {p.name}".lower()]
        activities = [a.id for a in scenario.activities]
        shape = (tuple(p.id for p in people), tuple(activities))
        if shape == self._shape and table.total_rows == len(people):
            # Same rows and columns: update only the built rows whose answers changed.
            for r, pid in enumerate(self._people[: table.row_count]):
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
            self._people, self._activities, self._shape = list(shape[0]), activities, shape
            self._names = [one_line(shorten(p.name, 16)) for p in people]
            self._seen = {}
            row = min(cursor.row, len(people) - 1)
            table.page(len(people), self._row, upto=row + 1)
            if people:
                table.cursor_coordinate = Coordinate(
                    row, max(1, min(cursor.column, len(activities)))
                )
        self._totals()

    def _row(self, index: int) -> tuple[Text, ...]:
        """Row ``index`` of the table, as the current snapshot has it."""
        assert self.snapshot is not None  # rows are built only after a snapshot is shown
        pid = self._people[index]
        answers = self.snapshot.scenario.preferences.get(pid, {})
        self._seen[pid] = dict(answers)
        return (self._names[index], *(cell(answers.get(aid)) for aid in self._activities))

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
