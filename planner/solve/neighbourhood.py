"""Neighbourhoods at scale: which pairing groups each person may join (``links``), drawn
around the greedy plan so a large pairing model stays small."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from planner.domain.models import Answer
from planner.solve.greedy import Placement
from planner.solve.instance import ActivityData, Instance

LINK_LIMIT = 6_000
"""Above this many person × session combinations the model links each session to a
neighbourhood of people only (see :func:`restrict_links`)."""
LINK_FACTOR = 2
"""A session's neighbourhood holds about this many times its capacity."""


def restrict_links(instance: Instance, hint: list[Placement]) -> bool:
    """Decomposition for large rounds: each session may only take a neighbourhood of people.

    Sessions are tiny next to the number of opted-in people (a 2,000-person round has more
    opt-ins than seats by an order of magnitude), so a full person × session model is
    mostly variables that stay 0. Each session keeps its greedy attendees plus about
    ``LINK_FACTOR`` × capacity others: people with a ``yes`` the greedy plan left out
    first (spread round-robin over the activity's sessions), then people who can make the
    greedy start. The search optimises inside these neighbourhoods; the bound it reports is
    the bound of this restricted model (see the engine notes). Returns whether it applied.
    """
    total = sum(len(a.eligible) * len(a.sessions) for a in instance.activities)
    if total <= LINK_LIMIT:
        return False
    by_session = {pl.session: pl for pl in hint}
    placed_yes: set[int] = set()
    for pl in hint:
        a = instance.activities[instance.sessions[pl.session].activity]
        placed_yes.update(p for p in pl.people if a.answers.get(p) is Answer.yes)
    for a in instance.activities:
        quota = LINK_FACTOR * a.max_size
        if len(a.eligible) <= quota or not a.sessions:
            continue
        req = set(a.required)

        def rank(p: int, a: ActivityData = a) -> tuple[int, int, int]:
            ans = a.answers.get(p)
            tier = (
                0
                if (ans is Answer.yes and p not in placed_yes)
                else (1 if ans is Answer.yes else 2)
            )
            return (tier, len(a.avail[p]), p)

        pool = sorted((p for p in a.eligible if p not in req), key=rank)
        can = np.zeros((len(instance.people), len(a.candidates)), dtype=bool)
        for p in pool:
            can[p, a.avail[p]] = True
        n = len(a.sessions)
        links: dict[int, list[int]] = defaultdict(list)
        for k, s in enumerate(a.sessions):
            pl_s = by_session.get(s)
            chosen = list(dict.fromkeys([*req, *(pl_s.people if pl_s else [])]))
            seen = set(chosen)
            here = [p for p in pool if can[p, pl_s.position]] if pl_s is not None else pool
            spread = [p for j, p in enumerate(pool) if j % n == k]
            for p in [*spread, *here, *pool]:
                if len(chosen) >= quota:
                    break
                if p not in seen:
                    chosen.append(p)
                    seen.add(p)
            for p in chosen:
                links[p].append(s)
        a.links = {p: links.get(p, []) for p in a.eligible}
    return True
