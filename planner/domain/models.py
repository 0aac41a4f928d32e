"""The scenario: every concept of SPEC §2 as strict pydantic models.

A scenario is what an organiser writes (TOML or JSON) and what the workspace stores. Models
are strict at the edge (``extra="forbid"``, a description on every field) and validate the
rules across records in :class:`Scenario` (ids unique, references exist, ranges ordered).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, get_args, get_origin

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from planner.domain.text import line_fault, text_fault
from planner.domain.timeutil import WEEKDAYS, parse_clock_range, zone

# --------------------------------------------------------------------------- scalars

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?")
_TAG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
# Both are used with ``fullmatch``: ``re.match(r"^...$")`` lets a trailing newline through
# (``$`` matches before a final "\n"), and "alice\n" would become an id.


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise PydanticCustomError(
            "slug",
            "{value} is not an id: use lowercase letters, digits, '-' and '_' (at most 64)",
            {"value": repr(value)},
        )
    return value


def _single_line(what: str) -> Callable[[str], str]:
    """The rule of every one-line field (names, departments, locations, links, ...): no
    line or paragraph separator (\\n, \\r, \\v, \\f, U+0085, U+2028, U+2029), no C0 or C1
    control, no DEL, no bidirectional control. Such a character would break .ics lines and
    CSV rows, or smuggle terminal escapes and look-alike text into every place the field
    is shown."""

    def check(value: str) -> str:
        fault = line_fault(value)
        if fault is not None:
            raise PydanticCustomError(
                "control_char", "{fault}; {what} are one line", {"fault": fault, "what": what}
            )
        value = value.strip()
        if not value:
            raise PydanticCustomError("empty", "must not be empty")
        return value

    return check


_one_line = _single_line("names")


def _multi_line(value: str) -> str:
    fault = text_fault(value)
    if fault is not None:
        raise PydanticCustomError(
            "control_char",
            "{fault}; only line breaks and tabs may be in a text",
            {"fault": fault},
        )
    return value.replace("\r\n", "\n").replace("\r", "\n")


@functools.lru_cache(maxsize=16384)
def _normalized_email(value: str) -> str:
    """Remembered: every reload of a 2,000-person workspace checks the same addresses."""
    # Deliverability needs DNS; planner works offline.
    return validate_email(value, check_deliverability=False, test_environment=True).normalized


def _email(value: str, info: ValidationInfo) -> str:
    fault = line_fault(value)
    if fault is not None:
        raise PydanticCustomError("email", "not an email address: it {fault}", {"fault": fault})
    if info.context and info.context.get("stored") and "@" in value:
        return value  # read back from a workspace: checked and normalised when it came in
    try:
        return _normalized_email(value)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email", "not an email address ({reason})", {"reason": str(exc).rstrip(".")}
        ) from None


def _tz(value: str) -> str:
    try:
        zone(value)
    except ValueError as exc:
        raise PydanticCustomError("timezone", str(exc)) from None
    return value


def _clock_range(value: str) -> str:
    fault = line_fault(value)
    if fault is not None:
        raise PydanticCustomError(
            "clock_range",
            "{value} is not a time range like '09:00-17:00' ({fault})",
            {"value": repr(value), "fault": fault},
        )
    try:
        parse_clock_range(value)
    except ValueError as exc:
        raise PydanticCustomError("clock_range", str(exc)) from None
    return value.replace(" ", "")


def _tag(value: str) -> str:
    if line_fault(value) is not None:  # before strip(): it would drop a trailing U+2028
        raise PydanticCustomError(
            "tag", "{value} is not a tag like 'step-free'", {"value": repr(value)}
        )
    value = value.strip().lower()
    if not _TAG.fullmatch(value):
        raise PydanticCustomError(
            "tag", "{value} is not a tag like 'step-free'", {"value": repr(value)}
        )
    return value


Id = Annotated[str, AfterValidator(_slug)]
Name = Annotated[str, Field(max_length=200), AfterValidator(_one_line)]
Text = Annotated[str, Field(max_length=5000), AfterValidator(_multi_line)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
TimeZoneName = Annotated[str, AfterValidator(_tz)]
ClockRange = Annotated[str, AfterValidator(_clock_range)]
Tag = Annotated[str, AfterValidator(_tag)]

LANGUAGES = ("en", "sv", "pl")
"""What people may read: English, Swedish, Polish (the catalogues in planner/locale)."""


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise PydanticCustomError(
            "language",
            "{value} is not one of {known}",
            {"value": repr(value), "known": ", ".join(LANGUAGES)},
        )
    return value


Language = Annotated[str, AfterValidator(_language)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WorkingHours = dict[Weekday, list[ClockRange]]


def _date_or_datetime(value: Any) -> Any:
    """Strings with a time part become datetimes, bare dates stay dates (TOML gives either)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if "T" in text or " " in text:
                return datetime.fromisoformat(text)
            return date.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError(
                "datetime", "{value} is not an ISO date or date-time", {"value": repr(value)}
            ) from None
    return value


