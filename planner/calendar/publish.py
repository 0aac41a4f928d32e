"""Publishing a plan: per-person invites, cancellations, the team calendar, and delivery.

``planner solve`` calls :func:`publish_plan`; ``planner export invites`` calls
:func:`export_invites`. The lifecycle (SPEC §3) with a workspace:

* every session keeps one UID for its whole life (derived from the workspace id and the
  session id) and a SEQUENCE that rises by one in each re-plan that changes anything some
  recipient sees (time, place, the attendee list they are shown, text) or removes someone;
* a person gets ``invites/<id>.ics`` (METHOD:REQUEST, all of their current sessions) only
  when something they see changed, and ``invites/<id>-cancel.ics`` (METHOD:CANCEL) when
  they were taken off a session (it names them and carries no STATUS, RFC 5546 §3.2.5) or
  a session of theirs was dropped (STATUS:CANCELLED);
* what each person received is remembered as a digest (``planner.store.invites``), so the
  next re-plan can tell.

Files are written before the workspace records them as sent: if writing fails, the next
run sends again rather than believing something went out that never did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

from planner.calendar import caldav as caldav_mod
from planner.calendar import imip
from planner.calendar.invites import (
    Cancel,
    EventInfo,
    Method,
    build_calendar,
    calendar_bytes,
    calendar_wire,
    describe_session,
    digest,
    make_uid,
    people_by_id,
    scenario_uid_key,
)
from planner.domain.errors import InputError
from planner.domain.models import Person, Scenario
from planner.domain.planning import PlanningInput
from planner.domain.schedule import PlannedSession, Schedule
from planner.domain.timeutil import zone
from planner.files import private_dir, remove_file, write_private_many
from planner.i18n import Translator, translator
from planner.store import Workspace
from planner.store.invites import (
    PublishedRow,
    SentRow,
    published_rows,
    record_publication,
    sent_rows,
)

__all__ = ["ExportReport", "Publication", "export_invites", "plan_publication", "publish_plan"]

TEAM_CALENDAR = "calendar.ics"
INVITES = "invites"


@dataclass
class Publication:
    """What one publish run sends and what the workspace must remember afterwards."""

    requests: dict[str, list[EventInfo]] = field(default_factory=dict)
    """person id -> every current session of theirs (only people who get a file)."""
    cancels: dict[str, list[EventInfo]] = field(default_factory=dict)
    """person id -> sessions they were taken off (or that were dropped)."""
    team: list[EventInfo] = field(default_factory=list)
    """The team calendar: every current session, no ATTENDEE, consenting people in text."""
    sessions: list[PublishedRow] = field(default_factory=list)
    sent: list[SentRow] = field(default_factory=list)
    horizon: tuple[date, date] | None = None
    """The planning horizon: every file's VTIMEZONE covers its years."""


# ------------------------------------------------------------------------------ planning


def plan_publication(
    scenario: Scenario,
    sessions: Iterable[PlannedSession],
    *,
    key: str,
    published: Mapping[str, PublishedRow] | None,
    sent: Mapping[tuple[str, str], SentRow] | None,
) -> Publication:
    """Decide who gets what. ``published``/``sent`` None means no workspace: all fresh.

    Pure (no I/O), so the re-plan rules can be tested on hand-made schedules.
    """
    people = people_by_id(scenario)
    pub = Publication(horizon=_horizon(scenario))
    current = {s.id: s for s in sessions}
    # No workspace is the first publication of a workspace: nothing published, nothing sent.
    published = published or {}
    sent = sent or {}

    by_session: dict[str, list[SentRow]] = {}
    for row in sent.values():
        by_session.setdefault(row.session_id, []).append(row)

    views: dict[str, dict[str, EventInfo]] = {}  # session -> person -> view (final sequence)
    digests: dict[str, dict[str, str]] = {}  # session -> person -> digest of the view
    needs_file: set[str] = set()
    for sid, s in current.items():
        prev = published.get(sid)
        uid = prev.uid if prev else make_uid(key, sid)
        attendees = sorted(p for p in set(s.attendees) if p in people)
        # What each attendee sees; the sequence is set below once it is known (the digest,
        # which decides whether they need a new invite, leaves it out).
        draft = {
            pid: describe_session(scenario, s, uid=uid, sequence=0, viewer=pid, people=people)
            for pid in attendees
        }
        digests[sid] = {pid: digest(info) for pid, info in draft.items()}
        changed = {
            pid
            for pid, d in digests[sid].items()
            if (r := sent.get((pid, sid))) is None or r.method != "REQUEST" or r.digest != d
        }
        removed = sorted(
            r.person_id
            for r in by_session.get(sid, [])
            if r.method == "REQUEST" and r.person_id not in draft
        )
        if prev is None:
            sequence = 0
        elif prev.cancelled or changed or removed:
            sequence = prev.sequence + 1
        else:
            sequence = prev.sequence
        views[sid] = {pid: replace(info, sequence=sequence) for pid, info in draft.items()}
        needs_file |= changed
        old_view = prev.session if prev is not None else s
        for pid in removed:
            _cancel(pub, scenario, old_view, uid, sequence, pid, people, "attendee")
        pub.team.append(
            describe_session(scenario, s, uid=uid, sequence=sequence, viewer=None, people=people)
        )
        pub.sessions.append(PublishedRow(sid, uid, sequence, False, s))

    for sid, prev in published.items():
        if sid in current or prev.cancelled:
            continue
        sequence = prev.sequence + 1
        for r in sorted(by_session.get(sid, []), key=lambda r: r.person_id):
            if r.method == "REQUEST":
                _cancel(
                    pub, scenario, prev.session, prev.uid, sequence, r.person_id, people, "session"
                )
        pub.sessions.append(PublishedRow(sid, prev.uid, sequence, True, prev.session))

    for sid in sorted(current, key=lambda x: (current[x].start, x)):
        for pid, info in views[sid].items():
            if pid in needs_file:
                pub.requests.setdefault(pid, []).append(info)
                pub.sent.append(SentRow(pid, sid, info.sequence, "REQUEST", digests[sid][pid]))
    return pub


