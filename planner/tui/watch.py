"""Several organisers on one workspace, as the organiser's TUI shows it (issue 16).

* Who changed the selected record: "changed by Ana 2 min ago" under the tabs, for a record
  another organiser changed last (the name shown literally, as every user text).
* The app polls the workspace's change counter every :data:`POLL_SECONDS` in a thread (one
  row on a server that may be slow to answer); when it moved and the move was not the
  app's own edit, the app reloads, and the cursor stays on the record it was on.
* Every edit passes the version of the record as it was read; one refused as
  :class:`~planner.store.workspace.StaleEdit` opens :class:`StaleDialog`, which shows both
  values and asks: keep theirs, use mine (saved over the version now stored), or cancel.
  Nothing is ever overwritten without that answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Label, Static, TabbedContent

from planner.domain.errors import InputError, PlannerError
from planner.domain.models import Scenario
from planner.domain.words import plural
from planner.store.workspace import RecordChange, StaleEdit, Workspace
from planner.tui.text import assemble, literal, notify

if TYPE_CHECKING:
    from planner.tui.app import PlannerApp

POLL_SECONDS = 3.0
"""How often the app asks whether the workspace moved (one row read, off the UI thread)."""

Choice = Literal["theirs", "mine", "cancel"]
RecordKey = tuple[str, str]
"""(kind, id) as the workspace stamps records: ``people``/``activities``/``venues``/
``queues`` with the record's id, ``answers`` with ``person/activity``, ``documents`` with
``team`` or ``policy``."""


def ago(at: datetime, now: datetime) -> str:
    """How long ago, in the words of a status line: "just now", "2 min ago", "3 h ago",
    "2 days ago" (a clock a little ahead of ours is "just now")."""
    seconds = (now - at).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{plural(int(seconds // 86400), 'day')} ago"


@dataclass
class Watch:
    """What the app knows of the other organisers: the change counter and every record's
    last change as of the last load, and who "we" are."""

    me: str
    counter: int = -1
    commits: int = 0
    """The app's own commits (``Workspace.commits``) when ``counter`` was read."""
    changes: dict[RecordKey, RecordChange] = field(default_factory=dict)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """Wall time (the stamps' clock), not the app's planning clock."""

    def load(self, ws: Workspace) -> None:
        """Read the counter and the stamps, before the data they describe: a version is
        then never newer than the data shown (at worst older, which asks once too often,
        never overwrites)."""
        self.counter = ws.change_counter()
        self.commits = ws.commits  # after the counter: a commit between counts as theirs
        self.changes = ws.record_changes()

    def moved(self, counter: int, commits: int) -> bool:
        """Whether someone else wrote since the load: the counter moved further than the
        app's own commits (read before the counter, so a commit between is one reload
        too many, never one missed)."""
        return counter - self.counter > commits - self.commits

    def version(self, key: RecordKey) -> int:
        change = self.changes.get(key)
        return change.version if change else 0

    def saved(self, key: RecordKey, version: int) -> None:
        """Our own edit of ``key`` committed as ``version`` (no reload needed to know)."""
        self.changes[key] = RecordChange(version, self.me, self.clock())

    def by_other(self, key: RecordKey) -> RecordChange | None:
        change = self.changes.get(key)
        return change if change is not None and change.organiser != self.me else None


def record_label(scenario: Scenario | None, key: RecordKey) -> str:
    """The record's name as the organiser knows it (never a bare id when a name exists)."""
    kind, record_id = key

    def name(kind: str, rid: str) -> str:
        records = getattr(scenario, kind, []) if scenario is not None else []
        return next((str(r.name) for r in records if r.id == rid), rid)

    if kind == "answers":
        person, _, activity = record_id.partition("/")
        return f"{name('people', person)}'s answer to {name('activities', activity)}"
    if kind == "documents":
        return f"the {record_id}"
    return name(kind, record_id)


def changed_by(change: RecordChange, now: datetime) -> list[str | tuple[str, str]]:
    return ["changed by ", (change.organiser, "bold"), f" {ago(change.at, now)}"]


def selected_record(app: PlannerApp) -> RecordKey | None:
    """The record under the cursor of the tab on show (None: none, or a tab without
    records)."""
    from planner.tui.widgets.activities import ActivitiesPane
    from planner.tui.widgets.answers import AnswersPane
    from planner.tui.widgets.people import PeoplePane
    from planner.tui.widgets.rules import RulesPane

    # The main screen's tabs, also while a dialog is open over them; none while the app is
    # starting or shutting down.
    main = app.screen_stack[0] if app.screen_stack else None
    found = main.query(TabbedContent) if main is not None else None
    if main is None or not found:
        return None
    tab = found.first().active
    if tab == "people":
        pid = main.query_one(PeoplePane).selected_id()
        return ("people", pid) if pid else None
    if tab == "activities":
        aid = main.query_one(ActivitiesPane).selected_id()
        return ("activities", aid) if aid else None
    if tab == "answers":
        current = getattr(main.query_one(AnswersPane), "_current", lambda: None)()
        return ("answers", f"{current[0]}/{current[1]}") if current else None
    if tab == "rules":
        sel = main.query_one(RulesPane).selected()
        if sel is None:
            return None
        kind, rid = sel
        return ("documents", kind) if kind in ("team", "policy") else (kind, rid)
    return None


