"""Infeasible plans: a ``must_hold`` activity that cannot be held names the rules behind it."""

from __future__ import annotations

import pytest

from planner.domain.schedule import PlanStatus
from planner.solve.conflicts import CANDIDATES, _Diagnosis
from planner.solve.ledger import HIDDEN_RULES
from tests.factories import activity, everyone_yes, person, scenario_data
from tests.solve.test_rule_cases import (
    CASES,
    TUE,
    Case,
    held,
    overlap,
    problem_of,
    proven_infeasible,
    raw_model,
    solve,
    weekly_minutes_cap,
    yes,
)
from tests.solve.test_rules import plan


def _people(n: int = 3) -> list[dict]:
    return [person(f"p{i}", ("Support", "Billing", "Sales")[i % 3]) for i in range(n)]


def test_required_person_on_time_off() -> None:
    people = _people()
    people[2]["time_off"] = [{"start": "2027-03-01", "end": "2027-03-12"}]
    acts = [activity("a", must_hold=True, required=["p2"])]
    s = plan(scenario_data(people, acts, everyone_yes(people, "a")))
    assert s.status is PlanStatus.infeasible and s.sessions == []
    assert s.conflicts[0].rules == ["required_attendee", "unavailable"]  # reason kept private
    assert "p2" in s.conflicts[0].detail and "a" in s.conflicts[0].detail
    # Even someone who shares reasons is "unavailable" here: if time off were named for
    # them, "unavailable" would single out a "no" (see the next test).
    people[2]["share_reasons"] = True
    s = plan(scenario_data(people, acts, everyone_yes(people, "a")))
    assert s.conflicts[0].rules == ["required_attendee", "unavailable"]
    assert "time_off" not in str(s.conflicts)


@pytest.mark.parametrize("share_reasons", [False, True])
def test_required_person_said_no_is_not_revealed(share_reasons: bool) -> None:
    people = _people()
    people[1]["share_reasons"] = share_reasons
    prefs = everyone_yes(people, "a")
    prefs["p1"]["a"] = "no"
    s = plan(scenario_data(people, [activity("a", must_hold=True, required=["p1"])], prefs))
    assert s.status is PlanStatus.infeasible
    assert s.conflicts[0].rules == ["required_attendee", "unavailable"]
    assert "opted_out" not in str(s.conflicts) and "no" not in s.conflicts[0].rules


def test_min_notice_leaves_no_start() -> None:
    from datetime import datetime

    people = _people()
    data = scenario_data(people, [activity("a", must_hold=True)], everyone_yes(people, "a"),
                         policy={"min_notice_hours": 24 * 30})  # fmt: skip
    s = plan(data, now=datetime.fromisoformat("2027-03-01T08:00:00+01:00"))
    assert s.status is PlanStatus.infeasible
    assert s.conflicts[0].rules == ["min_notice"]


def test_window_outside_everyone_hours() -> None:
    people = _people()
    acts = [activity("a", must_hold=True, windows=[{"days": ["sat"], "time": "10:00-12:00"}])]
    s = plan(scenario_data(people, acts, everyone_yes(people, "a")))
    assert s.status is PlanStatus.infeasible
    assert "activity_window" in s.conflicts[0].rules
    assert "working_hours" in s.conflicts[0].rules


def test_too_few_opted_in() -> None:
    people = _people(2)
    s = plan(scenario_data(people, [activity("a", must_hold=True, min_participants=3)],
                           everyone_yes(people, "a")))  # fmt: skip
    assert s.status is PlanStatus.infeasible
    assert s.conflicts[0].rules == ["capacity"]


def test_must_hold_feasible_is_held() -> None:
    people = _people(4)
    s = plan(scenario_data(people, [activity("a", must_hold=True, sessions=2)],
                           everyone_yes(people, "a")))  # fmt: skip
    assert s.status is PlanStatus.optimal and len(s.sessions) == 2


def test_required_no_and_time_off_read_alike() -> None:
    # The wording of a conflict must not tell a "no" apart from time off.
    acts = [activity("a", must_hold=True, required=["p1"])]
    people = _people()
    said_no = everyone_yes(people, "a")
    said_no["p1"]["a"] = "no"
    no = plan(scenario_data(people, acts, said_no))
    people[1]["time_off"] = [{"start": "2027-03-01", "end": "2027-03-12"}]
    off = plan(scenario_data(people, acts, everyone_yes(people, "a")))
    assert no.status is off.status is PlanStatus.infeasible
    assert [c.model_dump() for c in no.conflicts] == [c.model_dump() for c in off.conflicts]
    assert "p1" in no.conflicts[0].detail


def test_two_sessions_at_once_name_overlap() -> None:
    # A required person in two must_hold sessions that can only run at the same time: the
    # diagnosis names the overlap (it used to guess "coverage_floor, overlap, venue_conflict").
    got = solve(overlap, ok=False).schedule
    assert got.status is PlanStatus.infeasible
    assert "overlap" in got.conflicts[0].rules
    assert "coverage_floor" not in str(got.conflicts) and "venue_conflict" not in str(got.conflicts)
    assert "(r)" in got.conflicts[0].detail


def test_weekly_minutes_cap_above_zero_is_named() -> None:
    got = solve(weekly_minutes_cap, ok=False).schedule
    assert got.conflicts[0].rules == ["required_attendee", "weekly_minutes_cap"]


RULE_CASES = [
    pytest.param(rule, case, id=case.__name__)
    for rule, cases in CASES.items()
    for case in cases
    if rule != "horizon"  # the frame of every question, never named
]


@pytest.mark.parametrize(("rule", "case"), RULE_CASES)
def test_diagnosis_names_the_rule_and_only_rules_with_evidence(rule: str, case: Case) -> None:
    """Each rule's infeasible case is explained by that rule (worded ``unavailable`` when
    private), and every rule of the first conflict is needed: switched off, a plan exists."""
    got = solve(case, ok=False).schedule
    first = got.conflicts[0]
    assert ("unavailable" if rule in HIDDEN_RULES else rule) in first.rules
    diag = _Diagnosis(problem_of(case(False)), float("inf"))
    named = [
        r
        for r in CANDIDATES
        if r in first.rules or (r in HIDDEN_RULES and "unavailable" in first.rules)
    ]
    enforced = [r for r in CANDIDATES if r in named]
    assert diag.infeasible(diag.held, diag._off(enforced))
    for r in named:
        if r in HIDDEN_RULES and r != rule:
            continue  # "unavailable" stands for one of them
        assert not diag.infeasible(diag.held, diag._off([x for x in enforced if x != r]))


def test_switching_capacity_off_keeps_the_department_share() -> None:
    """With ``capacity`` off (a diagnosis question), sessions may be below their minimum,
    so ``department_mix`` must bound every department's share, also one no bigger than
    its share of the minimum (which the normal model may skip)."""
    people = [person("s1"), person("s2"), person("b1", "Billing"), person("b2", "Sales")]
    act = held(min_participants=4, max_department_share=0.5)
    data = scenario_data(people, [act], yes(*((p["id"], "m") for p in people)), team=TUE)
    instance, model, vars = raw_model(data, frozenset({"capacity"}))
    s1, s2, b1, b2 = (instance.person_index[p] for p in ("s1", "s2", "b1", "b2"))
    model.add(vars.attend(s1, 0) + vars.attend(s2, 0) == 2)  # two of Support alone
    model.add(vars.attend(b1, 0) + vars.attend(b2, 0) == 0)
    assert proven_infeasible(model)