def _cancel(
    pub: Publication,
    scenario: Scenario,
    session: PlannedSession,
    uid: str,
    sequence: int,
    pid: str,
    people: Mapping[str, Person],
    scope: Cancel,
) -> None:
    """A CANCEL for one person; someone no longer in the scenario has no address to use.

    ``scope`` "attendee" takes them off a session that goes on, "session" drops it.
    """
    if pid in people:
        info = describe_session(
            scenario,
            session,
            uid=uid,
            sequence=sequence,
            viewer=pid,
            cancelled=scope,
            people=people,
        )
        pub.cancels.setdefault(pid, []).append(info)
        pub.sent.append(SentRow(pid, session.id, sequence, "CANCEL", digest(info)))
    else:
        pub.sent.append(SentRow(pid, session.id, sequence, "CANCEL", ""))


# ------------------------------------------------------------------------------ writing


def _horizon(scenario: Scenario) -> tuple[date, date]:
    return scenario.team.horizon.start, scenario.team.horizon.end


def _render(
    pub: Publication,
    method: Method | None,
    events: list[EventInfo],
    now: datetime,
    *,
    alarm: bool,
    rsvp: bool,
) -> bytes:
    ordered = sorted(events, key=lambda e: (e.start, e.uid))
    return calendar_wire(method, ordered, now=now, alarm=alarm, rsvp=rsvp, cover=pub.horizon)


def _clear_stale(invites_dir: Path, person_ids: Iterable[str]) -> None:
    """Remove our earlier files so the directory shows exactly this run's output."""
    for pid in set(person_ids):
        for name in (f"{pid}.ics", f"{pid}-cancel.ics"):
            remove_file(invites_dir / name)


def _write(
    pub: Publication, out_dir: Path, now: datetime, stale: Iterable[str]
) -> tuple[list[Path], dict[str, Path], dict[str, Path]]:
    invites_dir = private_dir(out_dir / INVITES)
    _clear_stale(invites_dir, stale)
    requests = {pid: invites_dir / f"{pid}.ics" for pid in sorted(pub.requests)}
    cancels = {pid: invites_dir / f"{pid}-cancel.ics" for pid in sorted(pub.cancels)}
    files: list[tuple[Path, str | bytes]] = [
        (path, _render(pub, "REQUEST", pub.requests[pid], now, alarm=True, rsvp=True))
        for pid, path in requests.items()
    ]
    files += [
        (path, _render(pub, "CANCEL", pub.cancels[pid], now, alarm=False, rsvp=False))
        for pid, path in cancels.items()
    ]
    files.append(
        (out_dir / TEAM_CALENDAR, _render(pub, "PUBLISH", pub.team, now, alarm=False, rsvp=False))
    )
    written = write_private_many(files)
    return written, requests, cancels


