"""The Plan tab: solve with live progress, then the plan as a list or a week grid.

The pane never solves: it asks the app (:class:`PlanPane.SolveRequested`), and the app's
thread worker sends progress back down through :attr:`PlanPane.progress`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import ContentSwitcher, DataTable, Input, Label, ProgressBar, Static

from planner.domain.models import Scenario
from planner.domain.schedule import PlannedSession, Schedule
from planner.domain.timeutil import zone
from planner.domain.words import plural
from planner.tui.screens.dialogs import PickDialog
from planner.tui.text import assemble, notify, one_line
from planner.tui.widgets.base import Pane, Snapshot, shorten
from planner.tui.widgets.price import PriceView
from planner.tui.widgets.week_grid import GridItem, WeekGrid


@dataclass(frozen=True)
class Progress:
    """What the solver last reported (a copy, so the UI never holds solver objects)."""

    objective: float
    bound: float
    gap: float
    elapsed: float
    solutions: int


PHASES = {
    "building": "1/4 building the model…",
    "searching": "2/4 searching…",
    "checking": "3/4 checking the plan against every rule…",
    "saving": "4/4 saving the plan…",
}


def progress_line(p: Progress, time_limit: float) -> str:
    return (
        f"2/4 searching… objective {p.objective:,.0f}  bound {p.bound:,.0f}  gap {p.gap:.1%}  "
        f"{p.elapsed:.1f}/{time_limit:.0f} s  ({plural(p.solutions, 'plan')})"
    )


STATE_BADGES = {
    "stale": "OUT OF DATE: the workspace changed since this plan; s re-plans",
    "unknown": "made outside this app: not checked against the workspace",
}


def status_line(plan: Schedule | None, state: str = "current") -> Text:
    if plan is None:
        return Text("No plan yet. Press s (or F5) to solve.")
    placed = plan.placed()
    text = Text()
    if state in STATE_BADGES:
        # Words, not colour alone: the badge reads the same in any theme.
        text.append(f"⚠ {STATE_BADGES[state]}\n", style="bold reverse" if state == "stale" else "")
    text.append(plan.status.value.upper(), style="bold reverse")
    text.append(
        f"  {plural(len(plan.sessions), 'session')} · {plural(len(placed), 'person')} placed · "
        f"{plural(len(plan.unplaced), 'opt-in')} unplaced · {len(plan.not_held)} not held · "
        f"objective {plan.objective.value:,.0f} (gap {plan.objective.gap:.1%}) "
        f"in {plan.solve_seconds:.1f} s"
    )
    return text


class PlanPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "s", "solve", "Solve", tooltip="Plan the round (in the background).", id="plan-solve"
        ),
        Binding(
            "x",
            "cancel",
            "Stop",
            tooltip="Stop the search and keep the best plan so far.",
            id="plan-cancel",
        ),
        Binding(
            "v", "toggle_view", "Grid/list", tooltip="Switch week grid and list.", id="plan-view"
        ),
        Binding(
            "left_square_bracket",
            "week(-1)",
            "Prev week",
            tooltip="The week grid's previous week (from anywhere on this tab).",
            id="plan-prev-week",
        ),
        Binding(
            "right_square_bracket",
            "week(1)",
            "Next week",
            tooltip="The week grid's next week (from anywhere on this tab).",
            id="plan-next-week",
        ),
        Binding(
            "p",
            "person",
            "Person",
            tooltip="Show one person's week and why they were (not) placed.",
            id="plan-person",
        ),
        Binding(
            "w",
            "price",
            "Price limits",
            tooltip="What would it take? What relaxing each limit by one step would buy.",
            id="plan-price",
        ),
    ]

    solving: reactive[bool] = reactive(False)
    progress: reactive[Progress | None] = reactive(None)
    phase: reactive[str] = reactive("")
    """The solve worker's phase (:data:`PHASES`), while solving."""
    explanation: reactive[tuple[str, Text] | None] = reactive(None)
    """(person id, explanation text) for the person view; set by the app."""

    @dataclass
    class SolveRequested(Message):
        time_limit: float

    @dataclass
    class CancelRequested(Message):
        pass

    @dataclass
    class ExplainRequested(Message):
        person_id: str

    def __init__(self, *, time_limit: float = 10.0, id: str | None = None) -> None:
        super().__init__(id=id)
        self.time_limit = time_limit

    def compose(self) -> ComposeResult:
        yield Static(status_line(None), id="plan-status")
        with Horizontal(classes="plan-controls"):
            yield Label("Time limit (s)")
            yield Input(
                f"{self.time_limit:g}", id="time-limit", type="number", compact=True, max_length=6
            )
            yield ProgressBar(total=self.time_limit, show_eta=False, id="plan-progress")
        yield Static("", id="plan-progress-text", classes="status")
        with ContentSwitcher(initial="plan-list", id="plan-switcher"):
            with Horizontal(id="plan-list", classes="split"):
                yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(classes="detail"):
                    yield Static("", id="session-detail")
            yield WeekGrid(id="plan-grid", empty="no plan yet")
            yield PriceView(id="plan-price")

    def on_mount(self) -> None:
        table = self.query_one("#sessions-table", DataTable)
        table.add_column("When", key="when")
        table.add_column("Activity", key="activity")
        table.add_column("Ppl", key="people")
        self._sessions: list[PlannedSession] = []
        self._person: str | None = None
        super().on_mount()

    # ------------------------------------------------------------------ rendering

    def render_snapshot(self, snapshot: Snapshot) -> None:
        plan = snapshot.plan
        self.query_one("#plan-status", Static).update(status_line(plan, snapshot.plan_state))
        tz = zone(snapshot.scenario.team.timezone)
        names = {a.id: a.name for a in snapshot.scenario.activities}
        table = self.query_one("#sessions-table", DataTable)
        row = table.cursor_row
        table.clear()
        self._sessions = sorted(plan.sessions, key=lambda s: s.start) if plan else []
        for s in self._sessions:
            start = s.start.astimezone(tz)
            table.add_row(
                one_line(f"{start:%a %d %H:%M}"),
                one_line(shorten(names.get(s.activity, s.activity), 24)),
                str(len(s.attendees)),
            )
        if self._sessions:
            table.move_cursor(row=min(max(row, 0), len(self._sessions) - 1), animate=False)
        self._render_grid()
        self._describe()

    def _render_grid(self) -> None:
        if self.snapshot is None:
            return
        scenario = self.snapshot.scenario
        plan = self.snapshot.plan
        tz = zone(scenario.team.timezone)
        names = {a.id: a.name for a in scenario.activities}
        sessions = self._sessions
        if self._person is not None:
            sessions = [s for s in sessions if self._person in s.attendees]
        items = [GridItem(s.start, s.end, names.get(s.activity, s.activity)) for s in sessions]
        grid = self.query_one(WeekGrid)
        if self._person is not None:
            grid.subject = f"{person_labels(scenario).get(self._person, self._person)}'s sessions"
        else:
            grid.subject = "everyone's sessions" if plan is not None else ""
        grid.empty = "no plan yet" if plan is None else "no sessions"
        grid.show(items, tz, (scenario.team.horizon.start, scenario.team.horizon.end))

    def _describe(self) -> None:
        detail = self.query_one("#session-detail", Static)
        if self.explanation is not None:
            detail.update(self.explanation[1])
            return
        if self.snapshot is None:
            return
        table = self.query_one("#sessions-table", DataTable)
        if not self._sessions or not (0 <= table.cursor_row < len(self._sessions)):
            plan = self.snapshot.plan
            if plan is not None and plan.conflicts:
                detail.update(
                    assemble(
                        ("Why no plan:\n", "bold"),
                        *(f"• {', '.join(c.rules)}: {c.detail}\n" for c in plan.conflicts),
                    )
                )
            else:
                detail.update("Select a session to see who attends and who does not.")
            return
        detail.update(session_detail(self.snapshot, self._sessions[table.cursor_row]))

    def watch_progress(self, progress: Progress | None) -> None:
        text = self.query_one("#plan-progress-text", Static)
        bar = self.query_one("#plan-progress", ProgressBar)
        if progress is None:
            text.update("")
            return
        text.update(progress_line(progress, self.time_limit))
        bar.update(total=self.time_limit, progress=min(progress.elapsed, self.time_limit))

    def watch_phase(self, phase: str) -> None:
        if self.solving and phase in PHASES and (phase != "searching" or self.progress is None):
            self.query_one("#plan-progress-text", Static).update(PHASES[phase])

    def watch_solving(self, solving: bool) -> None:
        self.set_class(solving, "solving")
        bar = self.query_one("#plan-progress", ProgressBar)
        if not solving and bar.total:
            bar.update(progress=bar.total)
        if solving:
            self.query_one("#plan-progress-text", Static).update(PHASES["building"])
            self.query_one("#plan-progress", ProgressBar).update(total=self.time_limit, progress=0)

    def watch_explanation(self, value: tuple[str, Text] | None) -> None:
        self._person = value[0] if value else None
        if self.is_mounted and self.snapshot is not None:
            self._render_grid()
            self._describe()

    # ------------------------------------------------------------------ events and actions

    @on(DataTable.RowHighlighted, "#sessions-table")
    def _highlighted(self) -> None:
        if self.explanation is None:
            self._describe()

    @on(DataTable.RowSelected, "#sessions-table")
    def _selected(self) -> None:
        self.explanation = None
        self._describe()

    @on(Input.Changed, "#time-limit")
    def _limit(self, event: Input.Changed) -> None:
        try:
            value = float(event.value)
        except ValueError:
            return
        if value > 0:
            self.time_limit = value

    @on(Input.Submitted, "#time-limit")
    def _limit_done(self) -> None:
        self.focus_home()

    def action_solve(self) -> None:
        if self.solving:
            notify(self, "A solve is running; press x to stop it.")
            return
        self.post_message(self.SolveRequested(self.time_limit))

    def action_cancel(self) -> None:
        if self.solving:
            self.post_message(self.CancelRequested())
        elif self.explanation is not None:
            self.explanation = None

    def action_toggle_view(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = "plan-grid" if switcher.current == "plan-list" else "plan-list"

    def action_price(self) -> None:
        """The "What would it take?" view, pricing every limit in the background."""
        self.query_one(ContentSwitcher).current = "plan-price"
        workers = getattr(self.app, "solver_workers", 2)
        self.query_one(PriceView).start(self.time_limit, workers)

    def close_price(self) -> None:
        self.query_one(ContentSwitcher).current = "plan-list"
        self.focus_home()

    def action_week(self, step: int) -> None:
        """Page the week grid from anywhere on the tab (it is shown if the list was)."""
        self.query_one(ContentSwitcher).current = "plan-grid"
        self.query_one(WeekGrid).action_week(step)

    def action_person(self) -> None:
        if self.snapshot is None or self.snapshot.plan is None:
            notify(self, "Solve first, then pick a person.")
            return
        labels = person_labels(self.snapshot.scenario)
        items = [(p.id, labels[p.id], p.department) for p in self.snapshot.scenario.people]

        def chosen(pid: str | None) -> None:
            if pid:
                self.post_message(self.ExplainRequested(pid))

        self.app.push_screen(PickDialog("Whose week?", items), chosen)


def person_labels(scenario: Scenario) -> dict[str, str]:
    """Person id -> how to name them: the name, with the id when someone else has the same
    name (two Anna Lindqvists in one session are told apart)."""
    counts = Counter(p.name for p in scenario.people)
    return {p.id: p.name if counts[p.name] == 1 else f"{p.name} ({p.id})" for p in scenario.people}


def session_detail(snapshot: Snapshot, s: PlannedSession) -> Text:
    scenario = snapshot.scenario
    plan = snapshot.plan
    tz = zone(scenario.team.timezone)
    names = person_labels(scenario)
    activity = next((a for a in scenario.activities if a.id == s.activity), None)
    parts: list[str | tuple[str, str]] = [
        (f"{activity.name if activity else s.activity}  ({s.id})\n", "bold"),
        f"{s.start.astimezone(tz):%a %d %b %H:%M}–{s.end.astimezone(tz):%H:%M}\n",
    ]
    where = s.location or s.venue
    if where:
        parts.append(f"where: {where}\n")
    parts.append((f"\nAttending ({len(s.attendees)}):\n", "bold"))
    parts.extend(f"  ✓ {names.get(pid, pid)}\n" for pid in s.attendees)
    if plan is not None:
        missing = [u for u in plan.unplaced if u.activity == s.activity]
        if missing:
            parts.append((f"\nOpted in, not placed ({len(missing)}):\n", "bold"))
            for u in missing:
                reasons = "; ".join(r.detail or r.rule for r in u.reasons) or "no reason given"
                parts.append(f"  ✗ {names.get(u.person, u.person)}: {reasons}\n")
        not_held = [n for n in plan.not_held if n.activity == s.activity]
        for n in not_held:
            reasons = "; ".join(r.detail or r.rule for r in n.reasons)
            parts.append(f"\nSession {n.session} not held: {reasons}\n")
    return assemble(*parts)
