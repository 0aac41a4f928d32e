"""Seeded, realistic customer-service organisations for ``planner bench``.

Why generated rather than hand-written: the benchmark must show how the planner scales
(S ~40 people, M ~300, L ~2,000, XL 10,000) on data shaped like the real thing — several time zones,
staffed queues with floors, part-timers, time off, busy calendars, personal caps, venues
with capacities and access tags, needs, and the lukewarm opt-in rates of voluntary
team-building — without shipping anyone's personal data. The same ``(size, seed)`` always
gives the identical scenario (``random.Random(seed)`` only, no global state, no clock).

The horizon is two working weeks (Mon 2027-05-03 .. Fri 2027-05-14, no DST change) on a
30-minute grid; ``now`` is a week before, so the 48-hour notice period never bites.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from planner.domain.catalogue import default_catalogue
from planner.domain.io import validate_scenario
from planner.domain.models import Scenario
from planner.domain.planning import PlanningInput

Size = Literal["S", "M", "L", "XL"]

HORIZON_START = date(2027, 5, 3)
HORIZON_END = date(2027, 5, 14)
NOW = datetime(2027, 4, 26, 8, 0, tzinfo=UTC)
"""Fixed 'now' for generated instances (a week before the horizon)."""


@dataclass(frozen=True)
class Shape:
    """The knobs of one organisation size."""

    people: int
    activities: int
    departments: int
    queues: int
    venues: int
    max_sessions: int
    """Most sessions of one event activity."""
    pairing_groups: int
    """Most groups of the coffee pairing."""
    everyone_pairs: bool = False
    """Every person opts in to the coffee pairing (a yes or a maybe), rather than the usual
    rates: XL's coffee pairing has 10,000 candidates (issue 17)."""


SHAPES: dict[str, Shape] = {
    "S": Shape(people=40, activities=8, departments=4, queues=2, venues=3, max_sessions=2,
               pairing_groups=6),
    "M": Shape(people=300, activities=20, departments=8, queues=6, venues=6, max_sessions=3,
               pairing_groups=25),
    "L": Shape(people=2000, activities=40, departments=12, queues=16, venues=12, max_sessions=4,
               pairing_groups=80),
    "XL": Shape(people=10000, activities=80, departments=16, queues=80, venues=30, max_sessions=4,
                pairing_groups=160, everyone_pairs=True),
}  # fmt: skip

DEPARTMENTS = (
    "Support",
    "Billing",
    "Sales",
    "Operations",
    "Engineering",
    "Back office",
    "Onboarding",
    "Quality",
    "Logistics",
    "Finance",
    "Retention",
    "Partner desk",
    "Claims",
    "Returns",
    "Accessibility desk",
    "Enterprise care",
)
"""Front-line departments come first: they staff the queues."""

ZONES = (
    ("Europe/Stockholm", 0.55),
    ("Europe/London", 0.15),
    ("Europe/Warsaw", 0.2),
    ("America/New_York", 0.1),
)
ZONE_NAMES = [z for z, _ in ZONES]
ZONE_WEIGHTS = [w for _, w in ZONES]

FIRST = [
    "Ali",
    "Anna",
    "Bea",
    "Bo",
    "Chen",
    "Dana",
    "Elin",
    "Erik",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jonas",
    "Karin",
    "Lea",
    "Liam",
    "Maja",
    "Nils",
    "Olga",
    "Omar",
    "Pia",
    "Rami",
    "Sara",
    "Tove",
    "Ula",
    "Vera",
    "Wei",
    "Yusuf",
    "Zoe",
    "Ines",
    "Kofi",
    "Mira",
    "Noor",
    "Per",
    "Rut",
    "Sven",
]
LAST = [
    "Andersson",
    "Berg",
    "Chowdhury",
    "Dahl",
    "Ek",
    "Falk",
    "Garcia",
    "Holm",
    "Ivanova",
    "Jensen",
    "Kowalska",
    "Lind",
    "Moreno",
    "Nowak",
    "Olsen",
    "Park",
    "Quist",
    "Rossi",
    "Santos",
    "Tanaka",
    "Ulloa",
    "Vik",
    "Wang",
    "Xu",
    "Yilmaz",
    "Zielinska",
]

