"""The participant's side of a round: the poll that goes out and the response that comes back.

Core module (no Textual): the organiser exports a :class:`Poll`, a participant answers it
with ``planner respond`` (a small TUI on top of this module) and sends back a
:class:`Response`, which ``planner import`` applies to the workspace.

Privacy decisions (SPEC §2, invariants 4-6):

* The poll names the team, the organiser and the facilitators (``required`` people) of the
  activities — nobody else. It does **not** list the team's person ids: ids are slugs of
  names, so such a list would tell every participant who else is on the team.
* Nobody can answer for somebody else (invariant 7). Each person gets a poll of their own,
  ``poll-<id>.toml``, carrying their id and a token: HMAC-SHA256, under a key that never
  leaves the workspace, of the round (the poll id *and* the horizon) and the person. The
  response copies both; import recomputes the token and refuses a response whose token is
  not that person's (a forgery: another person's id), one of another round (another poll
  id, or the horizon changed since the poll went out: refused even before a new poll is
  exported), or one without a token (the old shared poll). A response carries the time it
  was written; one written no later than the response already applied for that person is a
  replay and is ignored. A single shared poll file let anyone answer for anyone, so it went.
* A response carries answers, the person's own limits and busy blocks **on the slot grid
  only**: each block of the person's calendar is rounded outwards to slot boundaries (team
  zone), merged and clipped to the horizon before it is written, so titles, exact times and
  anything outside the round never leave the participant's machine.
* Poll and response files are written owner-only (:func:`planner.files.write_private`).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from planner import files
from planner.domain.catalogue import activity_texts
from planner.domain.errors import InputError, Problem
from planner.domain.io import (
    format_of,
    parse_document,
    read_text,
    record_document,
    scenario_document,
    toml_ready,
    validate_scenario,
    validation_problems,
)
from planner.domain.models import (
    Answer,
    Category,
    Horizon,
    Id,
    Instant,
    Kind,
    Language,
    Name,
    NumbersAreNumbers,
    Organiser,
    Person,
    Scenario,
    Setting,
    Tag,
    Text,
    TimeZoneName,
    WorkingHours,
)
from planner.domain.planning import Interval
from planner.domain.timeutil import local_instant, zone
from planner.i18n import Translator, translator
from planner.store.workspace import ResponseRecord, Workspace

MAX_BUSY_BLOCKS = 5000
"""More merged slot-grid blocks than this in one response is not a calendar but an attack."""

_META_POLL_ID = "poll_id"
_META_POLL_HORIZON = "poll_horizon"
FORMAT_VERSION = 2
"""Poll and response files: 2 is per person and signed; 1 was the shared, unsigned poll."""
FUTURE_SLACK = timedelta(days=1)
"""A response written further ahead than this is refused (a clock that far off, or a
response made to block every later one)."""
TOKEN_PATTERN = r"^[0-9a-f]{64}$"


class _Strict(NumbersAreNumbers):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------- the poll


class PollActivity(_Strict):
    """What a participant needs to decide on one activity (no attendees, no answers)."""

    id: Id = Field(description="Activity id; answers refer to it.")
    name: Name = Field(description="Display name.")
    description: Text = Field(default="", description="What happens.")
    category: Category = Field(description="social, learning, collaboration, ...")
    kind: Kind = Field(default=Kind.event, description="'event' or 'pairing' (small groups).")
    duration_minutes: int = Field(gt=0, le=24 * 60, description="Length of one session.")
    sessions: int = Field(default=1, ge=1, description="How many times it runs.")
    after_hours: bool = Field(default=False, description="May be outside working hours.")
    setting: Setting | None = Field(default=None, description="indoor, outdoor or virtual.")
    virtual: bool = Field(default=False, description="Held online.")
    location: Name | None = Field(default=None, description="Where it happens, if known.")
    provides: list[Tag] = Field(default_factory=list, description="Tags it offers.")
    facilitators: list[Name] = Field(
        default_factory=list, description="Names of the people who run every session."
    )


class PollPolicy(_Strict):
    """The team limits a participant may tighten (never loosen) in their response."""

    max_events_per_week: int = Field(ge=0, description="Team cap on events per ISO week.")
    max_minutes_per_week: int | None = Field(default=None, ge=0, description="Team minutes cap.")
    max_events_per_day: int = Field(ge=0, description="Team cap on events per day.")
    working_hours: WorkingHours = Field(description="Default working hours.")


class Poll(_Strict):
    """``[poll]`` in a poll file: one person's poll, and nothing about colleagues."""

    version: Literal[2] = Field(default=2, description="File format version.")
    id: uuid.UUID = Field(description="This round's poll id; a response must carry it.")
    person: Id = Field(description="Whose poll this is: the only id its response may carry.")
    token: str = Field(
        pattern=TOKEN_PATTERN,
        description="Signs the person and the round; copied into the response.",
    )
    team: Name = Field(description="The team's name.")
    organiser: Organiser = Field(description="Who asks, and where the response goes.")
    timezone: TimeZoneName = Field(description="The team zone; the grid is counted in it.")
    horizon: Horizon = Field(description="The days of this round.")
    slot_minutes: Literal[15, 30, 60] = Field(description="The planning grid.")
    policy: PollPolicy = Field(description="Team limits.")
    activities: list[PollActivity] = Field(description="What may be planned.")
    language: Language = Field(
        default="en", description="The language the participant reads: 'en', 'sv' or 'pl'."
    )

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def window(self) -> Interval:
        """The instants of the horizon: busy blocks outside it are never shared."""
        tz = self.tz
        return (
            local_instant(self.horizon.start, 0, tz),
            local_instant(self.horizon.end + timedelta(days=1), 0, tz),
        )

    def activity_ids(self) -> list[str]:
        return [a.id for a in self.activities]


