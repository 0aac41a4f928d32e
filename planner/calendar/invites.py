"""Building the VCALENDARs that go out: invites, cancellations, the team calendar.

Everything a VEVENT says is first assembled as an :class:`EventInfo` — plain data, computed
from the scenario and one planned session *for one viewer* — and only then rendered with
icalendar 7. The split exists for two reasons:

* privacy (SPEC §2, invariants 2 and 3) is decided in one place, :func:`describe_session`:
  an invite lists the organiser, the invitee and the colleagues who consented to be listed;
  the team calendar (a PUBLISH, which RFC 5546 forbids to carry ATTENDEE) names only
  consenting people, in its DESCRIPTION. Nothing else about a person (answers, calendars,
  limits) is ever read here.
* the re-plan diff compares :func:`digest` values of what each person *sees*, so a change
  nobody can see sends no update, and a change one person sees reaches exactly that person.

Output is RFC 5545 as icalendar writes it: CRLF line ends, lines folded at 75 octets
(never inside a UTF-8 sequence), times with the team zone's TZID and its VTIMEZONE (see
:func:`vtimezone`). Every METHOD we write passes libical's RFC 5546 restriction check
(``tests/tools/itip-check``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from icalendar import Alarm, Calendar, Component, Event, Timezone, vCalAddress

from planner.domain.catalogue import activity_texts
from planner.domain.models import Activity, Person, Scenario
from planner.domain.schedule import PlannedSession
from planner.domain.timeutil import zone
from planner.i18n import N_, translator

__all__ = [
    "PRODID",
    "AttendeeInfo",
    "EventInfo",
    "build_calendar",
    "calendar_bytes",
    "calendar_wire",
    "describe_session",
    "digest",
    "make_uid",
    "people_by_id",
    "scenario_uid_key",
    "vtimezone",
]

PRODID = "-//planner//team-building planner//EN"

DECLINE_SENTENCE = N_("Taking part is voluntary: declining is fine and needs no reason.")
"""Every invite says so (SPEC: activities are opt-in; a boundary needs no justification)."""

TEAM_LISTED = N_("Taking part (only colleagues who agreed to be listed are named)")
"""Opens the team calendar's list of consenting attendees (its DESCRIPTION, not ATTENDEE)."""

ALARM_BEFORE = timedelta(minutes=15)

_UID_NAMESPACE = uuid.UUID("5b0e5c8e-4f2a-4c7e-9a41-3f1d2c6b7a10")
"""Fixed namespace: the same workspace and session always give the same UID."""

Method = Literal["REQUEST", "CANCEL", "PUBLISH"]
Role = Literal["REQ-PARTICIPANT", "OPT-PARTICIPANT"]
Cancel = Literal["session", "attendee"]
"""What a CANCEL withdraws: the whole session, or only the attendees it names (RFC 5546
§3.2.5: the latter names them and carries no STATUS)."""


# ------------------------------------------------------------------------------ identity


def make_uid(key: str, session_id: str) -> str:
    """A UID that depends only on the workspace (or scenario) key and the session id.

    A name-based UUID keeps it opaque (no team or person names leak into a UID that
    calendar servers log) and URL-safe (a CalDAV resource is named ``<uid>.ics``).
    """
    name = key + "\x00" + session_id
    return f"{uuid.uuid5(_UID_NAMESPACE, name)}@planner"


