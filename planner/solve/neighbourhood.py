"""Neighbourhoods at scale: which pairing groups each person may join (``links``), drawn
around the greedy plan so a large pairing model stays small."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import chain

import numpy as np
import numpy.typing as npt

from planner.domain.models import Answer
from planner.solve.greedy import Placement
from planner.solve.instance import ActivityData, Instance

LINK_LIMIT = 6_000
"""Above this many person × session combinations the model links each session to a
neighbourhood of people only (see :func:`restrict_links`)."""
LINK_FACTOR = 2
"""A session's neighbourhood holds about this many times its capacity."""


def restricted(instance: Instance) -> bool:
    """Whether :func:`restrict_links` applies: more person × session pairs than
    :data:`LINK_LIMIT`."""
    return sum(len(a.eligible) * len(a.sessions) for a in instance.activities) > LINK_LIMIT


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
    if not restricted(instance):
        return False
    by_session = {pl.session: pl for pl in hint}
    placed_yes = np.zeros(len(instance.people), dtype=bool)
    for pl in hint:
        a = instance.activities[instance.sessions[pl.session].activity]
        placed_yes[[p for p in pl.people if a.answers.get(p) is Answer.yes]] = True
    for a in instance.activities:
        quota = LINK_FACTOR * a.max_size
        if len(a.eligible) <= quota or not a.sessions:
            continue
        a.links = _links(a, quota, placed_yes, by_session)
    return True


def _links(
    a: ActivityData, quota: int, placed_yes: npt.NDArray[np.bool_], by_session: dict[int, Placement]
) -> dict[int, list[int]]:
    """The sessions of ``a`` each linked person may join (see :func:`restrict_links`).

    The pool is every eligible person but the required ones, ranked by (tier, number of
    starts they can make, index): tier 0 a ``yes`` the greedy plan left out, 1 another
    ``yes``, 2 a ``maybe``. In numpy (issue 17: ranking 345,000 opt-ins one by one took
    2 s at 10,000 people); people linked to nothing are left out of the table.
    """
    req = a.required
    elig = np.asarray(a.eligible, dtype=np.int64)
    pool = elig[~np.isin(elig, np.asarray(req, dtype=np.int64))]
    yes = np.fromiter((a.answers.get(p) is Answer.yes for p in pool.tolist()), bool, len(pool))
    tier = np.where(yes & ~placed_yes[pool], 0, np.where(yes, 1, 2))
    lengths = np.fromiter((len(a.avail[p]) for p in pool.tolist()), np.int64, len(pool))
    order = np.lexsort((pool, lengths, tier))
    pool, lengths = pool[order], lengths[order]
    ranked = pool.tolist()
    starts: npt.NDArray[np.int64] | None = None
    owner = np.repeat(np.arange(len(pool)), lengths)

    def here(position: int) -> Iterator[int]:
        """The pool, in rank order, who can make the start at ``position`` (computed when
        first asked for: most sessions fill their quota from their spread alone)."""
        nonlocal starts
        if starts is None:
            starts = np.concatenate([a.avail[p] for p in ranked]) if ranked else owner
        yield from pool[owner[starts == position]].tolist()

    n = len(a.sessions)
    links: dict[int, list[int]] = defaultdict(list)
    for k, s in enumerate(a.sessions):
        pl_s = by_session.get(s)
        chosen = list(dict.fromkeys([*req, *(pl_s.people if pl_s else [])]))
        seen = set(chosen)
        spread = ranked[k::n]
        for p in chain(spread, here(pl_s.position) if pl_s else ranked, ranked):
            if len(chosen) >= quota:
                break
            if p not in seen:
                chosen.append(p)
                seen.add(p)
        for p in chosen:
            links[p].append(s)
    return dict(links)