# ---------------------------------------------------------------------- the response


class Limits(_Strict):
    """The participant's own limits; each may only tighten the team's."""

    max_events_per_week: int | None = Field(
        default=None, ge=0, le=50, description="Own weekly event cap (0: not this round)."
    )
    max_minutes_per_week: int | None = Field(
        default=None, ge=0, le=7 * 24 * 60, description="Own weekly minutes cap."
    )
    after_hours: bool = Field(default=False, description="May be planned outside own hours.")
    needs: list[Tag] = Field(default_factory=list, description="What an activity must provide.")
    show_in_attendee_lists: bool = Field(
        default=False, description="Colleagues' invites may list me."
    )
    share_reasons: bool = Field(
        default=False, description="The organiser may see 'time off'/'busy', not 'unavailable'."
    )


class BusySlot(_Strict):
    """One busy block on the slot grid (UTC)."""

    start: Instant = Field(description="Start of the block (a slot boundary).")
    end: Instant = Field(description="End of the block (a slot boundary), exclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise PydanticCustomError("range_order", "end must be after start")
        return self


class Response(_Strict):
    """``[response]`` in a response file: everything that leaves the participant's machine."""

    version: Literal[2] = Field(default=2, description="File format version.")
    poll: uuid.UUID = Field(description="The id of the poll this answers.")
    person: Id = Field(description="The participant's own person id (from their poll).")
    token: str = Field(pattern=TOKEN_PATTERN, description="The token of the person's own poll.")
    written: Instant = Field(description="When the response was written (UTC).")
    answers: dict[Id, Answer] = Field(
        default_factory=dict, description="activity id -> yes / maybe / no (absent: no answer)."
    )
    limits: Limits = Field(default_factory=Limits, description="Own limits.")
    busy: Annotated[list[BusySlot], Field(max_length=MAX_BUSY_BLOCKS)] = Field(
        default_factory=list, description="Busy blocks on the slot grid, UTC."
    )


# ---------------------------------------------------------------------- organiser: export


def poll_from_scenario(scenario: Scenario, poll_id: uuid.UUID, person_id: str, token: str) -> Poll:
    """``person_id``'s poll for ``scenario``: activities and team limits, and no one's data
    but the organiser's and the facilitators' names."""
    names = {p.id: p.name for p in scenario.people}
    language = scenario.person_language(scenario.person(person_id))
    texts = {
        a.id: activity_texts(a.name, a.description, a.template, language)
        for a in scenario.activities
    }
    activities = [
        PollActivity(
            id=a.id,
            name=texts[a.id][0],
            description=texts[a.id][1],
            category=a.category,
            kind=a.kind,
            duration_minutes=a.duration_minutes,
            sessions=a.sessions,
            after_hours=a.after_hours,
            setting=a.setting,
            virtual=a.virtual,
            location=a.location,
            provides=list(a.provides),
            facilitators=[names[r] for r in a.required if r in names],
        )
        for a in scenario.activities
    ]
    policy = scenario.policy
    return Poll(
        id=poll_id,
        person=person_id,
        token=token,
        team=scenario.team.name,
        organiser=scenario.team.organiser,
        timezone=scenario.team.timezone,
        horizon=scenario.team.horizon,
        slot_minutes=scenario.team.slot_minutes,
        policy=PollPolicy(
            max_events_per_week=policy.max_events_per_week,
            max_minutes_per_week=policy.max_minutes_per_week,
            max_events_per_day=policy.max_events_per_day,
            working_hours=policy.working_hours,
        ),
        activities=activities,
        language=language,
    )


def current_poll_id(ws: Workspace) -> str | None:
    """The id of the poll this workspace sent out for its current round, if any."""
    return ws.meta(_META_POLL_ID)


def _horizon_text(horizon: Horizon) -> str:
    return f"{horizon.start}..{horizon.end}"


def _round_poll_id(ws: Workspace, scenario: Scenario) -> uuid.UUID:
    """One poll id per round: re-exporting (say, after adding an activity) keeps it, so
    responses to the first file still import; a new horizon starts a new round."""
    horizon = _horizon_text(scenario.team.horizon)
    existing = ws.meta(_META_POLL_ID)
    if existing and ws.meta(_META_POLL_HORIZON) == horizon:
        return uuid.UUID(existing)
    poll_id = uuid.uuid4()
    ws.set_meta({_META_POLL_ID: str(poll_id), _META_POLL_HORIZON: horizon})
    return poll_id


def poll_token(secret: str, poll_id: uuid.UUID | str, horizon: Horizon, person_id: str) -> str:
    """HMAC-SHA256 of the round (poll id and horizon) and the person under ``secret``.

    The parts are joined with NUL, which none of them can contain, so no two different
    (round, person) pairs sign the same message.
    """
    message = "\0".join(
        ["planner-poll", str(FORMAT_VERSION), str(poll_id), _horizon_text(horizon), person_id]
    )
    return hmac.new(bytes.fromhex(secret), message.encode("utf-8"), hashlib.sha256).hexdigest()


def poll_filename(person_id: str) -> str:
    return f"poll-{person_id}.toml"


def check_poll_dir(out: Path) -> None:
    """Refuse ``--out`` that is a file or names one (the old single-poll form)."""
    looks_like_file = not out.exists() and out.suffix.lower() in {".toml", ".json"}
    if (out.exists() and not out.is_dir()) or looks_like_file:
        raise InputError.single(
            str(out),
            "polls are now one per person (poll-<person-id>.toml, each signed for that person): "
            "give a directory for --out, not a file",
            "--out",
        )


def make_polls(ws: Workspace) -> list[Poll]:
    """Every person's poll for the current round (records the round's poll id and creates
    the signing key on first need, in one write transaction)."""
    return _round_polls(ws)[1]


def _round_polls(ws: Workspace) -> tuple[Scenario, list[Poll]]:
    """The scenario and its polls, read and signed in one transaction (so a person removed
    meanwhile cannot get a poll without a record to mail it to)."""
    with ws.write():
        scenario = ws.load_scenario()
        poll_id = _round_poll_id(ws, scenario)
        secret = ws.poll_secret()
        horizon = scenario.team.horizon
        polls = [
            poll_from_scenario(scenario, poll_id, p.id, poll_token(secret, poll_id, horizon, p.id))
            for p in scenario.people
        ]
    return scenario, polls


def write_polls(polls: Iterable[Poll], out: Path) -> list[Path]:
    """Write ``out/poll-<id>.toml`` for each poll (owner-only files, owner-only folder)."""
    check_poll_dir(out)
    files.private_dir(out)
    return files.write_private_many([(out / poll_filename(p.person), dump_poll(p)) for p in polls])


def export_polls(ws: Workspace, out: Path) -> list[Path]:
    """Write each person's poll for the workspace's current round into directory ``out``."""
    check_poll_dir(out)  # before the round is recorded
    return write_polls(make_polls(ws), out)


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines()) + "\n"


