"""The engine in a child process, for callers whose own thread must stay responsive.

CP-SAT releases the GIL while it searches, but building the model, the greedy plan, the
explanations and the independent check are Python and hold it for seconds at 2,000 people;
in a thread next to a terminal UI that shows as keypresses that take hundreds of
milliseconds. A child process keeps that work off the caller's interpreter. The interface is
PlanSolver's: ``solve(on_progress)`` and a thread-safe ``stop()``; the child plans
through :class:`~planner.solve.pipeline.RoundPlanner`, so the result is a
:class:`~planner.solve.pipeline.PlannedRound`, already explained and checked.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from planner.domain.errors import PlannerError
from planner.domain.planning import PlanningInput
from planner.domain.runtime import collect_less
from planner.solve.engine import SolveOptions, SolveProgress
from planner.solve.pipeline import PlannedRound, RoundPlanner

_POLL_SECONDS = 0.2


def prepare() -> None:
    """Start multiprocessing's resource tracker now, while ``sys.stderr`` is a real file.

    Call it before a terminal UI takes over the standard streams: the tracker is started on
    first use with stderr's file descriptor, and a UI's stand-in stream has none.
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


class ProcessSolver:
    """Solve, explain and check ``problem`` (:mod:`planner.solve.pipeline`) in a spawned
    child process."""

    def __init__(self, problem: PlanningInput, options: SolveOptions | None = None) -> None:
        self.problem = problem
        self.options = options or SolveOptions()
        self._stopped = threading.Event()
        self._child_stop: Any = None

    def stop(self) -> None:
        """Thread-safe: the child stops its search and returns the best plan so far."""
        self._stopped.set()
        if self._child_stop is not None:
            self._child_stop.value = 1

    def solve(self, on_progress: Callable[[SolveProgress], None] | None = None) -> PlannedRound:
        context = multiprocessing.get_context("spawn")
        messages: Any = context.Queue()
        # A shared byte, not a multiprocessing Event: an Event's set() blocks for ever when the
        # child exits while one of its threads waits on it.
        self._child_stop = child_stop = context.RawValue("b", 0)
        if self._stopped.is_set():
            child_stop.value = 1
        # The limit covers the child's start-up, solving, explaining and checking: the clock
        # starts now (``time.monotonic`` is one clock for every process on the machine).
        options = replace(
            self.options,
            reserve_checks=True,
            started=time.monotonic() if self.options.started is None else self.options.started,
        )
        child = context.Process(
            target=_child,
            args=(self.problem, options, messages, child_stop),
            name="planner-solver",
            daemon=True,
        )
        child.start()
        try:
            while True:
                try:
                    kind, payload = messages.get(timeout=_POLL_SECONDS)
                except queue_module.Empty:
                    if not child.is_alive():
                        raise PlannerError(
                            f"the solver process ended unexpectedly (exit code {child.exitcode})"
                        ) from None
                    continue
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(payload)
                elif kind == "done":
                    result: PlannedRound = payload
                    return result
                else:
                    raise PlannerError(f"the solver failed: {payload}")
        finally:
            child_stop.value = 1
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
            messages.close()
            messages.join_thread()
            self._child_stop = None


def _child(problem: PlanningInput, options: SolveOptions, messages: Any, stop: Any) -> None:
    """Runs in the child process: every outcome goes back through ``messages``."""
    collect_less()
    try:
        planner = RoundPlanner(problem, options)
        done = threading.Event()

        def watch() -> None:
            while not done.wait(_POLL_SECONDS):
                if stop.value:
                    planner.stop()
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            result = planner.run(lambda p: messages.put(("progress", p)))
        finally:
            done.set()
        messages.put(("done", result))
    except Exception as exc:  # reported to the parent, which raises PlannerError
        messages.put(("error", f"{type(exc).__name__}: {exc}"))
