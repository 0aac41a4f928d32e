"""Why a plan is impossible: a minimal set of contradicting rules, found with the model itself.

Only ``must_hold`` event activities can make the planning model infeasible (everything else
may simply not be held or not placed). The diagnosis asks the planning model — the same
rule modules of :mod:`planner.solve.rules`, with the instance's switch for rules that are
off (:attr:`~planner.solve.instance.Instance.disabled`) — feasibility questions, each a
small CP-SAT solve of just the ``must_hold`` activities:

1. which ``must_hold`` activities are needed for the contradiction (deletion filter: drop
   each activity whose removal keeps the rest infeasible);
2. which rules (deletion filter over the ledger's rule ids: switch each one off, keep it
   off if the plan stays infeasible) — so every rule named is one without which a plan
   exists, never a guess;
3. for each person-level rule left, whom it binds (the same filter over people).

Further conflicts are found with the rules of the earlier ones switched off. The planning
horizon is the frame of every question, not a rule to relax, so it is never named. A
question left unanswered in its time counts as "a plan exists", so a rule is dropped only
on proof; should the time run out mid-way, the conflict is still a contradicting set, just
not a minimal one.

Privacy: a person's ``time_off``, ``busy`` and ``opted_out`` are all reported as
``unavailable``, even for people who chose ``share_reasons``: ``opted_out`` can never be
named (no output reveals a ``no``), so naming the other two for anyone would tell a "no"
apart as the one "unavailable" left. ``planner explain`` still names them for those people.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from ortools.sat.python import cp_model

from planner.domain.models import Kind
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Conflict
from planner.solve.instance import Instance, build_instance
from planner.solve.ledger import HARD_RULES, HIDDEN_RULES, PER_PERSON_RULES, UNAVAILABLE
from planner.solve.rules import MODULES
from planner.solve.variables import Vars

PRIVATE_RULES = HIDDEN_RULES
"""A person's rules worded ``unavailable`` in conflicts (see the module notes)."""

PERSON_RULES = PER_PERSON_RULES
"""Rules the model can switch off for one person (``"<rule>:<person id>"``)."""

CANDIDATES = tuple(r for r in HARD_RULES if r != "horizon")
"""Rules a conflict may name, in the order the deletion filter tries them."""

MAX_CONFLICTS = 5
QUESTION_SECONDS = 2.0
"""Longest single feasibility question; one without an answer counts as feasible, so a rule
is only dropped from a conflict on proof."""


class _Diagnosis:
    def __init__(self, problem: PlanningInput, deadline: float) -> None:
        self.problem = problem
        self.deadline = deadline
        self.held = [
            a.id for a in problem.scenario.activities if a.must_hold and a.kind is Kind.event
        ]

    def _sub(self, activities: Iterable[str]) -> PlanningInput:
        keep = set(activities)
        scenario = self.problem.scenario.model_copy(
            update={"activities": [a for a in self.problem.scenario.activities if a.id in keep]}
        )
        return dataclasses.replace(self.problem, scenario=scenario)

    def infeasible(self, activities: Iterable[str], disabled: Iterable[str]) -> bool:
        """Whether ``activities`` cannot all be held with ``disabled`` rules off (proven)."""
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            return False
        instance = build_instance(self._sub(activities), frozenset(disabled))
        model = cp_model.CpModel()
        vars = Vars()
        for module in MODULES:
            module.build(instance, model, vars)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, min(QUESTION_SECONDS, left))
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        solver.parameters.catch_sigint_signal = False  # the caller owns Ctrl+C
        return solver.solve(model) == cp_model.INFEASIBLE

    def activities(self) -> list[str]:
        """A minimal set of ``must_hold`` activities that cannot all be held."""
        acts = list(self.held)
        for aid in list(acts):
            trial = [a for a in acts if a != aid]
            if trial and self.infeasible(trial, ()):
                acts = trial
        return acts

    def rules(self, acts: list[str], candidates: list[str]) -> list[str]:
        """A minimal subset of ``candidates`` that alone keeps ``acts`` infeasible."""
        core = list(candidates)
        for rule in candidates:
            trial = [r for r in core if r != rule]
            if self.infeasible(acts, self._off(trial)):
                core = trial
        return core

    def people(self, acts: list[str], core: list[str], rule: str) -> list[str]:
        """Whom person-level ``rule`` binds in the conflict ``core`` (a minimal set)."""
        scenario = self.problem.scenario
        required = {r for a in scenario.activities if a.id in acts for r in a.required}
        answered = {
            pid for pid, per in scenario.preferences.items() if any(aid in per for aid in acts)
        }
        everyone = [p.id for p in scenario.people if p.id in required | answered]
        base = self._off(core)
        needed = everyone
        others = [p for p in everyone if p not in required]
        if others and self.infeasible(acts, [*base, *(f"{rule}:{p}" for p in others)]):
            needed = [p for p in everyone if p in required]
        for pid in list(needed):
            trial = [p for p in needed if p != pid]
            off = [*base, *(f"{rule}:{p}" for p in everyone if p not in trial)]
            if self.infeasible(acts, off):
                needed = trial
        return needed

    @staticmethod
    def _off(enforced: Iterable[str]) -> list[str]:
        on = set(enforced)
        return [r for r in CANDIDATES if r not in on]


def _describe(acts: list[str], found: list[tuple[str, list[str]]], held_by: dict) -> Conflict:
    names: list[str] = []
    parts: list[str] = []
    for rule, people in found:
        if rule in PRIVATE_RULES:
            # Worded alike whatever the reason; only ``opted_out`` could name an activity.
            names.append(UNAVAILABLE)
            parts.extend(f"{UNAVAILABLE} ({p})" for p in people)
            if not people:
                parts.append(UNAVAILABLE)
            continue
        names.append(rule)
        if rule == "required_attendee" and people:
            for p in people:
                where = ", ".join(a for a in acts if p in held_by.get(a, ()))
                parts.append(f"{rule} ({where}, {p})")
        elif rule in PERSON_RULES and people:
            parts.extend(f"{rule} ({p})" for p in people)
        else:
            parts.append(f"{rule} ({', '.join(acts)})")
    detail = "; ".join(dict.fromkeys(parts))
    detail = f"must_hold activities {', '.join(sorted(acts))} cannot be held: {detail}"
    return Conflict(rules=sorted(set(names)), detail=detail)


def diagnose(instance: Instance, time_limit: float = 10.0) -> list[Conflict]:
    """Minimal sets of contradicting rules behind an infeasible plan (at most five)."""
    deadline = time.monotonic() + time_limit
    diag = _Diagnosis(instance.problem, deadline)
    unexplained = Conflict(rules=[], detail="the hard rules contradict each other")
    if not diag.held or not diag.infeasible(diag.held, ()):
        return [unexplained]
    acts = diag.activities()
    held_by = {a.id: set(a.required) for a in instance.scenario.activities}
    conflicts: list[Conflict] = []
    candidates = list(CANDIDATES)
    while len(conflicts) < MAX_CONFLICTS and time.monotonic() < deadline:
        if not diag.infeasible(acts, diag._off(candidates)):
            break
        core = diag.rules(acts, candidates)
        found = [
            (rule, diag.people(acts, core, rule) if rule in PERSON_RULES else []) for rule in core
        ]
        conflicts.append(_describe(acts, found, held_by))
        candidates = [r for r in candidates if r not in core]
        if not core or not candidates:
            break
    return conflicts or [unexplained]