def _days(t: Translator, horizon: Horizon) -> str:
    """The horizon as people write it: "02 Mar – 13 Mar 2026" / "2 mars – 13 mars 2026"."""
    if t.language == "en":
        return f"{horizon.start:%d %b} – {horizon.end:%d %b %Y}"
    return f"{t.format_date(horizon.start, 'd MMM')} – {t.format_date(horizon.end, 'd MMM y')}"


def dump_poll(poll: Poll) -> str:
    _ = translator(poll.language).gettext
    header = _comment(
        _("Poll from {organiser} for {team}: your own, for {person}.").format(
            organiser=poll.organiser.name, team=poll.team, person=poll.person
        )
        + "\n"
        + _(
            "Answer it with:  planner respond THIS-FILE\n"
            "It contains no information about your colleagues. Do not pass it on: the token\n"
            "in it lets whoever has it answer in your name."
        )
    )
    data = toml_ready(poll.model_dump(mode="json"))
    if data.get("language") == "en":
        data.pop("language")  # the default: English polls stay as they were
    return header + tomli_w.dumps({"poll": data})


def poll_message(poll: Poll, person: Person) -> EmailMessage:
    """One plain-text mail to ``person`` with their own poll attached."""
    from email.utils import formataddr, formatdate, make_msgid

    organiser = poll.organiser
    t = translator(poll.language)
    _ = t.gettext
    days = _days(t, poll.horizon)
    filename = poll_filename(poll.person)
    msg = EmailMessage()
    msg["From"] = formataddr((organiser.name, organiser.email))
    msg["To"] = formataddr((person.name, person.email))
    msg["Subject"] = _("{team}: your answers for {days}").format(team=poll.team, days=days)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=organiser.email.rpartition("@")[2] or None)
    msg.set_content(
        _(
            "Hello {name},\n\n"
            "{organiser} is planning activities for {team} ({days}) and asks what you would\n"
            "like to join. Every activity is opt-in: 'no' is never shown to anyone.\n\n"
            "Your own poll is attached ({file}). Answer it with\n\n"
            "    planner respond {file}\n\n"
            "and send the response file it writes back to {email}.\n"
            "Your calendar is read on your own machine; only busy times in whole slots leave it.\n"
            "The poll is for you alone: whoever has it can answer in your name.\n"
        ).format(
            name=person.name,
            organiser=organiser.name,
            team=poll.team,
            days=days,
            file=filename,
            email=organiser.email,
        )
    )
    msg.add_attachment(
        dump_poll(poll).encode("utf-8"),
        maintype="application",
        subtype="toml",
        filename=poll_filename(poll.person),
    )
    return msg


