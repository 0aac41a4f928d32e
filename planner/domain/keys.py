"""A cheap first look for a flood of unknown keys, before pydantic sees the document.

Pydantic reports every unknown key of an ``extra="forbid"`` model, and turning a million of
them into errors takes minutes and gigabytes. Walking the raw document against the models'
field names finds them in a fraction of a second; when there are more than
:data:`FLOOD` of them the file is refused at once, with the first
:data:`~planner.domain.errors.MAX_SHOWN` named and the rest counted. Fewer go on to
pydantic, which reports them together with every other fault.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from planner.domain.errors import MAX_SHOWN, InputError, Problem

FLOOD = 1_000
"""Unknown keys above which a document is refused before full validation."""


def check_unknown_keys(model: type[BaseModel], data: Mapping[str, Any], source: str) -> None:
    """Raise :class:`InputError` when ``data`` holds more than :data:`FLOOD` unknown keys."""
    found: list[Problem] = []
    total = 0
    for location in _unknown(model, data, ()):
        total += 1
        if len(found) < MAX_SHOWN:
            found.append(Problem(source, ".".join(location), "unknown key"))
    if total > FLOOD:
        raise InputError(found, omitted=total - len(found))


def _unknown(
    model: type[BaseModel], data: Mapping[str, Any], path: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    names: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        names[name] = field.annotation
        if field.alias:
            names[field.alias] = field.annotation
    for key, value in data.items():
        if key not in names:
            yield (*path, _printable(key))
        else:
            yield from _inside(names[key], value, (*path, str(key)))


def _inside(annotation: Any, value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Unknown keys inside ``value``, read as ``annotation`` (models, lists, dicts of them)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, Mapping):
            yield from _unknown(annotation, value, path)
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == 1:  # Optional[Model]: a union of several models is pydantic's job
            yield from _inside(models[0], value, path)
    elif origin is list and args and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _inside(args[0], item, (*path, str(index)))
    elif origin is dict and len(args) == 2 and isinstance(value, Mapping):
        for key, item in value.items():
            yield from _inside(args[1], item, (*path, _printable(key)))
    elif origin is typing.Annotated and args:
        yield from _inside(args[0], value, path)


def _printable(part: Any) -> str:
    """A key as one safe line (a key may hold a line break or a control code)."""
    text = str(part)
    return repr(text) if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text) else text
