"""The participant's side of a round: the poll that goes out and the response that comes back.

Core module (no Textual): the organiser exports a :class:`Poll`, a participant answers it
with ``planner respond`` (a small TUI on top of this module) and sends back a
:class:`Response`, which ``planner import`` applies to the workspace.

Privacy decisions (SPEC §2, invariants 4-6):

* The poll names the team, the organiser and the facilitators (``required`` people) of the
  activities — nobody else. It does **not** list the team's person ids: ids are slugs of
  names, so such a list would tell every participant who else is on the team. The
  participant types their own id (the organiser tells each person theirs with the poll);
  the organiser's import refuses ids that are not in the workspace. Authenticity comes from
  the channel the file arrives through (the organiser knows who mailed it), not from a token
  inside the poll — a per-person token would need a second, per-person file anyway.
* A response carries answers, the person's own limits and busy blocks **on the slot grid
  only**: each block of the person's calendar is rounded outwards to slot boundaries (team
  zone), merged and clipped to the horizon before it is written, so titles, exact times and
  anything outside the round never leave the participant's machine.
* Poll and response files are written owner-only (:func:`planner.service.write_private`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from planner import service
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
from planner.store.workspace import Workspace

MAX_BUSY_BLOCKS = 5000
"""More merged slot-grid blocks than this in one response is not a calendar but an attack."""

_META_POLL_ID = "poll_id"
_META_POLL_HORIZON = "poll_horizon"


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
    """``[poll]`` in a poll file: what the organiser asks, and nothing about colleagues."""

    version: Literal[1] = Field(default=1, description="File format version.")
    id: uuid.UUID = Field(description="This round's poll id; a response must carry it.")
    team: Name = Field(description="The team's name.")
    organiser: Organiser = Field(description="Who asks, and where the response goes.")
    timezone: TimeZoneName = Field(description="The team zone; the grid is counted in it.")
    horizon: Horizon = Field(description="The days of this round.")
    slot_minutes: Literal[15, 30, 60] = Field(description="The planning grid.")
    policy: PollPolicy = Field(description="Team limits.")
    activities: list[PollActivity] = Field(description="What may be planned.")

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

    version: Literal[1] = Field(default=1, description="File format version.")
    poll: uuid.UUID = Field(description="The id of the poll this answers.")
    person: Id = Field(description="The participant's own person id.")
    answers: dict[Id, Answer] = Field(
        default_factory=dict, description="activity id -> yes / maybe / no (absent: no answer)."
    )
    limits: Limits = Field(default_factory=Limits, description="Own limits.")
    busy: Annotated[list[BusySlot], Field(max_length=MAX_BUSY_BLOCKS)] = Field(
        default_factory=list, description="Busy blocks on the slot grid, UTC."
    )


# ---------------------------------------------------------------------- organiser: export


def poll_from_scenario(scenario: Scenario, poll_id: uuid.UUID) -> Poll:
    """The poll for ``scenario``: activities and team limits, and no one's data but the
    organiser's and the facilitators' names."""
    names = {p.id: p.name for p in scenario.people}
    activities = [
        PollActivity(
            id=a.id,
            name=a.name,
            description=a.description,
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
    )


def current_poll_id(ws: Workspace) -> str | None:
    """The id of the poll this workspace sent out for its current round, if any."""
    return ws.meta(_META_POLL_ID)


def _round_poll_id(ws: Workspace, scenario: Scenario) -> uuid.UUID:
    """One poll id per round: re-exporting (say, after adding an activity) keeps it, so
    responses to the first file still import; a new horizon starts a new round."""
    horizon = f"{scenario.team.horizon.start}..{scenario.team.horizon.end}"
    existing = ws.meta(_META_POLL_ID)
    if existing and ws.meta(_META_POLL_HORIZON) == horizon:
        return uuid.UUID(existing)
    poll_id = uuid.uuid4()
    ws.set_meta({_META_POLL_ID: str(poll_id), _META_POLL_HORIZON: horizon})
    return poll_id


def export_poll(ws: Workspace, out: Path) -> Path:
    """Write the poll for the workspace's current round to ``out`` (owner-only)."""
    scenario = ws.load_scenario()
    poll = poll_from_scenario(scenario, _round_poll_id(ws, scenario))
    return service.write_private(out, dump_poll(poll))


def dump_poll(poll: Poll) -> str:
    header = (
        f"# Poll from {poll.organiser.name} for {poll.team}.\n"
        "# Answer it with:  planner respond THIS-FILE --as YOUR-ID\n"
        "# It contains no information about your colleagues.\n\n"
    )
    return header + tomli_w.dumps({"poll": toml_ready(poll.model_dump(mode="json"))})


