"""``planner bench --tui``: how long the organiser waits in the TUI on a large workspace.

Each run opens the TUI headless (Textual's own test driver, a real app and a real
compositor, no terminal) on a fresh SQLite workspace of the bench organisation, at
120×40, and times what a newcomer does first: the first paint, then each tab's first
view, then one answer edit until the table shows it, then the way to the Answers
table's last row (ctrl+end), then the slowest of a few cursor moves while a solve (F5, the
round planned in its own process) builds and searches. Every run is a new process, so one
run's caches (imports, Textual's style cache) do not flatter the next.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from planner.bench.orgs import Size

STEPS: tuple[str, ...] = (
    "first paint",
    "People",
    "Answers",
    "Plan",
    "Rounds",
    "answer edit",
    "last row",
    "key during solve",
)
"""What is timed, in the order a newcomer meets it. "last row" is ctrl+end on the Answers
tab: the table builds its rows as they come near the view, and this builds all the rest.
"key during solve" is the slowest of the cursor moves made while a solve runs."""

_KEYS_DURING_SOLVE = 8
"""Cursor moves timed during a solve, a quarter of a second apart (building the problem
in the app's worker thread and the search in the solver's process both run meanwhile)."""

_TAB_KEYS = {"People": "2", "Answers": "4", "Plan": "6", "Rounds": "8"}


@dataclass(frozen=True)
class TuiRow:
    size: str
    people: int
    activities: int
    seconds: dict[str, list[float]]

    def median(self, step: str) -> float:
        return statistics.median(self.seconds[step])


def _workspace(size: Size, path: Path) -> tuple[int, int]:
    from planner.bench.orgs import scenario
    from planner.store import Workspace

    data = scenario(size)
    ws = Workspace.open(path)
    ws.save_scenario(data, {}, label=f"bench {size}")
    ws.close()
    return len(data.people), len(data.activities)


async def _one_run(path: Path) -> dict[str, float]:
    from textual.widgets import DataTable

    from planner.tui.app import make_app
    from planner.tui.widgets.answers import AnswersPane

    times: dict[str, float] = {}
    started = time.perf_counter()
    app = make_app(str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        times["first paint"] = time.perf_counter() - started
        for tab, key in _TAB_KEYS.items():
            t0 = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            times[tab] = time.perf_counter() - t0
        await pilot.press(_TAB_KEYS["Answers"])
        await pilot.pause()
        table = app.query_one("#answers-table", DataTable)
        pane = app.query_one(AnswersPane)
        before = table.get_cell_at(table.cursor_coordinate)
        version = pane.snapshot.version if pane.snapshot else -1
        t0 = time.perf_counter()
        await pilot.press("space")
        for _ in range(3000):  # until the edit is stored, reloaded and shown from the reload
            await pilot.pause(0.01)
            shown = pane.snapshot.version if pane.snapshot else -1
            if shown > version and table.get_cell_at(table.cursor_coordinate) != before:
                break
        else:
            raise RuntimeError("the answer edit never reached the workspace and the table")
        await pilot.pause()
        times["answer edit"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        await pilot.press("ctrl+end")
        await pilot.pause()
        people = len(pane.snapshot.scenario.people) if pane.snapshot else 0
        if table.cursor_coordinate.row != people - 1:
            raise RuntimeError("ctrl+end did not reach the last row of the answers")
        times["last row"] = time.perf_counter() - t0
        times["key during solve"] = await _keys_during_solve(app, pilot, table)
    return times


async def _keys_during_solve(app: Any, pilot: Any, table: Any) -> float:
    from planner.tui.widgets.plan import PlanPane

    plan = app.query_one(PlanPane)
    await pilot.press("f5")  # switches to the Plan tab; the keys go to the Answers table
    await pilot.press(_TAB_KEYS["Answers"])
    await pilot.pause()
    if not plan.solving:
        raise RuntimeError("F5 did not start a solve")
    slowest = 0.0
    for i in range(_KEYS_DURING_SOLVE):
        row = table.cursor_coordinate.row
        t0 = time.perf_counter()
        await pilot.press("up" if i % 2 == 0 else "down")
        await pilot.pause()
        slowest = max(slowest, time.perf_counter() - t0)
        if table.cursor_coordinate.row == row:
            raise RuntimeError("a cursor move during the solve did not move the cursor")
        await pilot.pause(0.25)
    if not plan.solving:
        raise RuntimeError("the solve ended before the keys were timed")
    app.action_cancel_solve()
    for _ in range(6000):  # the worker keeps the best plan so far, checks and saves it
        if not plan.solving:
            break
        await pilot.pause(0.01)
    return slowest


def _child(path: str, queue: Any) -> None:
    queue.put(asyncio.run(_one_run(Path(path))))


def run_tui_bench(
    sizes: Sequence[str] = ("L",),
    *,
    runs: int = 3,
    progress: Callable[[str], None] | None = None,
) -> list[TuiRow]:
    rows = []
    ctx = multiprocessing.get_context("spawn")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="planner-bench-tui-") as tmp:
            if progress:
                progress(f"{size}: building the workspace, then {runs} TUI runs")
            people, activities = _workspace(cast(Size, size), Path(tmp) / "bench.db")
            seconds: dict[str, list[float]] = {step: [] for step in STEPS}
            for i in range(runs):
                # A fresh copy each run: the previous run's answer edit is not this one's.
                path = Path(tmp) / f"run-{i}.db"
                path.write_bytes((Path(tmp) / "bench.db").read_bytes())
                queue = ctx.Queue()
                proc = ctx.Process(target=_child, args=(str(path), queue))
                proc.start()
                result = queue.get()
                proc.join()
                for step in STEPS:
                    seconds[step].append(result[step])
            rows.append(TuiRow(size, people, activities, seconds))
    return rows


def tui_table(rows: Sequence[TuiRow]) -> Any:
    from rich.table import Table

    from planner.tui.text import literal

    table = Table(title="planner bench --tui: seconds the organiser waits (median of runs, 120×40)")
    table.add_column("size")
    table.add_column("people / activities", justify="right")
    for step in STEPS:
        label = step if step not in _TAB_KEYS else f"{step} tab"
        table.add_column(literal(label), justify="right")
    table.add_column("runs", justify="right")
    for row in rows:
        cells = [
            row.size,
            f"{row.people:,} / {row.activities}",
            *(
                f"{row.median(s):.2f} ({min(row.seconds[s]):.2f}–{max(row.seconds[s]):.2f})"
                for s in STEPS
            ),
            str(len(row.seconds[STEPS[0]])),
        ]
        table.add_row(*(literal(c) for c in cells))
    return table
