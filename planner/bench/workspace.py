"""``planner bench --workspace-scale``: the workspace on SQLite and on PostgreSQL, side by side.

Per engine: import of a seeded 5,000-person scenario, opening what the TUI loads on start
(scenario, latest plan, published sessions, change counter), one answer edit, saving a plan
of that size; then 8 organisers (processes) x 50 answer edits each at once: all 400 must be
present (none lost), with the p95 latency of an edit. PostgreSQL is a temporary server of
the bench's own (:mod:`planner.store.pgserver`, fsync on, as SQLite's ``synchronous=FULL``).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ORGANISERS = 8
EDITS = 50


@dataclass(frozen=True)
class EngineResult:
    engine: str
    import_s: float
    open_s: float
    edit_ms: float
    save_plan_s: float
    edits_present: int
    edits_lost: int
    p95_ms: float


def _schedule(scenario: Any) -> Any:
    """A plan of the scenario's size: every activity held once a day, everyone who said
    yes to it attending (what the solver's JSON holds at this scale)."""
    from planner.domain.schedule import Objective, PlannedSession, PlanStatus, Schedule

    start = datetime(2027, 3, 1, 9, tzinfo=UTC)
    sessions = []
    for n, act in enumerate(scenario.activities):
        attendees = sorted(p for p, a in scenario.preferences.items() if act.id in a)
        begin = start + timedelta(hours=n % 8, days=n // 8)
        sessions.append(
            PlannedSession(
                id=f"{act.id}#1",
                activity=act.id,
                start=begin,
                end=begin + timedelta(hours=1),
                attendees=attendees,
            )
        )
    return Schedule(
        status=PlanStatus.feasible, objective=Objective(value=1, bound=1, gap=0), sessions=sessions
    )


def _editor(target: str, who: int, activities: list[str], queue: Any) -> None:
    """One organiser: 50 answer edits, each its own transaction, timed."""
    os.environ["PLANNER_ORGANISER"] = f"organiser {who}"
    from planner.domain.models import Answer
    from planner.store import Workspace

    latencies = []
    with Workspace.open(target, create=False) as ws:
        for n in range(EDITS):
            t0 = time.perf_counter()
            # Organiser ``who`` edits person-<who*EDITS + n>: 400 distinct cells.
            ws.set_answer(f"person-{who * EDITS + n}", activities[0], Answer.maybe)
            latencies.append(time.perf_counter() - t0)
    queue.put(latencies)


def _measure(engine: str, target: str, data: dict[str, Any]) -> EngineResult:
    from planner.domain.io import validate_scenario
    from planner.domain.models import Answer
    from planner.store import Workspace

    scenario = validate_scenario(data, "bench")
    with Workspace.open(target) as ws:
        t0 = time.perf_counter()
        ws.save_scenario(scenario, {})
        imported = time.perf_counter() - t0
        t0 = time.perf_counter()
        ws.set_answer(scenario.people[0].id, scenario.activities[0].id, Answer.yes)
        edit = time.perf_counter() - t0
        plan = _schedule(ws.load_scenario())
        t0 = time.perf_counter()
        ws.save_plan(plan)
        saved = time.perf_counter() - t0
    with Workspace.open(target, create=False) as ws:
        t0 = time.perf_counter()
        ws.load_scenario()
        ws.latest_plan()
        ws.published_sessions()
        ws.change_counter()
        opened = time.perf_counter() - t0
    activities = [a.id for a in scenario.activities]
    with Workspace.open(target, create=False) as ws, ws.write() as conn:
        from sqlalchemy import delete

        from planner.store import schema as t

        # The 400 cells start empty, so each "maybe" found afterwards is an edit kept.
        conn.execute(delete(t.answers).where(t.answers.c.activity_id == activities[0]))
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_editor, args=(target, who, activities, queue))
        for who in range(ORGANISERS)
    ]
    for proc in procs:
        proc.start()
    latencies = [x for _ in procs for x in queue.get(timeout=600)]
    for proc in procs:
        proc.join()
    with Workspace.open(target, create=False) as ws:
        final = ws.load_scenario()
    present = sum(
        final.answer(f"person-{i}", activities[0]) is Answer.maybe
        for i in range(ORGANISERS * EDITS)
    )
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else 0.0
    return EngineResult(
        engine,
        imported,
        opened,
        edit * 1000,
        saved,
        present,
        ORGANISERS * EDITS - present,
        p95 * 1000,
    )


def run_workspace_scale(people: int = 5000, activities: int = 60) -> list[EngineResult]:
    from planner.bench.scale import large_scenario
    from planner.store.pgserver import start_server

    data = large_scenario(people, activities)  # people person-0 ..., the editors' cells
    results = []
    with tempfile.TemporaryDirectory(prefix="planner-wsbench-") as directory:
        results.append(_measure("SQLite", str(Path(directory) / "bench.db"), data))
        server = start_server(durable=True)
        saved = os.environ.get("PGPASSWORD")
        try:
            os.environ["PGPASSWORD"] = server.password  # inherited by the editor processes
            server.admin('CREATE DATABASE "bench"')
            results.append(_measure("PostgreSQL", server.url("bench"), data))
        finally:
            if saved is None:
                os.environ.pop("PGPASSWORD", None)
            else:
                os.environ["PGPASSWORD"] = saved
            server.stop()
    return results


def workspace_table(results: list[EngineResult]) -> list[list[str]]:
    rows = [
        [
            "engine",
            "import",
            "open TUI data",
            "answer edit",
            "save plan",
            f"{ORGANISERS}x{EDITS} edits present",
            "lost",
            "p95 edit",
        ]
    ]
    for r in results:
        rows.append(
            [
                r.engine,
                f"{r.import_s:.2f}s",
                f"{r.open_s:.2f}s",
                f"{r.edit_ms:.1f}ms",
                f"{r.save_plan_s:.2f}s",
                str(r.edits_present),
                str(r.edits_lost),
                f"{r.p95_ms:.1f}ms",
            ]
        )
    return rows