YEARS = (1970, 2200)
"""Years a date may fall in. Wider would let year 1 or 9999 through validation and overflow
in time-zone arithmetic later (a typo such as 0227 for 2027, caught here with its place)."""


def _plausible_year(value: date) -> date:
    first, last = YEARS
    if not first <= value.year <= last:
        raise PydanticCustomError(
            "year",
            "{value} is outside the years {first}–{last}",
            {"value": value.isoformat(), "first": first, "last": last},
        )
    return value


DateOrDateTime = Annotated[
    date | datetime, BeforeValidator(_date_or_datetime), AfterValidator(_plausible_year)
]
PlausibleDate = Annotated[date, AfterValidator(_plausible_year)]
Instant = Annotated[AwareDatetime, AfterValidator(_plausible_year)]
"""A date-time with a UTC offset, in :data:`YEARS`."""


def _numeric(annotation: Any) -> bool:
    """Whether a field holds a number and never a switch (``int``, ``float | None``, ...)."""
    kinds: set[Any] = set()
    todo = [annotation]
    while todo:
        t = todo.pop()
        args = get_args(t)
        if args and get_origin(t) is not Literal:
            todo.extend(args)
        else:
            kinds.add(t)
    return bool(kinds & {int, float}) and bool not in kinds


class NumbersAreNumbers(BaseModel):
    """Base of every model read from a user's file: ``true`` is not a number.

    Pydantic's lax mode reads ``capacity = true`` as 1 and ``false`` as 0; a switch
    where a number belongs is a slip of the pen, so it is reported instead.
    """

    @field_validator("*", mode="before")
    @classmethod
    def _no_switch_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _numeric(field.annotation):
                raise PydanticCustomError("int_type", "must be a number, not true or false")
        return value


class Strict(NumbersAreNumbers):
    """Base of every scenario model: unknown keys are errors, values are re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=False)


# --------------------------------------------------------------------------- shapes


class Answer(StrEnum):
    """A person's answer for one activity. Absent means ``no``: activities are opt-in."""

    yes = "yes"
    maybe = "maybe"
    no = "no"


class Category(StrEnum):
    social = "social"
    learning = "learning"
    collaboration = "collaboration"
    wellbeing = "wellbeing"
    celebration = "celebration"
    volunteering = "volunteering"


class Kind(StrEnum):
    event = "event"
    pairing = "pairing"


class Setting(StrEnum):
    indoor = "indoor"
    outdoor = "outdoor"
    virtual = "virtual"


class TimeRange(Strict):
    """``{start, end}``: ISO dates for whole days (``end`` inclusive) or date-times (``end`` exclusive).

    Naive date-times are wall-clock times in the team zone; values with an offset keep it.
    """

    start: DateOrDateTime = Field(description="First day, or the first instant.")
    end: DateOrDateTime = Field(
        description="Last day (inclusive), or the instant it ends (exclusive)."
    )

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if isinstance(self.start, datetime) != isinstance(self.end, datetime):
            raise PydanticCustomError(
                "range_kind", "start and end must both be dates or both be date-times"
            )
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):
            if (self.start.tzinfo is None) != (self.end.tzinfo is None):
                raise PydanticCustomError(
                    "range_offset", "start and end must both have a UTC offset or neither"
                )
            if self.end <= self.start:
                raise PydanticCustomError("range_order", "end must be after start")
        elif self.end < self.start:
            raise PydanticCustomError("range_order", "end date is before start date")
        return self


