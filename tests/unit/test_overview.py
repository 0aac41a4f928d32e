"""Overview queries: counts and warnings the organiser sees before solving."""

from __future__ import annotations

from planner.demo import demo_scenario
from planner.domain.models import Answer
from planner.overview import answer_totals, build_overview, cycle_answer, not_answered, warnings
from tests.factories import activity, build, person, scenario_data


def test_demo_warns_about_people_who_have_not_answered() -> None:
    overview = build_overview(demo_scenario())
    assert overview.people == 40 and overview.answered == 37
    assert "3 people have not answered" in overview.warnings
    assert overview.plan_status is None


def test_queue_floor_and_thin_activities() -> None:
    people = [person("ann", queues=["phone"]), person("bob", queues=["phone"]), person("cat")]
    data = scenario_data(
        people,
        [activity("lunch", min_participants=3)],
        {"ann": {"lunch": "yes"}, "bob": {"lunch": "no"}},
        queues=[{"id": "phone", "name": "Phone", "min_on_duty": 2}],
    )
    s = build(data)
    found = warnings(s)
    assert "1 person has not answered" in found
    assert any(w.startswith("queue Phone has 2 members and a floor of 2") for w in found)
    assert "activity Lunch has 1 opt-in and needs 3" in found
    assert not_answered(s) == ["cat"]
    totals = answer_totals(s)["lunch"]
    assert (totals.yes, totals.maybe, totals.no, totals.blank) == (1, 0, 1, 1)


def test_a_required_person_who_said_yes_counts_once() -> None:
    people = [person("ann"), person("bob"), person("cat")]
    data = scenario_data(
        people,
        [activity("lunch", min_participants=3, required=["bob"])],
        {"ann": {"lunch": "yes"}, "bob": {"lunch": "yes"}},
    )
    assert "activity Lunch has 2 opt-ins and needs 3" in warnings(build(data))


def test_cycle_answer_goes_round() -> None:
    seen = [Answer.yes]
    for _ in range(4):
        seen.append(cycle_answer(seen[-1]))  # type: ignore[arg-type]
    assert seen == [Answer.yes, Answer.maybe, Answer.no, None, Answer.yes]
