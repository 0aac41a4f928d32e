"""Rounds: the programme over time (SPEC §5). Core functions the CLI and the TUI share.

A workspace holds numbered rounds; the current one is the highest. Its state is ``open``
(no invites out), ``published`` (a plan went out: derived from the workspace's published
sessions) or ``closed``. Closing records what happened — in one transaction — and retires
the round's invites; opening the next one sets the new horizon and keeps people,
activities, venues, policy and (unless ``fresh_answers``) the standing answers.

What a closed round keeps (``RoundRow.data``), all of it about people who took part:

* ``sessions``: every session published in the round (id, activity, kind, start, end,
  venue), with ``held`` (it had ended when the round was closed), ``invited``,
  ``declined`` (by RSVP) and ``attended`` (invited, not declined, not absent);
* ``opted_in``: person -> the activities they said ``yes`` to (never a ``no``);
* ``departments``: person -> department, for the report;
* ``pairs``: every pair of attendees of each held pairing group (``history.pairs``);
* ``missed_out``: who said ``yes`` to something and attended nothing;
* ``queue_margin``: per queue, the fewest members on duty beyond ``min_on_duty`` at any
  moment of a held session (the report's ``min_queue_margin``);
* ``cancelled_sessions``: sessions cancelled during the round (id, activity, start, end), so
  a late RSVP to one is recognised as ours after closing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from planner.domain.errors import InputError, Problem
from planner.domain.io import validate_scenario
from planner.domain.models import Answer, Horizon
from planner.domain.planning import PlanningInput
from planner.domain.schedule import PlannedSession
from planner.domain.timeutil import local_instant, zone
from planner.store import Workspace
from planner.store.workspace import RoundRow

__all__ = [
    "CloseResult",
    "RoundSummary",
    "close_round",
    "forget",
    "list_rounds",
    "new_round",
    "parse_horizon",
    "preview_close",
    "report",
    "round_facts",
    "simulate",
]

State = Literal["open", "published", "closed"]


@dataclass(frozen=True)
class RoundSummary:
    number: int
    horizon: tuple[date, date] | None
    state: State
    sessions_held: int
    people_reached: int

    def line(self) -> str:
        span = f"{self.horizon[0]}..{self.horizon[1]}" if self.horizon else "(no horizon yet)"
        return (
            f"round {self.number}  {span}  {self.state:<9}  "
            f"{self.sessions_held} sessions held, {self.people_reached} people reached"
        )


@dataclass(frozen=True)
class CloseResult:
    number: int
    sessions_held: int
    attended: int
    people_reached: int
    missed_out: int
    pairs: int
    not_held: list[str]

    def lines(self) -> list[str]:
        out = [
            f"closed round {self.number}: {self.sessions_held} sessions held, "
            f"{self.attended} attendances, {self.people_reached} people reached, "
            f"{self.pairs} pairs into history, {self.missed_out} missed out "
            f"(they come first next round)"
        ]
        if self.not_held:
            out.append(f"not held (still ahead when closed): {', '.join(self.not_held)}")
        return out


# ------------------------------------------------------------------------------ facts


def round_facts(
    problem: PlanningInput,
    sessions: Sequence[PlannedSession],
    *,
    declined: Iterable[tuple[str, str]] = (),
    absent: Iterable[tuple[str, str]] = (),
    held_before: datetime | None = None,
) -> dict[str, Any]:
    """What a round amounted to: the ``data`` a closed round keeps (see the module doc).

    ``declined`` and ``absent`` are (person, session id) pairs; a session is held when it
    ended by ``held_before`` (None: every session counts as held, the view of a round that
    is still running).
    """
    scenario = problem.scenario
    declined_set = set(declined)
    gone = declined_set | set(absent)
    kinds = {a.id: a.kind for a in scenario.activities}
    departments_of = {p.id: p.department for p in scenario.people}
    out_sessions: list[dict[str, Any]] = []
    held: list[PlannedSession] = []
    pairs: set[tuple[str, str]] = set()
    for s in sorted(sessions, key=lambda s: (s.start, s.id)):
        is_held = held_before is None or s.end <= held_before
        invited = sorted(set(s.attendees))
        attended = [p for p in invited if (p, s.id) not in gone] if is_held else []
        out_sessions.append(
            {
                "id": s.id,
                "activity": s.activity,
                "kind": str(kinds.get(s.activity, "event")),
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "venue": s.venue,
                "held": is_held,
                "invited": invited,
                "declined": sorted(p for p in invited if (p, s.id) in declined_set),
                "attended": attended,
            }
        )
        if is_held:
            held.append(s.model_copy(update={"attendees": attended}))
            if kinds.get(s.activity) == "pairing":
                pairs.update(combinations(attended, 2))
    opted_in = {
        pid: sorted(aid for aid, ans in answers.items() if ans == Answer.yes)
        for pid, answers in scenario.preferences.items()
        if Answer.yes in answers.values()
    }
    reached = {p for s in out_sessions for p in s["attended"]}
    involved = set(opted_in) | reached | {p for s in out_sessions for p in s["invited"]}
    return {
        "sessions": out_sessions,
        "opted_in": opted_in,
        "departments": {p: departments_of[p] for p in sorted(involved) if p in departments_of},
        "pairs": [list(p) for p in sorted(pairs)],
        "missed_out": sorted(set(opted_in) - reached),
        "queue_margin": queue_margins(problem, held),
    }


def queue_margins(problem: PlanningInput, sessions: Sequence[PlannedSession]) -> dict[str, int]:
    """Per queue with a member at a session: the fewest members on duty beyond
    ``min_on_duty`` at any moment of those sessions inside service hours (0: just covered).

    Only the moments inside a session can be the fewest, and at those only the members at
    that session or at one overlapping it are away: each session looks at those alone
    (at L, 2,000 people, the whole-queue scan per session was most of ``round close``).
    """
    from bisect import bisect_left, bisect_right
    from itertools import pairwise

    from planner.solve.verify import Facts, Ranges

    facts = Facts(problem)
    margins: dict[str, int] = {}
    for queue in problem.scenario.queues:
        members = set(facts.queue_members.get(queue.id, []))
        mine = sorted(
            (s for s in sessions if members.intersection(s.attendees)), key=lambda s: s.start
        )
        if not mine:
            continue
        service = facts.service_hours(queue.id)
        steps, counts = facts.on_duty_steps(queue.id)
        at_event: dict[str, Ranges] = {}
        for m in {m for s in mine for m in s.attendees if m in members}:
            at_event[m] = Ranges([(s.start, s.end) for s in mine if m in s.attendees])
        starts = [s.start for s in mine]
        longest = max(s.end - s.start for s in mine)
        best: int | None = None
        for s in mine:
            # Sessions that overlap s: they start before s ends and end after it starts.
            lo = bisect_left(starts, s.start - longest)
            hi = bisect_left(starts, s.end)
            near = [o for o in mine[lo:hi] if o.end > s.start]
            away_now = {m: at_event[m] for o in near for m in o.attendees if m in at_event}
            points = {s.start, s.end}
            points.update(service.boundaries(s.start, s.end))
            points.update(steps[bisect_right(steps, s.start) : bisect_left(steps, s.end)])
            for m, ranges in away_now.items():
                points.update(ranges.boundaries(s.start, s.end))
                points.update(facts.on_duty(m).boundaries(s.start, s.end))
            for t0, _t1 in pairwise(sorted(points)):
                if not service.at(t0):
                    continue
                n_working = counts[bisect_right(steps, t0) - 1] if steps and steps[0] <= t0 else 0
                away = sum(1 for m, r in away_now.items() if r.at(t0) and facts.on_duty(m).at(t0))
                if not away:
                    continue
                margin = n_working - away - queue.min_on_duty
                best = margin if best is None else min(best, margin)
        if best is not None:
            margins[queue.id] = best
    return margins


# ------------------------------------------------------------------------------ listing


def _state(ws: Workspace, row: RoundRow, current: bool) -> State:
    if row.state == "closed":
        return "closed"
    if current and ws.published_sessions():
        return "published"
    return "open"


def _team_horizon(ws: Workspace) -> tuple[date, date] | None:
    if not ws.has_scenario():
        return None
    h = ws.load_scenario().team.horizon
    return (h.start, h.end)


def list_rounds(ws: Workspace, *, now: datetime | None = None) -> list[RoundSummary]:
    """Every round, oldest first; the current one (not closed) counts its published plan
    as held so far at ``now`` (default: the wall clock)."""
    now = now or datetime.now(UTC)
    rows = ws.round_rows()
    out: list[RoundSummary] = []
    for row in rows:
        current = row is rows[-1]
        state = _state(ws, row, current)
        data = row.data
        if data is None and state == "published":  # held so far
            data = live_facts(ws, now, held_only=True)
        sessions = (data or {}).get("sessions", [])
        horizon = row.horizon if row.horizon or not current else _team_horizon(ws)
        out.append(
            RoundSummary(
                row.number,
                horizon,
                state,
                sum(1 for s in sessions if s["held"] and s["attended"]),
                len({p for s in sessions for p in s["attended"]}),
            )
        )
    return out


def live_facts(ws: Workspace, now: datetime, *, held_only: bool = False) -> dict[str, Any]:
    """The current round's figures from its published sessions (as if closed at ``now``
    with ``held_only``; else every session counts as held)."""
    problem = _problem(ws, now)
    sessions = ws.published_sessions()
    declined = _declined_sessions(ws)
    return round_facts(problem, sessions, declined=declined, held_before=now if held_only else None)


def _problem(ws: Workspace, now: datetime) -> PlanningInput:
    with ws.read() as conn:
        return PlanningInput(scenario=ws._load_scenario(conn), now=now, busy=ws.busy_blocks(conn))


def _declined_sessions(ws: Workspace) -> set[tuple[str, str]]:
    """(person, session id) of every RSVP DECLINED to a live session of the round."""
    from planner.store.invites import list_replies

    return {
        (r.person_id, r.session_id)
        for r in list_replies(ws)
        if r.partstat == "DECLINED" and r.session_id is not None
    }


# ------------------------------------------------------------------------------ closing


HEADER_WORDS = {"person", "session", "id", "person_id", "session_id", "name", "email", "activity"}
"""Words that mark line 1 of an ``--absent`` file as a header (a wrong one is refused)."""


def read_absent(path: Path) -> list[tuple[str, str, int]]:
    """``--absent FILE.csv``: rows of ``person,session`` (an optional header row of exactly
    those names); returns (person, session, line)."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            source, f"cannot read: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError.single(source, "not UTF-8 text (save the CSV as UTF-8)") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    # A spreadsheet saved in a comma-decimal locale separates with ';'.
    delimiter = ";" if ";" in first and "," not in first else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError.single(source, f"not a readable CSV file ({exc})") from None
    rows: list[tuple[str, str, int]] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in enumerate(records, start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        lowered = [c.lower() for c in cells]
        if line == 1 and lowered == ["person", "session"]:
            continue
        if line == 1 and set(lowered) & HEADER_WORDS:
            problems.append(
                Problem(
                    source,
                    "line 1",
                    f"the header {','.join(cells)!r} should be 'person,session' (in that order)",
                )
            )
            continue
        if len(cells) != 2 or not all(cells):
            problems.append(Problem(source, f"line {line}", "expected two columns: person,session"))
            continue
        key = (cells[0], cells[1])
        if key in seen:
            problems.append(
                Problem(
                    source,
                    f"line {line}",
                    f"{cells[0]},{cells[1]} is listed twice (first on line {seen[key]})",
                )
            )
            continue
        seen[key] = line
        rows.append((cells[0], cells[1], line))
    if problems:
        raise InputError(problems)
    return rows


def close_round(
    ws: Workspace, *, now: datetime, absent: Path | None = None, force: bool = False
) -> CloseResult:
    """Close the current round as of ``now`` in one transaction (see the module doc).

    Refused (exit 2, nothing changed): a round already closed, a round with no published
    plan, sessions that have not ended (unless ``force``: they are recorded as not held),
    an ``absent`` row naming an unknown person or session or someone not invited to it.
    """
    absent_rows = read_absent(absent) if absent is not None else []
    with ws.write():
        row, problem, data = _closing(ws, now, absent, absent_rows, force)
        h = problem.scenario.team.horizon
        ws.store_round_close(row.number, (h.start, h.end), data, now)
    return _close_result(row.number, data)


def preview_close(ws: Workspace, *, now: datetime, force: bool = False) -> CloseResult:
    """What :func:`close_round` would record as of ``now``, without recording anything
    (the TUI's confirmation shows it). Refused exactly as closing would be."""
    with ws.read():
        _row, _problem, data = _closing(ws, now, None, [], force)
        number = _row.number
    return _close_result(number, data)


def _closing(
    ws: Workspace,
    now: datetime,
    absent: Path | None,
    absent_rows: Sequence[tuple[str, str, int]],
    force: bool,
) -> tuple[RoundRow, PlanningInput, dict[str, Any]]:
    """The checks and the facts of closing the current round (shared by closing and its
    preview, so the preview shows exactly what closing records)."""
    rows = ws.round_rows()
    row = rows[-1]
    where = ws.location
    if row.state == "closed":
        raise InputError.single(
            where,
            f"round {row.number} is already closed; open the next one with "
            f"'planner round new --horizon START..END'",
        )
    if not ws.has_scenario():
        raise InputError.single(where, "the workspace holds no scenario yet: nothing to close")
    problem = _problem(ws, now)
    sessions = ws.published_sessions()
    if not sessions and not force:
        raise InputError.single(
            where,
            f"round {row.number} has no published plan (run 'planner solve --workspace'); "
            f"use --force to close it with nothing held",
        )
    ahead = sorted((s for s in sessions if s.end > now), key=lambda s: (s.start, s.id))
    if ahead and not force:
        names = ", ".join(f"{s.id} ({s.end.isoformat()})" for s in ahead)
        raise InputError.single(
            where,
            f"round {row.number} has sessions that have not ended yet: {names}; close it "
            f"after they end, or with --force (they are recorded as not held)",
        )
    by_id = {s.id: s for s in sessions}
    people = {p.id for p in problem.scenario.people}
    problems: list[Problem] = []
    for pid, sid, line in absent_rows:
        loc = f"line {line}"
        if pid not in people:
            problems.append(Problem(str(absent), loc, f"unknown person {pid!r}"))
        elif sid not in by_id:
            known = ", ".join(sorted(by_id)) or "none"
            problems.append(
                Problem(str(absent), loc, f"unknown session {sid!r} (this round's: {known})")
            )
        elif pid not in by_id[sid].attendees:
            problems.append(Problem(str(absent), loc, f"{pid!r} was not invited to {sid!r}"))
    if problems:
        raise InputError(problems)
    data = round_facts(
        problem,
        sessions,
        declined=_declined_sessions(ws),
        absent={(p, s) for p, s, _ in absent_rows},
        held_before=now,
    )
    # Sessions cancelled during the round: a late reply to one is recognised (and told
    # apart from a stranger's UID) after closing; times and activity only, nobody's names.
    from planner.store.invites import published_rows

    data["cancelled_sessions"] = [
        {
            "id": r.session_id,
            "activity": r.session.activity,
            "start": r.session.start.isoformat(),
            "end": r.session.end.isoformat(),
        }
        for r in sorted(published_rows(ws).values(), key=lambda r: r.session_id)
        if r.cancelled
    ]
    return row, problem, data


def _close_result(number: int, data: dict[str, Any]) -> CloseResult:
    held = [s for s in data["sessions"] if s["held"]]
    return CloseResult(
        number=number,
        sessions_held=sum(1 for s in held if s["attended"]),
        attended=sum(len(s["attended"]) for s in held),
        people_reached=len({p for s in held for p in s["attended"]}),
        missed_out=len(data["missed_out"]),
        pairs=len(data["pairs"]),
        not_held=[s["id"] for s in data["sessions"] if not s["held"]],
    )


# ------------------------------------------------------------------------------ opening


def parse_horizon(text: str) -> Horizon:
    """``--horizon START..END``: ISO dates, inclusive, in the team's zone."""
    start_text, sep, end_text = text.partition("..")
    if not sep or not start_text.strip() or not end_text.strip():
        raise InputError.single(
            "--horizon", f"{text!r}: give START..END as ISO dates, e.g. 2027-04-05..2027-04-16"
        )
    try:
        return Horizon.model_validate({"start": start_text.strip(), "end": end_text.strip()})
    except ValidationError as exc:
        message = "; ".join(
            (f"{e['loc'][0]}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            for e in exc.errors()
        )
        raise InputError.single("--horizon", f"{text!r}: {message}") from None


def new_round(ws: Workspace, horizon_text: str, *, fresh_answers: bool = False) -> RoundSummary:
    """Open the next round on a new horizon (after the closed one's end), one transaction."""
    horizon = parse_horizon(horizon_text)
    with ws.write():
        rows = ws.round_rows()
        row = rows[-1]
        if row.state != "closed":
            state = _state(ws, row, True)
            raise InputError.single(
                ws.location,
                f"round {row.number} is {state}, not closed: close it first with "
                f"'planner round close'",
            )
        previous = [r.horizon for r in rows if r.horizon is not None]
        last_end = max(end for _, end in previous) if previous else None
        if last_end is not None and horizon.start <= last_end:
            raise InputError.single(
                "--horizon",
                f"{horizon_text!r}: starts on or before {last_end}, the end of an earlier "
                f"round; a round starts after the one before it ends",
            )
        data = ws.load_scenario().model_dump(mode="json")
        data["team"]["horizon"] = horizon.model_dump(mode="json")
        team = validate_scenario(data, ws.location).team  # e.g. a dated window now outside
        # A day's margin for people in other zones (as the calendar import keeps).
        cut = local_instant(horizon.start, 0, zone(team.timezone)) - timedelta(days=1)
        ws.store_round_open(row.number + 1, team, fresh_answers=fresh_answers, busy_before=cut)
    return RoundSummary(row.number + 1, (horizon.start, horizon.end), "open", 0, 0)


# ------------------------------------------------------------------------------ report


def report(ws: Workspace, *, rounds: int | None = None) -> dict[str, Any]:
    """The programme report (SPEC §5's JSON); ``planner.report`` renders and writes it."""
    from planner.report import build_report

    return build_report(ws, rounds=rounds)


# ------------------------------------------------------------------------------ forgetting


def forget(ws: Workspace, person_id: str) -> dict[str, int]:
    """Erase ``person_id`` everywhere (privacy invariant 9): see ``Workspace.forget_person``.

    The closed rounds lose them too, so the report afterwards is the report as if they had
    never taken part (its figures stay consistent with one another; past counts drop by
    them). An id nothing is stored about is refused (exit 2): a typo must not look done.
    """
    with ws.write():
        if not ws.known_person(person_id):
            raise InputError.single(
                ws.location, f"unknown person {person_id!r}: nothing is stored about them"
            )
        counts = ws.forget_person(person_id)
    ws.checkpoint()
    return counts


# ------------------------------------------------------------------------------ simulation


@dataclass(frozen=True)
class SimulatedRound:
    number: int
    groups: int
    reached: int
    opted_in: int
    repeated_pairs: int
    """Pairs of this round that already met in one of the ``avoid_repeat_rounds`` before."""
    unreached_streak: list[str]
    """People with a standing yes reached in none of the last ``fairness_rounds`` rounds
    (from the ``fairness_rounds``-th round on)."""

    def line(self, avoid: int, fairness: int) -> str:
        streak = (
            f"{len(self.unreached_streak)} with a yes reached in none of the last {fairness}"
            + (f" ({', '.join(self.unreached_streak[:8])}…)" if self.unreached_streak else "")
            if self.number >= fairness
            else f"(the {fairness}-round fairness window is not full yet)"
        )
        return (
            f"round {self.number}: {self.groups} groups, {self.reached} of {self.opted_in} "
            f"opted-in people reached, {self.repeated_pairs} pairs repeated within "
            f"{avoid} rounds; {streak}"
        )


def simulate(
    size: str = "M",
    rounds: int = 6,
    *,
    time_limit: float = 20.0,
    workers: int = 2,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[SimulatedRound]:
    """``planner bench --rounds N``: bench ``size``'s coffee pairing run as N rounds (solve,
    everyone invited attends, close, next), each planned with the effective history of the
    ones before — the same fortnight replayed, so only the history differs between rounds."""
    from planner.bench.orgs import NOW, scenario_data
    from planner.solve import PlanSolver, SolveOptions
    from planner.store.workspace import effective_history

    data = scenario_data(size, seed)  # type: ignore[arg-type]
    data["activities"] = [a for a in data["activities"] if a["id"] == "coffee"]
    data["preferences"] = {
        pid: {"coffee": answers["coffee"]}
        for pid, answers in data["preferences"].items()
        if "coffee" in answers
    }
    data["history"] = {}
    base = validate_scenario(data, f"bench-{size}")
    policy = base.policy
    opted = {p for p, a in base.preferences.items() if a.get("coffee") == Answer.yes}
    rows: list[RoundRow] = []
    out: list[SimulatedRound] = []
    for number in range(1, rounds + 1):
        scenario = base.model_copy(update={"history": effective_history(base, rows)})
        problem = PlanningInput(scenario=scenario, now=NOW)
        result = PlanSolver(problem, SolveOptions(time_limit, workers, seed)).solve()
        facts = round_facts(problem, result.schedule.sessions)
        earlier = rows[-policy.avoid_repeat_rounds :] if policy.avoid_repeat_rounds else []
        met = {frozenset(p) for r in earlier for p in (r.data or {}).get("pairs", [])}
        rows.append(RoundRow(number, "closed", None, NOW, NOW, facts))
        window = rows[-policy.fairness_rounds :]
        reached_window = {
            p for r in window for s in (r.data or {})["sessions"] for p in s["attended"]
        }
        reached = {p for s in facts["sessions"] for p in s["attended"]}
        sim = SimulatedRound(
            number=number,
            groups=len(facts["sessions"]),
            reached=len(reached & opted),
            opted_in=len(opted),
            repeated_pairs=sum(1 for p in facts["pairs"] if frozenset(p) in met),
            unreached_streak=sorted(opted - reached_window)
            if number >= policy.fairness_rounds
            else [],
        )
        out.append(sim)
        if progress is not None:
            progress(sim.line(policy.avoid_repeat_rounds, policy.fairness_rounds))
    return out
