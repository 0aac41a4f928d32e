"""The Rounds tab: the programme over time (queries in :mod:`planner.rounds` and
:mod:`planner.report`).

The table lists every round (number, horizon, state, sessions held, people reached); a
sparkline draws people reached per round; the heatmap is the latest closed round's
department × department meetings, coloured by count. Every figure comes from the report's
rules: a count the report suppresses (1 .. ``report_min_count`` − 1) is shown as ``<3``,
never a name. The pane only shows a :class:`RoundsView` the app loads in a worker, and
posts messages asking to close the round or open the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Sparkline, Static

from planner.rounds import RoundSummary
from planner.tui.text import assemble, one_line
from planner.tui.widgets.base import Pane, Snapshot, shorten

HEAT = ("#3a4a5c", "#2f6f8f", "#2e8f6f", "#b8a23a", "#c8642e")
"""Cell backgrounds from the fewest meetings to the most (readable in both themes)."""


@dataclass(frozen=True)
class RoundsView:
    """What the Rounds tab shows, loaded by the app from the core."""

    rounds: tuple[RoundSummary, ...] = ()
    reached: tuple[int | None, ...] = ()
    """People reached per round as the report gives it (None: suppressed)."""
    heat_round: int | None = None
    departments: tuple[str, ...] = ()
    meetings: tuple[tuple[int | None, ...], ...] = ()
    min_count: int = 3
    version: int = 0


def rounds_view(report: dict[str, Any], rounds: list[RoundSummary], version: int) -> RoundsView:
    """The view from the report (SPEC §5 JSON) and the round list."""
    closed = [r for r in report["rounds"] if r["state"] == "closed"]
    latest = closed[-1] if closed else None
    return RoundsView(
        rounds=tuple(rounds),
        reached=tuple(r["people_reached"] for r in report["rounds"]),
        heat_round=latest["round"] if latest else None,
        departments=tuple(report["departments"]) if latest else (),
        meetings=tuple(tuple(line) for line in latest["meetings"]) if latest else (),
        min_count=int(report["report_min_count"]),
        version=version,
    )


def heat_cell(count: int | None, top: int, min_count: int) -> Text:
    """One heatmap cell, 5 wide: the count on a colour by its share of ``top``;
    a suppressed count is ``<k``."""
    if count is None:
        return Text(f"{'<' + str(min_count):>4} ", style="italic on #3a4a5c")
    if count == 0:
        return Text("   · ", style="dim")
    level = min(len(HEAT) - 1, (count * len(HEAT) - 1) // max(top, 1))
    return Text(f"{count:>4} ", style=f"bold #ffffff on {HEAT[level]}")


def heatmap_text(view: RoundsView) -> Text:
    if view.heat_round is None:
        return Text("No closed round yet: the meetings heatmap appears once round 1 is closed.")
    parts: list[str | Text | tuple[str, str]] = [
        (f"Meetings between departments, round {view.heat_round}", "bold"),
        f"  (distinct pairs; <{view.min_count}: fewer than {view.min_count})\n",
    ]
    n = len(view.departments)
    if not n:
        parts.append("Nobody met in that round.\n")
        return assemble(*parts)
    top = max((c for line in view.meetings for c in line if c is not None), default=0)
    parts.append(" " * 17 + "".join(f"{j + 1:>4} " for j in range(n)) + "\n")
    for i, name in enumerate(view.departments):
        parts.append(f"{i + 1:>2} ")
        parts.append(one_line(f"{shorten(name, 13):<13} "))
        for j in range(n):
            parts.append(heat_cell(view.meetings[i][j], top, view.min_count))
        parts.append("\n")
    text = assemble(*parts)
    text.no_wrap = True  # a wrapped line would lose its leading spaces: columns shift
    return text


class RoundsPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "c",
            "close_round",
            "Close round",
            tooltip="Close the current round (shows what it records first).",
            id="rounds-close",
        ),
        Binding(
            "n",
            "new_round",
            "Next round",
            tooltip="Open the next round on a new horizon.",
            id="rounds-new",
        ),
    ]

    class LoadRequested(Message):
        """The pane is shown on a new snapshot: the app loads its :class:`RoundsView`."""

    class CloseRequested(Message):
        pass

    class NewRequested(Message):
        pass

    view: reactive[RoundsView | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        yield DataTable(id="rounds-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="rounds-spark-label", classes="status")
        yield Sparkline([], id="rounds-spark")
        with VerticalScroll(id="rounds-heat-scroll"):
            yield Static("", id="rounds-heat")

    def on_mount(self) -> None:
        table = self.query_one("#rounds-table", DataTable)
        for label in ("Round", "Horizon", "State", "Sessions held", "People reached"):
            table.add_column(label, key=label)
        super().on_mount()

    def render_snapshot(self, snapshot: Snapshot) -> None:
        self.post_message(self.LoadRequested())

    def watch_view(self, view: RoundsView | None) -> None:
        if view is None or not self.is_mounted:
            return
        table = self.query_one("#rounds-table", DataTable)
        table.clear()
        for r in view.rounds:
            span = f"{r.horizon[0]} .. {r.horizon[1]}" if r.horizon else "(no horizon yet)"
            reached = view.reached[r.number - 1] if r.number - 1 < len(view.reached) else None
            table.add_row(
                one_line(r.number),
                one_line(span),
                one_line(r.state),
                one_line(r.sessions_held),
                one_line(f"<{view.min_count}" if reached is None else reached),
                key=str(r.number),
            )
        if view.rounds:
            table.move_cursor(row=len(view.rounds) - 1)
        # The sparkline never plots a suppressed figure: it counts as 0 there.
        spark = [float(n or 0) for n in view.reached]
        self.query_one("#rounds-spark", Sparkline).data = spark
        label = assemble(
            ("People reached per round", "bold"),
            f"  {' · '.join('<' + str(view.min_count) if n is None else str(n) for n in view.reached)}"
            "   c close · n next round",
        )
        label.no_wrap = True
        self.query_one("#rounds-spark-label", Static).update(label)
        self.query_one("#rounds-heat", Static).update(heatmap_text(view))

    def action_close_round(self) -> None:
        self.post_message(self.CloseRequested())

    def action_new_round(self) -> None:
        self.post_message(self.NewRequested())