class Window(Strict):
    """Where something may (or may not) happen: weekdays or one date, plus a clock range."""

    days: list[Weekday] | None = Field(
        default=None, description="Weekdays the window applies to (mon..sun)."
    )
    date: dt.date | None = Field(default=None, description="One date the window applies to.")
    time: ClockRange = Field(
        default="00:00-24:00", description="Clock range 'HH:MM-HH:MM' in the team zone."
    )

    @model_validator(mode="after")
    def _days_or_date(self) -> Self:
        if (self.days is None) == (self.date is None):
            raise PydanticCustomError("window", "give either 'days' or 'date', not both or neither")
        if self.days is not None and not self.days:
            raise PydanticCustomError("window", "'days' must name at least one weekday")
        return self

    def applies_to(self, day: dt.date) -> bool:
        if self.date is not None:
            return day == self.date
        return WEEKDAYS[day.weekday()] in (self.days or [])

    @property
    def minutes(self) -> tuple[int, int]:
        return parse_clock_range(self.time)


def _default_working_hours() -> WorkingHours:
    return {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}  # type: ignore[misc]


# --------------------------------------------------------------------------- records


class Organiser(Strict):
    name: Name = Field(description="The organiser's name, shown as ORGANIZER in invites.")
    email: Email = Field(description="The organiser's email, where RSVP replies go.")


class Horizon(Strict):
    start: PlausibleDate = Field(description="First day of the planning round (team zone).")
    end: PlausibleDate = Field(description="Last day of the planning round, inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise PydanticCustomError("horizon", "horizon ends before it starts")
        if (self.end - self.start).days > 365:
            raise PydanticCustomError("horizon", "horizon is longer than one year")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Team(Strict):
    name: Name = Field(description="The team's name.")
    timezone: TimeZoneName = Field(description="The team's IANA time zone.")
    organiser: Organiser = Field(description="Who plans, invites and receives replies.")
    horizon: Horizon = Field(description="The inclusive date range of this planning round.")
    slot_minutes: Literal[15, 30, 60] = Field(default=30, description="The planning grid.")
    language: Language = Field(
        default="en", description="What the team reads by default: 'en', 'sv' or 'pl'."
    )


class Policy(Strict):
    working_hours: WorkingHours = Field(
        default_factory=_default_working_hours,
        description="Default working hours per weekday, 'HH:MM-HH:MM' in each person's zone.",
    )
    max_events_per_week: int = Field(default=2, ge=0, le=50, description="Events per ISO week.")
    max_minutes_per_week: int | None = Field(
        default=None, ge=0, le=7 * 24 * 60, description="Event minutes per ISO week (none: no cap)."
    )
    max_events_per_day: int = Field(default=1, ge=0, le=20, description="Events per team-zone day.")
    min_notice_hours: float = Field(
        default=0, ge=0, le=24 * 90, description="No event starts sooner than this after 'now'."
    )
    protected: list[Window] = Field(
        default_factory=list, description="Windows with no events (lunch, peak hours, wrap-up)."
    )
    fairness_rounds: int = Field(
        default=3,
        ge=1,
        le=52,
        description="Closed rounds looked back on: opted in, reached in none of them -> first.",
    )
    avoid_repeat_rounds: int = Field(
        default=6,
        ge=0,
        le=520,
        description="Closed rounds whose pairing-group pairs the next pairings avoid.",
    )
    report_min_count: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="The programme report writes a count of people (or pairs) below this as null.",
    )


class Queue(Strict):
    id: Id = Field(description="Unique queue id.")
    name: Name = Field(description="Display name, e.g. 'Billing phone line'.")
    min_on_duty: int = Field(
        ge=0, le=1000, description="Members who must be working and not at an event at any moment."
    )
    service_hours: WorkingHours | None = Field(
        default=None,
        description="When the queue is staffed (team zone); default: the union of its members' hours.",
    )


class Venue(Strict):
    id: Id = Field(description="Unique venue id.")
    name: Name = Field(description="Display name, used as LOCATION.")
    capacity: int = Field(ge=1, le=100_000, description="Most people the venue holds.")
    provides: list[Tag] = Field(default_factory=list, description="Tags such as 'step-free'.")
    busy: list[TimeRange] = Field(default_factory=list, description="When it cannot be used.")


