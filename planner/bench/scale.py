"""Scale of input: how long a very large scenario takes to validate and import.

A seeded 5,000-person, 60-activity scenario is written as JSON, then validated and
imported into a fresh workspace in a child process, so the peak memory is that work's own.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ScaleResult:
    people: int
    activities: int
    file_mb: float
    validate_seconds: float
    import_seconds: float
    peak_mib: float

    def line(self) -> str:
        return (
            f"{self.people:,} people, {self.activities} activities ({self.file_mb:.1f} MB): "
            f"validate {self.validate_seconds:.2f}s, import {self.import_seconds:.2f}s, "
            f"peak {self.peak_mib:.0f} MiB"
        )


def large_scenario(people: int = 5000, activities: int = 60, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    departments = ["Support", "Billing", "Sales", "Engineering", "Quality", "Operations"]
    zones = ["Europe/Stockholm", "Europe/London", "Europe/Warsaw", "America/New_York"]
    acts = [
        {
            "id": f"activity-{j}",
            "name": f"Activity {j}",
            "category": "social",
            "duration_minutes": rng.choice([30, 60, 90]),
            "sessions": rng.randint(1, 4),
            "min_participants": 3,
            "max_participants": rng.choice([8, 12, 20]),
        }
        for j in range(activities)
    ]
    persons = []
    for i in range(people):
        p: dict[str, Any] = {
            "id": f"person-{i}",
            "name": f"Person {i}",
            "email": f"person{i}@example.com",
            "department": departments[i % len(departments)],
            "timezone": zones[i % len(zones)],
        }
        if i % 4 == 0:
            p["queues"] = ["phone"]
        if i % 7 == 0:
            p["time_off"] = [{"start": "2027-05-05", "end": "2027-05-06"}]
        if i % 3 == 0:
            p["busy"] = [{"start": "2027-05-04T10:00", "end": "2027-05-04T11:30"}]
        persons.append(p)
    preferences = {
        p["id"]: {
            a["id"]: rng.choice(["yes", "maybe", "no"])
            for a in rng.sample(acts, min(12, len(acts)))
        }
        for p in persons
    }
    return {
        "team": {
            "name": "Large organisation",
            "timezone": "Europe/Stockholm",
            "organiser": {"name": "Org Aniser", "email": "organiser@example.com"},
            "horizon": {"start": "2027-05-03", "end": "2027-05-14"},
        },
        "queues": [{"id": "phone", "name": "Phone", "min_on_duty": 50}],
        "people": persons,
        "activities": acts,
        "preferences": preferences,
    }


def _measure(directory: str, queue: Any) -> None:
    from planner.domain.io import load_scenario
    from planner.store import Workspace

    path = Path(directory) / "large.json"
    t0 = time.perf_counter()
    loaded = load_scenario(path)
    validated = time.perf_counter() - t0
    t1 = time.perf_counter()
    with Workspace.open(Path(directory) / "large.db") as ws:
        ws.save_scenario(loaded.scenario, {})
    imported = time.perf_counter() - t1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((validated, imported, peak))


def run_scale(people: int = 5000, activities: int = 60, seed: int = 0) -> ScaleResult:
    with tempfile.TemporaryDirectory(prefix="planner-scale-") as directory:
        path = Path(directory) / "large.json"
        path.write_text(json.dumps(large_scenario(people, activities, seed)))
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_measure, args=(directory, queue))
        proc.start()
        validated, imported, peak = queue.get(timeout=600)
        proc.join()
        return ScaleResult(people, activities, path.stat().st_size / 1e6, validated, imported, peak)