def publish_plan(
    problem: PlanningInput,
    schedule: Schedule,
    out_dir: Path,
    *,
    workspace: Workspace | None,
    now: datetime,
) -> list[Path]:
    """Write invites (and cancellations) for ``schedule`` and the team calendar.

    With a workspace, only people whose invites changed get files, and the workspace
    remembers what was sent; without one, every attendee gets a fresh REQUEST (SEQUENCE 0).
    """
    scenario = problem.scenario
    private_dir(out_dir)
    if workspace is None:
        pub = plan_publication(
            scenario, schedule.sessions, key=scenario_uid_key(scenario), published=None, sent=None
        )
        written, _, _ = _write(pub, out_dir, now, (p.id for p in scenario.people))
        return written
    published = published_rows(workspace)
    sent = sent_rows(workspace)
    pub = plan_publication(
        scenario, schedule.sessions, key=workspace.workspace_id, published=published, sent=sent
    )
    stale = {p.id for p in scenario.people} | {pid for pid, _ in sent}
    written, _, _ = _write(pub, out_dir, now, stale)
    record_publication(workspace, pub.sessions, pub.sent)
    return written


# ------------------------------------------------------------------------------ export


@dataclass
class ExportReport:
    """What ``planner export invites`` wrote and delivered."""

    out_dir: Path
    invite_files: list[Path] = field(default_factory=list)
    cancel_files: list[Path] = field(default_factory=list)
    team_calendar: Path | None = None
    caldav: str | None = None
    mails_sent: int | None = None
    smtp: str | None = None

    @property
    def files(self) -> list[Path]:
        extra = [self.team_calendar] if self.team_calendar else []
        return [*self.invite_files, *self.cancel_files, *extra]

    def lines(self) -> list[str]:
        out = [
            f"wrote {len(self.invite_files)} invites, {len(self.cancel_files)} cancellations "
            f"and the team calendar to {self.out_dir}"
        ]
        if self.caldav is not None:
            out.append(self.caldav)
        if self.mails_sent is not None:
            out.append(f"smtp {self.smtp}: sent {self.mails_sent} messages")
        return out


def check_delivery(caldav: str | None, smtp: str | None) -> None:
    """Refuse a bad CalDAV URL or SMTP server before anything is written."""
    if caldav is not None:
        caldav_mod.check_url(caldav)
    if smtp is not None:
        imip.parse_server(smtp)


def export_invites(
    ws: Workspace,
    out_dir: Path,
    *,
    caldav: str | None = None,
    smtp: str | None = None,
    now: datetime,
) -> ExportReport:
    """Re-write every current invite and the team calendar; optionally deliver them.

    Besides the current REQUESTs, the cancellations of the most recent publish run are
    written (and mailed) again, so ``solve`` followed by ``export --smtp`` delivers a
    re-plan completely. Nothing in the workspace changes: SEQUENCE only moves on a re-plan.
    """
    check_delivery(caldav, smtp)
    scenario = ws.load_scenario()
    published = published_rows(ws)
    if not published:
        raise InputError.single(
            ws.location, "no invites were published yet (run 'planner solve --workspace' first)"
        )
    sent = sent_rows(ws)
    people = people_by_id(scenario)
    pub = Publication(horizon=_horizon(scenario))
    live = sorted(
        (r for r in published.values() if not r.cancelled), key=lambda r: (r.session.start, r.uid)
    )
    for row in live:
        view = partial(
            describe_session,
            scenario,
            row.session,
            uid=row.uid,
            sequence=row.sequence,
            people=people,
        )
        for pid in sorted(set(row.session.attendees)):
            if pid in people:
                pub.requests.setdefault(pid, []).append(view(viewer=pid))
        pub.team.append(view(viewer=None))
    latest = max((r.sent_at for r in sent.values() if r.sent_at), default=None)
    for r in sorted(sent.values(), key=lambda r: (r.person_id, r.session_id)):
        gone = published.get(r.session_id)
        if r.method != "CANCEL" or r.sent_at != latest or gone is None or r.person_id not in people:
            continue
        pub.cancels.setdefault(r.person_id, []).append(
            describe_session(
                scenario,
                gone.session,
                uid=gone.uid,
                sequence=r.sequence,
                viewer=r.person_id,
                cancelled="session" if gone.cancelled else "attendee",
                people=people,
            )
        )
    # Every mail is built before anything is written or sent: one that cannot be built
    # (text no mail header can carry) stops the export with nothing delivered.
    prepared = (
        imip.prepare_mails(
            _mails(scenario, pub, now),
            from_name=scenario.team.organiser.name,
            from_email=scenario.team.organiser.email,
            source=ws.location,
        )
        if smtp is not None
        else []
    )
    stale = set(people) | {pid for pid, _ in sent}
    _, requests, cancels = _write(pub, out_dir, now, stale)
    report = ExportReport(
        out_dir=out_dir,
        invite_files=list(requests.values()),
        cancel_files=list(cancels.values()),
        team_calendar=out_dir / TEAM_CALENDAR,
    )
    if caldav is not None:
        objects = {
            e.uid: calendar_bytes(
                build_calendar(None, [e], now=now, schedule_agent_client=True, cover=pub.horizon)
            )
            for e in pub.team
        }
        removed = [r.uid for r in published.values() if r.cancelled]
        report.caldav = caldav_mod.store_events(caldav, objects, removed).line()
    if smtp is not None:
        report.smtp = smtp
        report.mails_sent = imip.send_mails(
            smtp, prepared, from_email=scenario.team.organiser.email
        )
    return report