class Person(Strict):
    id: Id = Field(description="Unique person id (slug).")
    name: Name = Field(description="Full name, shown in invites to consenting colleagues only.")
    email: Email = Field(description="Where invites go.")
    department: Name = Field(description="Department, for mixing across departments.")
    queues: list[Id] = Field(default_factory=list, description="Ids of queues the person staffs.")
    timezone: TimeZoneName | None = Field(
        default=None, description="The person's IANA zone (default: the team's)."
    )
    working_hours: WorkingHours | None = Field(
        default=None,
        description="Own working hours per weekday in own zone (default: the policy's).",
    )
    time_off: list[TimeRange] = Field(
        default_factory=list, description="Time off: whole days in own zone, or date-time ranges."
    )
    busy: list[TimeRange] = Field(default_factory=list, description="Busy date-time ranges.")
    calendars: list[str] = Field(
        default_factory=list,
        description="Paths of .ics files (relative to the scenario) whose events become busy blocks.",
    )
    max_events_per_week: int | None = Field(
        default=None, ge=0, le=50, description="Own weekly event cap (0 pauses this round)."
    )
    max_minutes_per_week: int | None = Field(
        default=None, ge=0, le=7 * 24 * 60, description="Own weekly minutes cap (0 pauses)."
    )
    max_events_per_day: int | None = Field(
        default=None, ge=0, le=20, description="Own daily event cap."
    )
    after_hours: bool = Field(
        default=False, description="May be scheduled outside own working hours."
    )
    needs: list[Tag] = Field(
        default_factory=list, description="Tags an activity must provide, e.g. 'step-free'."
    )
    show_in_attendee_lists: bool = Field(
        default=False, description="Consents to being listed in colleagues' invites."
    )
    share_reasons: bool = Field(
        default=False,
        description="Explanations may say 'time_off'/'busy' instead of 'unavailable'.",
    )
    language: Language | None = Field(
        default=None,
        description="What the person reads (poll, invites, mails): 'en', 'sv' or 'pl' "
        "(default: the team's).",
    )

    @field_validator("calendars")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for p in value:
            if not p.strip() or line_fault(p) is not None:
                raise PydanticCustomError("path", "{path} is not a file path", {"path": repr(p)})
        return value


