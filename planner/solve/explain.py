"""Why someone was or was not placed, and why a session was not held.

``annotate`` fills ``unplaced`` and the reasons of ``not_held`` in a solver's schedule;
``explain_person`` answers ``planner explain``. Reasons are derived by asking the
independent checker (:mod:`planner.solve.verify`) what would break if the person were
added to each held session of the activity: the reasons are therefore the hard rules
themselves, not a story told by the solver.

Privacy (SPEC §2, invariant 4):

* Only yes/maybe opt-ins are ever listed; a ``no`` never appears anywhere.
* ``time_off`` and ``busy`` are shown as ``unavailable`` (with no dates) unless the person
  set ``share_reasons``.
* When the organiser explicitly asks about an activity the person did not opt in to, the
  answer is "has not opted in" — the same words for an explicit ``no``, no answer at all,
  and an RSVP decline, so the wording never tells a ``no`` apart from silence.
* A required person who said no is reported as "unavailable", never as having said no.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from pydantic import TypeAdapter

from planner.domain.catalogue import activity_texts
from planner.domain.errors import InputError
from planner.domain.models import Activity, Answer, Person, Scenario
from planner.domain.planning import PlanningInput
from planner.domain.schedule import NotHeld, PlannedSession, Reason, Schedule, Unplaced
from planner.domain.timeutil import iso_week, zone
from planner.i18n import N_, Translator, translator
from planner.solve.ledger import (
    BY_ID,
    REASON_ORDER,
    SPECS,
    UNAVAILABLE,
    UNAVAILABLE_WORDING,
    shown_rule,
)
from planner.solve.verify import (
    ATTENDANCE_RULES,
    PERSON_RULES,
    Facts,
    Focus,
    PlanView,
    Ranges,
    RuleFn,
    rule_capacity,
    rule_coverage_floor,
    rule_department_mix,
    rule_venue_capacity,
    start_allowed,
)
from planner.solve.verify.attendance import may_break as attendance_prefilter
from planner.solve.verify.caps import may_break as caps_prefilter
from planner.solve.verify.core import Joining, Load

OUTRANKED = "outranked"
"""No hard rule stops the placement: the seat went elsewhere by the objective's priorities."""

NOT_HELD = "not_held"
"""The activity has no held session the person could join."""

NOT_OPTED_IN = "not_opted_in"
"""Shown only when the organiser asks about one activity explicitly (never says 'no')."""

_JOIN_RULES: dict[str, RuleFn] = {
    **ATTENDANCE_RULES,
    **PERSON_RULES,
    "capacity": rule_capacity,
    "department_mix": rule_department_mix,
    "venue_capacity": rule_venue_capacity,
    "coverage_floor": rule_coverage_floor,
}
"""The rules adding one attendee to an existing session can break (times and venues stay)."""

_CHEAP_RULES: dict[str, RuleFn] = {
    "capacity": rule_capacity,
    "venue_capacity": rule_venue_capacity,
    **ATTENDANCE_RULES,
    **PERSON_RULES,
}
_COSTLY_RULES: dict[str, RuleFn] = {
    "department_mix": rule_department_mix,
    "coverage_floor": rule_coverage_floor,
}

_SESSION_ONLY = frozenset({"capacity", "venue_capacity"})
"""Cheap rules that look at the session's head count only, never at who joins: the same
answer for every newcomer to a session."""

_FILTERED = frozenset({*ATTENDANCE_RULES, *PERSON_RULES})
"""Rules :meth:`_Explainer._may_break` can rule out before asking the checker."""

_MAX_LISTED = 4


_ENGLISH = translator("en")


def when_text(start: datetime, tz: tzinfo, t: Translator = _ENGLISH) -> str:
    """A start in the reader's words, in the viewer's zone: ``Tue 23 Mar 12:00`` (Swedish
    ``tis 23 mars 12:00``, Polish ``wt. 23 mar 12:00``, through Babel)."""
    if t.language == "en":
        return f"{start.astimezone(tz):%a %d %b %H:%M}"
    return t.format_datetime(start, _zone_of(tz), "EEE d MMM HH:mm")


def _clock(instant: datetime, tz: tzinfo, t: Translator = _ENGLISH) -> str:
    """An end time, ``13:00`` (24-hour in every language we speak)."""
    if t.language == "en":
        return f"{instant.astimezone(tz):%H:%M}"
    return t.format_time(instant, _zone_of(tz))


def _zone_of(tz: tzinfo) -> str:
    """Babel takes a zone name; the viewer's zone is a ``ZoneInfo`` (or UTC)."""
    return getattr(tz, "key", None) or str(tz)


def _sessions_text(name: str, times: Sequence[str], t: Translator = _ENGLISH) -> str:
    """``Team lunch, Tue 23 Mar 12:00, Wed 24 Mar 12:00 and 3 more``."""
    shown = ", ".join(times[:_MAX_LISTED])
    more = len(times) - _MAX_LISTED
    if more <= 0:
        return f"{name}, {shown}"
    return t.ngettext("{name}, {times} and {n} more", "{name}, {times} and {n} more", more).format(
        name=name, times=shown, n=more
    )


