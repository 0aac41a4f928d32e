"""``planner bench``: the engine on generated organisations, beside the greedy baselines.

Why these columns: STYLE point 12 says to measure model building, not only solving, so the
table shows build time and time to the first plan before objective / bound / gap at each
checkpoint, and the status (``optimal`` with the second it was proven). "People with a yes
placed" is objective term 1 in plain words and is what the baselines (``poll`` and
``balanced``, see :mod:`planner.bench.baseline`) are compared on; "yes bound" is the most
people with a yes any plan can place (:func:`planner.solve.objective.yes_people_bound`), so
the room left above all of them is visible; ``violations`` comes from the independent
checker and must read 0 for every plan. Each size runs in a fresh process (multiprocessing
``spawn``) so that peak memory (``ru_maxrss``) is per size rather than the high-water mark
of the whole run.

One search per size: the engine runs with ``time_limit = max(checkpoints)`` and a progress
callback records the best objective/bound at each checkpoint (cheaper than one run per
checkpoint, and the same search the user would see).
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from rich.table import Table

from planner.bench.baseline import greedy_plan, yes_placed
from planner.bench.orgs import Size, generate
from planner.domain.models import Answer
from planner.domain.runtime import collect_less
from planner.solve import PlanSolver, SolveOptions, SolveProgress
from planner.solve.objective import yes_people_bound
from planner.solve.verify import verify


@dataclass(frozen=True)
class Checkpoint:
    """The search state at ``seconds`` (None: no plan yet)."""

    seconds: float
    objective: float | None
    bound: float | None
    gap: float | None
    found: bool = False
    """A plan existed by then even though no value was reported."""


@dataclass(frozen=True)
class BenchRow:
    """One organisation size: engine figures and the greedy baselines'."""

    size: str
    people: int
    activities: int
    keen: int
    """People with at least one yes."""
    build_seconds: float | None = None
    first_solution_seconds: float | None = None
    checkpoints: tuple[Checkpoint, ...] = ()
    status: str = ""
    solve_seconds: float | None = None
    """When the search ended (proven optimal, or at the time limit)."""
    yes_placed: int | None = None
    violations: int | None = None
    peak_mb: float | None = None
    poll_yes_placed: int | None = None
    """The ``poll`` baseline: seats yes before maybe, in the order the answers came in."""
    poll_violations: int | None = None
    balanced_yes_placed: int | None = None
    """The ``balanced`` baseline: seats fewest placements first."""
    balanced_violations: int | None = None
    yes_bound: int | None = None
    """Most people with a yes any plan can place (the engine's combinatorial bound)."""
    error: str | None = field(default=None)


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def bench_one(
    size: Size, seed: int = 0, workers: int = 2, checkpoints: Sequence[float] = (10, 60)
) -> BenchRow:
    """Benchmark one size in this process (``run_bench`` calls it in a fresh one)."""
    problem = generate(size, seed)
    sc = problem.scenario
    keen = sum(1 for per in sc.preferences.values() if Answer.yes in per.values())
    poll = greedy_plan(problem, "poll")
    balanced = greedy_plan(problem, "balanced")
    base = BenchRow(
        size=size,
        people=len(sc.people),
        activities=len(sc.activities),
        keen=keen,
        poll_yes_placed=yes_placed(problem, poll),
        poll_violations=len(verify(problem, poll)),
        balanced_yes_placed=yes_placed(problem, balanced),
        balanced_violations=len(verify(problem, balanced)),
    )
    marks = sorted(checkpoints)
    seen: list[SolveProgress] = []

    def on_progress(p: SolveProgress) -> None:
        seen.append(p)

    try:
        options = SolveOptions(time_limit=float(marks[-1]), workers=workers, seed=seed)
        solver = PlanSolver(problem, options)
        result = solver.solve(on_progress=on_progress)
    except Exception as exc:  # report, do not crash the whole table
        return replace(
            base, error=f"{type(exc).__name__}: {exc}".splitlines()[0], peak_mb=_peak_mb()
        )
    # What no plan can beat: shows how much room "more people with a yes" has (on the
    # engine's own instance tables, not a second copy).
    assert solver.instance is not None
    base = replace(base, yes_bound=yes_people_bound(solver.instance))
    plan = result.schedule
    final = Checkpoint(0, plan.objective.value, plan.objective.bound, plan.objective.gap)
    has_plan = result.first_solution_seconds is not None
    # ``solve_seconds`` and progress ``elapsed`` both count from the call of ``solve()``
    # (model building included), as does the time limit.
    points = []
    for mark in marks:
        if has_plan and (plan.solve_seconds <= mark or mark == marks[-1]):
            points.append(Checkpoint(mark, final.objective, final.bound, final.gap))
            continue
        before = [p for p in seen if p.elapsed <= mark]
        if before:
            last = before[-1]
            points.append(Checkpoint(mark, last.objective, last.bound, last.gap))
        elif has_plan and (result.first_solution_seconds or 0.0) <= mark:
            # A plan existed, but the engine reported no snapshot by then.
            points.append(Checkpoint(mark, None, None, None, found=True))
        else:
            points.append(Checkpoint(mark, None, None, None))
    return replace(
        base,
        build_seconds=round(result.build_seconds, 2),
        first_solution_seconds=(
            None
            if result.first_solution_seconds is None
            else round(result.first_solution_seconds, 2)
        ),
        checkpoints=tuple(points),
        status=plan.status.value,
        solve_seconds=plan.solve_seconds,
        yes_placed=yes_placed(problem, plan),
        violations=len(verify(problem, plan)),
        peak_mb=round(_peak_mb(), 1),
    )