def scenario_uid_key(scenario: Scenario) -> str:
    """The UID key without a workspace: team name and organiser email, hashed.

    Re-running ``planner solve scenario.toml`` for the same team gives the same UIDs, so a
    recipient's calendar updates an event instead of duplicating it.
    """
    text = f"{scenario.team.name}\x00{scenario.team.organiser.email.lower()}"
    return "scenario-" + hashlib.sha256(text.encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------ content


@dataclass(frozen=True)
class AttendeeInfo:
    email: str
    name: str
    role: Role


@dataclass(frozen=True)
class EventInfo:
    """Everything one VEVENT says except DTSTAMP (which changes on every write)."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str | None
    url: str | None
    organiser_name: str
    organiser_email: str
    attendees: tuple[AttendeeInfo, ...]
    cancelled: Cancel | None = None
    language: str = "en"
    """What the viewer reads: the texts above are in it, and so is the reminder."""


def describe_session(
    scenario: Scenario,
    session: PlannedSession,
    *,
    uid: str,
    sequence: int,
    viewer: str | None,
    people: Mapping[str, Person],
    cancelled: Cancel | None = None,
) -> EventInfo:
    """What ``viewer`` (a person id; ``None`` = the team calendar) may see of ``session``.

    Privacy lives here: an invite lists the viewer (an invitee must find themself) and other
    attendees only with ``show_in_attendee_lists``. A cancellation names only the viewer
    (RFC 5546 asks for the attendees being removed; that is them). The team calendar is a
    PUBLISH, which RFC 5546 §3.2.1 forbids to carry ATTENDEE: it lists nobody as an
    attendee and names the consenting colleagues in its DESCRIPTION instead.

    ``people`` is :func:`people_by_id` of ``scenario``: a caller describing many sessions
    builds it once (building it on every call dominated publishing at 2,000 people).
    """
    activity = _activity(scenario, session)
    required = set(activity.required) if activity is not None else set()
    listed: list[Person] = []
    if cancelled is not None and viewer is not None:
        # Only the person being removed; they are named even if the plan no longer lists them.
        listed = [people[viewer]] if viewer in people else []
    else:
        for pid in sorted(set(session.attendees)):
            person = people.get(pid)
            if person is not None and (pid == viewer or person.show_in_attendee_lists):
                listed.append(person)
    location, url = _where(scenario, session, activity)
    reader = people.get(viewer) if viewer is not None else None
    lang = scenario.person_language(reader) if reader is not None else scenario.team.language
    _ = translator(lang).gettext
    description = _description(scenario, activity, url, lang)
    if viewer is None:
        if listed:
            names = ", ".join(p.name for p in listed)
            description += f"\n\n{_(TEAM_LISTED)}: {names}."
        listed = []
    attendees = tuple(
        AttendeeInfo(
            email=p.email,
            name=p.name,
            role="REQ-PARTICIPANT" if p.id in required else "OPT-PARTICIPANT",
        )
        for p in listed
    )
    tz = zone(scenario.team.timezone)
    return EventInfo(
        uid=uid,
        sequence=sequence,
        start=session.start.astimezone(tz),
        end=session.end.astimezone(tz),
        summary=_summary(activity, lang) if activity is not None else session.activity,
        description=description,
        location=location,
        url=url,
        organiser_name=scenario.team.organiser.name,
        organiser_email=scenario.team.organiser.email,
        attendees=attendees,
        cancelled=cancelled,
        language=lang,
    )


def _summary(activity: Activity, lang: str) -> str:
    """SUMMARY is the activity's name: the catalogue's in ``lang`` if it has one."""
    return activity_texts(activity.name, activity.description, activity.template, lang)[0]


def people_by_id(scenario: Scenario) -> dict[str, Person]:
    """The scenario's people by id, as :func:`describe_session` takes them."""
    return {p.id: p for p in scenario.people}


def _activity(scenario: Scenario, session: PlannedSession) -> Activity | None:
    return next((a for a in scenario.activities if a.id == session.activity), None)


def _where(
    scenario: Scenario, session: PlannedSession, activity: Activity | None
) -> tuple[str | None, str | None]:
    """LOCATION and URL: the venue's current name, else the plan's location, else the link."""
    url = activity.url if activity is not None and activity.url else None
    venue = next((v for v in scenario.venues if v.id == session.venue), None)
    if venue is not None:
        return venue.name, url
    if session.location:
        return session.location, url
    if activity is not None and activity.location:
        return activity.location, url
    return url, url


def _description(
    scenario: Scenario, activity: Activity | None, url: str | None, lang: str = "en"
) -> str:
    _ = translator(lang).gettext
    parts: list[str] = []
    if activity is not None:
        text = activity_texts(activity.name, activity.description, activity.template, lang)[1]
        if text.strip():
            parts.append(text.strip())
    if url:
        parts.append(_("Join online: {url}").format(url=url))
    parts.append(_(DECLINE_SENTENCE))
    parts.append(
        _("Organised by {organiser} for {team}.").format(
            organiser=scenario.team.organiser.name, team=scenario.team.name
        )
    )
    return "\n\n".join(parts)


def digest(info: EventInfo) -> str:
    """A fingerprint of what the recipient sees, without SEQUENCE and DTSTAMP.

    Two plans that give a person the same digest for a session need not send them anything.
    """
    data = {
        "uid": info.uid,
        "start": info.start.astimezone(UTC).isoformat(),
        "end": info.end.astimezone(UTC).isoformat(),
        "summary": info.summary,
        "description": info.description,
        "location": info.location,
        "url": info.url,
        "organiser": [info.organiser_name, info.organiser_email.lower()],
        "attendees": sorted([a.email.lower(), a.name, a.role] for a in info.attendees),
        "cancelled": info.cancelled,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------------ rendering


def build_calendar(
    method: Method | None,
    events: Sequence[EventInfo],
    *,
    now: datetime,
    alarm: bool = False,
    rsvp: bool = False,
    schedule_agent_client: bool = False,
    cover: tuple[date, date] | None = None,
) -> Calendar:
    """A VCALENDAR holding ``events`` (and the VTIMEZONE of the team zone).

    The VTIMEZONE holds the zone's transitions in the whole years of ``cover`` (the planning
    horizon, so every file of one plan carries the same VTIMEZONE) and of the events.

    ``method`` None leaves METHOD out (a CalDAV object resource must not carry one, RFC 4791
    §4.1). ``rsvp`` marks attendees PARTSTAT=NEEDS-ACTION, RSVP=TRUE (a REQUEST).
    ``schedule_agent_client`` adds SCHEDULE-AGENT=CLIENT (RFC 6638 §7.1) so a CalDAV
    server with implicit scheduling does not e-mail anyone on its own.
    """
    stamp = _stamp(now)
    cal = _calendar(method)
    cal.subcomponents = [
        _shared_event(e, stamp, alarm=alarm, rsvp=rsvp, agent_client=schedule_agent_client)
        for e in events
    ]
    if events:
        first, last = _zone_range(events, cover)
        # VTIMEZONEs first, so a reader meets each before the events that use it.
        for i, tzid in enumerate(sorted(cal.get_missing_tzids())):
            cal.subcomponents.insert(i, vtimezone(tzid, first, last))
    return cal


def _stamp(now: datetime) -> datetime:
    """The DTSTAMP of everything written at ``now``: UTC, whole seconds."""
    return now.astimezone(UTC).replace(microsecond=0)


def _calendar(method: Method | None) -> Calendar:
    """An empty VCALENDAR of ours."""
    cal = Calendar.new(prodid=PRODID, method=method)
    # RFC 7986 calendar UID that icalendar adds by itself: random, so drop it to keep files
    # reproducible (the same plan and DTSTAMP give the same bytes).
    cal.pop("UID", None)
    return cal


def _zone_range(events: Iterable[EventInfo], cover: tuple[date, date] | None) -> tuple[date, date]:
    """Dates the VTIMEZONE must cover: the whole years of ``cover`` and the events, and the
    year before them, so that every observance (STANDARD, DAYLIGHT) has an onset before the
    first event: ruby-icalendar cannot place a time before an observance's first onset."""
    days = [d for e in events for d in (e.start.date(), e.end.date())]
    days += list(cover or ())
    return date(min(days).year - 1, 1, 1), date(max(days).year + 1, 1, 1)


_ZONES: dict[tuple[str, date, date], tuple[Timezone, bytes]] = {}
"""Each VTIMEZONE made once a process, with its wire form: every file of one plan carries
the same one, and building and serialising it was a third of writing a one-event invite."""
_WIRE: dict[int, tuple[Component, bytes]] = {}
"""The shared, read-only components (VTIMEZONEs and VEVENTs) by ``id``, with their wire form,
for :func:`calendar_bytes` to splice in."""


def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE of ``tzid`` from ``first`` up to ``last`` — one shared, read-only
    component a process (see :func:`_make_vtimezone`)."""
    return _ZONES[_zone_key(tzid, first, last)][0]


def _zone_key(tzid: str, first: date, last: date) -> tuple[str, date, date]:
    """The key of ``tzid``'s VTIMEZONE in :data:`_ZONES`, made there if it is new."""
    key = (tzid, first, last)
    if key not in _ZONES:
        made = _make_vtimezone(tzid, first, last)
        _ZONES[key] = (made, made.to_ical())
        _WIRE[id(made)] = _ZONES[key]
    return key


def _make_vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE of ``tzid`` with its transitions from ``first`` up to ``last``.

    icalendar's ``Timezone.from_tzid`` computes the transitions; what it writes around them
    is cleaned up so that every reader takes it: the ``COMMENT`` it puts on the VTIMEZONE
    itself is not allowed there (RFC 5545 §3.6.5; Perl Data::ICal warns), and the
    comma-joined RDATE list becomes one RDATE line per onset (ruby-icalendar cannot read a
    list; vobject, and so Radicale, keep only its first value when re-serialising).
    Checked against libical, vobject, ruby-icalendar, Data::ICal and Radicale in the tests.
    """
    made = Timezone.from_tzid(tzid, first_date=first, last_date=last)
    clean = Timezone()
    clean.add("TZID", tzid)
    for observance in made.subcomponents:
        rdates = observance.pop("RDATE", None)
        for group in rdates if isinstance(rdates, list) else [rdates] if rdates else []:
            for onset in group.dts:
                observance.add("RDATE", onset.dt)
        clean.add_component(observance)
    return clean


EVENTS_REMEMBERED = 4096
"""VEVENTs kept with their wire form: a session's VEVENT is the same in every attendee's
invitation written in one language, so a plan's files render each once (issue 17: 3,229
invitations of 353 sessions at 10,000 people, most of the 6 s spent folding the same lines
again)."""
_EVENTS: OrderedDict[tuple[object, ...], Event] = OrderedDict()
_EVENTS_LOCK = threading.Lock()


def _shared_event(
    info: EventInfo, stamp: datetime, *, alarm: bool, rsvp: bool, agent_client: bool
) -> Event:
    """The VEVENT of :func:`_event`, made once for equal arguments (a shared, read-only
    component, like :func:`vtimezone`'s; the least recently used are forgotten)."""
    # The zones too: equal datetimes are the same instant, which two zones write differently.
    key = (info, info.start.tzinfo, info.end.tzinfo, stamp, alarm, rsvp, agent_client)
    with _EVENTS_LOCK:
        event = _EVENTS.get(key)
        if event is not None:
            _EVENTS.move_to_end(key)
            return event
    event = _event(info, stamp, alarm=alarm, rsvp=rsvp, agent_client=agent_client)
    wire = event.to_ical()
    with _EVENTS_LOCK:
        if key in _EVENTS:  # made meanwhile by another thread: one copy stays shared
            return _EVENTS[key]
        _EVENTS[key] = event
        _WIRE[id(event)] = (event, wire)
        while len(_EVENTS) > EVENTS_REMEMBERED:
            _, old = _EVENTS.popitem(last=False)
            _WIRE.pop(id(old), None)
    return event


_SPLICE = AttendeeInfo(email="splice@planner.invalid", name="", role="OPT-PARTICIPANT")
"""The attendee a frame is rendered with: its line, unique, marks where the others go."""
_FRAMES: OrderedDict[tuple[object, ...], tuple[bytes, bytes, tuple[str, ...]]] = OrderedDict()
"""A VEVENT's wire form around its ATTENDEE lines, by everything else it says, and the
TZIDs it uses (for :func:`calendar_wire`)."""
_LINES: dict[tuple[AttendeeInfo, bool, bool], bytes] = {}
"""One ATTENDEE line's wire form."""


def _event_wire(
    info: EventInfo, stamp: datetime, *, alarm: bool, rsvp: bool, agent_client: bool
) -> tuple[bytes, tuple[str, ...]]:
    """``_event(info, …).to_ical()`` from a frame and the attendee lines, with the TZIDs the
    VEVENT uses (for :func:`calendar_wire`, which writes invitation files): the invitations
    of one session differ only in whether the viewer is listed (someone who keeps out of
    attendee lists sees themself alone among the others), so most files hold a VEVENT of
    their own, and folding the same lines again was most of writing them (issue 17: 2,579
    VEVENTs for 3,229 files at 10,000 people). Exactly icalendar's bytes (tested):
    properties are written one line each in a fixed order, the ATTENDEE lines together."""
    key = (
        replace(info, attendees=()), info.start.tzinfo, info.end.tzinfo,
        stamp, alarm, rsvp, agent_client,
    )  # fmt: skip
    with _EVENTS_LOCK:
        frame = _FRAMES.get(key)
    if frame is None:
        probe = _event(
            replace(info, attendees=(_SPLICE,)),
            stamp, alarm=alarm, rsvp=rsvp, agent_client=agent_client,
        )  # fmt: skip
        wire = probe.to_ical()
        line = _attendee_line(_SPLICE, rsvp=rsvp, agent_client=agent_client)
        at = wire.index(b"\r\n" + line) + 2
        zones = tuple(sorted(Calendar.new(subcomponents=[probe]).get_missing_tzids()))
        frame = (wire[:at], wire[at + len(line) :], zones)
        with _EVENTS_LOCK:
            _FRAMES[key] = frame
            while len(_FRAMES) > EVENTS_REMEMBERED:
                _FRAMES.popitem(last=False)
    head, tail, zones = frame
    lines = [_attendee_line(a, rsvp=rsvp, agent_client=agent_client) for a in info.attendees]
    return head + b"".join(lines) + tail, zones


def _attendee_line(a: AttendeeInfo, *, rsvp: bool, agent_client: bool) -> bytes:
    """The ATTENDEE line of ``a`` as icalendar writes it in a VEVENT, CRLF and folds."""
    key = (a, rsvp, agent_client)
    line = _LINES.get(key)
    if line is None:
        alone = Event()
        alone.attendees = [_address(a, rsvp=rsvp, agent_client=agent_client)]
        wire = alone.to_ical()
        line = wire[len(b"BEGIN:VEVENT\r\n") : -len(b"END:VEVENT\r\n")]
        if len(_LINES) > 4 * EVENTS_REMEMBERED:
            _LINES.clear()
        _LINES[key] = line
    return line


def _address(a: AttendeeInfo, *, rsvp: bool, agent_client: bool) -> vCalAddress:
    address = vCalAddress.new(
        a.email,
        cn=a.name,
        role=a.role,
        partstat="NEEDS-ACTION" if rsvp else None,
        rsvp=True if rsvp else None,
    )
    if agent_client:
        address.params["SCHEDULE-AGENT"] = "CLIENT"
    return address


def _event(
    info: EventInfo,
    stamp: datetime,
    *,
    alarm: bool,
    rsvp: bool,
    agent_client: bool,
) -> Event:
    organizer = vCalAddress.new(info.organiser_email, cn=info.organiser_name)
    if agent_client:
        organizer.params["SCHEDULE-AGENT"] = "CLIENT"
    attendees = [_address(a, rsvp=rsvp, agent_client=agent_client) for a in info.attendees]
    subcomponents = []
    if alarm and not info.cancelled:
        reminder = Alarm.new(
            description=translator(info.language)
            .gettext("Reminder: {summary}")
            .format(summary=info.summary)
        )
        reminder.add("ACTION", "DISPLAY")
        reminder.add("TRIGGER", -ALARM_BEFORE)
        subcomponents.append(reminder)
    event = Event.new(
        uid=info.uid,
        stamp=stamp,
        sequence=info.sequence,
        start=info.start,
        end=info.end,
        summary=info.summary,
        description=info.description,
        location=info.location,
        url=info.url,
        organizer=organizer,
        attendees=attendees or None,
        subcomponents=subcomponents or None,
    )
    if info.cancelled is None:
        event.add("STATUS", "CONFIRMED")
    elif info.cancelled == "session":
        event.add("STATUS", "CANCELLED")
    # An uninvite (cancelled == "attendee") carries no STATUS: RFC 5546 §3.2.5 keeps
    # STATUS:CANCELLED for the whole event; naming the attendee is what removes them.
    event.add("TRANSP", "OPAQUE")
    return event


def calendar_bytes(cal: Calendar) -> bytes:
    """The wire form: CRLF line ends, folded at 75 octets (icalendar's serializer).

    The leading components made by :func:`vtimezone` and :func:`_shared_event` are spliced
    in from their remembered wire form; the bytes are exactly ``cal.to_ical()``'s
    (tested)."""
    subs = cal.subcomponents
    known = 0
    while known < len(subs) and _WIRE.get(id(subs[known]), (None,))[0] is subs[known]:
        known += 1
    if not known:
        data: bytes = cal.to_ical()
        return data
    cal.subcomponents = subs[known:]
    try:
        body: bytes = cal.to_ical()
    finally:
        cal.subcomponents = subs
    # The calendar's own properties end where its first component (or its END) begins:
    # a text value never holds a bare line break, so "\r\nBEGIN:" is a component's start.
    cut = body.find(b"\r\nBEGIN:", len(b"BEGIN:VCALENDAR"))
    if cut < 0:
        cut = body.rindex(b"\r\nEND:VCALENDAR")
    spliced = b"".join(_WIRE[id(c)][1] for c in subs[:known])
    return body[: cut + 2] + spliced + body[cut + 2 :]


_HEADS: dict[Method | None, bytes] = {}
"""A VCALENDAR's own lines, by METHOD."""


def calendar_wire(
    method: Method | None,
    events: Sequence[EventInfo],
    *,
    now: datetime,
    alarm: bool = False,
    rsvp: bool = False,
    cover: tuple[date, date] | None = None,
) -> bytes:
    """``calendar_bytes(build_calendar(method, events, …))``, without building the
    calendar: its own lines, the VTIMEZONEs and the VEVENTs from their remembered wire
    forms (:func:`_event_wire`). Writing invitations needs only the bytes, and building a
    VEVENT object per viewer was most of what was left of writing them at scale."""
    if method not in _HEADS:
        _HEADS[method] = _calendar(method).to_ical()[: -len(b"END:VCALENDAR\r\n")]
    stamp = _stamp(now)
    parts: list[bytes] = []
    zones: set[str] = set()
    for e in events:
        wire, used = _event_wire(e, stamp, alarm=alarm, rsvp=rsvp, agent_client=False)
        parts.append(wire)
        zones.update(used)
    if events:
        first, last = _zone_range(events, cover)
        parts[:0] = [_ZONES[_zone_key(tzid, first, last)][1] for tzid in sorted(zones)]
    return _HEADS[method] + b"".join(parts) + b"END:VCALENDAR\r\n"
