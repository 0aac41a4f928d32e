"""Is the plan still the plan of this workspace, and are the invites still the plan's?

The plan is *out of date* when what it was planned from (the scenario, the busy blocks,
the declined RSVPs) differs from the workspace now: an edit after solving makes it so, and
undoing that edit makes it current again (the test is the content, not the time). The TUI
records the digest of its input with each plan it saves (workspace meta ``tui.plan.<id>``);
a plan made elsewhere (``planner solve``) has none and shows as "not checked".

The invites are out of date when the sessions last published differ from the plan's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from planner.domain.planning import Interval, PlanningInput
from planner.domain.schedule import PlannedSession, Schedule
from planner.domain.words import plural

PlanState = Literal["none", "current", "stale", "unknown"]
InviteState = Literal["none", "never", "current", "stale"]


def meta_key(plan_id: int) -> str:
    return f"tui.plan.{plan_id}"


def input_digest(
    scenario_json: str,
    busy: Mapping[str, Sequence[Interval]],
    declined: Iterable[tuple[str, str]] = (),
) -> str:
    """The digest of what a plan is made from (not the clock, not what was published)."""
    h = hashlib.sha256(scenario_json.encode())
    h.update(
        json.dumps(
            {
                pid: [[s.isoformat(), e.isoformat()] for s, e in blocks]
                for pid, blocks in busy.items()
            },
            sort_keys=True,
        ).encode()
    )
    h.update(json.dumps(sorted(declined)).encode())
    return h.hexdigest()


def problem_digest(problem: PlanningInput) -> str:
    return input_digest(problem.scenario.model_dump_json(), problem.busy, problem.declined)


def _key(s: PlannedSession) -> tuple[Any, ...]:
    return (s.id, s.start, s.end, tuple(sorted(s.attendees)), s.venue, s.location)


def invite_state(plan: Schedule | None, published: Sequence[PlannedSession]) -> InviteState:
    if plan is None or not plan.sessions:
        return "none"
    if not published:
        return "never"
    same = {_key(s) for s in plan.sessions} == {_key(s) for s in published}
    return "current" if same else "stale"


@dataclass(frozen=True)
class ExportSummary:
    """Who gets what from one re-export, counted in files (one per person)."""

    new: list[str]
    updates: list[str]
    cancellations: list[str]
    unchanged: int

    def line(self) -> str:
        parts = []
        if self.new:
            parts.append(plural(len(self.new), "new invite"))
        if self.updates:
            parts.append(plural(len(self.updates), "update"))
        if self.cancellations:
            parts.append(plural(len(self.cancellations), "cancellation"))
        parts.append(f"{self.unchanged:,} unchanged: not written")
        return ", ".join(parts)

    def who(self, names: Mapping[str, str], limit: int = 8) -> list[str]:
        """ "updates: Anna Lindqvist, Ali Haddad (+3 more)" lines, for the organiser."""

        def listed(ids: list[str]) -> str:
            shown = [names.get(i, i) for i in sorted(ids, key=lambda i: names.get(i, i))[:limit]]
            more = len(ids) - len(shown)
            return ", ".join(shown) + (f" (+{more} more)" if more else "")

        lines = []
        for label, ids in (
            ("new invites", self.new),
            ("updates", self.updates),
            ("cancellations", self.cancellations),
        ):
            if ids:
                lines.append(f"{label}: {listed(ids)}")
        return lines


def export_summary(
    requests: Iterable[str],
    cancels: Iterable[str],
    previously_sent: Iterable[str],
    attendees: Iterable[str],
) -> ExportSummary:
    """From a publication's decisions: ``requests``/``cancels`` the people who get an
    invite / a cancellation file, ``previously_sent`` everyone who ever got an invite,
    ``attendees`` everyone in the plan."""
    sent_before = set(previously_sent)
    req = set(requests)
    cancel = set(cancels) - req  # one file says both for someone with an invite too
    new = sorted(p for p in req if p not in sent_before)
    updates = sorted(p for p in req if p in sent_before)
    unchanged = len(set(attendees) - req - cancel)
    return ExportSummary(new, updates, sorted(cancel), unchanged)