def keep_cursor(app: PlannerApp, key: RecordKey | None) -> None:
    """After a reload, put the Answers cursor back on the cell it was on (the People,
    Activities and Rules tables keep their record by id themselves; the matrix keeps
    only its row number, which another organiser's new person shifts)."""
    from planner.tui.widgets.answers import AnswersPane

    if key is None or key[0] != "answers" or selected_record(app) == key:
        return
    pane = app.query_one(AnswersPane)
    people: list[str] = getattr(pane, "_people", [])
    activities: list[str] = getattr(pane, "_activities", [])
    pid, _, aid = key[1].partition("/")
    if pid in people and aid in activities:
        table = pane.query_one(DataTable)
        table.cursor_coordinate = Coordinate(people.index(pid), activities.index(aid) + 1)


class ChangedBy(Static):
    """One line under the tabs: who else changed the selected record, and when. Hidden
    while the record's last change is the organiser's own (or none)."""

    DEFAULT_CSS = """
    ChangedBy { height: 1; padding: 0 1; color: $text-warning; display: none; }
    ChangedBy.shown { display: block; }
    """

    def show_change(self, label: str, change: RecordChange | None, now: datetime) -> None:
        if change is None:
            self.update("")
            self.remove_class("shown")
            return
        self.update(assemble(label, ": ", *changed_by(change, now)))
        self.add_class("shown")


@dataclass
class WorkspaceMoved(Message):
    """The poll found someone else's write: the counter and the app's own commits."""

    counter: int
    commits: int


def _shown_value(value: Any) -> str:
    if value is None:
        return "blank"
    if isinstance(value, str):
        return value
    return str(value)


def stale_lines(exc: StaleEdit, now: datetime) -> list[str]:
    """Both values of a refused edit: the stored one (by whom, when) and the organiser's.
    A record shows only the fields that differ."""
    who = f"by {exc.change.organiser}, {ago(exc.change.at, now)}" if exc.change else ""
    theirs_title = f"Theirs ({who}):" if who else "Theirs:"
    current, mine = exc.current, exc.mine
    if isinstance(current, Mapping) and mine is None:  # a removal
        return [f"{theirs_title} changed it", "Yours: remove it"]
    if isinstance(current, Mapping) and isinstance(mine, Mapping):
        fields = [k for k in dict.fromkeys([*current, *mine]) if current.get(k) != mine.get(k)]
        return [
            theirs_title,
            *(f"  {k}: {_shown_value(current.get(k, '(not set)'))}" for k in fields),
            "Yours:",
            *(f"  {k}: {_shown_value(mine.get(k, '(not set)'))}" for k in fields),
        ]
    return [f"{theirs_title} {_shown_value(current)}", f"Yours: {_shown_value(mine)}"]


class StaleDialog(ModalScreen[Choice]):
    """An edit met a newer change by someone else: both values, and three ways on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Save nothing.", id="stale-cancel")
    ]
    AUTO_FOCUS = "#theirs"  # Enter keeps what is stored: never an overwrite by default

    def __init__(self, label: str, lines: list[str]) -> None:
        super().__init__()
        self.label = label
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(f"{self.label} changed meanwhile"), classes="dialog-title")
            yield Static(literal("\n".join(self.lines)), classes="hint", id="stale-values")
            with Horizontal(classes="buttons"):
                yield Button("Keep theirs", variant="primary", id="theirs")
                yield Button("Use mine", variant="warning", id="mine")
                yield Button("Cancel", id="cancel")
        yield Footer()

    @on(Button.Pressed, "#theirs")
    def _theirs(self) -> None:
        self.dismiss("theirs")

    @on(Button.Pressed, "#mine")
    def _mine(self) -> None:
        self.dismiss("mine")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss("cancel")


def checked_edit(
    app: PlannerApp,
    key: RecordKey,
    expected: int,
    write: Callable[[int], object],
    saved: Callable[[], None],
    *,
    refused: Callable[[InputError], None] | None = None,
    cancelled: Callable[[int], None] | None = None,
) -> None:
    """Run ``write(expected)`` (an edit passing ``expected_version``), then ``saved()``.

    A :class:`StaleEdit` asks (:class:`StaleDialog`): keep theirs reloads; use mine runs
    ``write`` again over the version now stored (asking again if it moved once more);
    cancel calls ``cancelled(version now stored)`` (a form reopens with the organiser's
    values), else reloads. An :class:`InputError` goes to ``refused`` when given.
    """
    try:
        write(expected)
    except StaleEdit as exc:
        scenario = app.snapshot.scenario if app.snapshot else None
        label = record_label(scenario, key)
        label = label[0].upper() + label[1:]
        now, actual = app.watcher.clock(), exc.actual

        def chosen(choice: Choice | None) -> None:
            if choice == "mine":
                checked_edit(app, key, actual, write, saved, refused=refused, cancelled=cancelled)
            elif choice == "cancel" and cancelled is not None:
                app.reload()
                cancelled(actual)
            else:
                app.reload()

        app.push_screen(StaleDialog(label, stale_lines(exc, now)), chosen)
        return
    except InputError as exc:
        if refused is not None:
            refused(exc)
            return
        notify(app, str(exc), title=exc.title, severity="error", timeout=8)
        app.reload()
        return
    except PlannerError as exc:
        notify(app, str(exc), title=exc.title, severity="error", timeout=8)
        app.reload()
        return
    app.watcher.saved(key, expected + 1)
    saved()
    show_changed_by(app)  # the last change is ours now


def show_changed_by(app: PlannerApp) -> None:
    """Fill the "changed by" line for the record under the cursor."""
    key = selected_record(app)
    change = app.watcher.by_other(key) if key is not None else None
    scenario = app.snapshot.scenario if app.snapshot else None
    # Named only when shown: on every cursor move, over 5,000 people.
    label = record_label(scenario, key) if key is not None and change is not None else ""
    for line in app.query(ChangedBy):
        line.show_change(label, change, app.watcher.clock())
