"""One module per hard rule (or family of rules), each with ``build(instance, model, vars)``.

Each ``build`` adds its constraints and returns the objective :class:`~planner.solve.variables.Term`
objects it owns (most hard rules own none). Order matters only in that ``timing`` and
``attendance`` create the variables the others constrain.
"""

from __future__ import annotations

from planner.solve.rules import (
    attendance,
    caps,
    coverage,
    mixing,
    pairing,
    stability,
    timing,
    venues,
)

MODULES = (timing, attendance, venues, caps, coverage, mixing, pairing, stability)
"""Every rule module, in build order."""
