"""The Plan tab's "What would it take?" view (issue 19): what relaxing each limit would buy.

:meth:`PriceView.start` runs :func:`planner.solve.price.price` in a thread worker: progress
comes back through ``call_from_thread`` (the UI never waits on the search), the ranked list
fills in when it ends, and the highlighted line shows the sessions that change ("+ Team
lunch Tue 12:00: 4 more; Billing coffee unchanged"). Applying a line (``a``) asks first,
then edits the one rule through the workspace, as the Rules tab does: an ordinary edit that
``u`` (or ctrl+z) undoes. Nothing is ever applied on its own.

Only team-level limits are listed, and the view names no person's boundary or reason: the
session changes are counts per session, never who (privacy invariant 4). Every user text
(activity, queue and venue names) is shown literally (:mod:`planner.tui.text`).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, ProgressBar, Static

from planner.domain.errors import PlannerError
from planner.domain.models import Scenario
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Schedule
from planner.domain.timeutil import zone
from planner.domain.words import plural
from planner.solve.engine import SolveOptions
from planner.solve.price import Price, PriceReport, Relaxation, price
from planner.tui.screens.dialogs import ConfirmDialog
from planner.tui.text import assemble, literal, notify, one_line

if TYPE_CHECKING:
    from planner.store import Workspace
    from planner.store.workspace import RecordKind

PRIVACY_NOTE = "Personal availability and people's own limits are never priced."


def session_changes(scenario: Scenario, before: Schedule, after: Schedule) -> list[str]:
    """What a relaxed plan changes, per session, in counts only: ``+ Team lunch Tue 12:00:
    4 more``, ``+ Quiz Wed 15:00: held, 6 people``, ``− Walk Thu 11:00: not held``, then
    ``unchanged: …``. Times are in the team zone; nobody is named."""
    tz = zone(scenario.team.timezone)
    names = {a.id: a.name for a in scenario.activities}
    old = {(s.activity, s.id): s for s in before.sessions}
    new = {(s.activity, s.id): s for s in after.sessions}
    lines: list[str] = []
    same: Counter[str] = Counter()
    for key in sorted(old.keys() | new.keys(), key=lambda k: (names.get(k[0], k[0]), k[1])):
        o, n = old.get(key), new.get(key)
        name = names.get(key[0], key[0])
        if o is not None and n is not None:
            when = f"{n.start.astimezone(tz):%a %H:%M}"
            diff = len(n.attendees) - len(o.attendees)
            moved = n.start != o.start
            if diff > 0:
                lines.append(f"+ {name} {when}: {diff} more" + (" (moved)" if moved else ""))
            elif diff < 0:
                lines.append(f"− {name} {when}: {-diff} fewer" + (" (moved)" if moved else ""))
            elif moved:
                lines.append(f"~ {name}: moved to {when}")
            else:
                same[name] += 1
        elif n is not None:
            when = f"{n.start.astimezone(tz):%a %H:%M}"
            lines.append(f"+ {name} {when}: held, {len(n.attendees)} people")
        elif o is not None:
            lines.append(f"− {name} {o.start.astimezone(tz):%a %H:%M}: not held")
    if same:
        lines.append("unchanged: " + ", ".join(sorted(same)))
    return lines


def apply_relaxation(ws: Workspace, priced: Scenario, relaxation: Relaxation) -> str:
    """Edit the workspace's rule as ``relaxation`` does; one undoable edit, as the Rules tab
    makes it (the policy document, or the one activity, venue or queue record). Refused
    when the workspace changed since it was priced (its records may have moved)."""
    with ws.write():
        scenario = ws.load_scenario()
        if scenario != priced:
            raise PlannerError("the workspace changed since it was priced; press r to price again")
        relaxed = relaxation.relax(scenario)
        before = scenario.model_dump(mode="json")
        after = relaxed.model_dump(mode="json")
        changed = [k for k in after if after[k] != before.get(k)]
        label = f"relax {relaxation.label}"
        if changed == ["policy"]:
            ws.put_document("policy", relaxed.policy)
            return label
        if len(changed) == 1 and changed[0] in ("activities", "venues", "queues"):
            kind = changed[0]
            old = {r["id"]: r for r in before[kind]}
            edited = [
                r for r in getattr(relaxed, kind) if old.get(r.id) != r.model_dump(mode="json")
            ]
            if len(edited) == 1 and edited[0].id in old and len(old) == len(after[kind]):
                ws.put_record(
                    cast("RecordKind", kind), edited[0], replacing=edited[0].id, label=label
                )
                return label
        # A floor in one window only: the queue keeps its floor outside it and a queue of the
        # same members holds the lower floor inside it (several records, one edit).
        ws.save_scenario(relaxed, None, label=label)
        return label


class PriceView(Vertical):
    """The ranked list of limits and, for the highlighted one, the sessions that change."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a",
            "apply",
            "Apply",
            tooltip="Apply this change to the rule (asks first).",
            id="price-apply",
        ),
        Binding("u", "undo", "Undo", tooltip="Undo the last edit.", id="price-undo"),
        Binding("r", "again", "Price again", tooltip="Price every limit again.", id="price-again"),
        Binding("escape", "close", "Back to plan", tooltip="Back to the plan.", id="price-close"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.report: PriceReport | None = None
        self.priced: PlanningInput | None = None
        self._rows: list[Price] = []
        self._stop = threading.Event()
        self.running = False
        self._request: tuple[float, int] = (10.0, 2)

    def compose(self) -> ComposeResult:
        yield Static("What would it take? Press r to price every limit.", id="price-status")
        yield ProgressBar(total=1, show_eta=False, id="price-progress")
        with Horizontal(classes="split"):
            yield DataTable(id="price-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(classes="detail"):
                yield Static("", id="price-detail")

    def on_mount(self) -> None:
        table = self.query_one("#price-table", DataTable)
        table.add_column("Limit (one step)", key="limit")
        table.add_column("Gain", key="gain")

    def on_unmount(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ running

    def start(self, time_limit: float, workers: int) -> None:
        """Price every limit of the workspace in a thread worker (one at a time)."""
        self._request = (time_limit, workers)
        self.query_one("#price-table", DataTable).focus()
        if self.running:
            notify(self, "Pricing is running; wait for it or press Escape.")
            return
        app: Any = self.app
        try:
            problem = app.workspace.planning_input(app.now())
        except PlannerError as exc:
            notify(self, str(exc), severity="error", timeout=8)
            return
        self.priced, self.report, self._rows = problem, None, []
        self.query_one("#price-table", DataTable).clear()
        self.query_one("#price-detail", Static).update("")
        self._status(f"pricing each limit, {time_limit:g} s in all…")
        self.query_one("#price-progress", ProgressBar).update(total=1, progress=0)
        self._stop = threading.Event()
        self.running = True
        options = SolveOptions(time_limit=time_limit, workers=workers)
        stop = self._stop
        self.run_worker(
            lambda: self._run(problem, options, stop),
            thread=True,
            exclusive=True,
            group="price",
            exit_on_error=False,
        )

    def _run(self, problem: PlanningInput, options: SolveOptions, stop: threading.Event) -> None:
        """In the worker thread: messages to the UI only through ``call_from_thread``."""

        def progress(done: int, total: int, _label: str) -> None:
            if not stop.is_set():
                self.app.call_from_thread(self._progress, done, total)

        try:
            report = price(problem, options, progress=progress, stop=stop.is_set)
        except Exception as exc:  # shown, never a crash of the UI
            if not stop.is_set():
                self.app.call_from_thread(self._failed, str(exc))
            return
        if not stop.is_set():
            self.app.call_from_thread(self._done, report)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#price-progress", ProgressBar).update(total=max(1, total), progress=done)
        self._status(f"pricing each limit… {done} of {total} settled")

    def _failed(self, message: str) -> None:
        self.running = False
        self._status("pricing failed: " + message)

    def _done(self, report: PriceReport) -> None:
        self.running = False
        self.report = report
        bar = self.query_one("#price-progress", ProgressBar)
        bar.update(total=1, progress=1)
        if report.status.value not in ("optimal", "feasible"):
            self._status(f"no plan to price ({report.status.value}); solve first")
            return
        self._rows = [p for p in report.prices if p.status != "not_binding"]
        idle = len(report.prices) - len(self._rows)
        table = self.query_one("#price-table", DataTable)
        table.clear()
        for p in self._rows:
            table.add_row(one_line(p.relaxation.label), one_line(p.gain_text()))
        gains = sum(1 for p in self._rows if p.status == "gain")
        self._status(
            f"now {plural(report.people, 'person')} with a yes placed"
            + ("" if report.proven else " (not proven best)")
            + f" · {gains} gain, {idle} not binding · {report.seconds:.0f} s"
        )
        if self._rows:
            table.move_cursor(row=0, animate=False)
        self._describe()

    def _status(self, text: str) -> None:
        self.query_one("#price-status", Static).update(literal(text))

    # ------------------------------------------------------------------ detail

    def _chosen(self) -> Price | None:
        table = self.query_one("#price-table", DataTable)
        if not self._rows or not (0 <= table.cursor_row < len(self._rows)):
            return None
        return self._rows[table.cursor_row]

    def _describe(self) -> None:
        detail = self.query_one("#price-detail", Static)
        p = self._chosen()
        if self.report is None:
            return
        if p is None:
            detail.update(
                literal("No limit binds: relaxing any one places nobody more.\n\n" + PRIVACY_NOTE)
            )
            return
        parts: list[str | tuple[str, str]] = [(p.relaxation.label + "\n", "bold"), p.gain_text()]
        if p.status == "gain":
            parts.append(" (proven)\n\n" if p.proven else " (at least, in the time given)\n\n")
            if p.schedule is not None and self.report.plan is not None and self.priced:
                changes = session_changes(self.priced.scenario, self.report.plan, p.schedule)
                parts.append("\n".join(changes) if changes else "no session changes")
            parts.append("\n\na: apply this change to the rule (asks first)")
        parts.append("\n\n" + PRIVACY_NOTE)
        detail.update(assemble(*parts))

    @on(DataTable.RowHighlighted, "#price-table")
    def _highlighted(self) -> None:
        self._describe()

    # ------------------------------------------------------------------ actions

    def action_apply(self) -> None:
        p = self._chosen()
        if p is None or p.status != "gain" or self.priced is None:
            notify(self, "Choose a limit that gains to apply it.")
            return
        priced = self.priced.scenario
        relaxation = p.relaxation

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            app: Any = self.app
            try:
                label = apply_relaxation(app.workspace, priced, relaxation)
            except PlannerError as exc:
                notify(self, str(exc), severity="error", timeout=8)
                return
            notify(self, f"Applied: {label} (u or ctrl+z undoes).", timeout=4)
            # The prices were of the old rules: the list stays, marked as done.
            self.priced = (
                replace(self.priced, scenario=relaxation.relax(priced)) if self.priced else None
            )
            self._status("applied; press r to price the new rules")
            app.reload()

        self.app.push_screen(
            ConfirmDialog(
                f"Apply: {relaxation.label}?",
                confirm="Apply",
                details=[p.gain_text(), "An ordinary edit of the rule: ctrl+z (or u) undoes it."],
            ),
            confirmed,
        )

    def action_undo(self) -> None:
        app: Any = self.app
        app.action_undo()

    def action_again(self) -> None:
        self.start(*self._request)

    def action_close(self) -> None:
        self._stop.set()
        self.running = False
        app: Any = self.app
        app.query_one("#plan-pane").close_price()

    def text(self) -> str:
        """The view's text as shown (status, list, detail), for tests and the privacy scan."""
        table = self.query_one("#price-table", DataTable)
        rows = [" | ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        parts = [
            str(self.query_one("#price-status", Static).render()),
            *rows,
            str(self.query_one("#price-detail", Static).render()),
        ]
        return "\n".join(parts)


__all__ = ["PriceView", "apply_relaxation", "session_changes"]
