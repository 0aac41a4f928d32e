"""``planner bench --rounds-timing``: how long closing a round and the programme report take.

Targets (issue 13): ``round close`` at L (2,000 people, one published round) within 2 s;
``report`` over 12 closed rounds at L within 3 s and 500 MB.

The workspace is a real SQLite file in a temporary folder: the bench organisation
(:mod:`planner.bench.orgs`) is imported, round 1 is planned with the greedy baseline
(seeded, deterministic) and its publication recorded (published sessions, a REQUEST row per
attendee, the plan marked published; no .ics files are written and the UIDs are the
bench's own: neither closing nor the report reads them), then closed with
``planner round close``. Rounds 2..N are opened with ``planner round new`` on the next
fortnight, given a synthesised plan (round 1's sessions a fortnight later, each activity's
attendees reshuffled between its sessions, so the pairs differ), recorded the same way and
closed with ``planner round close``.

Each command runs as ``planner.cli.main([...])`` in a fresh child interpreter. The table
shows the command's own time (from ``main`` on, its lazy imports included: only the
interpreter's start and ``import planner.cli`` are left out), the whole child process's
time, and its peak memory (``ru_maxrss``: interpreter and libraries included).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from planner.bench.orgs import HORIZON_END, HORIZON_START, NOW, Size

__all__ = ["RoundsTiming", "Timed", "run_rounds_timing", "timing_table"]

CLOSE_TARGET_SECONDS = 2.0
REPORT_TARGET_SECONDS = 3.0
REPORT_TARGET_MIB = 500.0
FORTNIGHT = timedelta(days=14)


@dataclass(frozen=True)
class Timed:
    command: str
    seconds: float
    """The command's own time, after the interpreter started and imported planner."""
    process_seconds: float
    """The whole child process, start-up and imports included."""
    peak_mib: float
    target_seconds: float
    target_mib: float | None = None

    @property
    def ok(self) -> bool:
        fits = self.target_mib is None or self.peak_mib <= self.target_mib
        return self.seconds <= self.target_seconds and fits


@dataclass(frozen=True)
class RoundsTiming:
    size: str
    people: int
    rounds: int
    sessions_first_round: int
    setup_seconds: float
    timed: list[Timed]


def _horizon(number: int) -> tuple[date, date]:
    shift = FORTNIGHT * (number - 1)
    return HORIZON_START + shift, HORIZON_END + shift


def _close_at(number: int) -> datetime:
    end = _horizon(number)[1]
    return datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=2)


def _publish(ws: Any, sessions: list[Any], now: datetime, number: int) -> None:
    """Record a publication as ``solve --workspace`` does: the published sessions, a REQUEST
    sent to each attendee, the plan marked published. (The .ics files and the UIDs of
    :mod:`planner.calendar` are not needed by closing or the report, and the bench sits
    beside the calendar layer, not above it: the UIDs here are the bench's own.)"""
    from planner.domain.schedule import Objective, PlanStatus, Schedule
    from planner.store.invites import PublishedRow, SentRow, record_publication

    published = [
        PublishedRow(s.id, f"bench-r{number}-{s.id}@planner", 0, False, s) for s in sessions
    ]
    sent = [
        SentRow(p, s.id, 0, "REQUEST", f"bench-r{number}-{s.id}-{p}")
        for s in sessions
        for p in s.attendees
    ]
    with ws.write():
        record_publication(ws, published, sent, at=now)
        schedule = Schedule(
            status=PlanStatus.feasible,
            objective=Objective(value=0, bound=0, gap=0.0),
            sessions=sessions,
            generated_at=now,
        )
        ws.save_plan(schedule, published=True)


def _shifted(sessions: list[Any], number: int, rng: random.Random) -> list[Any]:
    """Round 1's sessions ``number - 1`` fortnights later, attendees reshuffled within each
    activity (group sizes kept)."""
    shift = FORTNIGHT * (number - 1)
    by_activity: dict[str, list[Any]] = {}
    for s in sessions:
        by_activity.setdefault(s.activity, []).append(s)
    out = []
    for group in by_activity.values():
        people = [p for s in group for p in s.attendees]
        rng.shuffle(people)
        at = 0
        for s in group:
            n = len(s.attendees)
            chosen, at = people[at : at + n], at + n
            if len(set(chosen)) != len(chosen):  # someone twice in one session: keep as was
                chosen = list(s.attendees)
            out.append(
                s.model_copy(
                    update={"start": s.start + shift, "end": s.end + shift, "attendees": chosen}
                )
            )
    return out


