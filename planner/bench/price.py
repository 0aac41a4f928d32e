"""``planner bench --price``: what a limit costs, on the generated organisations (issue 19).

Targets: at M the full price list within 30 s on 2 workers; at L the top 10 limits within
60 s. Then every claimed gain is *reproduced*: the change is applied to the scenario
(:attr:`~planner.solve.price.Relaxation.relax`, the same edit an organiser would make) and
the relaxed scenario is solved again with the same seed and time limit as the search that
claimed it, warm-started from the same current plan. A gain is reproduced when that plan
keeps every rule of the relaxed scenario (the independent checker) and reaches at least
the claimed numbers (people with a ``yes`` placed, ``yes`` answers placed); anything else is
a mismatch, printed line by line, and must not happen. Proven gains and "≥" lower bounds
are counted apart.

Each size runs in a fresh ``spawn`` process, as in :mod:`planner.bench.table`.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from rich.table import Table

from planner.bench.orgs import Size, generate
from planner.solve.engine import SolveOptions
from planner.solve.price import PriceSolver, counts, price
from planner.solve.verify import verify

BUDGET: dict[str, float] = {"S": 10.0, "M": 30.0, "L": 60.0, "XL": 120.0}
"""The whole price list's time budget per size (the target)."""
TOP: dict[str, int | None] = {"S": None, "M": None, "L": 10, "XL": 10}
"""How many limits the target asks for (None: all of them)."""


@dataclass(frozen=True)
class GainLine:
    """One claimed gain and its re-solve."""

    label: str
    people_gain: int
    yes_gain: int
    proven: bool
    reproduced: bool
    again: tuple[int, int] | None
    """The re-solve's (people, yes), or None when it found no plan."""
    violations: int = 0


@dataclass(frozen=True)
class PriceRow:
    size: str
    people: int = 0
    activities: int = 0
    budget: float = 0.0
    seconds: float = 0.0
    """Wall time of the price list (the target), before the re-solves."""
    limits: int = 0
    plan: str = ""
    proven_gains: int = 0
    lower_gains: int = 0
    not_binding: int = 0
    no_gain_found: int = 0
    not_examined: int = 0
    top: int | None = None
    gains: tuple[GainLine, ...] = ()
    """The gains checked: all at M, the top ones at L."""
    reproduce_seconds: float = 0.0
    error: str | None = field(default=None)

    @property
    def mismatches(self) -> list[GainLine]:
        return [g for g in self.gains if not g.reproduced]

    @property
    def settled(self) -> int:
        """Limits with an answer: a gain, not binding, or searched without a gain."""
        return self.limits - self.not_examined


def bench_price_one(size: Size, seed: int = 0, workers: int = 2) -> PriceRow:
    """Price one size in this process and re-solve every claimed gain."""
    problem = generate(size, seed)
    budget = BUDGET[size]
    options = SolveOptions(time_limit=budget, workers=workers, seed=seed)
    t0 = time.monotonic()
    report = price(problem, options)
    seconds = time.monotonic() - t0
    gains = [p for p in report.prices if p.status == "gain"]
    top = TOP[size]
    checked = gains if top is None else gains[:top]
    lines: list[GainLine] = []
    r0 = time.monotonic()
    for p in checked:
        relaxed = replace(problem, scenario=p.relaxation.relax(problem.scenario))
        solver = PriceSolver(relaxed, replace(options, time_limit=p.seconds), report.warm)
        schedule = solver.solve().schedule
        if not schedule.publishable or solver.instance is None:
            lines.append(
                GainLine(p.relaxation.label, p.people_gain, p.yes_gain, p.proven, False, None)
            )
            continue
        broken = len(verify(relaxed, schedule))
        again = counts(solver.instance, schedule)
        want = (report.people + p.people_gain, report.yes + p.yes_gain)
        ok = broken == 0 and again[0] >= want[0] and again[1] >= want[1]
        lines.append(
            GainLine(
                p.relaxation.label,
                p.people_gain,
                p.yes_gain,
                p.proven,
                ok,
                (again[0] - report.people, again[1] - report.yes),
                broken,
            )
        )
    statuses = [(p.status, p.how) for p in report.prices]
    return PriceRow(
        size=size,
        people=len(problem.scenario.people),
        activities=len(problem.scenario.activities),
        budget=budget,
        seconds=seconds,
        limits=len(report.prices),
        plan=f"{report.status.value}: {report.people:,} people, {report.yes:,} yes"
        + ("" if report.proven else " (not proven)"),
        proven_gains=sum(1 for p in gains if p.proven),
        lower_gains=sum(1 for p in gains if not p.proven),
        not_binding=sum(1 for s, _ in statuses if s == "not_binding"),
        no_gain_found=sum(1 for s, h in statuses if s == "unknown" and h != "not examined"),
        not_examined=sum(1 for s, h in statuses if s == "unknown" and h == "not examined"),
        top=top,
        gains=tuple(lines),
        reproduce_seconds=time.monotonic() - r0,
    )