def _mails(scenario: Scenario, pub: Publication, now: datetime) -> list[imip.Mail]:
    """One message per person and session (see ``imip``: one UID per iTIP message).

    Subject and text give the time in the recipient's own zone (their ``timezone``); the
    text adds the team's zone when it is another one, as the attached invite uses it.
    """
    people = people_by_id(scenario)
    team_zone = scenario.team.timezone
    mails: list[imip.Mail] = []
    batches_by_method: list[tuple[Method, dict[str, list[EventInfo]]]] = [
        ("REQUEST", pub.requests),
        ("CANCEL", pub.cancels),
    ]
    for method, batches in batches_by_method:
        for pid in sorted(batches):
            person = people[pid]
            own_zone = scenario.person_zone_name(person)
            t = translator(scenario.person_language(person))
            _ = t.gettext
            for info in batches[pid]:
                when = _when(info, own_zone, t)
                if own_zone != team_zone:
                    when_full = _("{when}, that is {team_when} in the team's time zone").format(
                        when=when, team_when=_when(info, team_zone, t)
                    )
                else:
                    when_full = when
                values = {"summary": info.summary, "when": when, "when_full": when_full}
                if method == "CANCEL" and info.cancelled == "attendee":
                    subject = _("Cancelled for you: {summary} ({when})").format(**values)
                    text = _(
                        "You are no longer invited to {summary} on {when_full}.\n\n"
                        "Your calendar removes it when you open the attached update."
                    ).format(**values)
                elif method == "CANCEL":
                    subject = _("Cancelled: {summary} ({when})").format(**values)
                    text = _(
                        "{summary} on {when_full} is cancelled.\n\n"
                        "Your calendar removes it when you open the attached update."
                    ).format(**values)
                else:
                    if info.sequence:
                        subject = _("Updated invitation: {summary} ({when})").format(**values)
                    else:
                        subject = _("Invitation: {summary} ({when})").format(**values)
                    if info.location:
                        invites = _(
                            "{organiser} invites you to {summary} on {when_full} at {place}."
                        )
                    else:
                        invites = _("{organiser} invites you to {summary} on {when_full}.")
                    text = (
                        invites.format(organiser=info.organiser_name, place=info.location, **values)
                        + f"\n\n{info.description}\n\n"
                        + _("Use your calendar's Accept, Tentative or Decline to reply.")
                    )
                body = calendar_bytes(
                    build_calendar(
                        method,
                        [info],
                        now=now,
                        alarm=method == "REQUEST",
                        rsvp=method == "REQUEST",
                        cover=pub.horizon,
                    )
                )
                mails.append(imip.Mail(person.name, person.email, method, subject, text, body))
    return mails


def _when(info: EventInfo, zone_name: str, t: Translator | None = None) -> str:
    """A human date for subjects and mail text in ``zone_name``, named with its offset,
    in the reader's language (Babel's day and month names, 24-hour clock).

    A session that ends on another day there (late evening in a zone far west) says so.
    """
    tz = zone(zone_name)
    start, end = info.start.astimezone(tz), info.end.astimezone(tz)
    name = start.tzname() or zone_name
    if t is None or t.language == "en":
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a %d %b, %H:%M}"
        return f"{start:%a %d %b %Y, %H:%M}-{until} ({name})"
    same_day = end.date() == start.date()
    until = t.format_datetime(end, tz, "HH:mm" if same_day else "EEE d MMM, HH:mm")
    return f"{t.format_datetime(start, tz, 'EEE d MMM y, HH:mm')}-{until} ({name})"
