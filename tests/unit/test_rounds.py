"""Rounds without the CLI: the effective history a workspace plans with (fairness and
variety windows), what a round's facts record, erasure's JSON scrub, horizon parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from planner.domain.errors import InputError
from planner.domain.schedule import PlannedSession
from planner.rounds import parse_horizon, round_facts
from planner.store.workspace import RoundRow, _scrub, effective_history
from tests.factories import activity, build, person, planning_input, scenario_data

PEOPLE = [person(p) for p in ("ann", "ben", "cat", "dan")]
T0 = datetime(2027, 3, 1, tzinfo=UTC)


def _scenario(policy: dict[str, Any] | None = None, **extra: Any) -> Any:
    prefs = {p["id"]: {"coffee": "yes"} for p in PEOPLE}
    return build(
        scenario_data(
            PEOPLE, [activity("coffee", kind="pairing", max_participants=2)], prefs,
            policy=policy or {}, **extra,
        )
    )  # fmt: skip


def _closed(number: int, attended: list[str], opted: list[str], pairs: list[list[str]]) -> RoundRow:
    data = {
        "sessions": [{"id": "s", "activity": "coffee", "held": True, "invited": attended,
                      "attended": attended}],
        "opted_in": {p: ["coffee"] for p in opted},
        "departments": {p: "Support" for p in {*attended, *opted}},
        "pairs": pairs,
        "missed_out": sorted(set(opted) - set(attended)),
    }  # fmt: skip
    start = date(2027, 1, 4) + timedelta(weeks=2 * number)
    return RoundRow(number, "closed", (start, start + timedelta(days=4)), T0, T0, data)


def test_pairs_of_the_last_avoid_repeat_rounds_are_avoided() -> None:
    rounds = [
        _closed(1, ["ann", "ben"], ["ann", "ben"], [["ann", "ben"]]),
        _closed(2, ["cat", "dan"], ["cat", "dan"], [["cat", "dan"]]),
        _closed(3, ["ann", "cat"], ["ann", "cat"], [["ann", "cat"]]),
    ]
    hist = effective_history(_scenario({"avoid_repeat_rounds": 2}), rounds)
    assert {frozenset(p) for p in hist.pairs} == {
        frozenset(("cat", "dan")),
        frozenset(("ann", "cat")),
    }
    assert effective_history(_scenario({"avoid_repeat_rounds": 0}), rounds).pairs == []
    every = effective_history(_scenario(), rounds)  # default 6: all three
    assert len(every.pairs) == 3


def test_hand_typed_history_stays_and_is_not_doubled() -> None:
    scenario = _scenario(history={"pairs": [["ben", "ann"]], "missed_out": ["dan"]})
    rounds = [_closed(1, ["ann", "ben"], ["ann", "ben", "dan"], [["ann", "ben"]])]
    hist = effective_history(scenario, rounds)
    assert hist.pairs == [("ben", "ann")]
    assert hist.missed_out == ["dan"]


def test_missed_out_is_the_last_round_and_the_fairness_window() -> None:
    people = [*PEOPLE, person("eve"), person("fay")]
    prefs = {p["id"]: {"coffee": "yes"} for p in people}
    rounds = [
        _closed(1, ["ben", "fay"], ["ann", "ben", "cat", "eve", "fay"], []),
        _closed(2, ["ann"], ["ann", "ben", "cat", "eve", "fay"], []),
        _closed(3, ["dan"], ["ann", "ben", "cat", "dan"], []),  # eve and fay sit it out
    ]

    def missed(**policy: int) -> list[str]:
        scenario = build(
            scenario_data(
                people, [activity("coffee", kind="pairing", max_participants=2)], prefs,
                policy=policy,
            )
        )  # fmt: skip
        return sorted(effective_history(scenario, rounds).missed_out)

    # ann, ben, cat: yes in round 3, nothing in it. eve: nothing in rounds 1 and 2, her
    # last two rounds with a yes. fay: reached in round 1, not in round 2.
    assert missed(fairness_rounds=1) == ["ann", "ben", "cat", "eve", "fay"]
    assert missed(fairness_rounds=2) == ["ann", "ben", "cat", "eve"]
    assert missed() == ["ann", "ben", "cat", "eve"]  # default 3: eve's window is 1-2
    # dan was reached in round 3: not first, whatever the window.
    assert "dan" not in missed(fairness_rounds=3)


def test_missed_out_needs_a_standing_yes_and_a_current_person() -> None:
    rounds = [_closed(1, [], ["ann", "ben", "gone"], [["gone", "ann"]])]
    scenario = _scenario()
    scenario = scenario.model_copy(update={"preferences": {"ben": {"coffee": "yes"}}})
    hist = effective_history(scenario, rounds)
    assert hist.missed_out == ["ben"]  # ann withdrew her yes; 'gone' left the team
    assert hist.pairs == []


def _session(sid: str, aid: str, people: list[str], hour: int) -> PlannedSession:
    start = T0.replace(hour=hour)
    return PlannedSession(
        id=sid, activity=aid, start=start, end=start + timedelta(hours=1), attendees=people
    )


def test_round_facts_record_attendance_pairs_and_missed_out() -> None:
    data = scenario_data(
        PEOPLE,
        [activity("coffee", kind="pairing", max_participants=3), activity("lunch")],
        {"ann": {"coffee": "yes"}, "ben": {"coffee": "yes"}, "cat": {"lunch": "yes"},
         "dan": {"coffee": "yes", "lunch": "maybe"}},
    )  # fmt: skip
    problem = planning_input(data)
    sessions = [
        _session("coffee#g1", "coffee", ["ann", "ben", "dan"], 9),
        _session("lunch#1", "lunch", ["cat", "dan"], 11),
        _session("lunch#2", "lunch", ["ann", "ben"], 15),  # still ahead
    ]
    facts = round_facts(
        problem,
        sessions,
        declined={("ben", "coffee#g1")},
        absent={("cat", "lunch#1")},
        held_before=T0.replace(hour=13),
    )
    by_id = {s["id"]: s for s in facts["sessions"]}
    assert by_id["coffee#g1"]["attended"] == ["ann", "dan"]
    assert by_id["coffee#g1"]["declined"] == ["ben"] and by_id["lunch#1"]["declined"] == []
    assert by_id["lunch#1"]["attended"] == ["dan"]
    assert by_id["lunch#2"]["held"] is False and by_id["lunch#2"]["attended"] == []
    assert facts["pairs"] == [["ann", "dan"]]  # pairing groups only; the decliner is out
    assert facts["missed_out"] == ["ben", "cat"]
    assert facts["opted_in"] == {"ann": ["coffee"], "ben": ["coffee"], "cat": ["lunch"],
                                 "dan": ["coffee"]}  # fmt: skip
    assert "no" not in str(facts["opted_in"]) and "maybe" not in str(facts)


def test_scrub_removes_a_person_but_keeps_the_others() -> None:
    value = {
        "sessions": [{"attendees": ["ann", "ben"], "detail": "Ann Smith could not come"}],
        "unplaced": [{"person": "ann", "activity": "x"}, {"person": "ben", "activity": "x"}],
        "pairs": [["ann", "ben"], ["ben", "cat"]],
        "departments": {"ann": "Billing", "ben": "Support"},
    }
    out = _scrub(value, "ann", {"ann", "Ann Smith"})
    assert out == {
        "sessions": [{"attendees": ["ben"], "detail": "someone could not come"}],
        "unplaced": [{"person": "ben", "activity": "x"}],
        "pairs": [["ben", "cat"]],
        "departments": {"ben": "Support"},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-03-01", "give START..END"),
        ("..2027-03-01", "give START..END"),
        ("2027-02-30..2027-03-01", "'2027-02-30..2027-03-01': "),
        ("2027-03-05..2027-03-01", "horizon ends before it starts"),
        ("2027-01-01..2028-06-01", "horizon is longer than one year"),
    ],
)
def test_bad_horizon(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_horizon(text)
    assert str(err.value).startswith("--horizon: ") and message in str(err.value)
    assert "\n" not in str(err.value)


def test_good_horizon() -> None:
    h = parse_horizon(" 2027-03-01 .. 2027-03-12 ")
    assert (h.start, h.end) == (date(2027, 3, 1), date(2027, 3, 12))


def test_simulated_rounds_avoid_the_pairs_of_the_rounds_before() -> None:
    """``planner bench --rounds``: the same fortnight replayed; without the effective
    history the solver pairs the same people again (18 repeated pairs in bench S)."""
    from planner.rounds import simulate

    lines: list[str] = []
    first, second = simulate("S", 2, time_limit=3, workers=1, progress=lines.append)
    assert first.repeated_pairs == 0 and first.groups >= 2
    assert second.repeated_pairs <= 2
    assert second.reached >= first.reached - 1
    assert lines[1].startswith("round 2: ") and "pairs repeated within 6 rounds" in lines[1]


def test_report_renders_hostile_department_names_as_text() -> None:
    """A department name is data: escaped in the HTML, never a formula in the CSV."""
    from planner.report import render

    hostile = ['<img src=x onerror="alert(1)">', '=HYPERLINK("http://x")', "Support"]
    report = {
        "departments": hostile,
        "report_min_count": 3,
        "rounds": [
            {
                "round": 1, "horizon": {"start": "2027-03-01", "end": "2027-03-12"},
                "state": "closed", "sessions_held": 2, "people_opted_in": 9,
                "people_reached": None, "yes_answers": 9, "yes_placed": 8,
                "new_cross_department_pairs": 4, "repeat_pairs": 0,
                "meetings": [[0, 3, None], [3, 0, 4], [None, 4, 6]],
                "min_queue_margin": {"phone": 1},
            }
        ],
        "overall": {"rounds": 1, "people_reached_ever": None, "people_opted_in_ever": 9,
                    "new_cross_department_pairs": 4},
    }  # fmt: skip
    page = render(report, "html", title="<script>x</script>")  # type: ignore[arg-type]
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "fewer than 3" in page
    table = render(report, "csv")  # type: ignore[arg-type]
    import csv

    cells = [c for row in csv.reader(table.splitlines()) for c in row]
    assert any("=HYPERLINK" in c for c in cells)
    assert not any(c[:1] in ("=", "+", "-", "@") for c in cells)  # no cell is a formula
    assert ",<3," in table
