"""Reading and writing scenario files (TOML or JSON, one schema) with precise errors.

Every fault is reported at once where the format allows, each as
``file: location: message`` — a dotted path such as ``people.3 (dana).email`` (the index
finds the record, the id names it; see :func:`places`), or ``line L, column C`` for a
syntax error.
"""

from __future__ import annotations

import contextlib
import json
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from planner.domain.catalogue import Catalogue, default_catalogue
from planner.domain.errors import InputError, Problem
from planner.domain.keys import check_unknown_keys
from planner.domain.models import Activity, CrossRecordErrors, Scenario, reference_errors

MAX_INPUT_BYTES = 50 * 1024 * 1024
"""Largest scenario, roster, poll or response file read (refused by size before parsing)."""

_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "tuple", "date", "datetime", "[key]"}
_MESSAGES = {
    "Extra inputs are not permitted": "unknown key",
    "Field required": "missing",
}


def read_bytes(path: Path, source: str | None = None, max_bytes: int | None = None) -> bytes:
    """Read a user file, refusing a missing, non-regular, oversized or unreadable one.

    The size is checked before reading and again while reading (at most ``max_bytes + 1``
    bytes are read), so neither a huge file nor a device such as ``/dev/zero`` (which
    reports size 0) is read without limit; anything but a regular file is refused.
    """
    source = source or str(path)
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    reason = ""
    data = b""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            reason = "is a directory, not a file"
        elif not stat.S_ISREG(info.st_mode):
            reason = "not a regular file"
        elif info.st_size > limit:
            reason = f"file is {info.st_size:,} bytes; the limit is {limit:,} bytes"
        else:
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
            if len(data) > limit:
                reason = f"file is larger than the limit of {limit:,} bytes"
    except FileNotFoundError:
        reason = "no such file"
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or type(exc).__name__}"
    if reason:
        raise InputError.single(source, reason)
    return data


def decode_text(data: bytes, source: str, *, utf16: bool = True, hint: str = "") -> str:
    """Decode a user file: UTF-8 (a BOM is skipped) or, with ``utf16``, UTF-16 with a BOM.

    The one decoder for every file planner reads. Nothing is guessed beyond that: a file in
    another charset is refused with the line and byte of the first bad byte (``hint`` is
    added to say how to convert it), as is a file holding only white space.
    ``utf16=False`` is for TOML and JSON, which their specifications define as UTF-8.
    """
    text: str | None = None
    position = -1
    if utf16 and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode("utf-16")
        if text is None:
            raise InputError.single(source, "not valid UTF-16 text despite its byte-order mark")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            position = exc.start
    if text is None:
        # Raised outside the except block: the codec's message quotes the bad bytes.
        line = data.count(b"\n", 0, position) + 1
        raise InputError.single(source, f"not UTF-8 text{hint}", f"line {line}, byte {position}")
    if not text.strip():
        raise InputError.single(source, "file is empty")
    return text


def read_text(
    path: Path,
    source: str | None = None,
    max_bytes: int | None = None,
    *,
    utf16: bool = False,
    hint: str = "",
) -> str:
    """Read a user file as text with :func:`decode_text`; empty files are refused.

    UTF-8 only by default (scenario, response, poll and schedule files are TOML or JSON);
    ``utf16=True`` also accepts UTF-16 with a BOM, for files other tools write.
    """
    source = source or str(path)
    return decode_text(read_bytes(path, source, max_bytes), source, utf16=utf16, hint=hint)