def build_workspace(
    db: Path, size: Size, rounds: int, seed: int, progress: Callable[[str], None] | None = None
) -> tuple[int, int]:
    """Round 1 published and not closed; returns (people, sessions of round 1).

    :func:`close_and_continue` then closes it and runs rounds 2..``rounds``."""
    from planner.bench.baseline import greedy_plan
    from planner.bench.orgs import scenario
    from planner.store import Workspace

    org = scenario(size, seed)
    with Workspace.open(db) as ws:
        ws.save_scenario(org, {})
        schedule = greedy_plan(ws.planning_input(NOW))
        _publish(ws, list(schedule.sessions), NOW, 1)
    if progress is not None:
        progress(f"  {size}: {len(org.people):,} people, round 1 published")
    return len(org.people), len(schedule.sessions)


def close_and_continue(
    db: Path, rounds: int, seed: int, progress: Callable[[str], None] | None = None
) -> None:
    """Rounds 2..``rounds`` through ``planner round new``, a synthesised publication and
    ``planner round close`` (round 1 must be closed already)."""
    from planner.store import Workspace

    rng = random.Random(seed)
    with Workspace.open(db, create=False) as ws:
        base = _round_one_sessions(ws)
    for number in range(2, rounds + 1):
        start, end = _horizon(number)
        run_command(["round", "new", "--workspace", str(db), "--horizon", f"{start}..{end}"])
        with Workspace.open(db, create=False) as ws:
            _publish(ws, _shifted(base, number, rng), _close_at(number - 1), number)
        close = ["round", "close", "--workspace", str(db), "--now", _close_at(number).isoformat()]
        run_command(close)
        if progress is not None:
            progress(f"  round {number} closed")


def _round_one_sessions(ws: Any) -> list[Any]:
    from planner.domain.schedule import PlannedSession

    data = ws.round_rows()[0].data
    return [
        PlannedSession(
            id=s["id"],
            activity=s["activity"],
            start=datetime.fromisoformat(s["start"]),
            end=datetime.fromisoformat(s["end"]),
            attendees=list(s["invited"]),
            venue=s["venue"],
        )
        for s in data["sessions"]
    ]


# The command runs in a child interpreter, like a user's `planner ...` (and the bench, a
# layer below the CLI, does not import it); the child reports the command's own time
# (after the imports) and the process's peak memory as the last line of its stdout.
_CHILD = """
import contextlib, io, json, resource, sys, time
from planner.cli import main
sink = io.StringIO()
t0 = time.perf_counter()
with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
    code = main(sys.argv[1:])
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "seconds": seconds, "peak": peak, "output": sink.getvalue()}))
"""


def run_command(argv: list[str]) -> tuple[float, float, float]:
    """Run ``planner ARGV`` in a child process; (command seconds, whole process seconds,
    peak MiB). A failure is an error of the bench, with the command's own message."""
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - began
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"planner {' '.join(argv)} crashed: {proc.stderr.strip()}") from None
    if result["code"] != 0:
        raise RuntimeError(f"planner {' '.join(argv)} failed: {result['output'].strip()}")
    return float(result["seconds"]), wall, float(result["peak"])


def run_rounds_timing(
    size: Size = "L",
    rounds: int = 12,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> RoundsTiming:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="planner-rounds-") as directory:
        folder = Path(directory)
        db = folder / "ws.db"
        people, sessions = build_workspace(db, size, rounds, seed, progress)
        setup = time.perf_counter() - began
        close = ["round", "close", "--workspace", str(db), "--now", _close_at(1).isoformat()]
        seconds, wall, peak = run_command(close)
        timed = [
            Timed("round close (1 published round)", seconds, wall, peak, CLOSE_TARGET_SECONDS)
        ]
        if progress is not None:
            progress(f"  round 1 closed in {seconds:.2f}s")
        t1 = time.perf_counter()
        close_and_continue(db, rounds, seed, progress)
        setup += time.perf_counter() - t1
        for fmt in ("json", "html", "csv"):
            out = folder / f"report.{fmt}"
            argv = ["report", "--workspace", str(db), "--format", fmt, "--out", str(out)]
            seconds, wall, peak = run_command(argv)
            timed.append(
                Timed(
                    f"report --format {fmt} ({rounds} closed rounds)",
                    seconds,
                    wall,
                    peak,
                    REPORT_TARGET_SECONDS,
                    REPORT_TARGET_MIB,
                )
            )
    return RoundsTiming(size, people, rounds, sessions, setup, timed)


def timing_table(result: RoundsTiming) -> Any:
    from rich.table import Table

    table = Table(
        title=(
            f"Rounds at {result.size} ({result.people:,} people, {result.sessions_first_round} "
            f"sessions a round; workspace built in {result.setup_seconds:.0f}s)"
        )
    )
    for name in ("command", "seconds", "target", "process s", "peak MiB", "target MiB", "ok"):
        table.add_column(name, justify="left" if name == "command" else "right")
    for t in result.timed:
        table.add_row(
            t.command,
            f"{t.seconds:.2f}",
            f"≤ {t.target_seconds:g}",
            f"{t.process_seconds:.2f}",
            f"{t.peak_mib:.0f}",
            "" if t.target_mib is None else f"≤ {t.target_mib:g}",
            "yes" if t.ok else "NO",
        )
    return table