_OUTRANKED_WORDING = N_(
    "no rule stops them joining {s}; the places went to colleagues with fewer "
    "placements first, or the search stopped before adding them"
)


@dataclass(frozen=True)
class _Wording:
    """A reason's wording: English with ``{s}`` for the sessions (the message id), filled in
    a reader's language."""

    template: str

    def __call__(self, sessions: str, t: Translator = _ENGLISH) -> str:
        return t.gettext(self.template).format(s=sessions)


_DETAILS: dict[str, _Wording] = {
    UNAVAILABLE: _Wording(UNAVAILABLE_WORDING),
    **{rule: _Wording(BY_ID[rule].wording) for rule in REASON_ORDER if rule in BY_ID},
    **{r.id: _Wording(r.wording) for r in SPECS if r.id not in REASON_ORDER},
    OUTRANKED: _Wording(_OUTRANKED_WORDING),
}
"""Reason wordings (the ledger's), in the order a person's reasons are listed."""


def _detail(rule: str, sessions: str, t: Translator) -> str:
    wording = _DETAILS.get(rule)
    return sessions if wording is None else wording(sessions, t)


def _shown_rule(rule: str, person: Person) -> str:
    return shown_rule(rule, person.share_reasons)


@dataclass(frozen=True)
class Explanation:
    """Whether one person was placed in one activity, where, and if not, why."""

    activity: str
    placed: bool
    sessions: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


_UNPLACED = TypeAdapter(list[Unplaced])


