"""Every validation rule of the scenario: one valid and one invalid case each."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from planner.domain.errors import InputError
from planner.domain.models import Answer, Scenario
from tests.factories import activity, build, person, scenario_data

Mutation = Callable[[dict[str, Any]], None]


def base() -> dict[str, Any]:
    return scenario_data(
        [
            person("ann", queues=["phone"]),
            person("bob", "Billing"),
            person("cat", "Sales", timezone="America/New_York"),
        ],
        [activity("lunch", venues=["cafe"], required=["ann"]), activity("quiz")],
        {"ann": {"lunch": "yes", "quiz": "maybe"}, "bob": {"lunch": "no"}},
        queues=[{"id": "phone", "name": "Phone", "min_on_duty": 1}],
        venues=[{"id": "cafe", "name": "Cafe", "capacity": 10, "provides": ["step-free"]}],
        history={"pairs": [["ann", "bob"]], "missed_out": ["cat"]},
    )


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as info:
        build(data)
    return [p.render() for p in info.value.problems]


def test_base_is_valid() -> None:
    s = build(base())
    assert isinstance(s, Scenario)
    assert s.answer("bob", "lunch") is Answer.no
    assert s.answer("cat", "lunch") is Answer.no  # absent means no


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


# (name, valid mutation, invalid mutation, expected "location: message" fragment)
RULES: list[tuple[str, Mutation, Mutation, str]] = [
    (
        "unique person ids",
        _set("people.2.id", "cat"),
        _set("people.2.id", "ann"),
        "people.2.id: duplicate id 'ann'",
    ),
    (
        "unique activity ids",
        _set("activities.1.name", "Quiz 2"),
        _set("activities.1.id", "lunch"),
        "activities.1.id: duplicate id 'lunch'",
    ),
    (
        "unique emails",
        _set("people.1.email", "bob2@example.com"),
        _set("people.1.email", "ann@example.com"),
        "people.1 (bob).email: email 'ann@example.com' is used twice",
    ),
    (
        "queue reference",
        _set("people.0.queues", ["phone"]),
        _set("people.0.queues", ["mail"]),
        "people.0 (ann).queues.0: unknown queue 'mail'",
    ),
    (
        "venue reference",
        _set("activities.0.venues", ["cafe"]),
        _set("activities.0.venues", ["pub"]),
        "activities.0 (lunch).venues.0: unknown venue 'pub'",
    ),
    (
        "required reference",
        _set("activities.0.required", ["bob"]),
        _set("activities.0.required", ["zed"]),
        "activities.0 (lunch).required.0: unknown person 'zed'",
    ),
    (
        "preference person",
        _set("preferences", {"cat": {"quiz": "yes"}}),
        _set("preferences", {"zed": {"quiz": "yes"}}),
        "preferences.zed: unknown person 'zed'",
    ),
    (
        "preference activity",
        _set("preferences", {"cat": {"quiz": "yes"}}),
        _set("preferences", {"cat": {"karaoke": "yes"}}),
        "preferences.cat.karaoke: unknown activity",
    ),
    (
        "answers yes/maybe/no",
        _set("preferences", {"cat": {"quiz": "maybe"}}),
        _set("preferences", {"cat": {"quiz": "sure"}}),
        "preferences.cat.quiz:",
    ),
    (
        "history pair people",
        _set("history", {"pairs": [["bob", "cat"]]}),
        _set("history", {"pairs": [["bob", "zed"]]}),
        "history.pairs.0.1: unknown person 'zed'",
    ),
    (
        "history pair distinct",
        _set("history", {"pairs": [["bob", "cat"]]}),
        _set("history", {"pairs": [["bob", "bob"]]}),
        "history.pairs.0: a pair needs two different",
    ),
    (
        "missed_out people",
        _set("history", {"missed_out": ["bob"]}),
        _set("history", {"missed_out": ["zed"]}),
        "history.missed_out.0: unknown person 'zed'",
    ),
    (
        "template exists",
        _set("activities.1.template", "quiz-night"),
        _set("activities.1.template", "bungee"),
        "activities.1 (quiz).template: unknown template 'bungee'",
    ),
    (
        "min <= max participants",
        _set("activities.1.min_participants", 10),
        _set("activities.1.min_participants", 11),
        "activities.1 (quiz): min_participants is larger",
    ),
    (
        "duration positive",
        _set("activities.1.duration_minutes", 30),
        _set("activities.1.duration_minutes", 0),
        "activities.1 (quiz).duration_minutes:",
    ),
    (
        "duration on the grid",
        _set("activities.1.duration_minutes", 90),
        _set("activities.1.duration_minutes", 45),
        "activities.1 (quiz).duration_minutes: 45 minutes is not a multiple",
    ),
    (
        "working hours ordered",
        _set("policy.working_hours", {"mon": ["08:00-12:00"]}),
        _set("policy.working_hours", {"mon": ["12:00-08:00"]}),
        "policy.working_hours.mon.0:",
    ),
    (
        "working hours format",
        _set("people.0.working_hours", {"tue": ["09:00-24:00"]}),
        _set("people.0.working_hours", {"tue": ["9-17"]}),
        "people.0 (ann).working_hours.tue.0:",
    ),
    (
        "weekday names",
        _set("people.0.working_hours", {"sun": ["09:00-10:00"]}),
        _set("people.0.working_hours", {"sunday": ["09:00-10:00"]}),
        "people.0 (ann).working_hours.sunday",
    ),
    (
        "horizon ordered",
        _set("team.horizon", {"start": "2027-03-01", "end": "2027-03-01"}),
        _set("team.horizon", {"start": "2027-03-02", "end": "2027-03-01"}),
        "team.horizon: horizon ends",
    ),
    (
        "horizon years",
        _set("team.horizon", {"start": "2199-12-01", "end": "2199-12-31"}),
        _set("team.horizon", {"start": "9999-12-28", "end": "9999-12-31"}),
        "team.horizon.start: 9999-12-28 is outside the years 1970–2200",
    ),
    (
        "busy years",
        _set("people.0.busy", [{"start": "2027-03-02T10:00", "end": "2027-03-02T11:00"}]),
        _set("people.0.busy", [{"start": "0001-01-01T00:00", "end": "2027-03-02T11:00"}]),
        "people.0 (ann).busy.0.start: 0001-01-01T00:00:00 is outside the years",
    ),
    (
        "time off years",
        _set("people.0.time_off", [{"start": "2027-03-02", "end": "2027-03-02"}]),
        _set("people.0.time_off", [{"start": "2027-03-02", "end": "9999-12-31"}]),
        "people.0 (ann).time_off.0.end: 9999-12-31 is outside the years",
    ),
    (
        "team zone",
        _set("team.timezone", "Asia/Tokyo"),
        _set("team.timezone", "Europe/Stockholmm"),
        "team.timezone: unknown time zone 'Europe/Stockholmm'",
    ),
    (
        "person zone",
        _set("people.2.timezone", "America/Chicago"),
        _set("people.2.timezone", "EST5"),
        "people.2 (cat).timezone: unknown time zone",
    ),
    (
        "email",
        _set("people.1.email", "bob.b@example.org"),
        _set("people.1.email", "bob@"),
        "people.1 (bob).email: not an email address",
    ),
    (
        "id is a slug",
        _set("people.2.id", "cat"),
        _set("people.2.id", "Cat 2"),
        "people.2.id: 'Cat 2' is not an id",
    ),
    (
        "one-line names",
        _set("people.1.name", "Bob; Jr: B"),
        _set("people.1.name", "Bob\r\nX-EVIL:1"),
        "people.1 (bob).name: contains a control character (U+000D); names are one line",
    ),
    (
        "slot grid",
        _set("team.slot_minutes", 15),
        _set("team.slot_minutes", 20),
        "team.slot_minutes:",
    ),
    (
        "time range order",
        _set("people.0.busy", [{"start": "2027-03-02T10:00", "end": "2027-03-02T11:00"}]),
        _set("people.0.busy", [{"start": "2027-03-02T10:00", "end": "2027-03-02T10:00"}]),
        "people.0 (ann).busy.0: end must be after start",
    ),
    (
        "time range kinds",
        _set("people.0.time_off", [{"start": "2027-03-02", "end": "2027-03-02"}]),
        _set("people.0.time_off", [{"start": "2027-03-02", "end": "2027-03-02T12:00"}]),
        "people.0 (ann).time_off.0: start and end must both be dates",
    ),
    (
        "date syntax",
        _set("people.0.time_off", [{"start": "2027-03-02", "end": "2027-03-04"}]),
        _set("people.0.time_off", [{"start": "2027-13-02", "end": "2027-03-04"}]),
        "people.0 (ann).time_off.0.start: '2027-13-02' is not an ISO date",
    ),
    (
        "window needs days or date",
        _set("policy.protected", [{"days": ["fri"], "time": "14:00-16:00"}]),
        _set("policy.protected", [{"time": "14:00-16:00"}]),
        "policy.protected.0: give either",
    ),
    (
        "unknown keys",
        _set("people.0.share_reasons", True),
        _set("people.0.share_reason", True),
        "people.0 (ann).share_reason: unknown key",
    ),
    (
        "venue capacity positive",
        _set("venues.0.capacity", 2),
        _set("venues.0.capacity", 0),
        "venues.0 (cafe).capacity:",
    ),
    (
        "queue floor non-negative",
        _set("queues.0.min_on_duty", 0),
        _set("queues.0.min_on_duty", -1),
        "queues.0 (phone).min_on_duty:",
    ),
    (
        "caps non-negative",
        _set("people.0.max_events_per_week", 0),
        _set("people.0.max_events_per_week", -2),
        "people.0 (ann).max_events_per_week:",
    ),
    (
        "department share range",
        _set("activities.1.max_department_share", 0.5),
        _set("activities.1.max_department_share", 1.5),
        "activities.1 (quiz).max_department_share:",
    ),
    (
        "pairing group size",
        (lambda d: d["activities"][1].update(kind="pairing", max_participants=8)),
        (lambda d: d["activities"][1].update(kind="pairing", max_participants=9)),
        "activities.1 (quiz): pairing groups hold at most 8",
    ),
    (
        "venue fits min participants",
        _set("activities.0.min_participants", 10),
        (lambda d: d["activities"][0].update(min_participants=11, max_participants=12)),
        "activities.0 (lunch).venues: no listed venue holds min_participants",
    ),
    (
        "tags",
        _set("people.0.needs", ["step-free"]),
        _set("people.0.needs", ["step free!"]),
        "people.0 (ann).needs.0:",
    ),
    (
        "a switch is not a number",
        _set("venues.0.capacity", 12),
        _set("venues.0.capacity", True),
        "venues.0 (cafe).capacity: must be a number, not true or false",
    ),
    (
        "a switch is still a switch",
        _set("activities.0.must_hold", True),
        _set("activities.0.must_hold", "sometimes"),
        "activities.0 (lunch).must_hold:",
    ),
]


@pytest.mark.parametrize(("name", "valid", "invalid", "expected"), RULES, ids=[r[0] for r in RULES])
def test_rule(name: str, valid: Mutation, invalid: Mutation, expected: str) -> None:
    good = copy.deepcopy(base())
    valid(good)
    build(good)
    bad = copy.deepcopy(base())
    invalid(bad)
    rendered = errors_of(bad)
    assert any(expected in line for line in rendered), rendered
    assert all(line.startswith("test.toml: ") for line in rendered)


def test_every_problem_is_reported_at_once() -> None:
    data = base()
    data["people"][0]["email"] = "nope"
    data["people"][1]["timezone"] = "Nowhere/City"
    data["activities"][1]["duration_minutes"] = -5
    rendered = errors_of(data)
    assert len(rendered) == 3, rendered


def test_field_and_reference_errors_come_together() -> None:
    data = base()
    data["people"][0]["email"] = "nope"  # a field error
    data["people"][1]["queues"] = ["mail"]  # and a dangling reference
    data["activities"][1]["id"] = "lunch"  # and a duplicate id
    rendered = errors_of(data)
    assert any("people.0 (ann).email: not an email address" in line for line in rendered)
    assert any("people.1 (bob).queues.0: unknown queue 'mail'" in line for line in rendered)
    assert any("activities.1.id: duplicate id 'lunch'" in line for line in rendered)


def test_template_fills_defaults_and_scenario_wins() -> None:
    data = base()
    data["activities"][1] = {"id": "quiz", "template": "quiz-night", "name": "Our quiz"}
    quiz = build(data).activity("quiz")
    assert quiz.name == "Our quiz"
    assert quiz.after_hours is True  # from the template
    assert quiz.duration_minutes % 30 == 0
    data["activities"][1]["after_hours"] = False
    assert build(data).activity("quiz").after_hours is False


def test_stricter_limit_applies() -> None:
    data = base()
    data["people"][0]["max_events_per_week"] = 1
    data["people"][1]["max_events_per_week"] = 9
    data["policy"]["max_minutes_per_week"] = 120
    s = build(data)
    ann, bob, cat = s.people
    assert s.weekly_events_cap(ann) == 1
    assert s.weekly_events_cap(bob) == 2  # a person may tighten, never loosen
    assert s.weekly_minutes_cap(cat) == 120
    assert s.daily_events_cap(cat) == 1


def test_shared_example_validates(example_scenario: Any) -> None:
    from planner.domain.io import load_scenario

    loaded = load_scenario(example_scenario)
    assert len(loaded.scenario.people) == 8
    assert loaded.calendar_paths()["dana"][0].name == "dana.ics"


def test_with_answer_sets_clears_and_drops_empty_people() -> None:
    s = build(base())
    changed = s.with_answer("bob", "lunch", Answer.maybe)
    assert changed.answer("bob", "lunch") is Answer.maybe and s.answer("bob", "lunch") is Answer.no
    only = {pid for pid, answers in s.preferences.items() if len(answers) == 1}
    pid = sorted(only)[0]
    aid = next(iter(s.preferences[pid]))
    assert pid not in s.with_answer(pid, aid, None).preferences


# ---------------------------------------------------------------------- hostile text (SPEC §6)

LINE_BREAKERS = {
    "LF": "\n",
    "CR": "\r",
    "VT": "\v",
    "FF": "\f",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "CSI": "\x9b",
    "NUL": "\x00",
    "RLO": "\u202e",
    "RLI": "\u2067",
}

ONE_LINE_FIELDS = {  # where the field is, and the location the error names
    "person name": ("people.1.name", "people.1 (bob).name"),
    "department": ("people.1.department", "people.1 (bob).department"),
    "team name": ("team.name", "team.name"),
    "organiser name": ("team.organiser.name", "team.organiser.name"),
    "activity name": ("activities.0.name", "activities.0 (lunch).name"),
    "location": ("activities.1.location", "activities.1 (quiz).location"),
    "link": ("activities.1.url", "activities.1 (quiz).url"),
    "venue name": ("venues.0.name", "venues.0 (cafe).name"),
    "queue name": ("queues.0.name", "queues.0 (phone).name"),
}


@pytest.mark.parametrize("char", LINE_BREAKERS.values(), ids=LINE_BREAKERS.keys())
@pytest.mark.parametrize(("path", "shown"), ONE_LINE_FIELDS.values(), ids=ONE_LINE_FIELDS.keys())
def test_one_line_fields_refuse_separators_and_controls(path: str, shown: str, char: str) -> None:
    data = base()
    _set(path, f"Harmless{char}X-EVIL: 1")(data)
    (line,) = errors_of(data)
    assert line.startswith(f"test.toml: {shown}: contains a ")
    assert f"(U+{ord(char):04X}); " in line and line.endswith(" are one line")
    assert char not in line  # the message names the character, never carries it


def test_one_line_message_names_the_character() -> None:
    data = base()
    _set("people.2.name", "Cat\x85Smith")(data)
    assert errors_of(data) == [
        "test.toml: people.2 (cat).name: contains a control character (U+0085); names are one line"
    ]
    _set("people.2.name", "Cat\u2028Smith")(data)
    assert errors_of(data) == [
        "test.toml: people.2 (cat).name: contains a line separator (U+2028); names are one line"
    ]


def test_one_line_fields_keep_ordinary_unicode() -> None:
    data = base()
    _set("people.1.name", "Zoë Ångström-Łukasz 陈伟 (she/her) [Billing]")(data)
    _set("people.1.department", "Kundtjänst – Fakturor")(data)
    s = build(data)
    assert s.people[1].name == "Zoë Ångström-Łukasz 陈伟 (she/her) [Billing]"


@pytest.mark.parametrize("char", ["\x1b", "\x85", "\u2028", "\u2029", "\x9b", "\v", "\x7f", "\x00"])
def test_descriptions_refuse_controls_but_keep_newlines_and_tabs(char: str) -> None:
    good = base()
    _set("activities.0.description", "Line one\n\tLine two\r\nLine three")(good)
    assert build(good).activities[0].description == "Line one\n\tLine two\nLine three"
    bad = base()
    _set("activities.0.description", f"Line one{char}Line two")(bad)
    (line,) = errors_of(bad)
    assert line.startswith("test.toml: activities.0 (lunch).description: contains a ")
    assert f"(U+{ord(char):04X})" in line


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        *((p, p) for p in ["people.1.id", "activities.0.id", "venues.0.id", "queues.0.id"]),
        ("people.0.queues.0", "people.0 (ann).queues.0"),
    ],
)
def test_ids_refuse_a_trailing_newline(path: str, shown: str) -> None:
    data = base()
    _set(path, "phone\n" if path.endswith("queues.0") else "lunch\n")(data)
    assert any(f"{shown}: " in line and "is not an id" in line for line in errors_of(data))


def test_ids_in_answers_and_history_refuse_a_trailing_newline() -> None:
    data = base()
    data["preferences"]["ann"]["quiz\n"] = "yes"
    data["history"]["missed_out"] = ["cat\n"]
    data["history"]["pairs"] = [["ann", "bob\n"]]
    assert errors_of(data) == [
        f"test.toml: {where}: {value!r} is not an id: use lowercase letters, digits, '-' and "
        "'_' (at most 64)"
        for where, value in [
            ("preferences.ann.'quiz\\n'", "quiz\n"),
            ("history.pairs.0.1", "bob\n"),
            ("history.missed_out.0", "cat\n"),
        ]
    ]  # each once, and no raw line break in any location


@pytest.mark.parametrize(
    "value", ["step-free\u2028", "step\x85free", "step-free\x1b[31m", "ste\u202ep"]
)
def test_tags_refuse_controls(value: str) -> None:
    data = base()
    _set("people.0.needs", [value])(data)
    assert any(line.startswith("test.toml: people.0 (ann).needs.0: ") for line in errors_of(data))


@pytest.mark.parametrize(
    "value", ["ann@example.com\n", "ann\u2028@example.com", "ann@exam\x85ple.com"]
)
def test_emails_refuse_separators(value: str) -> None:
    data = base()
    _set("people.0.email", value)(data)
    (line,) = errors_of(data)
    assert line.startswith("test.toml: people.0 (ann).email: not an email address")


@pytest.mark.parametrize(
    "value", ["09:00-17:00\n", "09:00-17:00\u2028", "٠٩:٠٠-١٧:٠٠", "09:00\x85-17:00"]
)
def test_clock_ranges_are_ascii_and_one_line(value: str) -> None:
    data = base()
    data["policy"]["working_hours"] = {"mon": [value]}
    (line,) = errors_of(data)
    assert line.startswith("test.toml: policy.working_hours.mon.0: ")


def test_calendar_paths_are_one_line() -> None:
    data = base()
    _set("people.0.calendars", ["mine.ics\u2028"])(data)
    assert any(line.startswith("test.toml: people.0 (ann).calendars") for line in errors_of(data))


def test_output_models_without_the_number_check_have_no_number_field() -> None:
    """``Reason`` and ``Unplaced`` skip :class:`NumbersAreNumbers`' per-field check (issue
    17: it was most of listing 441,000 entries); a number field there would lose it."""
    import inspect

    from planner.domain import schedule
    from planner.domain.models import _numeric

    words = [
        cls
        for _, cls in inspect.getmembers(schedule, inspect.isclass)
        if issubclass(cls, schedule._Words) and cls is not schedule._Words
    ]
    assert {c.__name__ for c in words} >= {"Reason", "Unplaced"}
    for cls in words:
        numeric = [n for n, f in cls.model_fields.items() if _numeric(f.annotation)]
        assert not numeric, f"{cls.__name__} has number fields {numeric}: derive it from _Out"