def _bench_safely(size: Size, seed: int, workers: int, checkpoints: tuple[float, ...]) -> BenchRow:
    collect_less()  # as the CLI does: the row measures what a user's command gets
    try:
        return bench_one(size, seed, workers, checkpoints)
    except Exception:
        last = traceback.format_exc().strip().splitlines()[-1]
        return BenchRow(size=size, people=0, activities=0, keen=0, error=last)


def run_bench(
    sizes: Sequence[Size] = ("S", "M", "L"),
    *,
    seed: int = 0,
    workers: int = 2,
    checkpoints: Sequence[float] = (10, 60),
    progress: Callable[[str], None] | None = None,
    subprocess: bool = True,
) -> list[BenchRow]:
    """Benchmark each size, each in a fresh ``spawn`` process (``subprocess=False``: here)."""
    rows: list[BenchRow] = []
    marks = tuple(sorted(float(c) for c in checkpoints))
    for size in sizes:
        if progress is not None:
            progress(
                f"{size}: generating, greedy baselines, then solving for up to {marks[-1]:g} s"
            )
        if subprocess:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(processes=1, maxtasksperchild=1) as pool:
                row = pool.apply(_bench_safely, (size, seed, workers, marks))
        else:
            row = _bench_safely(size, seed, workers, marks)
        rows.append(row)
        if progress is not None:
            progress(f"{size}: done" + (f" ({row.error})" if row.error else ""))
    return rows


def _num(value: float | None, fmt: str = "{:,.0f}") -> str:
    return "–" if value is None else fmt.format(value)


def bench_table(rows: Sequence[BenchRow]) -> Table:
    """The rows as a rich table: engine vs greedy baselines."""
    marks = sorted({c.seconds for r in rows for c in r.checkpoints})
    table = Table(title="planner bench: CP-SAT engine vs greedy baselines", show_lines=False)
    table.add_column("size")
    table.add_column("people / activities", justify="right")
    table.add_column("build s", justify="right")
    table.add_column("first plan s", justify="right")
    for m in marks:
        table.add_column(f"objective / bound / gap @{m:g}s", justify="right")
    table.add_column("status", justify="right")
    table.add_column("yes placed (engine)", justify="right")
    table.add_column("violations", justify="right")
    table.add_column("yes placed (poll greedy)", justify="right")
    table.add_column("yes placed (balanced greedy)", justify="right")
    table.add_column("yes bound", justify="right")
    table.add_column("greedy violations (poll / balanced)", justify="right")
    table.add_column("peak MiB", justify="right")
    for r in rows:
        cells = [
            r.size,
            f"{r.people:,} / {r.activities}",
            _num(r.build_seconds, "{:.2f}"),
            _num(r.first_solution_seconds, "{:.2f}"),
        ]
        by_mark = {c.seconds: c for c in r.checkpoints}
        for m in marks:
            c = by_mark.get(m)
            if c is None or c.objective is None:
                cells.append("–" if c is None else ("plan found" if c.found else "no plan yet"))
            else:
                cells.append(f"{_num(c.objective)} / {_num(c.bound)} / {_num(c.gap, '{:.1%}')}")
        keen = f" of {r.keen:,}" if r.keen else ""
        status = r.status or "–"
        if r.status == "optimal" and r.solve_seconds is not None:
            status = f"optimal @{r.solve_seconds:.1f}s"
        cells += [
            status,
            (f"{r.yes_placed:,}{keen}" if r.yes_placed is not None else (r.error or "–")),
            _num(r.violations),
            (f"{r.poll_yes_placed:,}{keen}" if r.poll_yes_placed is not None else "–"),
            (f"{r.balanced_yes_placed:,}{keen}" if r.balanced_yes_placed is not None else "–"),
            ("–" if r.yes_bound is None else f"≤ {r.yes_bound:,}"),
            f"{_num(r.poll_violations)} / {_num(r.balanced_violations)}",
            _num(r.peak_mb, "{:,.0f}"),
        ]
        table.add_row(*cells)
    return table


__all__ = ["BenchRow", "Checkpoint", "bench_one", "bench_table", "run_bench"]