class _Explainer:
    """Shared state of one annotate/explain call: facts, the plan, cached session checks."""

    def __init__(
        self,
        problem: PlanningInput,
        schedule: Schedule,
        tz: tzinfo | None = None,
        t: Translator = _ENGLISH,
    ) -> None:
        self.facts = Facts(problem)
        self.tz = tz or self.facts.tz
        """The viewer's zone: times in reasons are written in it."""
        self.t = t
        """The reader's language: reasons are worded in it."""
        self.schedule = schedule
        self.plan = PlanView(schedule.sessions)
        self.held: dict[str, list[PlannedSession]] = defaultdict(list)
        for s in schedule.sessions:
            self.held[s.activity].append(s)
        self._before: dict[str, set[str]] = {}
        self._venue_taken: dict[str, Ranges] = {}
        self._session_only: dict[tuple[str, str], bool] = {}
        self._owns: dict[str, Load] = {}
        self._attend_cache: dict[tuple[str, str], bool] = {}
        self._by_activity: dict[str, list[tuple[str, Answer]]] | None = None
        self._sessions_facts: dict[str, tuple[date, tuple[int, int], int, Activity, set[str]]] = {}
        self._not_held_cache: dict[str, list[Reason]] = {}
        self._rank: dict[str, int] | None = None

    def _existing(self, sid: str) -> set[str]:
        """Rules the session breaks already (only possible for a faulty schedule)."""
        if sid not in self._before:
            focus = Focus("", sid)
            self._before[sid] = {
                v.rule for fn in _JOIN_RULES.values() for v in fn(self.facts, self.plan, focus)
            }
        return self._before[sid]

    def join_breaks(self, pid: str, s: PlannedSession) -> list[str]:
        """Rule ids that adding ``pid`` to ``s`` would break (empty: they could join).

        Cheap rules run first; the queue-cover and department-mix checks, which look at
        other people, run only when nothing cheaper already blocks the seat. The list is
        therefore every blocking rule found, not always every rule that would block.

        Speed (the answer is the checker's): a rule is skipped only when a quick test shows
        it cannot fire (:meth:`_may_break`); rules about the session alone (capacity, venue
        capacity) give the same answer for every newcomer and are asked once per session.
        """
        view: PlanView | None = None
        focus = Focus(pid, s.id)
        existing = self._existing(s.id)
        maybe = self._may_break(pid, s)
        broken: list[str] = []
        for tier in (_CHEAP_RULES, _COSTLY_RULES):
            for rule, fn in tier.items():
                if rule in existing or (rule in _FILTERED and rule not in maybe):
                    continue
                key = (rule, s.id)
                if rule in _SESSION_ONLY and key in self._session_only:
                    hit = self._session_only[key]
                else:
                    if view is None:
                        view = self.plan.with_attendee(s.id, pid)
                    hit = any(True for _ in fn(self.facts, view, focus))
                    if rule in _SESSION_ONLY:
                        self._session_only[key] = hit
                if hit:
                    broken.append(rule)
            if broken:
                break
        return broken

    def _may_break(self, pid: str, s: PlannedSession) -> set[str]:
        """The rules of :data:`_FILTERED` that may fire with ``pid`` added to ``s``.

        The prefilters live beside their rules in the checker's families
        (:func:`planner.solve.verify.attendance.may_break`,
        :func:`planner.solve.verify.caps.may_break`); a rule left out certainly holds.
        Rules outside :data:`_FILTERED` are always asked.
        """
        day, week, minutes, activity, offered = self._session_facts(s)
        joining = Joining(
            person=self.facts.people[pid],
            session=s,
            activity=activity,
            day=day,
            week=week,
            minutes=minutes,
            offered=offered,
            load=self._own(pid),
            may_attend=self._may_attend(pid, s.activity),
        )
        return attendance_prefilter(self.facts, joining) | caps_prefilter(joining)

    def _session_facts(
        self, s: PlannedSession
    ) -> tuple[date, tuple[int, int], int, Activity, set[str]]:
        """(team-zone day, ISO week, minutes, activity, tags offered) of a session, cached."""
        got = self._sessions_facts.get(s.id)
        if got is None:
            facts = self.facts
            day = facts.local_date(s.start)
            activity = facts.activities[s.activity]
            offered = set(activity.provides)
            if s.venue in facts.venues:
                offered |= set(facts.venues[s.venue].provides)
            minutes = int((s.end - s.start).total_seconds() // 60)
            got = (day, iso_week(day), minutes, activity, offered)
            self._sessions_facts[s.id] = got
        return got

    def _own(self, pid: str) -> Load:
        """``pid``'s sessions in the plan, counted per team-zone day and ISO week (cached).

        Every session counts, also those of unknown activities the checker skips: counts
        only err upwards, which only makes :meth:`_may_break` ask the checker more often.
        """
        own = self._owns.get(pid)
        if own is None:
            person = self.facts.people[pid]
            scenario = self.facts.scenario
            own = Load(
                self.plan.sessions_of(pid),
                scenario.daily_events_cap(person),
                scenario.weekly_events_cap(person),
                scenario.weekly_minutes_cap(person),
            )
            for o in own.sessions:
                day = self.facts.local_date(o.start)
                own.per_day[day] += 1
                own.per_week[iso_week(day)] += 1
                own.minutes[iso_week(day)] += int((o.end - o.start).total_seconds() // 60)
            self._owns[pid] = own
        return own

    def name(self, activity: Activity) -> str:
        """The activity's name in the reader's language (a catalogue text, or as written)."""
        return activity_texts(
            activity.name, activity.description, activity.template, self.t.language
        )[0]

    def was_not_held(self, activity: Activity) -> str:
        """``Team lunch was not held: <why>``."""
        _ = self.t.gettext
        if activity.kind == "pairing":
            what = _("{name}: no group was formed").format(name=self.name(activity))
        else:
            what = _("{name} was not held").format(name=self.name(activity))
        return what + self.why_not(activity)

    def unplaced_reasons(self, person: Person, activity: Activity) -> list[Reason]:
        sessions = self.held.get(activity.id, [])
        if not sessions:
            return [Reason(rule=NOT_HELD, detail=self.was_not_held(activity))]
        by_rule: dict[str, list[str]] = defaultdict(list)
        for s in sorted(sessions, key=lambda s: (s.start, s.id)):
            broken = self.join_breaks(person.id, s) or [OUTRANKED]
            for rule in dict.fromkeys(_shown_rule(r, person) for r in broken):
                by_rule[rule].append(self._time_text(rule, s, activity))
        order = {rule: i for i, rule in enumerate(_DETAILS)}
        return [
            Reason(
                rule=rule,
                detail=_detail(rule, _sessions_text(self.name(activity), times, self.t), self.t),
            )
            for rule, times in sorted(by_rule.items(), key=lambda kv: order.get(kv[0], 99))
        ]

    def _time_text(self, rule: str, s: PlannedSession, activity: Activity) -> str:
        """One session in a reason: its start, with the head count when it is full."""
        when = when_text(s.start, self.tz, self.t)
        full = self.t.gettext("{when} ({taken} of {places})")
        if rule == "capacity":
            return full.format(when=when, taken=len(s.attendees), places=activity.max_participants)
        if rule == "venue_capacity" and s.venue in self.facts.venues:
            places = self.facts.venues[s.venue].capacity
            return full.format(when=when, taken=len(s.attendees), places=places)
        return when

    def opted_in(self, person: Person, activity: Activity) -> bool:
        """yes or maybe, not declined, and not a required person (they attend regardless)."""
        return person.id not in activity.required and self._may_attend(person.id, activity.id)

    def _may_attend(self, pid: str, aid: str) -> bool:
        """The checker's ``may_attend``, cached per person and activity."""
        key = (pid, aid)
        got = self._attend_cache.get(key)
        if got is None:
            got = self._attend_cache[key] = self.facts.may_attend(pid, aid)
        return got

    def unplaced(self, deadline: float | None = None) -> list[Unplaced]:
        """Every unplaced opt-in, with its reasons; past ``deadline`` (monotonic seconds)
        the rest are still listed, without reasons (``planner explain`` works them out)."""
        out: list[Unplaced] = []
        for activity in self.facts.scenario.activities:
            attending = {p for s in self.held.get(activity.id, []) for p in s.attendees}
            if deadline is not None and time.monotonic() > deadline:
                out.extend(self._listed(activity, attending))
                continue
            for person in self.facts.scenario.people:
                if person.id in attending or not self.opted_in(person, activity):
                    continue
                late = deadline is not None and time.monotonic() > deadline
                out.append(
                    Unplaced(
                        person=person.id,
                        activity=activity.id,
                        reasons=[] if late else self.unplaced_reasons(person, activity),
                    )
                )
        return out

    def _listed(self, activity: Activity, attending: set[str]) -> list[Unplaced]:
        """The unplaced opt-ins of ``activity`` without reasons, as :meth:`unplaced` lists
        them past its deadline: from the answers, not a test per person (issue 17: listing
        440,000 opt-ins one ``opted_in`` at a time took 6-9 s at 10,000 people)."""
        declined = self.facts.problem.declined
        aid = activity.id
        required = set(activity.required)
        opted = {
            pid
            for pid, per in self._answers_of(aid)
            if per in (Answer.yes, Answer.maybe) and pid not in required
        }
        opted -= attending
        opted = {pid for pid in opted if (pid, aid) not in declined} if declined else opted
        # In :meth:`unplaced`'s order (the scenario's people), validated as one list: one
        # call into pydantic rather than one a person (``model_construct`` is slower still).
        rank = self._person_rank()
        return _UNPLACED.validate_python(
            [{"person": pid, "activity": aid} for pid in sorted(opted, key=rank.__getitem__)]
        )

    def _person_rank(self) -> dict[str, int]:
        """Each person's place in the scenario (cached)."""
        if self._rank is None:
            self._rank = {p.id: i for i, p in enumerate(self.facts.scenario.people)}
        return self._rank

    def _answers_of(self, aid: str) -> list[tuple[str, Answer]]:
        """Who answered activity ``aid`` and how (one pass over the answers, then cached)."""
        if self._by_activity is None:
            by: dict[str, list[tuple[str, Answer]]] = {}
            for pid, per in self.facts.scenario.preferences.items():
                for a, ans in per.items():
                    by.setdefault(a, []).append((pid, ans))
            self._by_activity = by
        return self._by_activity.get(aid, [])

    # -- sessions that were not held ---------------------------------------------------

    def allowed_starts(self, activity: Activity) -> list[datetime]:
        """Grid starts where the session's own time rules hold (windows, notice, horizon)."""
        facts = self.facts
        h0, h1 = facts.horizon
        length = timedelta(minutes=activity.duration_minutes)
        out: list[datetime] = []
        t = h0
        while t + length <= h1:
            if start_allowed(facts, activity, t):
                out.append(t)
            t += facts.slot
        return out

    def venue_free(self, activity: Activity, start: datetime, end: datetime) -> bool:
        """Some listed venue that holds the minimum is neither busy nor used at that time."""
        if not activity.venues:
            return True
        for vid in activity.venues:
            if self.facts.venues[vid].capacity < activity.min_participants:
                continue
            if vid not in self._venue_taken:
                venue = self.facts.venues[vid]
                spans = [self.facts.range_instants(r, self.facts.tz) for r in venue.busy]
                spans += [(s.start, s.end) for s in self.plan.sessions if s.venue == vid]
                self._venue_taken[vid] = Ranges(spans)
            if not self._venue_taken[vid].overlaps(start, end):
                return True
        return False

    def can_join_at(self, pid: str, activity: Activity, start: datetime, end: datetime) -> bool:
        """Attendance and per-person rules for ``pid`` in a new session at ``start``."""
        return self.join_block(pid, activity, start, end) is None

    def join_block(
        self, pid: str, activity: Activity, start: datetime, end: datetime
    ) -> str | None:
        """The first attendance or per-person rule ``pid`` breaks in a new session at
        ``start`` (``None``: they can make it)."""
        probe = PlannedSession(
            id="probe#0", activity=activity.id, start=start, end=end, attendees=[pid]
        )
        view = PlanView([*self.plan.sessions_of(pid), probe])
        focus = Focus(pid, probe.id)
        rules = [*ATTENDANCE_RULES.values(), *PERSON_RULES.values()]
        for fn in rules:
            for v in fn(self.facts, view, focus):
                if v.rule == "needs_unmet" and self._venue_meets(pid, activity):
                    continue
                return v.rule
        return None

    def _venue_meets(self, pid: str, activity: Activity) -> bool:
        needs = set(self.facts.people[pid].needs) - set(activity.provides)
        return any(needs <= set(self.facts.venues[v].provides) for v in activity.venues)

    def not_held_reasons(self, activity: Activity) -> list[Reason]:
        """Cheap, honest reasons a session of ``activity`` could not be held."""
        facts = self.facts
        _ = self.t.gettext
        # A required person who said no (or declined) is not singled out here: they fail
        # ``can_join_at`` at every start, as someone on time off does, so both end in the
        # same "unavailable at every allowed time" sentence (no wording tells a no apart).
        starts = self.allowed_starts(activity)
        if not starts:
            return [
                Reason(
                    rule="activity_window" if activity.windows else "protected_window",
                    detail=_(
                        "no start time in the horizon fits the activity's windows, the "
                        "protected windows and the notice period"
                    ),
                )
            ]
        length = timedelta(minutes=activity.duration_minutes)
        starts = [t for t in starts if self.venue_free(activity, t, t + length)]
        if not starts:
            return [
                Reason(
                    rule="venue_conflict",
                    detail=_("no listed venue is free at any allowed time"),
                )
            ]
        placed = {p for s in self.held.get(activity.id, []) for p in s.attendees}
        opted = [p.id for p in facts.scenario.people if self.opted_in(p, activity)]
        eligible = [p for p in opted if p not in placed]
        need = activity.min_participants - len(activity.required)
        if len(eligible) < need:
            if len(opted) > len(eligible):
                return [
                    Reason(
                        rule="one_session_per_activity",
                        detail=self.t.ngettext(
                            "only {n} opted-in people are not already in another session of "
                            "{name}; {need} more needed",
                            "only {n} opted-in people are not already in another session of "
                            "{name}; {need} more needed",
                            len(eligible),
                        ).format(n=len(eligible), name=self.name(activity), need=need),
                    )
                ]
            return [
                Reason(
                    rule="capacity",
                    detail=self.t.ngettext(
                        "only {n} people opted in; {needed} needed",
                        "only {n} people opted in; {needed} needed",
                        len(opted),
                    ).format(n=len(opted), needed=activity.min_participants),
                )
            ]
        best, best_at, best_people = -1, starts[0], list[str]()
        for t in starts:
            if not all(self.can_join_at(r, activity, t, t + length) for r in activity.required):
                continue
            free = [p for p in eligible if self.can_join_at(p, activity, t, t + length)]
            if len(free) > best:
                best, best_at, best_people = len(free), t, free
            if best >= need + 2 * activity.min_departments:
                break
        if best < 0:
            names = ", ".join(activity.required)
            return [
                Reason(
                    rule="required_attendee",
                    detail=_(
                        "required people ({names}) are unavailable at every allowed time"
                    ).format(names=names),
                )
            ]
        if best < need:
            held_at = [*activity.required, *best_people]
            others = [
                self.join_block(p, activity, best_at, best_at + length)
                for p in eligible
                if p not in held_at
            ]
            can = best + len(activity.required)
            detail = self.t.ngettext(
                "only {n} of the {needed} needed can make any start",
                "only {n} of the {needed} needed can make any start",
                can,
            ).format(n=can, needed=activity.min_participants)
            if others:
                detail += _(": the others are {why}").format(why=_categories(others, self.t))
            return [Reason(rule="capacity", detail=detail)]
        departments = {facts.people[p].department for p in [*eligible, *activity.required]}
        if len(departments) < activity.min_departments:
            return [
                Reason(
                    rule="department_mix",
                    detail=self.t.ngettext(
                        "opted-in people come from {n} departments; {needed} needed",
                        "opted-in people come from {n} departments; {needed} needed",
                        len(departments),
                    ).format(n=len(departments), needed=activity.min_departments),
                )
            ]
        take = [*activity.required, *best_people][: activity.max_participants]
        probe = PlannedSession(
            id=f"{activity.id}#probe",
            activity=activity.id,
            start=best_at,
            end=best_at + length,
            attendees=take,
        )
        cover = list(rule_coverage_floor(facts, PlanView([*self.plan.sessions, probe]), None))
        when = when_text(best_at, self.tz, self.t)
        if cover:
            queues = {q.id: q.name for q in facts.scenario.queues}
            # The checker's detail starts "queue <id>:"; the queue's name is public.
            ids = {v.detail.split(":", 1)[0].removeprefix("queue ") for v in cover}
            short = sorted({queues.get(q, "") for q in ids} - {""})
            if short:
                which = _("the {queues} queue").format(queues=_(" and ").join(short))
            else:
                which = _("a queue")
            on_hand = best + len(activity.required)
            return [
                Reason(
                    rule="coverage_floor",
                    detail=self.t.ngettext(
                        "{n} opted-in people are free at {when}, but taking them would leave "
                        "{queue} short-staffed",
                        "{n} opted-in people are free at {when}, but taking them would leave "
                        "{queue} short-staffed",
                        on_hand,
                    ).format(n=on_hand, when=when, queue=which),
                )
            ]
        return [
            Reason(
                rule=OUTRANKED,
                detail=_(
                    "it could be held (e.g. {when}), but its opted-in people were placed "
                    "where more opt-ins fit, or the search stopped first"
                ).format(when=when),
            )
        ]

    def cached_not_held_reasons(self, activity: Activity) -> list[Reason]:
        """:meth:`not_held_reasons`, once per activity; reasons the schedule already carries
        for the activity (a solver's) are taken as they are — in English; a reader of
        another language gets them worked out anew in their words."""
        got = self._not_held_cache.get(activity.id)
        if got is None:
            given = [
                n.reasons
                for n in self.schedule.not_held
                if n.activity == activity.id and self.t.language == "en"
            ]
            got = next((r for r in given if r), None) or self.not_held_reasons(activity)
            self._not_held_cache[activity.id] = got
        return got

    def why_not(self, activity: Activity) -> str:
        """``: <why>`` for a person's "was not held" (counts only, never a name's reason)."""
        details = [r.detail for r in self.cached_not_held_reasons(activity) if r.detail]
        return f": {'; '.join(details)}" if details else ""

    def not_held(self, deadline: float | None = None) -> list[NotHeld]:
        """Sessions not held, with reasons (past ``deadline``: as they are)."""
        out: list[NotHeld] = []
        for entry in self.schedule.not_held:
            late = deadline is not None and time.monotonic() > deadline
            if entry.reasons or entry.activity not in self.facts.activities or late:
                out.append(entry)
                continue
            reasons = self.cached_not_held_reasons(self.facts.activities[entry.activity])
            out.append(entry.model_copy(update={"reasons": reasons}))
        return out


_CATEGORY: dict[str, str] = {
    "working_hours": N_("outside their working hours"),
    "weekly_events_cap": N_("capped this week"),
    "weekly_minutes_cap": N_("capped this week"),
    "daily_cap": N_("already at an event that day"),
    "overlap": N_("in another session then"),
    "needs_unmet": N_("in need of something the session lacks"),
    "coverage_floor": N_("on a queue"),
}
"""Aggregate words for why the others cannot make a start. Anything else (time off, busy,
a required person's answer) is ``unavailable``: a count of several people never names a
private reason or a ``no`` (in any language: the words are translated, never the rules)."""

_UNAVAILABLE_WORD = N_("unavailable")
"""The word for every other reason (the same text as :data:`UNAVAILABLE`)."""


def _categories(rules: Sequence[str | None], t: Translator = _ENGLISH) -> str:
    """``unavailable (3) or capped this week (1)``, most frequent first (ties in English
    order, so every language lists them alike)."""
    counts: dict[str, int] = defaultdict(int)
    for rule in rules:
        counts[_CATEGORY.get(rule or "", _UNAVAILABLE_WORD)] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return t.gettext(" or ").join(f"{t.gettext(word)} ({n})" for word, n in ranked)


def annotate(problem: PlanningInput, schedule: Schedule, deadline: float | None = None) -> Schedule:
    """A copy of ``schedule`` with ``unplaced`` filled and reasons on every ``not_held``.

    ``unplaced`` lists every person × activity with a yes or maybe (not declined, not a
    required person) who attends no session of it, in scenario order.

    ``deadline`` (``time.monotonic()`` seconds; ``solve --time-limit``): the reasons cost a
    check per unplaced opt-in and held session — minutes at 10,000 people — so once it has
    passed, the remaining entries are listed without reasons (``planner explain`` gives them
    on demand). Sessions not held are explained first: there are few, and the organiser acts
    on them.
    """
    ex = _Explainer(problem, schedule)
    not_held = ex.not_held(deadline)
    return schedule.model_copy(update={"unplaced": ex.unplaced(deadline), "not_held": not_held})


def explain_person(
    problem: PlanningInput,
    schedule: Schedule,
    person_id: str,
    activity_id: str | None = None,
    tz: tzinfo | None = None,
    language: str | None = None,
) -> list[Explanation]:
    """Why ``person_id`` was or was not placed, per activity they opted in to.

    Without ``activity_id`` only activities with a yes/maybe (or where the person is placed
    or required) are listed, so a ``no`` never shows up. With ``activity_id`` an activity
    they did not opt in to gets the single reason ``not_opted_in`` ("has not opted in"),
    worded alike for ``no``, no answer and an RSVP decline.

    Times in reasons are in ``tz``: by default the person's own zone (``planner explain
    --person``); the organiser's TUI passes the team zone. The reasons are worded in
    ``language`` (default English); ``planner explain --person`` passes the person's.
    """
    scenario = problem.scenario
    person = next((p for p in scenario.people if p.id == person_id), None)
    if person is None:
        raise InputError.single("--person", f"unknown person {person_id!r}")
    t = translator(language)
    _ = t.gettext
    ex = _Explainer(problem, schedule, tz or zone(scenario.person_zone_name(person)), t)
    if activity_id is not None and activity_id not in ex.facts.activities:
        raise InputError.single("--activity", f"unknown activity {activity_id!r}")
    out: list[Explanation] = []
    for activity in ex.facts.scenario.activities:
        if activity_id is not None and activity.id != activity_id:
            continue
        mine = [s.id for s in ex.held.get(activity.id, []) if person_id in s.attendees]
        if mine:
            reasons: tuple[Reason, ...] = ()
            if person_id in activity.required:
                reasons = (Reason(rule="required_attendee", detail=_("attends every session")),)
            out.append(Explanation(activity.id, True, tuple(mine), reasons))
        elif person_id in activity.required:
            out.append(
                Explanation(
                    activity.id,
                    False,
                    (),
                    (Reason(rule=NOT_HELD, detail=ex.was_not_held(activity)),),
                )
            )
        elif ex.opted_in(person, activity):
            out.append(
                Explanation(activity.id, False, (), tuple(ex.unplaced_reasons(person, activity)))
            )
        elif activity_id is not None:
            out.append(
                Explanation(
                    activity.id,
                    False,
                    (),
                    (Reason(rule=NOT_OPTED_IN, detail=_("has not opted in to this activity")),),
                )
            )
    # Placed first (✓ before ✗), each group in scenario order.
    return sorted(out, key=lambda e: not e.placed)


def explain_session(
    problem: PlanningInput, schedule: Schedule, session_id: str, tz: tzinfo | None = None
) -> list[str]:
    """Lines for ``planner explain --session``: a held session (its time, head count, who
    attends, which opt-ins are not placed and why) or one not held (why, and the limits
    that bind it). ``session_id`` is a held session's id or ``<activity>#<n>`` for the
    n-th session of an activity that was not held. Times are in ``tz`` (the team zone)."""
    scenario = problem.scenario
    activities = {a.id: a for a in scenario.activities}
    names = {p.id: p.name for p in scenario.people}
    held = next((s for s in schedule.sessions if s.id == session_id), None)
    aid, _, number = session_id.rpartition("#")
    missing = next(
        (n for n in schedule.not_held if n.activity == aid and str(n.session) == number), None
    )
    if held is None and missing is None:
        known = [s.id for s in schedule.sessions]
        known += [f"{n.activity}#{n.session}" for n in schedule.not_held]
        hint = f"; sessions: {_sessions_text('', known).removeprefix(', ')}" if known else ""
        raise InputError.single("--session", f"unknown session {session_id!r}{hint}")
    ex = _Explainer(problem, schedule, tz)
    if held is not None:
        activity = activities[held.activity]
        start, end = held.start.astimezone(ex.tz), held.end.astimezone(ex.tz)
        lines = [
            f"{activity.name}, {when_text(start, ex.tz)}-{end:%H:%M}: held, "
            f"{len(held.attendees)} of {activity.max_participants} places taken"
            f" (at least {activity.min_participants} needed)",
        ]
        lines += [f"  ✓ {names.get(p, p)}" for p in held.attendees]
        attending = {p for s in ex.held.get(activity.id, []) for p in s.attendees}
        for person in scenario.people:
            if person.id in attending or not ex.opted_in(person, activity):
                continue
            why = "; ".join(r.detail for r in ex.unplaced_reasons(person, activity))
            lines.append(f"  ✗ {person.name}: {why}")
        return lines
    assert missing is not None
    activity = activities[missing.activity]
    reasons = missing.reasons or ex.not_held_reasons(activity)
    of = f" (session {missing.session} of {activity.sessions})" if activity.sessions > 1 else ""
    lines = [f"{activity.name}{of}: not held"]
    lines += [f"  ✗ {r.detail or r.rule}" for r in reasons]
    limits = _binding_limits(problem, activity, {r.rule for r in reasons})
    if limits:
        lines.append("  limits that may bind it:")
        lines += [f"    - {limit}" for limit in limits]
    steps = _price_steps(problem, activity, {r.rule for r in reasons})
    if steps:
        lines.append("  `planner price` can measure what relaxing these by one step gains:")
        lines += [f"    - {label}" for label in steps]
    return lines


_STEP_RULES: dict[str, frozenset[str]] = {
    "capacity": frozenset({"capacity", "required_attendee", "coverage_floor"}),
    "one_session_per_activity": frozenset({"capacity"}),
    "required_attendee": frozenset({"required_attendee"}),
    "activity_window": frozenset({"activity_window", "protected_window"}),
    "protected_window": frozenset({"activity_window", "protected_window"}),
    "venue_conflict": frozenset({"venue_capacity"}),
    "department_mix": frozenset({"department_mix"}),
    "coverage_floor": frozenset({"coverage_floor"}),
    OUTRANKED: frozenset({"capacity", "coverage_floor"}),
}
"""For a reason a session was not held: the rules whose negotiable limits may bind it."""


def _price_steps(problem: PlanningInput, activity: Activity, rules: set[str]) -> list[str]:
    """The labels of :func:`planner.solve.price.relaxations` (the organiser's negotiable
    limits; never a person's own) that concern ``activity`` and the rules of its reasons:
    its own limits, its venues, the protected windows and the floors of the queues its
    opted-in people staff."""
    from planner.solve.price import relaxations

    scenario = problem.scenario
    wanted = set().union(*(_STEP_RULES.get(r, frozenset()) for r in rules))
    queues = {q for p in scenario.people if _wants(scenario, p.id, activity) for q in p.queues}
    mine = {f"venue:{v}:capacity" for v in activity.venues}
    mine |= {f"queue-floor:{q}" for q in queues}
    out: list[str] = []
    for r in relaxations(scenario):
        if r.rule not in wanted or r.id == f"activity:{activity.id}:max":
            continue  # one more seat never helps a session that is not held
        own = r.id.startswith(f"activity:{activity.id}:") or r.id in mine
        if own or r.id.startswith("protected:"):
            out.append(r.label)
    return out


def _binding_limits(problem: PlanningInput, activity: Activity, rules: set[str]) -> list[str]:
    """The organiser's own limits behind the reasons a session was not held (never a
    person's answer or private time: those are the people's, not limits)."""
    scenario = problem.scenario
    out: list[str] = []
    if rules & {"capacity", "one_session_per_activity", OUTRANKED}:
        out.append(
            f"min_participants = {activity.min_participants} "
            f"(max_participants = {activity.max_participants})"
        )
        if activity.sessions > 1:
            out.append(f"sessions = {activity.sessions}")
    if rules & {"required_attendee", "capacity"} and activity.required:
        out.append(f"required = {len(activity.required)} people")
    if rules & {"activity_window", "protected_window"}:
        if activity.windows:
            out.append(f"windows: {len(activity.windows)} window(s) of the activity")
        if scenario.policy.protected:
            out.append(f"protected windows: {len(scenario.policy.protected)}")
        out.append(f"min_notice_hours = {scenario.policy.min_notice_hours:g}")
        out.append(f"duration_minutes = {activity.duration_minutes}")
    if "venue_conflict" in rules:
        venues = {v.id: v for v in scenario.venues}
        out += [
            f"venue {venues[v].name}: capacity {venues[v].capacity}"
            for v in activity.venues
            if v in venues
        ]
    if "department_mix" in rules:
        out.append(f"min_departments = {activity.min_departments}")
    if rules & {"coverage_floor", "capacity"}:
        members: dict[str, int] = defaultdict(int)
        for p in scenario.people:
            for q in p.queues:
                members[q] += 1
        wanted = {q for p in scenario.people if _wants(scenario, p.id, activity) for q in p.queues}
        out += [
            f"queue {q.name}: min_on_duty = {q.min_on_duty} of {members[q.id]} members"
            for q in scenario.queues
            if q.min_on_duty and q.id in wanted
        ]
    return out


def _wants(scenario: Scenario, pid: str, activity: Activity) -> bool:
    """Required, or a yes/maybe: the people a session of ``activity`` could be made of."""
    answer = scenario.preferences.get(pid, {}).get(activity.id)
    return pid in activity.required or answer in ("yes", "maybe")


def render_explanations(
    problem: PlanningInput,
    schedule: Schedule,
    person_id: str,
    explanations: Sequence[Explanation],
    language: str | None = None,
) -> str:
    """Plain text for ``planner explain --person``: ✓ placed lines first, then ✗ with reasons.

    Times are in the person's own zone; activities go by their names; the words are in
    ``language`` (default English), as the explanations were made.
    """
    t = translator(language)
    _ = t.gettext
    scenario = problem.scenario
    person = next((p for p in scenario.people if p.id == person_id), None)
    tz = zone(scenario.person_zone_name(person) if person else scenario.team.timezone)
    activities = {a.id: a for a in scenario.activities}
    title = f"{person.name} ({person_id})" if person else person_id
    if not explanations:
        return _("{person}: no activities to explain (nothing opted in to).").format(person=title)
    by_id = {s.id: s for s in schedule.sessions}
    lines = [_("{person}, times in {zone}:").format(person=title, zone=tz)]
    for e in sorted(explanations, key=lambda e: not e.placed):
        a = activities.get(e.activity)
        name = activity_texts(a.name, a.description, a.template, t.language)[0] if a else e.activity
        if e.placed:
            where = []
            for sid in e.sessions:
                s = by_id.get(sid)
                if s is None:
                    where.append(sid)
                    continue
                where.append(f"{when_text(s.start, tz, t)}-{_clock(s.end, tz, t)}")
            lines.append(f"  ✓ {name}, {', '.join(where)}")
        else:
            lines.append("  ✗ " + _("{activity}: not placed").format(activity=name))
        lines.extend(f"      - {r.detail or r.rule}" for r in e.reasons)
    return "\n".join(lines)


__all__ = [
    "NOT_HELD",
    "NOT_OPTED_IN",
    "OUTRANKED",
    "UNAVAILABLE",
    "Explanation",
    "annotate",
    "explain_person",
    "explain_session",
    "render_explanations",
]
