"""Speed work on the precomputation must not change plans (issue 17): the greedy plan and the
level bounds of the benchmark organisations are pinned to what they were before it."""

from __future__ import annotations

import hashlib
import json

import pytest

from planner.bench.orgs import generate
from planner.solve import objective
from planner.solve.greedy import greedy_plan
from planner.solve.instance import build_instance

PINNED = {
    "S": (
        "72284bf197fd62b02205e955db6eaf523b1518f4a01bc95c50dc712f3125913c",
        {1: 80, 2: 198, 3: 50, 4: 0},
    ),
    "M": (
        "7f8c89bee3ceb58ad319856dac397a9c5eb2b9ccec88765858008efbc2d35f1d",
        {1: 581, 2: 1028, 3: 305, 4: 0},
    ),
}
"""(SHA-256 of the greedy placements as JSON, level bounds), computed on the code before the
greedy plan and the bounds were vectorised."""


@pytest.mark.parametrize("size", sorted(PINNED))
def test_greedy_plan_and_bounds_are_unchanged(size: str) -> None:
    instance = build_instance(generate(size))  # type: ignore[arg-type]
    plan = [(p.session, p.position, p.venue, p.people) for p in greedy_plan(instance)]
    digest, bounds = PINNED[size]
    assert hashlib.sha256(json.dumps(plan).encode()).hexdigest() == digest
    assert objective.level_bounds(instance) == bounds


def test_neighbourhoods_are_unchanged() -> None:
    """The neighbourhoods of a restricted model (M is above ``LINK_LIMIT``) are pinned to
    what the code drew before their ranking moved to numpy."""
    from planner.solve.neighbourhood import restrict_links

    instance = build_instance(generate("M"))
    assert restrict_links(instance, greedy_plan(instance))
    links = [
        None if a.links is None else sorted((p, s) for p, s in a.links.items() if s)
        for a in instance.activities
    ]
    digest = hashlib.sha256(json.dumps(links).encode()).hexdigest()
    assert digest == "6aea0da6cae6ebf603af94d35c10643ebc09b9a26a1e580e9e6bb3ddf231352c"