@dataclass(frozen=True)
class PollExport:
    """What ``export poll`` did: the files written and, with ``--smtp``, the mails sent."""

    paths: list[Path]
    sent: int | None = None
    server: str | None = None

    def lines(self, out: Path) -> list[str]:
        lines = [
            f"wrote {len(self.paths)} polls to {out} (poll-<person-id>.toml: "
            "give each person their own, never another's)"
        ]
        if self.sent is not None:
            lines.append(f"smtp {self.server}: sent {self.sent} polls")
        return lines


def export_polls_and_mail(ws: Workspace, out: Path, smtp: str | None = None) -> PollExport:
    """Write every person's poll to ``out``; with ``smtp`` also mail each person theirs.

    Everything is checked before the first file is written or mail sent: the server, the
    folder, every poll and every message.
    """
    from planner.calendar import imip

    if smtp is not None:
        imip.parse_server(smtp)
    check_poll_dir(out)
    scenario, polls = _round_polls(ws)
    messages = [poll_message(p, scenario.person(p.person)) for p in polls] if smtp else []
    paths = write_polls(polls, out)
    if smtp is None:
        return PollExport(paths)
    organiser = scenario.team.organiser
    sent = imip.send_mails(smtp, messages, from_name=organiser.name, from_email=organiser.email)
    return PollExport(paths, sent, smtp)