# ---------------------------------------------------------------------- reading files


def _load_table(path: Path, key: str, model: type[BaseModel]) -> Any:
    source = str(path)
    data = parse_document(read_text(path, source), source, format_of(path))
    if set(data) != {key}:
        other = sorted(set(data) - {key})
        if key not in data:
            raise InputError.single(source, f"not a {key} file (no [{key}] table)")
        raise InputError.single(source, f"unknown top-level key {other[0]!r}", other[0])
    try:
        return model.model_validate(data[key])
    except ValidationError as exc:
        raise InputError(
            [
                Problem(p.source, f"{key}.{p.location}" if p.location else key, p.message)
                for p in validation_problems(source, exc)
            ]
        ) from None


def load_poll(path: Path) -> Poll:
    """Read and validate a poll file; every fault as ``file: place: reason``."""
    poll: Poll = _load_table(path, "poll", Poll)
    return poll


def load_response(path: Path) -> Response:
    """Read and validate a response file; every fault as ``file: place: reason``."""
    response: Response = _load_table(path, "response", Response)
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
    person_id: str,
    answers: Mapping[str, Answer | str | None],
    limits: Limits,
    busy_blocks: Iterable[Interval],
) -> Response:
    """The response exactly as it will be written: blocks snapped to the grid and clipped.

    Raises :class:`InputError` for an id that is not a slug or an answer for an activity
    the poll does not ask about.
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
            person=person_id,
            answers=clean,
            limits=limits,
            busy=[BusySlot(start=s, end=e) for s, e in busy],
        )
    except ValidationError as exc:
        raise InputError(validation_problems("response", exc)) from None


def response_filename(person_id: str) -> str:
    return f"response-{person_id}.toml"


def dump_response(response: Response) -> str:
    data = toml_ready(response.model_dump(mode="json"))
    data["busy"] = [
        {"start": b.start.astimezone(UTC), "end": b.end.astimezone(UTC)} for b in response.busy
    ]
    header = (
        "# Your answer to the poll. It holds your answers, your own limits and when you are\n"
        "# busy, in whole slots of the planning grid: no titles, no other calendar details.\n\n"
    )
    return header + tomli_w.dumps({"response": data})


def write_response(response: Response, directory: Path) -> Path:
    """Write ``response-<id>.toml`` into ``directory``, readable by its owner only."""
    return service.write_private(
        directory / response_filename(response.person), dump_response(response)
    )


# ---------------------------------------------------------------------- organiser: import


def check_response(ws: Workspace, scenario: Scenario, response: Response, source: str) -> None:
    """Everything that makes a valid file unusable for this workspace, all at once."""
    problems: list[Problem] = []
    expected = current_poll_id(ws)
    if expected is None:
        problems.append(
            Problem(source, "response.poll", "this workspace has not sent out a poll yet")
        )
    elif str(response.poll) != expected:
        problems.append(
            Problem(
                source, "response.poll", "answers another poll than this workspace's current one"
            )
        )
    if response.person not in {p.id for p in scenario.people}:
        problems.append(Problem(source, "response.person", f"unknown person {response.person!r}"))
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
    """Validate the response completely; the returned function applies it."""
    source = str(path)
    response = load_response(path)
    scenario = ws.load_scenario()
    check_response(ws, scenario, response, source)
    apply_response(scenario, response)  # raises InputError if the result would be invalid
    blocks: list[Interval] = [(b.start, b.end) for b in response.busy]

    def apply() -> str:
        # Re-applied to the current state: several responses in one import build on each other.
        current = ws.load_scenario()
        new, skipped = apply_response(current, response)
        ws.save_scenario(
            new,
            None,
            label=f"import response {response.person}",
            busy_updates={(response.person, "response"): blocks},
        )
        note = f" ({skipped} answers for removed activities skipped)" if skipped else ""
        return (
            f"{path}: imported the response of {response.person}: "
            f"{len(response.answers) - skipped} answers, {len(blocks)} busy blocks{note}"
        )

    return apply


service.IMPORTERS["response"] = _import_response


__all__ = [
    "BusySlot",
    "Limits",
    "Poll",
    "PollActivity",
    "PollPolicy",
    "Response",
    "apply_response",
    "build_response",
    "check_response",
    "current_poll_id",
    "dump_poll",
    "dump_response",
    "export_poll",
    "load_poll",
    "load_response",
    "on_grid",
    "poll_from_scenario",
    "response_filename",
    "snap_to_grid",
    "write_response",
]
