"""Variable containers: every decision of the model, reachable through query methods.

Decisions (STYLE point 8: containers with queries, never bare nested index arrays):

* ``held[s]`` — session ``s`` takes place;
* ``y[s][k]`` — session ``s`` starts at its activity's ``k``-th candidate slot (one of them
  is true exactly when the session is held), and ``start[s]`` the slot as an integer;
* ``x[p, s][day]`` — person ``p`` attends session ``s``, which then starts on ``day``.
  Splitting attendance by day keeps the daily and weekly caps linear (no products of
  attendance and start choice) and is only created for days the person can make;
* ``venue[s][v]`` — session ``s`` uses venue ``v``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.solve.instance import ActivityData, Instance

BoolVar = cp_model.IntVar
LinearExpr = cp_model.LinearExprT


@dataclass
class Term:
    """One objective contribution: ``units`` × ``expr`` at importance ``level`` (1 = first).

    ``expr`` is 0/1 valued.
    """

    expr: LinearExpr
    units: int
    level: int


@dataclass
class Vars:
    """All model variables of one :class:`~planner.solve.instance.Instance`."""

    held: dict[int, BoolVar] = field(default_factory=dict)
    y: dict[int, list[BoolVar]] = field(default_factory=dict)
    start: dict[int, cp_model.IntVar] = field(default_factory=dict)
    x: dict[tuple[int, int], dict[int, BoolVar]] = field(default_factory=dict)
    venue: dict[int, dict[int, BoolVar]] = field(default_factory=dict)
    day_start: dict[tuple[int, int, tuple[int, ...]], BoolVar] = field(default_factory=dict)
    got: dict[int, BoolVar] = field(default_factory=dict)
    """Person -> placed in at least one of their ``yes`` activities."""
    by_session: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_person: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    # -- queries ---------------------------------------------------------------------------

    def attend(self, p: int, s: int) -> cp_model.LinearExpr:
        """1 when person ``p`` attends session ``s`` (0 if they cannot)."""
        return cp_model.LinearExpr.sum(list(self.x.get((p, s), {}).values()))

    def attend_vars(self, p: int, s: int) -> list[BoolVar]:
        return list(self.x.get((p, s), {}).values())

    def attendees(self, s: int) -> list[int]:
        """People who may attend session ``s``."""
        return self.by_session.get(s, [])

    def sessions_of(self, p: int) -> list[int]:
        """Sessions person ``p`` may attend."""
        return self.by_person.get(p, [])

    def size(self, s: int) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.sum(
            [v for p in self.attendees(s) for v in self.x[p, s].values()]
        )

    def add_attendance(self, model: cp_model.CpModel, p: int, s: int, days: list[int]) -> None:
        self.x[p, s] = {d: model.new_bool_var(f"x[p{p},s{s},d{d}]") for d in days}
        self.by_session[s].append(p)
        self.by_person[p].append(s)


def session_activity(instance: Instance, s: int) -> ActivityData:
    return instance.activities[instance.sessions[s].activity]