# ---------------------------------------------------------------------- reading files


def _load_table(path: Path, key: str, model: type[BaseModel], unsigned: str) -> Any:
    source = str(path)
    data = parse_document(read_text(path, source), source, format_of(path))
    if set(data) != {key}:
        other = sorted(set(data) - {key})
        if key not in data:
            raise InputError.single(source, f"not a {key} file (no [{key}] table)")
        raise InputError.single(source, f"unknown top-level key {other[0]!r}", other[0])
    if isinstance(data[key], dict) and "token" not in data[key]:
        # The old shared poll and its responses carry no token: say what to do instead.
        raise InputError.single(source, unsigned, f"{key}.token")
    try:
        return model.model_validate(data[key])
    except ValidationError as exc:
        raise InputError(
            [
                Problem(p.source, f"{key}.{p.location}" if p.location else key, p.message)
                for p in validation_problems(source, exc, data[key])
            ]
        ) from None


def load_poll(path: Path) -> Poll:
    """Read and validate a poll file; every fault as ``file: place: reason``."""
    poll: Poll = _load_table(
        path,
        "poll",
        Poll,
        "no token: this is the old shared poll, which let anyone answer for anyone; "
        "ask the organiser for your own poll (poll-<your-id>.toml)",
    )
    return poll


def load_response(path: Path) -> Response:
    """Read and validate a response file; every fault as ``file: place: reason``."""
    response: Response = _load_table(
        path,
        "response",
        Response,
        "no token: this response answers the old shared poll, which let anyone answer for "
        "anyone; answer the new poll you were sent (planner respond poll-<your-id>.toml)",
    )
    return response


# ---------------------------------------------------------------------- participant: build


def snap_to_grid(
    blocks: Iterable[Interval], tz: ZoneInfo, slot_minutes: int, window: Interval | None = None
) -> list[Interval]:
    """Round each block outwards to slot boundaries (team zone), merge, clip to ``window``.

    This is the only form in which a participant's calendar leaves their machine: whole
    slots, no titles, no exact times.
    """
    rounded: list[Interval] = []
    for start, end in blocks:
        if end <= start:
            continue
        s = _floor(start, tz, slot_minutes)
        e = _ceil(end, tz, slot_minutes)
        if window is not None:
            s, e = max(s, window[0]), min(e, window[1])
            if e <= s:
                continue
        rounded.append((s.astimezone(UTC), e.astimezone(UTC)))
    rounded.sort()
    merged: list[Interval] = []
    for s, e in rounded:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _floor(instant: datetime, tz: ZoneInfo, slot: int) -> datetime:
    local = instant.astimezone(tz)
    minute = local.hour * 60 + local.minute
    snapped = local_instant(local.date(), minute - minute % slot, tz)
    return min(snapped, instant)  # a DST gap must never make a block smaller


