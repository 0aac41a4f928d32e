"""The demo organisation: a deterministic, realistic team a newcomer can plan in seconds.

About 40 people in 4 departments and 2 phone queues, across 2 time zones, with the
catalogue's activities, yes/maybe/no answers, time off, busy blocks and a few personal
limits. The same seed always gives the same organisation.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from planner.domain.io import validate_scenario
from planner.domain.models import Scenario

_FIRST = [
    "Anna",
    "Ali",
    "Beatriz",
    "Chen",
    "Dana",
    "Erik",
    "Fatima",
    "Gustav",
    "Hanna",
    "Ivan",
    "Julia",
    "Karim",
    "Lena",
    "Marek",
    "Nora",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tove",
    "Umar",
    "Vera",
    "Wiktor",
    "Xenia",
    "Yusuf",
    "Zofia",
    "Amir",
    "Britt",
    "Carlos",
    "Daria",
    "Emil",
    "Freja",
    "Goran",
    "Helga",
    "Ines",
    "Jonas",
    "Kasia",
    "Linnea",
    "Mateo",
]
_LAST = [
    "Lindqvist",
    "Haddad",
    "Santos",
    "Wei",
    "Kowalska",
    "Nilsson",
    "Ahmed",
    "Berg",
    "Holm",
    "Petrov",
    "Nowak",
    "Rahman",
    "Svensson",
    "Zielinski",
    "Eriksson",
    "Larsson",
    "Patel",
    "Moreau",
    "Garcia",
    "Virtanen",
    "Sjöberg",
    "Khan",
    "Novak",
    "Wojcik",
    "Ivanova",
    "Demir",
    "Mazur",
    "Karimi",
    "Lund",
    "Ruiz",
    "Sokolova",
    "Dahl",
    "Andersen",
    "Jovanovic",
    "Hansen",
    "Costa",
    "Berglund",
    "Lewandowska",
    "Ek",
    "Fernandez",
]
_DEPARTMENTS = [("Support", 16), ("Billing", 10), ("Sales", 7), ("Engineering", 7)]

_ACTIVITIES: list[dict[str, Any]] = [
    {"id": "team-lunch", "template": "team-lunch", "sessions": 2, "venues": ["canteen"]},
    {"id": "coffee", "template": "coffee-pairing", "sessions": 8},
    {
        "id": "know-how",
        "template": "knowledge-share",
        "required": ["erik-nilsson"],
        "venues": ["oak"],
    },
    {"id": "brainstorm", "template": "customer-journey-brainstorm", "venues": ["oak", "birch"]},
    {
        "id": "quiz",
        "template": "quiz-night",
        "location": "The Anchor pub",
        "windows": [{"days": ["thu"], "time": "17:00-21:00"}],
    },
    {"id": "walk", "template": "walk-and-talk", "sessions": 2},
    {"id": "games", "template": "remote-game-session"},
    {"id": "breakfast", "template": "recognition-breakfast", "venues": ["canteen"]},
]


def demo_scenario(start: date | None = None, seed: int = 7) -> Scenario:
    """The demo organisation over two working weeks starting on the Monday after ``start``."""
    rng = random.Random(seed)
    today = start or date(2027, 3, 1)
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    horizon_end = monday + timedelta(days=11)

    people: list[dict[str, Any]] = []
    index = 0
    for department, count in _DEPARTMENTS:
        for _ in range(count):
            first, last = _FIRST[index], _LAST[index]
            index += 1
            pid = f"{first}-{last}".lower().replace("ö", "o")
            person: dict[str, Any] = {
                "id": pid,
                "name": f"{first} {last}",
                "email": f"{pid.replace('-', '.')}@example.com",
                "department": department,
            }
            if department == "Support":
                person["queues"] = ["phone"]
            elif department == "Billing":
                person["queues"] = ["billing-line"]
            if index % 5 == 0:
                person["timezone"] = "Europe/London"
            if index % 7 == 0:
                off = monday + timedelta(days=rng.randrange(0, 10))
                person["time_off"] = [
                    {
                        "start": off.isoformat(),
                        "end": (off + timedelta(days=rng.randrange(0, 3))).isoformat(),
                    }
                ]
            if index % 4 == 1:
                day = monday + timedelta(days=rng.randrange(0, 11))
                hour = rng.choice([9, 10, 13, 14, 15])
                person["busy"] = [
                    {
                        "start": f"{day.isoformat()}T{hour:02d}:00",
                        "end": f"{day.isoformat()}T{hour + 1:02d}:30",
                    }
                ]
            if index % 9 == 0:
                person["max_events_per_week"] = 1
            if index % 11 == 0:
                person["needs"] = ["step-free"]
            if index % 6 == 0:
                person["after_hours"] = True
            if index % 3 == 0:
                person["show_in_attendee_lists"] = True
            if index % 8 == 0:
                person["share_reasons"] = True
            if department == "Engineering" and index % 2 == 0:
                person["working_hours"] = {
                    d: ["08:00-16:00"] for d in ("mon", "tue", "wed", "thu", "fri")
                }
            people.append(person)

    activity_ids = [a["id"] for a in _ACTIVITIES]
    preferences: dict[str, dict[str, str]] = {}
    for person in people:
        answers: dict[str, str] = {}
        for aid in activity_ids:
            roll = rng.random()
            if roll < 0.38:
                answers[aid] = "yes"
            elif roll < 0.58:
                answers[aid] = "maybe"
            elif roll < 0.8:
                answers[aid] = "no"
        if answers:
            preferences[person["id"]] = answers
    # A few people have not answered yet: the overview warns about them.
    for person in people[-3:]:
        preferences.pop(person["id"], None)
    preferences.setdefault("erik-nilsson", {})["know-how"] = "yes"

    data: dict[str, Any] = {
        "team": {
            "name": "Customer Care Nordics",
            "timezone": "Europe/Stockholm",
            "organiser": {"name": "Anna Lindqvist", "email": "anna.lindqvist@example.com"},
            "horizon": {"start": monday.isoformat(), "end": horizon_end.isoformat()},
            "slot_minutes": 30,
        },
        "policy": {
            "max_events_per_week": 2,
            "max_minutes_per_week": 240,
            "max_events_per_day": 1,
            "min_notice_hours": 24,
            "protected": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "time": "09:00-09:30"},
                {"days": ["fri"], "time": "15:00-17:00"},
            ],
        },
        "queues": [
            {"id": "phone", "name": "Customer phone line", "min_on_duty": 6},
            {"id": "billing-line", "name": "Billing phone line", "min_on_duty": 4},
        ],
        "venues": [
            {
                "id": "canteen",
                "name": "Canteen",
                "capacity": 24,
                "provides": ["step-free", "vegetarian"],
            },
            {"id": "oak", "name": "Oak room", "capacity": 10, "provides": ["step-free"]},
            {"id": "birch", "name": "Birch room", "capacity": 8},
        ],
        "people": people,
        "activities": _ACTIVITIES,
        "preferences": preferences,
        "history": {
            "pairs": [[people[0]["id"], people[16]["id"]], [people[1]["id"], people[26]["id"]]],
            "missed_out": [people[5]["id"], people[30]["id"]],
        },
    }
    return validate_scenario(data, "demo")
