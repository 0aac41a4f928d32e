"""The rule ledger: every hard rule of ``docs/rules.md`` once, with what each part reads.

One :class:`RuleSpec` per rule id (SPEC §2). The model modules (``planner.solve.rules.<family>``)
declare the ids they enforce, the independent checker (:mod:`planner.solve.verify`) checks
exactly :data:`HARD_RULES`, the explanations (:mod:`planner.solve.explain`) word a reason
with :attr:`RuleSpec.wording`, the conflicts of an infeasible plan
(:mod:`planner.solve.conflicts`) hide the rules whose privacy class is not ``public``, and
``docs/rules.md`` carries an anchor per rule. ``tests/solve/test_ledger.py`` fails when a rule
id lacks any of those pieces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from planner.i18n import N_, Translator

Family = Literal["attendance", "caps", "coverage", "mixing", "timing", "venues"]
"""The module of :mod:`planner.solve.rules` that enforces a rule in the CP-SAT model."""

Privacy = Literal["public", "private", "secret"]
"""How a rule may be named to the organiser.

* ``public``: by its id;
* ``private``: about a person's own time (time off, busy): worded ``unavailable`` unless
  the person set ``share_reasons`` (SPEC §2, invariant 4);
* ``secret``: it would reveal a ``no`` answer: never named for a person in conflicts.
"""

UNAVAILABLE = "unavailable"
"""The id shown instead of a ``private`` rule (and in conflicts, of every non-public one)."""


@dataclass(frozen=True)
class RuleSpec:
    """One hard rule: its stable id and where each part of the product finds it."""

    id: str
    family: Family
    privacy: Privacy
    wording: str
    """Why a person could not join a session, with ``{s}`` for the session list (English,
    the message id: :meth:`word` gives it in a reader's language)."""
    per_person: bool = False
    """The rule binds people one by one (the model can switch it off for one person)."""

    @property
    def anchor(self) -> str:
        """The rule's anchor in ``docs/rules.md`` (``docs/rules.md#rule-<id>``)."""
        return f"rule-{self.id.replace('_', '-')}"

    def word(self, sessions: str, t: Translator | None = None) -> str:
        """The wording with ``sessions`` filled in, in ``t``'s language (default English)."""
        wording = t.gettext(self.wording) if t is not None else self.wording
        return wording.format(s=sessions)


SPECS: tuple[RuleSpec, ...] = (
    RuleSpec(
        "opted_out", "attendance", "secret", N_("they cannot be placed in {s}"), per_person=True
    ),
    RuleSpec("time_off", "attendance", "private", N_("on time off during {s}"), per_person=True),
    RuleSpec("busy", "attendance", "private", N_("busy during {s}"), per_person=True),
    RuleSpec(
        "working_hours",
        "attendance",
        "public",
        N_("{s} falls outside their working hours"),
        per_person=True,
    ),
    RuleSpec(
        "weekly_events_cap",
        "caps",
        "public",
        N_("joining {s} would exceed their weekly event limit"),
        per_person=True,
    ),
    RuleSpec(
        "weekly_minutes_cap",
        "caps",
        "public",
        N_("joining {s} would exceed their weekly minutes limit"),
        per_person=True,
    ),
    RuleSpec(
        "daily_cap",
        "caps",
        "public",
        N_("they already have an event on the day of {s}"),
        per_person=True,
    ),
    RuleSpec(
        "overlap",
        "caps",
        "public",
        N_("they are in another session at the time of {s}"),
        per_person=True,
    ),
    RuleSpec("capacity", "attendance", "public", N_("{s} is full"), per_person=False),
    RuleSpec(
        "coverage_floor",
        "coverage",
        "public",
        N_("their queue would be short-staffed during {s}"),
        per_person=True,
    ),
    RuleSpec(
        "min_notice",
        "timing",
        "public",
        N_("{s} starts before the notice period ends"),
        per_person=False,
    ),
    RuleSpec(
        "protected_window",
        "timing",
        "public",
        N_("{s} overlaps a protected window"),
        per_person=False,
    ),
    RuleSpec(
        "activity_window",
        "timing",
        "public",
        N_("{s} lies outside the activity's windows"),
        per_person=False,
    ),
    RuleSpec(
        "needs_unmet",
        "attendance",
        "public",
        N_("{s} does not provide something they need"),
        per_person=True,
    ),
    RuleSpec(
        "department_mix",
        "mixing",
        "public",
        N_("{s} would have too many people from their department"),
        per_person=False,
    ),
    RuleSpec(
        "required_attendee",
        "attendance",
        "public",
        N_("{s} cannot be held without its required people"),
        per_person=True,
    ),
    RuleSpec(
        "venue_conflict",
        "venues",
        "public",
        N_("no listed venue of {s} is free then"),
        per_person=False,
    ),
    RuleSpec(
        "venue_capacity", "venues", "public", N_("the venue of {s} is full"), per_person=False
    ),
    RuleSpec(
        "one_session_per_activity",
        "attendance",
        "public",
        N_("they already attend another session than {s}"),
        per_person=True,
    ),
    RuleSpec(
        "horizon", "timing", "public", N_("{s} lies outside the planning horizon"), per_person=False
    ),
)
"""Every hard rule, in the order of SPEC §2 (and of ``planner verify``'s rule list)."""

BY_ID: dict[str, RuleSpec] = {r.id: r for r in SPECS}

HARD_RULES: tuple[str, ...] = tuple(r.id for r in SPECS)
"""Stable rule ids of SPEC §2 / docs/rules.md."""

UNAVAILABLE_WORDING = N_("not available at the time of {s}")
"""The wording of :data:`UNAVAILABLE`."""

REASON_ORDER: tuple[str, ...] = (
    UNAVAILABLE,
    "time_off",
    "busy",
    "working_hours",
    "needs_unmet",
    "weekly_events_cap",
    "weekly_minutes_cap",
    "daily_cap",
    "overlap",
    "one_session_per_activity",
    "opted_out",
    "capacity",
    "department_mix",
    "venue_capacity",
    "coverage_floor",
)
"""The order reasons are listed in for one person: their own time first, then their limits,
then the session's. Rules not listed here follow, in ledger order."""

PRIVATE_RULES: frozenset[str] = frozenset(r.id for r in SPECS if r.privacy == "private")
"""Worded ``unavailable`` unless the person shares reasons."""

HIDDEN_RULES: frozenset[str] = frozenset(r.id for r in SPECS if r.privacy != "public")
"""Worded ``unavailable`` for everyone in the conflicts of an infeasible plan."""


PER_PERSON_RULES: frozenset[str] = frozenset(r.id for r in SPECS if r.per_person)
"""Rules the conflict diagnosis can narrow down to the people they bind."""


def family_rules(family: Family) -> tuple[str, ...]:
    """The rule ids one model module enforces."""
    return tuple(r.id for r in SPECS if r.family == family)


def shown_rule(rule: str, share_reasons: bool) -> str:
    """The id a person's broken rule is shown as in explanations."""
    if rule in PRIVATE_RULES and not share_reasons:
        return UNAVAILABLE
    return rule


__all__ = [
    "BY_ID",
    "HARD_RULES",
    "HIDDEN_RULES",
    "PER_PERSON_RULES",
    "PRIVATE_RULES",
    "REASON_ORDER",
    "SPECS",
    "UNAVAILABLE",
    "UNAVAILABLE_WORDING",
    "RuleSpec",
    "family_rules",
    "shown_rule",
]