class Activity(Strict):
    id: Id = Field(description="Unique activity id.")
    name: Name = Field(description="Display name, used as SUMMARY.")
    description: Text = Field(default="", description="What happens; goes into the invite.")
    category: Category = Field(description="social, learning, collaboration, wellbeing, ...")
    template: Id | None = Field(
        default=None, description="Catalogue template id that supplied the defaults."
    )
    kind: Kind = Field(default=Kind.event, description="'event' or 'pairing' (small groups).")
    duration_minutes: int = Field(gt=0, le=24 * 60, description="Length of one session.")
    sessions: int = Field(
        default=1,
        ge=1,
        le=500,
        description="How many times it runs (pairing: at most this many groups).",
    )
    min_participants: int = Field(default=2, ge=1, le=100_000, description="Fewest attendees.")
    max_participants: int = Field(default=20, ge=1, le=100_000, description="Most attendees.")
    after_hours: bool = Field(default=False, description="May be placed outside working hours.")
    windows: list[Window] = Field(
        default_factory=list, description="Where sessions may be placed (empty: anywhere)."
    )
    min_departments: int = Field(
        default=1, ge=1, le=1000, description="Each session mixes at least this many departments."
    )
    max_department_share: float = Field(
        default=1.0, gt=0, le=1, description="Largest share of one department in a session."
    )
    provides: list[Tag] = Field(default_factory=list, description="Tags the activity offers.")
    setting: Setting | None = Field(default=None, description="indoor, outdoor or virtual.")
    location: Name | None = Field(default=None, description="Where it happens, if not a venue.")
    virtual: bool = Field(default=False, description="Held online (no venue needed).")
    url: Annotated[str, Field(max_length=2000), AfterValidator(_single_line("links"))] | None = (
        Field(default=None, description="The link for a virtual activity.")
    )
    venues: list[Id] = Field(
        default_factory=list, description="Venues it may use (one per session)."
    )
    required: list[Id] = Field(
        default_factory=list, description="People who attend every session (e.g. a facilitator)."
    )
    must_hold: bool = Field(
        default=False, description="The plan is infeasible unless every session is held."
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_template(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill defaults from the catalogue template named by ``template``."""
        if not isinstance(data, dict) or not isinstance(data.get("template"), str):
            return data
        catalogue = (info.context or {}).get("catalogue")
        if catalogue is None:
            from planner.domain.catalogue import default_catalogue

            catalogue = default_catalogue()
        template = catalogue.get(data["template"])
        if template is None:
            return data  # reported by the field validator below, at activities.N.template
        return {**template.activity_defaults(), **data}

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        catalogue = (info.context or {}).get("catalogue")
        if catalogue is None:
            from planner.domain.catalogue import default_catalogue

            catalogue = default_catalogue()
        if value not in catalogue:
            raise PydanticCustomError(
                "template",
                "unknown template {value} (see the catalogue in activities/)",
                {"value": repr(value)},
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.min_participants > self.max_participants:
            raise PydanticCustomError(
                "participants", "min_participants is larger than max_participants"
            )
        if len(set(self.required)) > self.max_participants:
            raise PydanticCustomError("participants", "more required people than max_participants")
        if self.kind is Kind.pairing and self.max_participants > 8:
            raise PydanticCustomError("pairing", "pairing groups hold at most 8 people")
        return self


class History(Strict):
    pairs: list[tuple[Id, Id]] = Field(
        default_factory=list, description="Person pairs who met in an earlier round."
    )
    missed_out: list[Id] = Field(
        default_factory=list, description="People who opted in last round and got nothing."
    )


Preferences = dict[Id, dict[Id, Answer]]


# --------------------------------------------------------------------------- scenario


class Scenario(Strict):
    """A whole planning round: the file format of ``planner validate`` and ``planner import``."""

    team: Team = Field(description="Team, time zone, organiser, horizon and slot grid.")
    policy: Policy = Field(default_factory=Policy, description="Team-wide limits.")
    queues: list[Queue] = Field(default_factory=list, description="Staffed lines.")
    venues: list[Venue] = Field(default_factory=list, description="Rooms and places.")
    people: list[Person] = Field(default_factory=list, description="Everyone who may take part.")
    activities: list[Activity] = Field(default_factory=list, description="What may be planned.")
    preferences: Preferences = Field(
        default_factory=dict, description="person id -> activity id -> yes / maybe / no."
    )
    history: History = Field(default_factory=History, description="Earlier rounds.")

    # -- lookups -----------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        return next(p for p in self.people if p.id == person_id)

    def activity(self, activity_id: str) -> Activity:
        return next(a for a in self.activities if a.id == activity_id)

    def answer(self, person_id: str, activity_id: str) -> Answer:
        return self.preferences.get(person_id, {}).get(activity_id, Answer.no)

    def with_answer(self, person_id: str, activity_id: str, answer: Answer | None) -> Scenario:
        """A copy with one answer set (``None`` clears it; a person left with no answers
        leaves ``preferences``), as the workspace stores it. Not re-validated: the ids are
        the caller's to check (the workspace already did)."""
        prefs = dict(self.preferences)
        mine = dict(prefs.get(person_id, {}))
        if answer is None:
            mine.pop(activity_id, None)
        else:
            mine[activity_id] = answer
        if mine:
            prefs[person_id] = mine
        else:
            prefs.pop(person_id, None)
        return self.model_copy(update={"preferences": prefs})

    def person_zone_name(self, person: Person) -> str:
        return person.timezone or self.team.timezone

    def person_language(self, person: Person) -> str:
        """The language ``person`` reads: their own, else the team's."""
        return person.language or self.team.language

    def person_hours(self, person: Person) -> WorkingHours:
        return (
            person.working_hours if person.working_hours is not None else self.policy.working_hours
        )

    def weekly_events_cap(self, person: Person) -> int:
        """A person may tighten a team limit, never loosen it: the stricter value applies."""
        return _stricter(self.policy.max_events_per_week, person.max_events_per_week)

    def weekly_minutes_cap(self, person: Person) -> int | None:
        return _stricter_optional(self.policy.max_minutes_per_week, person.max_minutes_per_week)

    def daily_events_cap(self, person: Person) -> int:
        return _stricter(self.policy.max_events_per_day, person.max_events_per_day)

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.team.slot_minutes)

    # -- cross-record rules ----------------------------------------------------------------

    @model_validator(mode="after")
    def _cross_record(self) -> Self:
        errors = reference_errors(self)
        if errors:
            raise CrossRecordErrors(errors)
        self._default_pairing_groups()
        return self

    def _default_pairing_groups(self) -> None:
        """A pairing without ``sessions`` gets enough groups for everyone who opted in.

        The value is derived, not set: it is left out when the scenario is written back, so
        it follows later changes of the answers.
        """
        for a in self.activities:
            if a.kind is Kind.pairing and "sessions" not in a.model_fields_set:
                opted_in = sum(
                    1
                    for answers in self.preferences.values()
                    if answers.get(a.id) in (Answer.yes, Answer.maybe)
                )
                # Bypass validate_assignment so the field stays "unset".
                a.__dict__["sessions"] = max(1, opted_in // a.min_participants)


Location = tuple[str | int, ...]


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """A field of a validated model or of raw data, whichever ``obj`` is."""
    if isinstance(obj, BaseModel):
        return getattr(obj, key, default)
    if isinstance(obj, dict):
        return obj.get(key, default)
    return default


def _list(obj: Any, key: str) -> list[Any]:
    value = _get(obj, key)
    return value if isinstance(value, list) else []


def reference_errors(scenario: Any) -> list[tuple[Location, str]]:
    """Rules across records: unique ids, references that exist, durations on the grid.

    Works on a validated :class:`Scenario` and, tolerantly, on raw file data — so that
    ``planner validate`` can report these faults together with field errors.
    """
    errors: list[tuple[Location, str]] = []

    def ids(kind: str) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(_list(scenario, kind)):
            item_id = _get(item, "id")
            if not isinstance(item_id, str):
                continue
            if item_id in seen:
                errors.append(((kind, i, "id"), f"duplicate id {item_id!r}"))
            seen.add(item_id)
        return seen

    def refs(kind: str, i: int, item: Any, field: str, known: set[str], noun: str) -> None:
        for j, ref in enumerate(_list(item, field)):
            if isinstance(ref, str) and ref not in known:
                errors.append(((kind, i, field, j), f"unknown {noun} {ref!r}"))

    queue_ids, venue_ids = ids("queues"), ids("venues")
    person_ids, activity_ids = ids("people"), ids("activities")
    emails: set[str] = set()
    for i, p in enumerate(_list(scenario, "people")):
        email = _get(p, "email")
        if isinstance(email, str):
            if email.lower() in emails:
                errors.append((("people", i, "email"), f"email {email!r} is used twice"))
            emails.add(email.lower())
        refs("people", i, p, "queues", queue_ids, "queue")
    slot = _get(_get(scenario, "team"), "slot_minutes", 30)
    capacity = {
        _get(v, "id"): _get(v, "capacity")
        for v in _list(scenario, "venues")
        if isinstance(_get(v, "capacity"), int)
    }
    for i, a in enumerate(_list(scenario, "activities")):
        duration = _get(a, "duration_minutes")
        if isinstance(duration, int) and isinstance(slot, int) and slot > 0 and duration % slot:
            errors.append(
                (
                    ("activities", i, "duration_minutes"),
                    f"{duration} minutes is not a multiple of the {slot}-minute slot",
                )
            )
        refs("activities", i, a, "venues", venue_ids, "venue")
        refs("activities", i, a, "required", person_ids, "person")
        listed = [v for v in _list(a, "venues") if v in capacity]
        least = _get(a, "min_participants", 2)
        if listed and isinstance(least, int) and all(capacity[v] < least for v in listed):
            errors.append(
                (("activities", i, "venues"), "no listed venue holds min_participants people")
            )
    prefs = _get(scenario, "preferences")
    for pid, answers in prefs.items() if isinstance(prefs, dict) else []:
        # A key that is not an id is reported as such by its field; its raw text (a line
        # break, say) must not become part of a location here.
        if not (isinstance(pid, str) and _SLUG.fullmatch(pid)):
            continue
        if pid not in person_ids:
            errors.append((("preferences", pid), f"unknown person {pid!r}"))
        for aid in answers if isinstance(answers, dict) else []:
            if not (isinstance(aid, str) and _SLUG.fullmatch(aid)):
                continue
            if aid not in activity_ids:
                errors.append((("preferences", pid, aid), f"unknown activity {aid!r}"))
    history = _get(scenario, "history")
    for i, pair in enumerate(_list(history, "pairs")):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        for j, pid in enumerate(pair):
            if isinstance(pid, str) and pid not in person_ids:
                errors.append((("history", "pairs", i, j), f"unknown person {pid!r}"))
        if pair[0] == pair[1]:
            errors.append((("history", "pairs", i), "a pair needs two different people"))
    for i, pid in enumerate(_list(history, "missed_out")):
        if isinstance(pid, str) and pid not in person_ids:
            errors.append((("history", "missed_out", i), f"unknown person {pid!r}"))
    return errors


def _stricter(team: int, own: int | None) -> int:
    return team if own is None else min(team, own)


def _stricter_optional(team: int | None, own: int | None) -> int | None:
    values = [v for v in (team, own) if v is not None]
    return min(values) if values else None


class CrossRecordErrors(ValueError):
    """Several faults across records, each with its own location (rendered by ``io``)."""

    def __init__(self, errors: list[tuple[Location, str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))
        self.errors = errors