def _safely(size: Size, seed: int, workers: int) -> PriceRow:
    try:
        return bench_price_one(size, seed, workers)
    except Exception:
        return PriceRow(size=size, error=traceback.format_exc().strip().splitlines()[-1])


def run_price_bench(
    sizes: Sequence[Size] = ("M", "L"),
    *,
    seed: int = 0,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
    subprocess: bool = True,
) -> list[PriceRow]:
    """Price each size, each in a fresh ``spawn`` process (``subprocess=False``: here)."""
    rows: list[PriceRow] = []
    for size in sizes:
        if progress is not None:
            progress(
                f"{size}: pricing every limit in {BUDGET[size]:g} s, then re-solving each gain"
            )
        if subprocess:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(processes=1, maxtasksperchild=1) as pool:
                row = pool.apply(_safely, (size, seed, workers))
        else:
            row = _safely(size, seed, workers)
        rows.append(row)
        if progress is not None:
            progress(f"{size}: done" + (f" ({row.error})" if row.error else ""))
    return rows


def price_table(rows: Sequence[PriceRow]) -> Table:
    """The rows as a rich table: time against the target, what was settled, reproduction."""
    table = Table(title="planner bench --price: what a limit costs", show_lines=False)
    table.add_column("size")
    table.add_column("people / activities", justify="right")
    table.add_column("current plan")
    table.add_column("s (target)", justify="right")
    table.add_column("limits settled", justify="right")
    table.add_column("gains proven", justify="right")
    table.add_column("gains ≥", justify="right")
    table.add_column("not binding", justify="right")
    table.add_column("no gain found", justify="right")
    table.add_column("re-solved", justify="right")
    table.add_column("mismatches", justify="right")
    for r in rows:
        if r.error:
            table.add_row(r.size, "–", r.error, *["–"] * 8)
            continue
        within = "✓" if r.seconds <= r.budget else "✗"
        scope = "all" if r.top is None else f"top {r.top}"
        table.add_row(
            r.size,
            f"{r.people:,} / {r.activities}",
            r.plan,
            f"{r.seconds:.1f} ({r.budget:g}) {within}",
            f"{r.settled} of {r.limits}",
            str(r.proven_gains),
            str(r.lower_gains),
            str(r.not_binding),
            str(r.no_gain_found),
            f"{len(r.gains)} ({scope}, {r.reproduce_seconds:.0f} s)",
            str(len(r.mismatches)),
        )
    return table


def gain_lines(rows: Sequence[PriceRow]) -> list[str]:
    """The checked gains, and every mismatch spelled out."""
    out: list[str] = []
    for r in rows:
        for g in r.gains:
            sign = "" if g.proven else "≥ "
            again = "no plan" if g.again is None else f"{g.again[0]:+d} people, {g.again[1]:+d} yes"
            mark = "reproduced" if g.reproduced else "MISMATCH"
            broken = f", {g.violations} violations" if g.violations else ""
            out.append(
                f"{r.size}: {g.label}: {sign}{g.people_gain:+d} people, {sign}{g.yes_gain:+d} yes"
                f" — re-solved {again}{broken}: {mark}"
            )
    return out


__all__ = [
    "GainLine",
    "PriceRow",
    "bench_price_one",
    "gain_lines",
    "price_table",
    "run_price_bench",
]
