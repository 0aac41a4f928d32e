"""The organiser's terminal UI: one app over one workspace.

:func:`make_app` is the only way the CLI and the tests build it. The app owns the
workspace; every edit a pane asks for is one workspace transaction, saved at once (closing
the terminal loses nothing) and undoable with ctrl+z. After each edit the app loads a
fresh :class:`Snapshot` and hands it down to the panes (attributes down, messages up).
Solving, explaining and exporting run in thread workers that post typed messages; the
solver itself releases the GIL, so the UI stays live while it searches.

Focus follows one model, written down in :mod:`planner.tui.focus`: each screen and dialog
focuses its first useful widget on open, Escape backs out one level (search -> table -> tab
bar), text boxes take printable keys and never the app's keys, Enter submits a form.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, cast

from pydantic import BaseModel
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Label, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from planner import service
from planner.domain.catalogue import default_catalogue
from planner.domain.errors import InputError, PlannerError
from planner.domain.models import Activity, Person, Policy, Queue, Scenario, Team, Venue
from planner.domain.planning import Interval, PlanningInput
from planner.domain.schedule import Schedule
from planner.domain.timeutil import zone
from planner.domain.words import plural, record_noun
from planner.i18n import N_, translator
from planner.store import Workspace
from planner.store.invites import list_replies
from planner.store.workspace import RecordKind, organiser
from planner.tui.bindings import shared_bindings
from planner.tui.commands import PlannerCommands
from planner.tui.focus import TabbedScreen, tab_bar
from planner.tui.respond import translate_bindings, translated
from planner.tui.screens.dialogs import ConfirmDialog, NewRoundDialog, PathPrompt, PickDialog
from planner.tui.screens.forms import PersonForm, RecordEditor, problems_by_field, to_toml
from planner.tui.screens.help import HelpScreen, binding_rows
from planner.tui.screens.preview import BusyPreview
from planner.tui.state import (
    ExportSummary,
    export_summary,
    input_digest,
    invite_state,
    meta_key,
    problem_digest,
)
from planner.tui.text import assemble, literal, notify
from planner.tui.watch import (
    POLL_SECONDS,
    ChangedBy,
    Watch,
    WorkspaceMoved,
    checked_edit,
    keep_cursor,
    selected_record,
    show_changed_by,
)
from planner.tui.widgets.activities import ActivitiesPane
from planner.tui.widgets.answers import AnswersPane
from planner.tui.widgets.base import Pane, Snapshot
from planner.tui.widgets.export import ExportPane
from planner.tui.widgets.overview import OverviewPane
from planner.tui.widgets.people import PeoplePane
from planner.tui.widgets.plan import PlanPane, Progress
from planner.tui.widgets.rounds import RoundsPane, RoundsView, rounds_view
from planner.tui.widgets.rules import RulesPane, rule_data
from planner.tui.widgets.week_grid import WeekGrid

DEFAULT_TIME_LIMIT = 10.0
"""Seconds: short, so that a newcomer sees a plan quickly; adjustable on the Plan tab."""

TABS: list[tuple[str, str]] = [
    ("overview", N_("Overview")),
    ("people", N_("People")),
    ("activities", N_("Activities")),
    ("answers", N_("Answers")),
    ("rules", N_("Rules")),
    ("plan", N_("Plan")),
    ("export", N_("Export")),
    ("rounds", N_("Rounds")),
]

ERROR_TITLES = (
    N_("Error"),
    N_("Invalid input"),
    N_("Workspace"),
    N_("Workspace busy"),
    N_("Changed meanwhile"),
    N_("Cannot undo"),
    N_("Infeasible"),
    N_("Delivery"),
)
"""The titles of planner's errors (``PlannerError.title``), shown in the organiser's
language on an error notification."""


class SolverLike(Protocol):
    def solve(self, on_progress: Callable[[Any], None] | None = None) -> Any: ...

    def stop(self) -> None: ...


SolverFactory = Callable[[PlanningInput, float, int], SolverLike]
"""(problem, time limit, workers) -> a solver with ``solve(on_progress)`` and ``stop()``."""


def default_workers() -> int:
    """Solver threads: all cores but one. The UI thread needs a core of its own: with every
    core busy searching, a keypress took up to a second to show on a 2-core machine."""
    return max(1, (os.cpu_count() or 2) - 1)


def default_solver(problem: PlanningInput, time_limit: float, workers: int) -> SolverLike:
    # A child process: model building and explanations are Python that would otherwise hold
    # the GIL for seconds next to the UI thread.
    from planner.solve import SolveOptions
    from planner.solve.process import ProcessSolver

    return cast(
        SolverLike,
        ProcessSolver(problem, SolveOptions(time_limit=time_limit, workers=workers, seed=0)),
    )


# ---------------------------------------------------------------------- worker messages


@dataclass
class SolveProgressed(Message):
    """The solver's latest numbers; a burst collapses to the newest (``can_replace``)."""

    progress: Progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SolveProgressed)


@dataclass
class SolvePhase(Message):
    """The solve worker moved on: "building", "searching", "checking" or "saving"."""

    phase: str


@dataclass
class SolveFinished(Message):
    schedule: Schedule
    problem: PlanningInput
    stopped: bool
    plan_id: int
    """The workspace's id of ``schedule`` (saved by the solve worker)."""


@dataclass
class ExplainReady(Message):
    person_id: str
    text: Text


@dataclass
class ExportFinished(Message):
    lines: list[str]
    files: list[Path]


@dataclass
class RoundsLoaded(Message):
    view: RoundsView


@dataclass
class ClosePreviewed(Message):
    """What closing the current round would record (``planner.rounds.preview_close``)."""

    preview: Any


@dataclass
class RoundClosed(Message):
    lines: list[str]


# ---------------------------------------------------------------------- the welcome screen


