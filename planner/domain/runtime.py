"""How a planner process runs: its garbage collector's thresholds.

A 10,000-person round is millions of small objects that live as long as the command
(scenario models, instance tables' Python lists, model variables, ``unplaced`` entries,
calendar components), and every step adds more. With CPython's default thresholds
(700, 10, 10) the collector runs every 700 net allocations and keeps walking that
young-but-permanent heap: measured at XL, ``solve --time-limit 10`` took 20.3 s with
them, 18.5 s with :data:`THRESHOLDS` and 17.9 s with the collector off (load 2.2).
Planner's data makes no reference cycles worth collecting early, so it collects less.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)
"""Generation-0 allocations between collections, then how many of each generation's
collections run before the next older one's."""


def collect_less() -> None:
    """Set :data:`THRESHOLDS` for this process (the CLI, the solver's child process and
    ``planner bench``'s children call it first)."""
    gc.set_threshold(*THRESHOLDS)
