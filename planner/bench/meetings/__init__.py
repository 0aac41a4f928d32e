"""Meeting-scheduling benchmark (issue 6): Timefold's public instances solved with CP-SAT.

One entry point for the CLI, :func:`run_meetings`, plus :func:`meetings_table` to show results
side by side with Timefold's published numbers on a 2-core machine.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from planner.bench.meetings.instance import load_instance
from planner.bench.meetings.solver import SolveOptions, solve
from planner.bench.meetings.writer import write_solution
from planner.files import refuse_target

__all__ = ["TIMEFOLD_REFERENCE", "MeetingRunResult", "meetings_table", "run_meetings"]


@dataclass(frozen=True, slots=True)
class TimefoldReference:
    """Timefold's Java solver on a 2-core machine (issue 6)."""

    seconds_to_feasible: str
    medium_at_300s: str


TIMEFOLD_REFERENCE: dict[int, TimefoldReference] = {
    50: TimefoldReference("75 s", "-209"),
    100: TimefoldReference("241 s", "-536"),
    200: TimefoldReference("not all placed at 300 s", "—"),
}
"""Keyed by number of meetings; instances not listed have no published number."""


@dataclass(frozen=True, slots=True)
class MeetingRunResult:
    """Outcome of one benchmark run."""

    instance: str
    meetings: int
    hard: int
    medium: int
    soft: int
    unassigned: int
    seconds_to_feasible: float | None
    """Wall seconds until the first solution with hard = 0 and every meeting placed."""
    seconds: float
    status: str
    peak_memory_mib: float
    """Peak resident memory of this process so far (``ru_maxrss``)."""
    source: str
    out_path: Path

    @property
    def score_text(self) -> str:
        text = f"{self.hard}hard/{self.medium}medium/{self.soft}soft"
        return f"{text} ({self.unassigned} unassigned)" if self.unassigned else text

    def summary_line(self) -> str:
        """One line for logs and the CLI."""
        feasible = (
            "never feasible"
            if self.seconds_to_feasible is None
            else f"0 hard after {self.seconds_to_feasible:.1f}s"
        )
        return (
            f"{self.instance}: {self.meetings} meetings, {self.score_text}, {feasible}, "
            f"{self.seconds:.1f}s total, {self.status}, peak {self.peak_memory_mib:.0f} MiB"
        )


def _peak_memory_mib() -> float:
    """``ru_maxrss`` is KiB on Linux, bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_meetings(
    instance_path: Path,
    out_path: Path,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> MeetingRunResult:
    """Solve one instance file and write SOLVED.json next to the peer's format.

    Raises :class:`planner.domain.errors.InputError` for a bad instance file.
    """
    refuse_target(out_path)  # an unusable --out is refused before the search, not after it
    instance = load_instance(instance_path)
    outcome = solve(
        instance, SolveOptions(time_limit=time_limit, workers=workers, seed=seed), progress
    )
    write_solution(out_path, instance, outcome.assignment, outcome.score)
    score = outcome.score
    return MeetingRunResult(
        instance=instance.name,
        meetings=len(instance.meetings),
        hard=score.hard,
        medium=score.medium,
        soft=score.soft,
        unassigned=score.unassigned,
        seconds_to_feasible=outcome.first_feasible_seconds,
        seconds=outcome.seconds,
        status=outcome.status,
        peak_memory_mib=_peak_memory_mib(),
        source=outcome.source,
        out_path=out_path,
    )


def meetings_table(results: Iterable[MeetingRunResult]) -> Table:
    """Our results beside Timefold's reference numbers."""
    table = Table(title="Meeting scheduling: planner (CP-SAT) vs Timefold (2 cores)")
    for header in ("Instance", "Meetings", "0 hard after", "Hard", "Medium", "Soft"):
        table.add_column(header, justify="left" if header == "Instance" else "right")
    for header in ("Time", "Peak MiB", "Timefold 0 hard after", "Timefold medium @300 s"):
        table.add_column(header, justify="right")
    for r in results:
        ref = TIMEFOLD_REFERENCE.get(r.meetings, TimefoldReference("—", "—"))
        feasible = "—" if r.seconds_to_feasible is None else f"{r.seconds_to_feasible:.1f} s"
        hard = f"{r.hard} ({r.unassigned} unassigned)" if r.unassigned else str(r.hard)
        table.add_row(
            r.instance,
            str(r.meetings),
            feasible,
            hard,
            str(r.medium),
            str(r.soft),
            f"{r.seconds:.1f} s",
            f"{r.peak_memory_mib:.0f}",
            ref.seconds_to_feasible,
            ref.medium_at_300s,
        )
    return table
