"""Application operations shared by the CLI, the TUI and the tests.

Each function takes validated inputs, calls the core (domain, store, solve, calendar) and
returns results; none prints or exits. Files are validated completely before anything is
written, so a bad file leaves the workspace untouched.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from planner.domain.errors import InputError, Problem
from planner.domain.io import (
    LoadedScenario,
    dump_scenario,
    format_of,
    load_scenario,
    parse_document,
    read_text,
)
from planner.domain.models import YEARS, Scenario
from planner.domain.planning import Interval, PlanningInput
from planner.domain.schedule import Schedule
from planner.files import cannot_write as cannot_write
from planner.files import private_dir as private_dir
from planner.files import refuse_target as refuse_target
from planner.files import remove_file as remove_file
from planner.files import write_private as write_private

if TYPE_CHECKING:  # validate, verify and explain need no database (SQLAlchemy loads slowly)
    from planner.store import Workspace

# ---------------------------------------------------------------------- files we write

# They live in the leaf module planner.files (the calendar and bench packages use it too);
# the names imported at the top stay here for callers that import them from the service.


# ---------------------------------------------------------------------- scenarios


def horizon_bounds(scenario: Scenario) -> tuple[datetime, datetime]:
    """Aware instants bounding the horizon (with a day's margin for other zones)."""
    from datetime import timedelta

    from planner.domain.timeutil import local_instant, zone

    tz = zone(scenario.team.timezone)
    start = local_instant(scenario.team.horizon.start, 0, tz) - timedelta(days=1)
    end = local_instant(scenario.team.horizon.end + timedelta(days=2), 0, tz)
    return start, end


def read_calendars(loaded: LoadedScenario) -> dict[str, list[Interval]]:
    """Busy blocks from every person's calendar files (start and end only)."""
    if not any(p.calendars for p in loaded.scenario.people):
        return {}  # no calendar files: icalendar need not load
    from planner.calendar.busy import read_busy_blocks
    from planner.domain.timeutil import zone

    scenario = loaded.scenario
    start, end = horizon_bounds(scenario)
    blocks: dict[str, list[Interval]] = {}
    errors: list[InputError] = []
    for person in scenario.people:
        for rel in person.calendars:
            path = (loaded.base_dir / rel).resolve()
            try:
                found = read_busy_blocks(
                    path,
                    zone=zone(scenario.person_zone_name(person)),
                    start=start,
                    end=end,
                    source=rel,
                )
            except InputError as exc:
                errors.append(exc)
                continue
            blocks.setdefault(person.id, []).extend((b.start, b.end) for b in found)
    if errors:
        raise InputError.combine(errors)
    return blocks


def planning_input_from_file(path: Path, now: datetime) -> PlanningInput:
    loaded = load_scenario(path)
    return PlanningInput(scenario=loaded.scenario, now=now, busy=read_calendars(loaded))


def export_scenario(ws: Workspace, out: Path) -> Path:
    """Write the workspace's scenario; calendar paths become relative to the file written.

    Its ``history`` is the effective one (:func:`planner.store.workspace.effective_history`):
    the hand-typed pairs and missed_out plus what the closed rounds recorded within
    ``avoid_repeat_rounds`` / ``fairness_rounds``, so the file imported into a fresh
    workspace plans the same next round.
    """
    from planner.store.workspace import effective_history

    with ws.read():  # one snapshot: the scenario and the rounds it is planned with
        scenario = ws.load_scenario()
        history = effective_history(scenario, ws.round_rows())
    base = out.resolve().parent
    scenario = scenario.model_copy(
        update={
            "history": history,
            "people": [
                p.model_copy(update={"calendars": [_relative(Path(c), base) for c in p.calendars]})
                for p in scenario.people
            ],
        }
    )
    refuse_target(out, workspace=ws.location)  # before the work, not only before the swap
    return write_private(out, dump_scenario(scenario, format_of(out)), workspace=ws.location)


def _relative(path: Path, base: Path) -> str:
    if not path.is_absolute():
        return str(path)
    return os.path.relpath(path, base)


# ---------------------------------------------------------------------- import


@dataclass
class ImportResult:
    messages: list[str] = field(default_factory=list)


def classify(path: Path) -> str:
    """What kind of file the user handed ``planner import``."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "roster"
    if suffix in {".ics", ".ical", ".ifb"}:
        return "reply"
    if suffix in {".toml", ".json"}:
        data = parse_document(read_text(path), str(path), format_of(path))
        if "response" in data:
            return "response"
        if "poll" in data:
            return "poll"
        return "scenario"
    raise InputError.single(
        str(path),
        "unknown file type (expected .toml/.json scenario or response, .csv roster, .ics reply)",
    )


Importer = Callable[["Workspace", Path], Callable[[], str]]
"""Validates one file completely, then returns the function that applies it."""


def _import_scenario(ws: Workspace, path: Path) -> Callable[[], str]:
    loaded = load_scenario(path)
    blocks = read_calendars(loaded)
    # The workspace keeps calendar paths absolute so it does not depend on where it was run.
    scenario = loaded.scenario.model_copy(
        update={
            "people": [
                p.model_copy(
                    update={
                        "calendars": [str((loaded.base_dir / c).resolve()) for c in p.calendars]
                    }
                )
                for p in loaded.scenario.people
            ]
        }
    )

    def apply() -> str:
        summary = ws.save_scenario(scenario, blocks)
        return f"{path}: imported {summary.line()}"

    return apply


def _refuse_poll(ws: Workspace, path: Path) -> Callable[[], str]:
    raise InputError.single(
        str(path),
        "this is a poll for participants: answer it with 'planner respond', then import the response",
    )


IMPORTERS: dict[str, Importer] = {
    "scenario": _import_scenario,
    "poll": _refuse_poll,
}
"""Kind -> importer: these two, and those the :data:`IMPORTER_OWNERS` declare."""


def import_files(ws: Workspace, paths: Sequence[Path]) -> ImportResult:
    """Validate every file, then apply them all, in one write transaction.

    The workspace is read under the write lock (so two imports at once serialise instead of
    each replacing the scenario the other just wrote), and a file that fails, in checking or
    in applying, rolls back every file before it: all or nothing.
    """
    _register_optional_importers()
    with ws.write():
        appliers: list[Callable[[], str]] = []
        errors: list[InputError] = []
        for path in paths:
            try:
                kind = classify(path)
                importer = IMPORTERS.get(kind)
                if importer is None:
                    raise InputError.single(
                        str(path), f"importing a {kind} file is not supported yet"
                    )
                appliers.append(importer(ws, path))
            except InputError as exc:
                errors.append(exc)
        if errors:
            raise InputError.combine(errors)
        return ImportResult([apply() for apply in appliers])


IMPORTER_OWNERS = ("planner.roster", "planner.calendar.replies", "planner.respond")
"""Modules that declare importers of their own (a module-level ``IMPORTERS`` dict). They do
not import this module, so there is no cycle; they load on the first import, not at start-up
(icalendar and the poll code are not needed by validate or solve)."""


def _register_optional_importers() -> None:
    for name in IMPORTER_OWNERS:
        owned: dict[str, Importer] = importlib.import_module(name).IMPORTERS
        for kind, importer in owned.items():
            IMPORTERS.setdefault(kind, importer)


# ---------------------------------------------------------------------- schedule.json


def schedule_json(schedule: Schedule) -> str:
    # pydantic's own indented output: the text ``json.dumps(indent=2, ensure_ascii=False)``
    # gave of it, ten times faster (issue 17: 3.9 s for 43 MB at 10,000 people).
    return schedule.model_dump_json(indent=2, exclude={"generated_at"}) + "\n"


def write_schedule(
    schedule: Schedule, out_dir: Path, *, workspace: str | Path | None = None
) -> Path:
    return write_private(
        private_dir(out_dir) / "schedule.json", schedule_json(schedule), workspace=workspace
    )


def parse_now(text: str | None) -> datetime:
    """``--now``: ISO date-time (naive means UTC); default the current time."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError([Problem("--now", "", f"{text!r} is not an ISO date-time")]) from None
    first, last = YEARS
    if not first <= value.year <= last:
        raise InputError([Problem("--now", "", f"{text!r} is outside the years {first}–{last}")])
    return value if value.tzinfo else value.replace(tzinfo=UTC)