EVENT_TEMPLATES = (
    "team-lunch",
    "knowledge-share",
    "walk-and-talk",
    "board-game-lunch",
    "customer-story-circle",
    "lunch-and-learn",
    "quiz-night",
    "idea-lab",
    "wellbeing-stretch-break",
    "joint-training",
    "book-club",
    "recognition-breakfast",
    "remote-game-session",
    "customer-journey-brainstorm",
    "escape-room",
    "shadow-a-colleague",
    "retro-celebration",
    "park-picnic",
    "cooking-class",
    "volunteering-morning",
    "integration-workshop",
    "charity-run-walk",
)
"""Catalogue templates, most common first; larger organisations use more of them."""

NEEDS = (("vegetarian", 0.1), ("step-free", 0.04), ("quiet", 0.03), ("alcohol-free", 0.02))
VENUE_TAGS = ("step-free", "vegetarian", "quiet", "seated")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _hours(rng: random.Random) -> dict[str, list[str]] | None:
    """Own working hours: most people keep the policy's; some shifts, part-time, split days."""
    r = rng.random()
    if r < 0.65:
        return None
    if r < 0.75:
        return {d: ["07:00-15:00"] for d in WORKDAYS}
    if r < 0.83:
        return {d: ["10:00-18:00"] for d in WORKDAYS}
    if r < 0.93:
        days = rng.sample(WORKDAYS, 4)
        return {d: ["08:00-12:30"] for d in sorted(days, key=WORKDAYS.index)}
    return {d: ["08:00-11:30", "12:30-17:00"] for d in WORKDAYS}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _working_days() -> list[date]:
    days, d = [], HORIZON_START
    while d <= HORIZON_END:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


def _busy(rng: random.Random, days: list[date]) -> list[dict[str, str]]:
    """A few calendar blocks on the grid (meetings, trainings), team-zone wall clock."""
    out = []
    for _ in range(rng.choice((0, 1, 2, 2, 3, 4, 5))):
        d = rng.choice(days)
        start = rng.randrange(8 * 2, 17 * 2) * 30
        length = rng.choice((30, 60, 60, 90, 120))
        out.append(
            {
                "start": f"{d.isoformat()}T{_clock(start)}",
                "end": f"{d.isoformat()}T{_clock(min(start + length, 24 * 60 - 30))}",
            }
        )
    return [b for b in out if b["start"] < b["end"]]


def _time_off(rng: random.Random, days: list[date]) -> list[dict[str, str]]:
    r = rng.random()
    if r < 0.12:  # a few days of leave
        i = rng.randrange(len(days))
        j = min(len(days) - 1, i + rng.randrange(3))
        return [{"start": days[i].isoformat(), "end": days[j].isoformat()}]
    if r < 0.18:  # a half day (dentist, child's school event)
        d = rng.choice(days)
        return [{"start": f"{d.isoformat()}T12:00", "end": f"{d.isoformat()}T17:00"}]
    return []


def scenario_data(size: Size, seed: int = 0) -> dict[str, Any]:
    """The organisation as a plain scenario dict (what a TOML/JSON scenario file holds)."""
    if size not in SHAPES:
        raise ValueError(f"size must be one of {', '.join(SHAPES)}, not {size!r}")
    return _organisation(
        SHAPES[size], f"planner-bench-{size}-{seed}", f"Customer service ({size}, seed {seed})"
    )