class Welcome(ModalScreen[str]):
    """Shown on an empty workspace: import a scenario or start from the demo."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "quit_app", "Quit", tooltip="Leave planner.", id="welcome-quit")
    ]
    AUTO_FOCUS = "#import"

    def compose(self) -> ComposeResult:
        _ = getattr(self.app, "t", translator()).gettext
        with Vertical(classes="dialog"):
            yield Label(_("This workspace is empty"), classes="dialog-title")
            yield Static(
                _(
                    "Import a scenario file (TOML or JSON, see `planner schema`), or start "
                    "from the demo organisation to look around."
                ),
                classes="hint",
            )
            with Horizontal(classes="buttons"):
                yield Button(_("Import…"), variant="primary", id="import")
                yield Button(_("Demo"), id="demo")
                yield Button(_("Quit"), id="quit")
        yield Footer()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "quit")

    def action_quit_app(self) -> None:
        self.dismiss("quit")


# ---------------------------------------------------------------------- the app


class PlannerApp(App[int]):
    """The organiser's app. Build it with :func:`make_app`."""

    CSS_PATH = "planner.tcss"
    TITLE = "planner"
    COMMANDS = App.COMMANDS | {PlannerCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+q",
            "quit",
            N_("Quit"),
            tooltip=N_("Leave planner (everything is saved)."),
            id="quit",
            priority=True,
        ),
        Binding(
            "ctrl+z",
            "undo",
            N_("Undo"),
            tooltip=N_("Undo the last edit in the workspace."),
            id="undo",
            priority=True,
        ),
        Binding(
            "f5",
            "solve",
            N_("Solve"),
            tooltip=N_("Plan the round in the background."),
            id="solve",
            priority=True,
        ),
        *shared_bindings(TABS),
    ]

    MAIN_SCREEN_ONLY: ClassVar[frozenset[str]] = frozenset({"undo", "solve", "tab", "help"})
    """Actions that act on the screen beneath: off while a dialog is open."""

    def __init__(
        self,
        workspace: str,
        *,
        now: Callable[[], datetime] | None = None,
        time_limit: float = DEFAULT_TIME_LIMIT,
        workers: int | None = None,
        solver_factory: SolverFactory | None = None,
        keymap: Mapping[str, str] | None = None,
        out_dir: Path | None = None,
        check_plans: bool = True,
        language: str = "en",
    ) -> None:
        super().__init__()
        self.t = translator(language)
        """The organiser's language: tab titles, the app's keys, error titles (README)."""
        translate_bindings(self, self.t)
        self.check_plans = check_plans
        self.workspace_target = workspace
        self.ws: Workspace | None = None
        self.now = now or (lambda: datetime.now(UTC))
        self.time_limit = time_limit
        self.solver_workers = workers or default_workers()
        self.solver_factory = solver_factory or default_solver
        self.keymap_overrides = dict(keymap or {})
        self.out_dir = out_dir or _default_out(workspace)
        self.snapshot: Snapshot | None = None
        self._solver: SolverLike | None = None
        self._stop_requested = False
        self._problem: PlanningInput | None = None
        self._version = 0
        self._plan_id: int | None = None
        self._plan: Schedule | None = None
        self.watcher = Watch(organiser())
        """The other organisers' changes (:mod:`planner.tui.watch`)."""

    # ------------------------------------------------------------------ layout

    def get_default_screen(self) -> TabbedScreen:
        return TabbedScreen(id="_default")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.MAIN_SCREEN_ONLY and isinstance(self.screen, ModalScreen))

    def compose(self) -> ComposeResult:
        _ = self.t.gettext
        with TabbedContent(initial="overview", id="tabs"):
            with TabPane(_("Overview"), id="overview"):
                yield OverviewPane(id="overview-pane")
            with TabPane(_("People"), id="people"):
                yield PeoplePane(id="people-pane")
            with TabPane(_("Activities"), id="activities"):
                yield ActivitiesPane(id="activities-pane")
            with TabPane(_("Answers"), id="answers"):
                yield AnswersPane(id="answers-pane")
            with TabPane(_("Rules"), id="rules"):
                yield RulesPane(id="rules-pane")
            with TabPane(_("Plan"), id="plan"):
                yield PlanPane(time_limit=self.time_limit, id="plan-pane")
            with TabPane(_("Export"), id="export"):
                yield ExportPane(out_dir=self.out_dir, id="export-pane")
            with TabPane(_("Rounds"), id="rounds"):
                yield RoundsPane(id="rounds-pane")
        yield ChangedBy(id="changed-by")
        yield Footer()

    def on_mount(self) -> None:
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        try:
            self.ws = Workspace.open(self.workspace_target)
        except PlannerError as exc:
            self.exit(return_code=exc.exit_code, message=literal(exc))
            return
        for warning in self.ws.warnings:
            notify(self, warning, severity="warning", timeout=10)
        self.set_interval(POLL_SECONDS, self.poll_workspace)
        if self.ws.has_scenario():
            self.reload()
        else:
            self.push_screen(Welcome(), self._welcome_done)

    def on_unmount(self) -> None:
        if self._solver is not None:
            self._solver.stop()
        if self.ws is not None:
            self.ws.close()

    def _welcome_done(self, choice: str | None) -> None:
        assert self.ws is not None
        if choice == "demo":
            from planner.demo import demo_scenario

            self.ws.save_scenario(demo_scenario(), {}, label="create demo")
            self.reload()
        elif choice == "import":
            self._ask_import(then_welcome=True)
        else:
            self.exit(0)

    # ------------------------------------------------------------------ data down

    @property
    def workspace(self) -> Workspace:
        assert self.ws is not None, "the workspace is opened on mount"
        return self.ws

    def reload(self) -> None:
        """Load the workspace and hand the snapshot to every pane."""
        ws = self.workspace
        if not ws.has_scenario():
            return
        cursor = selected_record(self)
        self.watcher.load(ws)  # before the data: see Watch.load
        self._version += 1
        # A plan of 2,000 people is megabytes of JSON: parse it again only when it changed.
        plan_id = ws.latest_plan_id()
        if plan_id != self._plan_id or self.snapshot is None:
            self._plan_id, self._plan = plan_id, ws.latest_plan()
        scenario = ws.load_scenario()
        self.snapshot = Snapshot(
            scenario=scenario,
            plan=self._plan,
            replies=self._replies(),
            location=Path(ws.location).name,
            version=self._version,
            plan_state=self._plan_state(scenario),
            invites=invite_state(self._plan, ws.published_sessions()),
        )
        for pane in self.query(Pane):
            pane.show_snapshot(self.snapshot)
        keep_cursor(self, cursor)
        show_changed_by(self)

    # -- other organisers (planner.tui.watch)

    def poll_workspace(self) -> None:
        """Every few seconds: the "ago" of the line again, and has anyone written?"""
        if self.snapshot is None:
            return
        show_changed_by(self)
        self._read_counter()

    @work(thread=True, exclusive=True, exit_on_error=False, group="watch")
    def _read_counter(self) -> None:
        ws = self.workspace
        commits = ws.commits  # before the counter: see Watch.moved
        counter = ws.change_counter()
        if self.watcher.moved(counter, commits):
            self.post_message(WorkspaceMoved(counter, commits))

    @on(WorkspaceMoved)
    def _workspace_moved(self, message: WorkspaceMoved) -> None:
        if self.watcher.moved(message.counter, message.commits):  # not reloaded meanwhile
            self.reload()

    @on(DataTable.RowHighlighted)
    @on(DataTable.CellHighlighted)
    def _cursor_moved(self) -> None:
        show_changed_by(self)

    def _plan_state(self, scenario: Scenario) -> str:
        """Whether the latest plan was made from what the workspace holds now (see
        :mod:`planner.tui.state`)."""
        if self._plan_id is None:
            return "none"
        made_from = self.workspace.meta(meta_key(self._plan_id))
        if made_from is None:
            return "unknown"
        ws = self.workspace
        now = input_digest(scenario.model_dump_json(), ws.busy_blocks(), ws.declined())
        return "current" if now == made_from else "stale"

    def _replies(self) -> list[str]:
        """RSVP replies received (organiser's eyes only), newest state per person."""
        return [
            f"{r.person_id} {r.partstat.lower()} {r.session_id or r.uid}"
            for r in list_replies(self.workspace)
        ]

    def _pane(self, kind: type[Pane]) -> Any:
        return self.query_one(kind)

    # ------------------------------------------------------------------ edits (messages up)

    def _edit(
        self, action: Callable[[], object], done: str | None = None, *, reload: bool = True
    ) -> bool:
        """Run one workspace edit; report a refusal with the workspace's own words."""
        try:
            action()
        except PlannerError as exc:  # InputError included
            notify(self, str(exc), title=self.t.gettext(exc.title), severity="error", timeout=8)
            return False
        if done:
            notify(self, done, timeout=3)
        if reload:
            self.reload()
        return True

    def action_undo(self) -> None:
        from planner.store.workspace import UndoBlocked

        try:
            label = self.workspace.undo()
        except UndoBlocked as exc:  # another organiser's later change would be lost
            notify(self, str(exc), severity="warning", timeout=8)
            return
        notify(self, f"Undone: {label}" if label else "Nothing to undo.", timeout=3)
        self.reload()

    # -- people

    def _open_person_form(
        self,
        initial: dict[str, Any],
        editing: bool,
        errors: dict[str, str] | None = None,
        version: int | None = None,
    ) -> None:
        """``version``: the record's as the form's values were read (default: as shown)."""
        scenario = self.snapshot.scenario if self.snapshot else None
        departments = sorted({p.department for p in scenario.people}) if scenario else []
        key = ("people", str(initial.get("id", "")))
        read = self.watcher.version(key) if version is None else version

        def done(person: Person | None) -> None:
            if person is None:
                return
            replacing = initial.get("id") if editing else None
            mine = person.model_dump(mode="json", exclude_none=True)

            def refused(exc: InputError) -> None:
                errs = problems_by_field([(p.location, p.message) for p in exc.problems])
                self._open_person_form(mine, editing, errs, read)

            def saved() -> None:
                notify(self, f"Saved {person.name}.", timeout=3)
                self.reload()

            checked_edit(
                self,
                ("people", person.id),
                read,
                lambda v: self.workspace.put_record(
                    "people",
                    person,
                    replacing=replacing,
                    expected_version=v if editing else None,
                ),
                saved,
                refused=refused,
                cancelled=lambda now: self._open_person_form(mine, editing, None, now),
            )

        self.push_screen(
            PersonForm(initial, editing=editing, errors=errors, departments=departments), done
        )

    @on(PeoplePane.AddRequested)
    def action_add_person(self) -> None:
        self._open_person_form({}, editing=False)

    @on(PeoplePane.EditRequested)
    def _edit_person(self, event: PeoplePane.EditRequested) -> None:
        assert self.snapshot is not None
        person = self.snapshot.scenario.person(event.person_id)
        self._open_person_form(person.model_dump(mode="json", exclude_none=True), editing=True)

    @on(PeoplePane.RemoveRequested)
    def _remove_person(self, event: PeoplePane.RemoveRequested) -> None:
        self._confirm_remove("people", event.person_id)

    @on(PeoplePane.CalendarRequested)
    def _person_calendar(self, event: PeoplePane.CalendarRequested) -> None:
        assert self.snapshot is not None
        person = self.snapshot.scenario.person(event.person_id)

        def chosen(paths: list[Path] | None) -> None:
            if paths:
                self._preview_calendar(person, paths[0])

        self.push_screen(
            PathPrompt(
                f"Calendar of {person.name}",
                "An .ics file. Only start and end times are read; titles are never stored.",
            ),
            chosen,
        )

    def _preview_calendar(self, person: Person, path: Path) -> None:
        assert self.snapshot is not None
        scenario = self.snapshot.scenario
        from planner.calendar.busy import read_busy_blocks  # icalendar loads on first use

        try:
            start, end = service.horizon_bounds(scenario)
            found = read_busy_blocks(
                path, zone=zone(scenario.person_zone_name(person)), start=start, end=end
            )
        except InputError as exc:
            notify(self, str(exc), title=self.t.gettext(exc.title), severity="error", timeout=8)
            return
        blocks: list[Interval] = [(b.start, b.end) for b in found]
        days = (scenario.team.horizon.start, scenario.team.horizon.end)

        def keep(ok: bool | None) -> None:
            if ok:
                self._edit(
                    # Not 'calendar': those are re-read from the scenario's files on import.
                    lambda: self.workspace.set_busy_blocks(
                        person.id, "organiser", blocks, label=f"calendar of {person.name}"
                    ),
                    f"Kept {plural(len(blocks), 'busy block')} for {person.name}.",
                )

        self.push_screen(
            BusyPreview(
                f"{person.name}: {path.name}",
                blocks,
                zone(scenario.team.timezone),
                days,
                keep="Keep these blocks",
            ),
            keep,
        )

    # -- imports

    @on(PeoplePane.ImportRequested)
    @on(ExportPane.ImportRequested)
    def action_import_files(self) -> None:
        self._ask_import()

    def _ask_import(self, *, then_welcome: bool = False) -> None:
        def chosen(paths: list[Path] | None) -> None:
            if paths:
                self.import_paths(paths)
            if then_welcome and not self.workspace.has_scenario():
                self.push_screen(Welcome(), self._welcome_done)

        self.push_screen(
            PathPrompt(
                "Import files",
                "Scenario (.toml/.json), roster (.csv), responses (response-*.toml) or RSVP "
                "replies (.ics); several paths separated by spaces. All are checked first.",
            ),
            chosen,
        )

    def import_paths(self, paths: Sequence[Path]) -> bool:
        """Import files through the core's importers (all validated before any is applied)."""
        result: list[str] = []

        def run() -> None:
            result.extend(service.import_files(self.workspace, list(paths)).messages)

        ok = self._edit(run)
        for line in result:
            notify(self, line, timeout=5)
        return ok

    # -- activities

    @on(ActivitiesPane.AddRequested)
    def action_add_activity(self) -> None:
        catalogue = default_catalogue()
        items = [
            (t.id, f"{t.name} ({t.category.value}, {t.duration_minutes} min)", _template_text(t))
            for t in catalogue.values()
        ]

        def chosen(template_id: str | None) -> None:
            if not template_id:
                return
            existing = {a.id for a in self.snapshot.scenario.activities} if self.snapshot else set()
            new_id, n = template_id, 2
            while new_id in existing:
                new_id, n = f"{template_id}-{n}", n + 1
            text = (
                f'id = "{new_id}"\ntemplate = "{template_id}"\nsessions = 1\n'
                "# Every other field comes from the template; add a line to override it:\n"
                + "".join(
                    f"# {line}\n"
                    for line in to_toml(catalogue[template_id].activity_defaults()).splitlines()
                    if not line.startswith(("description", '"""'))
                )
            )
            self._edit_record("activities", "Add activity", text)

        self.push_screen(PickDialog("Add an activity from a template", items), chosen)

    @on(ActivitiesPane.EditRequested)
    def _edit_activity(self, event: ActivitiesPane.EditRequested) -> None:
        assert self.snapshot is not None
        activity = self.snapshot.scenario.activity(event.activity_id)
        self._edit_record(
            "activities",
            f"Edit {activity.name}",
            to_toml(activity.model_dump(mode="json", exclude_none=True)),
            replacing=activity.id,
        )

    @on(ActivitiesPane.RemoveRequested)
    def _remove_activity(self, event: ActivitiesPane.RemoveRequested) -> None:
        self._confirm_remove("activities", event.activity_id)

    # -- rules

    @on(RulesPane.EditRequested)
    def _edit_rule(self, event: RulesPane.EditRequested) -> None:
        self.action_edit_rule(event.kind, event.record_id)

    def action_edit_rule(self, kind: str, record_id: str = "") -> None:
        assert self.snapshot is not None
        rk = cast(Literal["team", "policy", "queues", "venues"], kind)
        data = rule_data(self.snapshot.scenario, rk, record_id or kind)
        self._edit_record(
            kind,
            f"Edit {kind if kind in ('team', 'policy') else record_id}",
            to_toml(data),
            replacing=record_id or None,
        )

    @on(RulesPane.AddRequested)
    def _add_rule(self, event: RulesPane.AddRequested) -> None:
        self.action_add_rule(event.kind)

    def action_add_rule(self, kind: str) -> None:
        template = (
            'id = "new-queue"\nname = "New queue"\nmin_on_duty = 1\n'
            if kind == "queues"
            else 'id = "new-room"\nname = "New room"\ncapacity = 10\nprovides = []\n'
        )
        self._edit_record(kind, f"Add {record_noun(kind)}", template)

    @on(RulesPane.RemoveRequested)
    def _remove_rule(self, event: RulesPane.RemoveRequested) -> None:
        self._confirm_remove(event.kind, event.record_id)

    _MODELS: ClassVar[dict[str, type[BaseModel]]] = {
        "activities": Activity,
        "queues": Queue,
        "venues": Venue,
        "team": Team,
        "policy": Policy,
    }

    def _edit_record(
        self,
        kind: str,
        title: str,
        text: str,
        errors: list[str] | None = None,
        *,
        replacing: str | None = None,
        version: int | None = None,
    ) -> None:
        """Edit one record as TOML; ``replacing``: the id of the record being edited (none
        when adding); ``version``: the record's as ``text`` was read (default: as shown)."""
        model = self._MODELS[kind]
        document = kind in ("team", "policy")
        key = ("documents", kind) if document else (kind, replacing or "")
        read = self.watcher.version(key) if version is None else version
        checked = document or replacing is not None  # an added record has nothing to meet

        def done(data: dict[str, Any] | None) -> None:
            if data is None:
                return

            def write(v: int) -> None:
                record = model.model_validate(data)
                expected = v if checked else None
                if document:
                    name = cast(Literal["team", "policy"], kind)
                    self.workspace.put_document(name, record, expected_version=expected)  # type: ignore[arg-type]
                else:
                    self.workspace.put_record(
                        cast(RecordKind, kind),
                        record,
                        replacing=replacing,
                        expected_version=expected,
                    )

            def refused(exc: InputError) -> None:
                # Capped like every error list (the first 200, then how many more).
                problems = [p.render() for p in exc.shown()] + [m for m in [exc.more_line()] if m]
                self._edit_record(
                    kind, title, to_toml(data), problems, replacing=replacing, version=read
                )

            def saved() -> None:
                noun = record_noun(kind) + (f" {data['id']}" if data.get("id") else "")
                notify(self, f"Saved {noun}.", timeout=3)
                self.reload()

            checked_edit(
                self,
                key if checked else (kind, str(data.get("id", ""))),
                read,
                write,
                saved,
                refused=refused,
                cancelled=lambda now: self._edit_record(
                    kind, title, to_toml(data), replacing=replacing, version=now
                ),
            )

        self.push_screen(
            RecordEditor(title, text, model, errors=errors, help_text="TOML; ctrl+s saves."), done
        )

    def _confirm_remove(self, kind: str, record_id: str) -> None:
        key = (kind, record_id)
        read = self.watcher.version(key)  # as shown when the question is asked

        def removed() -> None:
            notify(self, f"Removed {record_id} (ctrl+z undoes).", timeout=3)
            self.reload()

        def confirmed(ok: bool | None) -> None:
            if ok:
                checked_edit(
                    self,
                    key,
                    read,
                    lambda v: self.workspace.delete_record(
                        cast(RecordKind, kind), record_id, expected_version=v
                    ),
                    removed,
                )

        self.push_screen(ConfirmDialog(f"Remove {record_id} and every reference to it?"), confirmed)

    # -- answers

    @on(AnswersPane.AnswerChanged)
    def _answer(self, event: AnswersPane.AnswerChanged) -> None:
        key = ("answers", f"{event.person_id}/{event.activity_id}")
        checked_edit(
            self,
            key,
            self.watcher.version(key),  # the cell as shown: read with the last snapshot
            lambda version: self.workspace.set_answer(
                event.person_id, event.activity_id, event.answer, expected_version=version
            ),
            lambda: self._answer_saved(event),
        )

    def _answer_saved(self, event: AnswersPane.AnswerChanged) -> None:
        if self.snapshot is not None:
            # One cell changed: patch the snapshot instead of re-reading 2,000 people.
            snap = self.snapshot
            scenario = snap.scenario.with_answer(event.person_id, event.activity_id, event.answer)
            self._version += 1
            # Any changed answer may change the plan: out of date until re-planned (an undo
            # re-reads the workspace and finds out exactly).
            state = "stale" if snap.plan_state == "current" else snap.plan_state
            self.snapshot = replace(
                snap, scenario=scenario, version=self._version, plan_state=state
            )
            for pane in self.query(Pane):
                pane.show_snapshot(self.snapshot)
        else:
            self.reload()

    # ------------------------------------------------------------------ solving

    @on(PlanPane.SolveRequested)
    def _solve_requested(self, event: PlanPane.SolveRequested) -> None:
        self.start_solve(event.time_limit)

    def action_solve(self) -> None:
        self.action_tab("plan")
        pane = self._pane(PlanPane)
        self.start_solve(pane.time_limit)

    def start_solve(self, time_limit: float) -> None:
        pane = self._pane(PlanPane)
        if pane.solving:
            notify(self, "A solve is already running (x stops it).")
            return
        pane.explanation = None
        pane.progress = None
        pane.time_limit = time_limit
        pane.solving = True
        self._stop_requested = False
        self._solve(time_limit)

    @on(PlanPane.CancelRequested)
    def action_cancel_solve(self) -> None:
        self._stop_requested = True
        if self._solver is not None:
            self._solver.stop()
            notify(self, "Stopping: keeping the best plan found so far…", timeout=3)

    @work(thread=True, exclusive=True, exit_on_error=False, group="solve")
    def _solve(self, time_limit: float) -> None:
        """Runs in a thread: build the problem, solve, explain, save. Posts messages only."""
        self.post_message(SolvePhase("building"))
        problem = self.workspace.planning_input(self.now())
        from planner.domain.budget import check_memory

        check_memory(problem.scenario, self.workspace.location)  # refused before the child
        made_from = problem_digest(problem)
        solver = self.solver_factory(problem, time_limit, self.solver_workers)
        self._solver = solver
        if self._stop_requested:
            solver.stop()

        def progress(p: Any) -> None:
            self.post_message(
                SolveProgressed(
                    Progress(
                        float(p.objective),
                        float(p.bound),
                        float(p.gap),
                        float(p.elapsed),
                        int(p.solutions),
                    )
                )
            )

        self.post_message(SolvePhase("searching"))
        try:
            result = solver.solve(progress)
        finally:
            self._solver = None
        self.post_message(SolvePhase("checking"))
        from planner.solve.pipeline import PlannedRound, finish_round

        # The default solver plans the whole round in its own process (explained and
        # checked); any other solver's result goes through the same last steps here.
        planned = (
            result
            if isinstance(result, PlannedRound)
            else finish_round(problem, result, check=self.check_plans)
        )
        if self.check_plans:
            planned.refuse_if_broken()  # a bug, never a user mistake: never kept
        schedule: Schedule = planned.schedule
        if schedule.generated_at is None:
            schedule = schedule.model_copy(update={"generated_at": self.now()})
        self.post_message(SolvePhase("saving"))
        with self.workspace.write():  # the plan and what it was made from, together
            plan_id = self.workspace.save_plan(schedule)
            self.workspace.set_meta({meta_key(plan_id): made_from})
        self.post_message(SolveFinished(schedule, problem, self._stop_requested, plan_id))

    @on(SolvePhase)
    def _phase(self, message: SolvePhase) -> None:
        self._pane(PlanPane).phase = message.phase

    @on(SolveProgressed)
    def _progressed(self, message: SolveProgressed) -> None:
        self._pane(PlanPane).progress = message.progress

    @on(SolveFinished)
    def _finished(self, message: SolveFinished) -> None:
        pane = self._pane(PlanPane)
        pane.solving = False
        pane.progress = None
        self._problem = message.problem
        status = message.schedule.status.value
        notify(
            self,
            f"Plan {status}{' (stopped early)' if message.stopped else ''}: "
            f"{plural(len(message.schedule.sessions), 'session')}.",
            severity="error" if status == "infeasible" else "information",
            timeout=5,
        )
        if self.snapshot is None:
            self.reload()
            return
        # Solving changes only the plan: hand the new one over instead of re-reading (and
        # re-validating) the whole workspace on the UI thread.
        self._version += 1
        self._plan_id, self._plan = message.plan_id, message.schedule
        self.snapshot = replace(
            self.snapshot,
            plan=message.schedule,
            version=self._version,
            plan_state=self._plan_state(self.snapshot.scenario),
            invites=invite_state(message.schedule, self.workspace.published_sessions()),
        )
        for pane in self.query(Pane):
            pane.show_snapshot(self.snapshot)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "solve":
            self._pane(PlanPane).solving = False
            self._pane(PlanPane).progress = None
        text = str(error)
        title = error.title if isinstance(error, PlannerError) else (event.worker.group or "Error")
        title = self.t.gettext(title)
        notify(self, text, title=title, severity="error", timeout=10)

    # -- explanations

    @on(PlanPane.ExplainRequested)
    def _explain_requested(self, event: PlanPane.ExplainRequested) -> None:
        self._explain(event.person_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain")
    def _explain(self, person_id: str) -> None:
        from planner.solve.explain import explain_person

        plan = self.snapshot.plan if self.snapshot else None
        if plan is None:
            return
        problem = self._problem or self.workspace.planning_input(self.now())
        team_zone = zone(problem.scenario.team.timezone)  # the organiser reads team times
        explanations = explain_person(problem, plan, person_id, tz=team_zone)
        self.post_message(
            ExplainReady(person_id, explanation_text(problem, plan, person_id, explanations))
        )

    @on(ExplainReady)
    def _explained(self, message: ExplainReady) -> None:
        pane = self._pane(PlanPane)
        pane.explanation = (message.person_id, message.text)

    # ------------------------------------------------------------------ export

    @on(ExportPane.ExportRequested)
    def _export_requested(self, event: ExportPane.ExportRequested) -> None:
        if event.what == "poll":
            self.export_poll(event.out)
        else:
            self._export_invites(event.out, event.caldav, event.smtp)

    def action_export(self, what: str) -> None:
        pane = self._pane(ExportPane)
        self.action_tab("export")
        if what == "poll":
            pane.action_poll()
        elif what == "send":
            pane.action_push()
        else:
            pane.action_write()

    def export_poll(self, out: Path) -> None:
        """Write each person's own poll, ``out/poll-<id>.toml``."""
        from planner.respond import export_polls

        try:
            paths = export_polls(self.workspace, out)
        except PlannerError as exc:
            notify(self, str(exc), title=self.t.gettext(exc.title), severity="error")
            return
        except OSError as exc:
            notify(self, f"{out}: {exc.strerror}", severity="error")
            return
        notify(
            self,
            f"Wrote {plural(len(paths), 'poll')} to {out}: give each person their own",
            timeout=5,
        )
        pane = self._pane(ExportPane)
        pane.files = tuple(paths)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _export_invites(self, out: Path, caldav: str | None, smtp: str | None) -> None:
        """Publish the latest plan (only changed invites are written), then deliver."""
        from planner.calendar.publish import check_delivery, export_invites, publish_plan

        ws = self.workspace
        plan = ws.latest_plan()
        if plan is None or not plan.publishable:
            raise PlannerError("there is no plan to send: solve first")
        check_delivery(caldav, smtp)  # before publishing records anything
        now = self.now()
        problem = ws.planning_input(now)
        summary = self._export_summary(problem, plan)
        written = publish_plan(problem, plan, out, workspace=ws, now=now)
        names = {p.id: p.name for p in problem.scenario.people}
        lines = [
            f"Invites: {summary.line()}",
            *summary.who(names),
            f"wrote {plural(len(written), 'file')} to {out}",
        ]
        if caldav or smtp:
            lines.extend(export_invites(ws, out, caldav=caldav, smtp=smtp, now=now).lines())
        files = sorted((out / "invites").glob("*.ics"))
        if (out / "calendar.ics").exists():
            files.insert(0, out / "calendar.ics")
        self.post_message(ExportFinished(lines, files))

    def _export_summary(self, problem: PlanningInput, plan: Schedule) -> ExportSummary:
        """Who a re-export sends what, decided by the same rules the export uses."""
        from planner.calendar.publish import plan_publication
        from planner.store.invites import published_rows, sent_rows

        ws = self.workspace
        sent = sent_rows(ws)
        pub = plan_publication(
            problem.scenario,
            plan.sessions,
            key=ws.workspace_id,
            published=published_rows(ws),
            sent=sent,
        )
        return export_summary(
            pub.requests,
            pub.cancels,
            {pid for pid, _ in sent},
            plan.placed(),
        )

    @on(ExportFinished)
    def _exported(self, message: ExportFinished) -> None:
        pane = self._pane(ExportPane)
        pane.report = tuple(message.lines)
        pane.files = tuple(message.files)
        for line in message.lines[:3]:
            notify(self, line, timeout=5)
        self.reload()

    # ------------------------------------------------------------------ rounds

    @on(RoundsPane.LoadRequested)
    def _rounds_wanted(self) -> None:
        self._load_rounds(self._version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rounds")
    def _load_rounds(self, version: int) -> None:
        """The round list and the report (a running round's figures come from its
        published sessions: not for the UI thread)."""
        from planner.report import build_report
        from planner.rounds import list_rounds

        ws = self.workspace
        with ws.read():
            view = rounds_view(
                build_report(ws, now=self.now()), list_rounds(ws, now=self.now()), version
            )
        self.post_message(RoundsLoaded(view))

    @on(RoundsLoaded)
    def _rounds_loaded(self, message: RoundsLoaded) -> None:
        self._pane(RoundsPane).view = message.view

    @on(RoundsPane.CloseRequested)
    def action_close_round(self) -> None:
        self.action_tab("rounds")
        self._preview_close()

    @work(thread=True, exclusive=True, exit_on_error=False, group="rounds")
    def _preview_close(self) -> None:
        from planner.rounds import preview_close

        # The confirmation is the organiser's explicit go-ahead (the CLI's --force): what
        # has not ended yet is shown, and recorded as not held.
        self.post_message(ClosePreviewed(preview_close(self.workspace, now=self.now(), force=True)))

    @on(ClosePreviewed)
    def _close_previewed(self, message: ClosePreviewed) -> None:
        p = message.preview
        details = [
            "Closing records, for good:",
            f"  {plural(p.sessions_held, 'session')} held",
            f"  {plural(p.attended, 'attendance')} ({plural(p.people_reached, 'person')} reached)",
            f"  {plural(p.pairs, 'pair')} added to the history (avoided next rounds)",
            f"  {plural(p.missed_out, 'person')} missed out (they come first next round)",
        ]
        if p.not_held:
            details.append(
                f"Not ended yet, recorded as not held: {', '.join(p.not_held[:6])}"
                + (f" and {len(p.not_held) - 6} more" if len(p.not_held) > 6 else "")
            )
        details.append("The round's invites are retired. Undo does not reach back.")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._close_round()

        self.push_screen(
            ConfirmDialog(f"Close round {p.number}?", "Close round", details), confirmed
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="rounds")
    def _close_round(self) -> None:
        from planner.rounds import close_round

        result = close_round(self.workspace, now=self.now(), force=True)
        self.post_message(RoundClosed(result.lines()))

    @on(RoundClosed)
    def _round_closed(self, message: RoundClosed) -> None:
        for line in message.lines:
            notify(self, line, timeout=6)
        self.reload()

    @on(RoundsPane.NewRequested)
    def _new_requested(self) -> None:
        self.action_new_round()

    def action_new_round(self, value: str = "", fresh: bool = False, error: str = "") -> None:
        self.action_tab("rounds")
        rows = self.workspace.round_rows()
        number = rows[-1].number + 1
        if not value and not error:
            value = _suggest_horizon([r.horizon for r in rows if r.horizon is not None])

        def done(answer: tuple[str, bool] | None) -> None:
            if answer is None:
                return
            text, fresh_answers = answer
            from planner.rounds import new_round

            try:
                new_round(self.workspace, text, fresh_answers=fresh_answers)
            except InputError as exc:
                # Refused (the round is not closed, the horizon overlaps): the dialog again,
                # with the reason under the field.
                reason = "; ".join(p.message for p in exc.problems)
                self.action_new_round(text, fresh_answers, reason)
                return
            notify(self, f"Opened round {number}: {text}.", timeout=5)
            self.reload()

        self.push_screen(NewRoundDialog(number, value, fresh, error), done)

    # ------------------------------------------------------------------ navigation and help

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._focus_tab(tab)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        for pane in event.pane.query(Pane):
            pane.refresh_if_stale()
        if event.pane.id:
            self._focus_tab(event.pane.id)
        show_changed_by(self)

    def _focus_tab(self, tab: str) -> None:
        self.focus_home(self.query_one(f"#{tab}", TabPane))

    def focus_home(self, tab_pane: TabPane) -> bool:
        """The first useful widget of a tab (its table or list; the tab bar when it has
        none): see :mod:`planner.tui.focus`."""
        for pane in tab_pane.query(Pane):
            if pane.focus_home():
                return True
        bar = tab_bar(self.screen)
        if bar is not None:
            bar.focus()
            return True
        return False

    def action_price(self) -> None:
        self.action_tab("plan")
        self.query_one(PlanPane).action_price()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    def help_sections(self) -> list[tuple[str, Sequence[Any]]]:
        """The keys by where they work; the app's own in the organiser's language (the
        panes' keys are English: README, "Languages")."""
        _ = self.t.gettext
        palette = Binding(
            "ctrl+p", "command_palette", N_("Commands"), tooltip=N_("Search every action by name.")
        )
        return [
            (_("App"), translated([*self.BINDINGS, palette], self.t)),
            (_("People"), PeoplePane.BINDINGS),
            (_("Activities"), ActivitiesPane.BINDINGS),
            (_("Answers"), AnswersPane.BINDINGS),
            (_("Rules"), RulesPane.BINDINGS),
            (_("Plan"), PlanPane.BINDINGS),
            (_("Week grid"), WeekGrid.BINDINGS),
            (_("Export"), ExportPane.BINDINGS),
            (_("Rounds"), RoundsPane.BINDINGS),
            (_("Forms"), [*PersonForm.BINDINGS]),
        ]

    def action_help(self) -> None:
        self.push_screen(
            HelpScreen(
                binding_rows(self.help_sections()),
                self.t.gettext(
                    "Every edit is saved at once; ctrl+z undoes it. Esc closes this list."
                ),
            )
        )

    def palette_commands(self) -> list[tuple[str, str, str]]:
        """(title, help, action) for the command palette: every action of the app."""
        commands = [
            ("Solve", "Plan the round in the background (F5)", "solve"),
            ("Stop solving", "Keep the best plan found so far", "cancel_solve"),
            ("Export invites", "Write the invites as .ics files", "export('invites')"),
            ("Send invites", "Push to CalDAV / send mail when configured", "export('send')"),
            ("Export poll", "Write each person's own poll", "export('poll')"),
            ("Import…", "Scenario, roster CSV, responses, RSVP replies", "import_files"),
            ("Add person", "Open the person form", "add_person"),
            ("Add activity", "From a catalogue template", "add_activity"),
            ("Add queue", "A staffed line with a floor", "add_rule('queues')"),
            ("Add venue", "A room or place", "add_rule('venues')"),
            ("Edit team", "Name, zone, organiser, horizon, slot", "edit_rule('team')"),
            ("Edit policy", "Limits and protected windows", "edit_rule('policy')"),
            ("Close round", "Record the current round (shows what first)", "close_round"),
            ("Open next round", "A new horizon; keeps people and activities", "new_round"),
            ("What would it take?", "What relaxing each limit would buy (Plan tab, w)", "price"),
            ("Undo", "Undo the last edit (ctrl+z)", "undo"),
            ("Toggle theme", "Light or dark (F2)", "toggle_theme"),
            ("Keys", "List every key binding (?)", "help"),
            ("Quit", "Everything is already saved (ctrl+q)", "quit"),
        ]
        commands += [(f"Go to {title}", f"The {title} tab", f"tab('{tab}')") for tab, title in TABS]
        return commands


def _template_text(t: Any) -> str:
    return (
        f"{t.name}\n{t.category.value} · {t.kind.value} · {t.duration_minutes} min · "
        f"{t.min_participants}–{t.max_participants} people · {t.setting.value}\n\n"
        f"{t.description}\n\n{t.inclusive_note}"
    )


def explanation_text(
    problem: PlanningInput, plan: Schedule, person_id: str, explanations: Sequence[Any]
) -> Text:
    """The person view: their sessions and, per opted-in activity, why (not)."""
    scenario = problem.scenario
    tz = zone(scenario.team.timezone)
    person = scenario.person(person_id)
    names = {a.id: a.name for a in scenario.activities}
    by_id = {s.id: s for s in plan.sessions}
    parts: list[str | tuple[str, str]] = [(f"{person.name}  (x: back to sessions)\n", "bold")]
    if not explanations:
        parts.append("No activities to explain: nothing opted in to.\n")
    for e in explanations:
        name = names.get(e.activity, e.activity)
        if e.placed:
            when = ", ".join(
                f"{by_id[s].start.astimezone(tz):%a %d %H:%M}" if s in by_id else s
                for s in e.sessions
            )
            parts.append(f"✓ {name}: {when}\n")
        else:
            reasons = "; ".join(r.detail or r.rule for r in e.reasons) or "no reason recorded"
            parts.append(f"✗ {name}: {reasons}\n")
    return assemble(*parts)


def _suggest_horizon(horizons: Sequence[tuple[date, date]]) -> str:
    """The next round as the organiser most likely wants it: as long as the last one,
    from the Monday after it ends (empty when no round has a horizon yet)."""
    if not horizons:
        return ""
    start, end = horizons[-1]
    nxt = end + timedelta(days=7 - end.weekday())
    return f"{nxt}..{nxt + (end - start)}"


def _default_out(workspace: str) -> Path:
    if "://" in workspace:
        return Path.cwd() / "planner-out"
    return Path(workspace).expanduser().resolve().parent / "planner-out"


def _keymap_from_env() -> dict[str, str]:
    """``PLANNER_KEYMAP="solve=f6,undo=ctrl+u"``: remap bindings by their ids."""
    raw = os.environ.get("PLANNER_KEYMAP", "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs if k.strip() and v.strip()}


def make_app(
    workspace: str,
    *,
    now: Callable[[], datetime] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int | None = None,
    solver_factory: SolverFactory | None = None,
    keymap: Mapping[str, str] | None = None,
    out_dir: Path | None = None,
    check_plans: bool = True,
    language: str = "en",
) -> PlannerApp:
    """The one way to build the organiser's app (used by the CLI and the tests).

    ``check_plans`` runs the independent checker on every plan before it is kept (on by
    default; tests with a fake solver turn it off). ``language``: the organiser's (``planner
    --lang``, ``PLANNER_LANG``, the OS locale), where the catalogue covers the app.
    """
    if solver_factory is None:
        from planner.solve.process import prepare

        prepare()  # the solver's child process needs this before the UI owns stderr
    return PlannerApp(
        workspace,
        now=now,
        time_limit=time_limit,
        workers=workers,
        solver_factory=solver_factory,
        keymap=keymap if keymap is not None else _keymap_from_env(),
        out_dir=out_dir,
        check_plans=check_plans,
        language=language,
    )