def _ceil(instant: datetime, tz: ZoneInfo, slot: int) -> datetime:
    local = instant.astimezone(tz)
    minute = local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
    snapped = local_instant(local.date(), -(-minute // slot) * slot, tz)
    return max(snapped, instant)


def on_grid(instant: datetime, tz: ZoneInfo, slot_minutes: int) -> bool:
    local = instant.astimezone(tz)
    return not local.second and not local.microsecond and local.minute % slot_minutes == 0


def build_response(
    poll: Poll,
    answers: Mapping[str, Answer | str | None],
    limits: Limits,
    busy_blocks: Iterable[Interval],
    *,
    written: datetime | None = None,
) -> Response:
    """The response exactly as it will be written: blocks snapped to the grid and clipped,
    signed with the poll's person and token, stamped ``written`` (default: now).

    Raises :class:`InputError` for an answer for an activity the poll does not ask about.
    """
    known = set(poll.activity_ids())
    problems: list[Problem] = []
    clean: dict[str, Answer] = {}
    for aid, answer in answers.items():
        if aid not in known:
            problems.append(Problem("response", f"answers.{aid}", "not an activity of this poll"))
        elif answer is not None:
            clean[aid] = Answer(answer)
    if problems:
        raise InputError(problems)
    busy = snap_to_grid(busy_blocks, poll.tz, poll.slot_minutes, poll.window())
    try:
        return Response(
            poll=poll.id,
            person=poll.person,
            token=poll.token,
            written=(written or datetime.now(UTC)).astimezone(UTC),
            answers=clean,
            limits=limits,
            busy=[BusySlot(start=s, end=e) for s, e in busy],
        )
    except ValidationError as exc:
        raise InputError(validation_problems("response", exc)) from None


def response_filename(person_id: str) -> str:
    return f"response-{person_id}.toml"


def dump_response(response: Response, language: str = "en") -> str:
    data = toml_ready(response.model_dump(mode="json"))
    data["written"] = response.written.astimezone(UTC)
    data["busy"] = [
        {"start": b.start.astimezone(UTC), "end": b.end.astimezone(UTC)} for b in response.busy
    ]
    _ = translator(language).gettext
    header = _comment(
        _(
            "Your answer to the poll. It holds your answers, your own limits and when you are\n"
            "busy, in whole slots of the planning grid: no titles, no other calendar details."
        )
    )
    return header + tomli_w.dumps({"response": data})


def write_response(response: Response, directory: Path, language: str = "en") -> Path:
    """Write ``response-<id>.toml`` into ``directory``, readable by its owner only (its
    comment in ``language``, the poll's)."""
    return files.write_private(
        directory / response_filename(response.person), dump_response(response, language)
    )


# ---------------------------------------------------------------------- organiser: import


def check_response(
    ws: Workspace, scenario: Scenario, response: Response, source: str, now: datetime | None = None
) -> None:
    """Everything that makes a valid file unusable for this workspace, all at once:
    another round, a horizon changed since the poll, an unknown person, a token that is not
    that person's (a forgery), a time too far ahead, blocks off the grid."""
    problems: list[Problem] = []
    expected = current_poll_id(ws)
    horizon = scenario.team.horizon
    same_round = False
    if expected is None:
        problems.append(
            Problem(source, "response.poll", "this workspace has not sent out a poll yet")
        )
    elif str(response.poll) != expected:
        problems.append(
            Problem(
                source,
                "response.poll",
                "answers the poll of another round than this workspace's current one; "
                "the person must answer the current poll",
            )
        )
    elif ws.meta(_META_POLL_HORIZON) != _horizon_text(horizon):
        problems.append(
            Problem(
                source,
                "response.poll",
                f"the horizon changed since this poll went out (it asked about "
                f"{ws.meta(_META_POLL_HORIZON)}, the round is now {_horizon_text(horizon)}): "
                "a new poll must go out (planner export poll) and be answered",
            )
        )
    else:
        same_round = True
    known = response.person in {p.id for p in scenario.people}
    if not known:
        problems.append(Problem(source, "response.person", f"unknown person {response.person!r}"))
    elif same_round:
        secret = ws.existing_poll_secret()
        token = poll_token(secret, response.poll, horizon, response.person) if secret else ""
        if not hmac.compare_digest(token, response.token):
            problems.append(
                Problem(
                    source,
                    "response.token",
                    f"not the token of {response.person!r}'s poll: a response may only come "
                    "from that person's own poll (forged or edited)",
                )
            )
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    if response.written > latest:
        problems.append(
            Problem(
                source,
                "response.written",
                f"{response.written.astimezone(UTC):%Y-%m-%d %H:%M} UTC is more than a day "
                "ahead: check the clock of the machine that wrote it",
            )
        )
    tz = zone(scenario.team.timezone)
    slot = scenario.team.slot_minutes
    for i, b in enumerate(response.busy):
        if not (on_grid(b.start, tz, slot) and on_grid(b.end, tz, slot)):
            problems.append(
                Problem(source, f"response.busy.{i}", f"not on the {slot}-minute slot grid")
            )
    if problems:
        raise InputError(problems)


def apply_response(scenario: Scenario, response: Response) -> tuple[Scenario, int]:
    """The scenario with what the response says; what it leaves blank stays as it was.

    The poll carries nobody's current answers or limits (it names nobody), so the
    participant's form starts empty: a blank answer, cap or needs list therefore keeps the
    workspace's value rather than erasing it (a cap the person gave earlier must not be
    loosened by a field they did not touch). The switches (after hours, listed in invites,
    share reasons) are always stated and replace; unticked is the protective value.

    Answers for activities the workspace no longer has are skipped (their count is
    returned): the organiser may remove an activity after sending the poll.
    """
    activity_ids = {a.id for a in scenario.activities}
    person = scenario.person(response.person)
    limits = response.limits
    stated = {
        "max_events_per_week": limits.max_events_per_week,
        "max_minutes_per_week": limits.max_minutes_per_week,
        "needs": list(limits.needs) or None,
    }
    data = person.model_dump(mode="json", exclude_none=True)
    data.update({k: v for k, v in stated.items() if v is not None})
    data.update(
        after_hours=limits.after_hours,
        show_in_attendee_lists=limits.show_in_attendee_lists,
        share_reasons=limits.share_reasons,
    )
    updated = Person.model_validate(data)
    prefs = {pid: dict(answers) for pid, answers in scenario.preferences.items()}
    mine = prefs.setdefault(response.person, {})
    skipped = 0
    for aid, answer in response.answers.items():
        if aid in activity_ids:
            mine[aid] = answer
        else:
            skipped += 1
    if not mine:
        prefs.pop(response.person)
    people = [updated if p.id == person.id else p for p in scenario.people]
    # The scenario as written (derived values such as a pairing's group count left out, so
    # they stay derived), not model_dump, which would freeze them.
    data = scenario_document(scenario)
    data["people"] = [record_document(p) for p in people]
    data["preferences"] = {pid: {a: v.value for a, v in ans.items()} for pid, ans in prefs.items()}
    new = validate_scenario(data, "response")
    return new, skipped


def _import_response(ws: Workspace, path: Path) -> Callable[[], str]:
    """Validate the response completely; the returned function applies it (or ignores it
    when a response written no earlier is already applied for that person)."""
    source = str(path)
    response = load_response(path)
    scenario = ws.load_scenario()
    check_response(ws, scenario, response, source)
    apply_response(scenario, response)  # raises InputError if the result would be invalid
    blocks: list[Interval] = [(b.start, b.end) for b in response.busy]
    written = f"{response.written.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"

    def apply() -> str:
        # Checked here, in the import's one transaction, against the record as it is now:
        # a newer response earlier in the same import counts too.
        recorded = ws.response_record(response.person)
        if recorded is not None and response.written <= recorded.written:
            return (
                f"{path}: ignored: the response of {response.person} written {written} is not "
                f"newer than the one already imported (written "
                f"{recorded.written:%Y-%m-%d %H:%M:%S} UTC)"
            )
        # Re-applied to the current state: several responses in one import build on each other.
        current = ws.load_scenario()
        new, skipped = apply_response(current, response)
        ws.save_scenario(
            new,
            None,
            label=f"import response {response.person}",
            busy_updates={(response.person, "response"): blocks},
            response=ResponseRecord(response.person, str(response.poll), response.written),
        )
        note = f" ({skipped} answers for removed activities skipped)" if skipped else ""
        return (
            f"{path}: imported the response of {response.person} (written {written}): "
            f"{len(response.answers) - skipped} answers, {len(blocks)} busy blocks{note}"
        )

    return apply


IMPORTERS = {"response": _import_response}
"""What this module imports for ``planner import`` (read by :mod:`planner.service`)."""


__all__ = [
    "BusySlot",
    "Limits",
    "Poll",
    "PollActivity",
    "PollExport",
    "PollPolicy",
    "Response",
    "apply_response",
    "build_response",
    "check_response",
    "current_poll_id",
    "dump_poll",
    "dump_response",
    "export_polls",
    "export_polls_and_mail",
    "load_poll",
    "load_response",
    "make_polls",
    "on_grid",
    "poll_filename",
    "poll_from_scenario",
    "poll_message",
    "poll_token",
    "response_filename",
    "snap_to_grid",
    "write_response",
]