def _organisation(shape: Shape, key: str, name: str) -> dict[str, Any]:
    """The organisation of ``shape`` drawn from ``random.Random(key)``."""
    rng = random.Random(key)
    days = _working_days()
    departments = list(DEPARTMENTS[: shape.departments])
    front_line = departments[: max(1, shape.departments // 2)]

    queues: list[dict[str, Any]] = []
    for i in range(shape.queues):
        dept = front_line[i % len(front_line)]
        queues.append({"id": f"q{i + 1}", "name": f"{dept} line {i // len(front_line) + 1}",
                       "dept": dept})  # fmt: skip

    venues = []
    for i in range(shape.venues):
        capacity = rng.choice((6, 8, 10, 12, 16, 20, 30, 40))
        tags = sorted(t for t in VENUE_TAGS if rng.random() < 0.5)
        venue: dict[str, Any] = {
            "id": f"room-{i + 1}",
            "name": f"Room {i + 1}",
            "capacity": capacity,
            "provides": tags,
        }
        if rng.random() < 0.3:
            d = rng.choice(days)
            venue["busy"] = [{"start": f"{d.isoformat()}T09:00", "end": f"{d.isoformat()}T13:00"}]
        venues.append(venue)

    people: list[dict[str, Any]] = []
    for i in range(shape.people):
        pid = f"p{i + 1:04d}"
        dept = (
            departments[i % len(departments)] if i < len(departments) else rng.choice(departments)
        )
        # Every zone appears at least once, even in the smallest organisation.
        zone = ZONES[i][0] if i < len(ZONES) else rng.choices(ZONE_NAMES, ZONE_WEIGHTS)[0]
        p: dict[str, Any] = {
            "id": pid,
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"{pid}@example.com",
            "department": dept,
        }
        if zone != "Europe/Stockholm":
            p["timezone"] = zone
        own_queues = [q["id"] for q in queues if q["dept"] == dept]
        if own_queues:
            p["queues"] = [rng.choice(own_queues)]
        hours = _hours(rng)
        if hours is not None:
            p["working_hours"] = hours
        if off := _time_off(rng, days):
            p["time_off"] = off
        if busy := _busy(rng, days):
            p["busy"] = busy
        r = rng.random()
        if r < 0.03:
            p["max_events_per_week"] = 0  # paused this round
        elif r < 0.13:
            p["max_events_per_week"] = 1
        elif r < 0.18:
            p["max_minutes_per_week"] = 90
        if rng.random() < 0.2:
            p["after_hours"] = True
        needs = [tag for tag, rate in NEEDS if rng.random() < rate]
        if needs:
            p["needs"] = needs
        if rng.random() < 0.4:
            p["show_in_attendee_lists"] = True
        if rng.random() < 0.25:
            p["share_reasons"] = True
        people.append(p)

    # Queue floors: about a third of the members must stay on the line.
    members: dict[str, int] = {}
    for p in people:
        for q in p.get("queues", []):
            members[q] = members.get(q, 0) + 1
    for q in queues:
        q["min_on_duty"] = max(1, members.get(q["id"], 0) // 3)
        del q["dept"]

    catalogue = default_catalogue()
    activities: list[dict[str, Any]] = []
    coffee_groups = max(2, min(shape.pairing_groups, shape.people // 6))
    activities.append(
        {
            "id": "coffee",
            "name": "Cross-department coffee",
            "template": "coffee-pairing",
            "category": "social",
            "sessions": coffee_groups,
        }
    )
    for i in range(shape.activities - 1):
        template_id = EVENT_TEMPLATES[i % len(EVENT_TEMPLATES)]
        template = catalogue[template_id]
        round_ = i // len(EVENT_TEMPLATES)
        aid = template_id if round_ == 0 else f"{template_id}-{round_ + 1}"
        a: dict[str, Any] = {
            "id": aid,
            "name": template.name if round_ == 0 else f"{template.name} ({round_ + 1})",
            "template": template_id,
            "category": template.category.value,
            "sessions": rng.randint(1, shape.max_sessions),
        }
        if template.setting.value != "virtual" and rng.random() < 0.7:
            fitting = [v["id"] for v in venues if v["capacity"] >= template.min_participants]
            if fitting:
                a["venues"] = sorted(rng.sample(fitting, min(len(fitting), rng.randint(1, 3))))
                biggest = max(v["capacity"] for v in venues if v["id"] in a["venues"])
                a["max_participants"] = min(template.max_participants, biggest)
        elif template.setting.value != "virtual":
            a["location"] = "Nearby"
        if template.after_hours:
            a["windows"] = [{"days": ["tue", "thu"], "time": "17:00-21:00"}]
        elif rng.random() < 0.15:
            a["windows"] = [{"days": ["wed", "fri"], "time": "09:00-15:00"}]
        if template.category.value == "collaboration" and rng.random() < 0.5:
            a["max_department_share"] = 0.6
        activities.append(a)

    preferences: dict[str, dict[str, str]] = {}
    for p in people:
        answers = {}
        for a in activities:
            r = rng.random()
            if shape.everyone_pairs and a["id"] == "coffee":
                answers[a["id"]] = "yes" if r < 0.35 else "maybe"
            elif r < 0.35:
                answers[a["id"]] = "yes"
            elif r < 0.55:
                answers[a["id"]] = "maybe"
            elif r < 0.7:
                answers[a["id"]] = "no"
        if answers:
            preferences[p["id"]] = answers

    # A facilitator for some learning sessions: someone who said yes, on a plain schedule.
    for a in activities:
        if catalogue[a["template"]].category.value == "learning" and rng.random() < 0.5:
            keen = [
                p["id"]
                for p in people
                if preferences.get(p["id"], {}).get(a["id"]) == "yes"
                and "time_off" not in p
                and "timezone" not in p
                and "working_hours" not in p
                and "max_events_per_week" not in p
                and "max_minutes_per_week" not in p
                and not p.get("queues")
                and not p.get("needs")
            ]
            if keen:
                a["required"] = [rng.choice(keen)]
                a["sessions"] = 1

    ids = [p["id"] for p in people]
    pairs = set()
    for _ in range(shape.people // 8):
        x, y = rng.sample(ids, 2)
        pairs.add((min(x, y), max(x, y)))
    history = {
        "pairs": [list(pair) for pair in sorted(pairs)],
        "missed_out": sorted(rng.sample(ids, shape.people // 20)),
    }

    return {
        "team": {
            "name": name,
            "timezone": "Europe/Stockholm",
            "organiser": {"name": "Bench Organiser", "email": "organiser@example.com"},
            "horizon": {"start": HORIZON_START.isoformat(), "end": HORIZON_END.isoformat()},
            "slot_minutes": 30,
        },
        "policy": {
            "max_events_per_week": 2,
            "max_events_per_day": 1,
            "max_minutes_per_week": 240,
            "min_notice_hours": 48,
            "protected": [
                {"days": list(WORKDAYS), "time": "11:30-12:00"},
                {"days": ["fri"], "time": "15:00-17:00"},
            ],
        },
        "queues": queues,
        "venues": venues,
        "people": people,
        "activities": activities,
        "preferences": preferences,
        "history": history,
    }


def sites_data(size: Size = "L", sites: int = 4, seed: int = 0) -> dict[str, Any]:
    """``size``'s organisation cut into ``sites`` sites that share nothing: each has its
    share of the people, activities, queues and venues (and its own coffee pairing), so the
    round has ``sites`` independent components (issue 17: measuring the decomposition of
    :mod:`planner.solve.components`). S, M, L and XL are not changed by it."""
    shape = SHAPES[size]
    part = replace(
        shape,
        people=shape.people // sites,
        activities=max(2, shape.activities // sites),
        queues=max(1, shape.queues // sites),
        venues=max(1, shape.venues // sites),
        pairing_groups=max(2, shape.pairing_groups // sites),
    )
    merged: dict[str, Any] = {}
    for k in range(1, sites + 1):
        data = _site(_organisation(part, f"planner-bench-{size}-{seed}-site{k}", ""), k)
        if not merged:
            merged = data
            merged["team"]["name"] = f"Customer service ({size} in {sites} sites, seed {seed})"
            continue
        for section in ("queues", "venues", "people", "activities"):
            merged[section] += data[section]
        merged["preferences"].update(data["preferences"])
        for section in ("pairs", "missed_out"):
            merged["history"][section] += data["history"][section]
    return merged


def _site(data: dict[str, Any], k: int) -> dict[str, Any]:
    """One site's organisation with every id (and venue and activity name) prefixed."""
    tag = f"s{k}-"

    def ids(values: list[str]) -> list[str]:
        return [tag + v for v in values]

    for q in data["queues"]:
        q["id"] = tag + q["id"]
        q["name"] = f"Site {k} {q['name']}"
    for v in data["venues"]:
        v["id"] = tag + v["id"]
        v["name"] = f"Site {k} {v['name']}"
    for p in data["people"]:
        p["id"] = tag + p["id"]
        p["email"] = tag + p["email"]
        if "queues" in p:
            p["queues"] = ids(p["queues"])
    for a in data["activities"]:
        a["id"] = tag + a["id"]
        a["name"] = f"Site {k}: {a['name']}"
        for key in ("venues", "required"):
            if key in a:
                a[key] = ids(a[key])
    data["preferences"] = {
        tag + pid: {tag + aid: answer for aid, answer in answers.items()}
        for pid, answers in data["preferences"].items()
    }
    history = data["history"]
    history["pairs"] = [ids(pair) for pair in history["pairs"]]
    history["missed_out"] = ids(history["missed_out"])
    return data


def scenario(size: Size, seed: int = 0) -> Scenario:
    """The validated organisation (same ``(size, seed)`` → equal scenario)."""
    return validate_scenario(scenario_data(size, seed), f"bench-{size}-{seed}")


def generate(size: Size, seed: int = 0) -> PlanningInput:
    """A ready-to-plan organisation of the given size, with the fixed :data:`NOW`."""
    return PlanningInput(scenario=scenario(size, seed), now=NOW)


__all__ = ["NOW", "SHAPES", "Shape", "Size", "generate", "scenario", "scenario_data", "sites_data"]