def parse_document(text: str, source: str, fmt: str) -> dict[str, Any]:
    """Parse TOML or JSON text into a dict, turning syntax errors into :class:`InputError`."""
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(
            source, f"not valid JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        location = f"line {m.group(1)}, column {m.group(2)}" if m else ""
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise InputError.single(source, f"not valid TOML: {message}", location) from None
    except RecursionError:
        raise InputError.single(source, "nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError.single(source, "the top level must be a table/object")
    return data


def format_of(path: Path) -> str:
    return "json" if path.suffix.lower() == ".json" else "toml"


def validation_problems(source: str, exc: ValidationError, data: Any = None) -> list[Problem]:
    """Render a pydantic error as problems with dotted locations.

    ``data`` is what was validated: with it, a record in a list is named by its id too
    (``people.1 (bob).email``), see :func:`places`."""
    return located(source, validation_faults(exc), data)


Fault = tuple[tuple[str | int, ...], str]
"""Where in the document (keys and list indexes) and what is wrong."""


def validation_faults(exc: ValidationError) -> list[Fault]:
    """A pydantic error as (path, message) pairs, the path without pydantic's type tags."""
    faults: list[Fault] = []
    for err in exc.errors():
        original = (err.get("ctx") or {}).get("error")
        base = tuple(p for p in err["loc"] if not _is_type_tag(p))
        if isinstance(original, CrossRecordErrors):
            faults.extend(((*base, *loc), msg) for loc, msg in original.errors)
            continue
        message = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        message = _MESSAGES.get(message, message)
        if err["type"] == "literal_error" and "input" in err:
            message = f"{err['input']!r} is not allowed; {message[0].lower()}{message[1:]}"
        faults.append((base, message))
    return faults


_SHOWN_ID = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?(?:#g?[0-9]{1,6})?")
"""An id worth naming a record by: a slug, or a session id (``lunch#2``, ``coffee#g3``).
Anything else is itself at fault (and reported at ``.id``) or not an id to quote."""


def located(source: str, faults: Sequence[Fault], data: Any = None) -> list[Problem]:
    """Faults in ``data`` as problems, each at its :func:`places` location."""
    where = places([path for path, _ in faults], data)
    return [Problem(source, w, m) for w, (_, m) in zip(where, faults, strict=True)]


def places(paths: Sequence[Sequence[str | int]], data: Any = None) -> list[str]:
    """The dotted location of each path, a record in a list named by its id where it has one.

    ``people.1.email`` becomes ``people.1 (bob).email``: the index finds the line, the id
    says whose it is. A record whose id is missing, not an id, or itself one of the faults
    in ``paths`` (``people.2.id: duplicate id 'ann'``) keeps the index alone. The one place
    every error location of a scenario, poll, response or schedule is built.
    """
    faulty_ids = {
        tuple(path[:i])
        for path in paths
        for i, part in enumerate(path)
        if part == "id" and i > 0 and isinstance(path[i - 1], int)
    }
    return [_place(path, data, faulty_ids) for path in paths]


def _place(path: Sequence[str | int], data: Any, faulty_ids: set[tuple[str | int, ...]]) -> str:
    parts: list[str] = []
    node = data
    for i, part in enumerate(path):
        text = _printable(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            record_id = node.get("id") if isinstance(node, dict) else None
            if (
                isinstance(record_id, str)
                and _SHOWN_ID.fullmatch(record_id)
                and tuple(path[: i + 1]) not in faulty_ids
            ):
                text = f"{text} ({_printable(record_id)})"
        else:
            node = None
        parts.append(text)
    return ".".join(parts)


def _printable(part: Any) -> str:
    """A location part as one safe line (a key may hold a line break or a control code)."""
    text = str(part)
    return repr(text) if any(ord(c) < 32 or ord(c) == 127 for c in text) else text


def _is_type_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part in _TYPE_TAGS)


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and where it came from (calendars resolve against ``base_dir``)."""

    scenario: Scenario
    source: str
    base_dir: Path

    def calendar_paths(self) -> dict[str, list[Path]]:
        return {
            p.id: [(self.base_dir / c).resolve() for c in p.calendars]
            for p in self.scenario.people
            if p.calendars
        }


def validate_scenario(
    data: Mapping[str, Any], source: str, catalogue: Catalogue | None = None
) -> Scenario:
    check_unknown_keys(Scenario, data, source)  # a flood of typos is refused in a moment
    try:
        return Scenario.model_validate(
            data, context={"catalogue": catalogue or default_catalogue()}
        )
    except ValidationError as exc:
        faults = validation_faults(exc)
        # Field errors stop pydantic before the rules across records run: check those on the
        # raw data too, so one run of `planner validate` reports every problem.
        if isinstance(data, dict) and not any(_is_cross(e) for e in exc.errors()):
            seen = {path for path, _ in faults}
            faults.extend((p, m) for p, m in reference_errors(data) if tuple(p) not in seen)
        raise InputError(_without_follow_ons(located(source, faults, data))) from None


def _without_follow_ons(problems: list[Problem]) -> list[Problem]:
    """An unknown template fills no defaults: its record's "missing" fields are that one
    mistake, not more (``activities.0.template: unknown template`` alone)."""
    unknown = {
        p.location.rsplit(".", 1)[0]
        for p in problems
        if p.location.endswith(".template") and p.message.startswith("unknown template")
    }
    return [
        p
        for p in problems
        if not (p.message == "missing" and p.location.rsplit(".", 1)[0] in unknown)
    ]


def _is_cross(error: Any) -> bool:
    return isinstance((error.get("ctx") or {}).get("error"), CrossRecordErrors)


def load_scenario(path: Path, catalogue: Catalogue | None = None) -> LoadedScenario:
    """Read, parse and validate a scenario file, including that its calendars are readable."""
    source = str(path)
    data = parse_document(read_text(path, source), source, format_of(path))
    scenario = validate_scenario(data, source, catalogue)
    base_dir = path.resolve().parent
    faults: list[Fault] = []
    for i, person in enumerate(scenario.people):
        for j, rel in enumerate(person.calendars):
            target = base_dir / rel
            place = ("people", i, "calendars", j)
            if not target.is_file():
                faults.append((place, f"calendar file {rel!r} not found"))
            elif not _readable(target):
                faults.append((place, f"calendar file {rel!r} is not readable"))
    if faults:
        raise InputError(located(source, faults, data))
    return LoadedScenario(scenario, source, base_dir)


def _readable(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError:
        return False
    return True


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data, omitting defaults so a written file stays readable."""
    data: dict[str, Any] = scenario.model_dump(mode="json", exclude_defaults=True)
    data["team"] = scenario.team.model_dump(mode="json")
    if data["team"].get("language") == "en":
        del data["team"]["language"]  # the default: English scenarios stay as they were
    # Activities are written in full: a value equal to the model default may differ from the
    # template's, and dropping it would let the template win on re-import.
    if scenario.activities:
        data["activities"] = [record_document(a) for a in scenario.activities]
    return data


def record_document(record: BaseModel) -> dict[str, Any]:
    """One record as written to files and the workspace; derived values are left out."""
    data: dict[str, Any] = record.model_dump(mode="json", exclude_none=True)
    if isinstance(record, Activity) and "sessions" not in record.model_fields_set:
        data.pop("sessions", None)
    return data


def dump_scenario(scenario: Scenario, fmt: str) -> str:
    data = scenario_document(scenario)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return tomli_w.dumps(toml_ready(data))


def toml_ready(value: Any) -> Any:
    """TOML has no null: drop ``None`` values (they are defaults anyway)."""
    if isinstance(value, dict):
        return {k: toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [toml_ready(v) for v in value]
    return value


def render_problems(problems: Iterable[Problem]) -> str:
    return "\n".join(p.render() for p in problems)
