"""A week calendar grid: days across, hours down, one week at a time.

Used for planned sessions (Plan tab), a person's busy blocks (People tab's calendar
preview) and the blocks a participant is about to share (``planner respond``). Cells show
words and symbols, never colour alone, so the grid reads the same in any theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widget import Widget

from planner.domain.timeutil import local_instant
from planner.tui.text import literal


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


@dataclass(frozen=True)
class GridItem:
    """Something with a start, an end and a short label."""

    start: datetime
    end: datetime
    label: str


class WeekGrid(Widget, can_focus=True):
    """Renders ``items`` for the week starting at ``week_start`` between ``first_hour`` and
    ``last_hour`` (team zone). ``[`` and ``]`` page through the weeks of ``days``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket",
            "week(-1)",
            "Prev week",
            tooltip="Show the previous week of the horizon.",
            id="grid-prev-week",
        ),
        Binding(
            "right_square_bracket",
            "week(1)",
            "Next week",
            tooltip="Show the next week of the horizon.",
            id="grid-next-week",
        ),
    ]

    DEFAULT_CSS = """
    WeekGrid { height: auto; min-height: 5; }
    """

    items: reactive[tuple[GridItem, ...]] = reactive((), layout=True)
    week_start: reactive[date | None] = reactive(None, layout=True)
    subject: reactive[str] = reactive("", layout=True)
    """Whose week this is ("Anna Lindqvist"); empty for everyone's."""

    def __init__(
        self,
        tz: ZoneInfo | None = None,
        *,
        first_hour: int = 8,
        last_hour: int = 18,
        days: tuple[date, date] | None = None,
        empty: str = "nothing planned",
        language: str = "en",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.tz = tz or ZoneInfo("UTC")
        self.first_hour = first_hour
        self.last_hour = last_hour
        self.days = days
        self.empty = empty
        self.language = language

    def show(
        self,
        items: Sequence[GridItem],
        tz: ZoneInfo,
        days: tuple[date, date],
    ) -> None:
        """Replace what the grid shows; stays on the current week when it is in range."""
        self.tz = tz
        self.days = days
        start = days[0] - timedelta(days=days[0].weekday())
        if self.week_start is None or not (start <= self.week_start <= days[1]):
            self.week_start = start
        self.items = tuple(items)
        hours = [i.start.astimezone(tz).hour for i in items] + [
            (i.end.astimezone(tz) - timedelta(minutes=1)).hour for i in items
        ]
        self.first_hour = min([8, *hours])
        self.last_hour = max([17, *hours])
        self.refresh(layout=True)

    def action_week(self, step: int) -> None:
        if self.week_start is None or self.days is None:
            return
        new = self.week_start + timedelta(days=7 * step)
        first = self.days[0] - timedelta(days=self.days[0].weekday())
        if first <= new <= self.days[1]:
            self.week_start = new

    def _week_days(self) -> list[date]:
        if self.week_start is None:
            return []
        days = [self.week_start + timedelta(days=i) for i in range(7)]
        # Weekends only when something happens on them.
        busy_days = {i.start.astimezone(self.tz).date() for i in self.items}
        return [d for d in days if d.weekday() < 5 or d in busy_days]

    def render(self) -> Table | Text:
        days = self._week_days()
        if not days:
            return literal(self.empty)
        last_day = days[-1]
        whose = f"{self.subject}: " if self.subject else ""
        title = f"{whose}week of {days[0]:%a %d %b} – {last_day:%a %d %b}  ([ / ] other weeks)"
        if self.language != "en":
            title = whose + _week_title(self.language, days[0], last_day)
        # Each day column's text width: the hour column is 5 wide, every column pads 1+1.
        self._cell_width = max(3, (self.size.width - 7) // len(days) - 2)
        table = Table(
            title=Text(title),
            title_justify="left",
            expand=True,
            show_edge=False,
            pad_edge=False,
            box=None,
            padding=(0, 1),
        )
        table.add_column("", width=5, no_wrap=True)
        for d in days:
            head = f"{d:%a %d}" if self.language == "en" else _day_head(self.language, d)
            table.add_column(Text(head), no_wrap=True, overflow="ellipsis", ratio=1)
        for hour in range(self.first_hour, self.last_hour + 1):
            # Rich reads a str cell as markup: every cell is a Text.
            row: list[Text] = [Text(f"{hour:02d}:00")]
            for d in days:
                row.append(self._cell(d, hour))
            table.add_row(*row)
        return table

    def _cell(self, day: date, hour: int) -> Text:
        start = local_instant(day, hour * 60, self.tz)
        end = local_instant(day, (hour + 1) * 60, self.tz)
        here = [i for i in self.items if i.start < end and i.end > start]
        if not here:
            return Text("·", style="dim")
        return literal(
            cell_label(here, start, end, getattr(self, "_cell_width", 20)),
            style="bold" if any(start <= i.start < end for i in here) else "",
        )


def cell_label(here: Sequence[GridItem], start: datetime, end: datetime, width: int) -> str:
    """What one hour's cell says about the items in it, in ``width`` characters, never
    hiding that there are several: "5× Coffee pa…", "Lunch +2", "┆ Workshop" (going on)."""
    first = here[0]
    cont = "" if start <= first.start < end else "┆ "
    if len(here) == 1:
        return shorten(cont + first.label, width)
    if all(i.label == first.label for i in here):
        return shorten(f"{len(here)}× {cont}{first.label}", width)
    more = f" +{len(here) - 1}"
    return shorten(cont + first.label, max(1, width - len(more))) + more


def _week_title(language: str, first: date, last: date) -> str:
    from planner.i18n import translator

    t = translator(language)
    return t.gettext("week of {first} – {last}  ([ / ] other weeks)").format(
        first=t.format_date(first, "EEE d MMM"), last=t.format_date(last, "EEE d MMM")
    )


def _day_head(language: str, day: date) -> str:
    from planner.i18n import translator

    return translator(language).format_date(day, "EEE d")
