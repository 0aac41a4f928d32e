"""A cheap first look for a flood of unknown keys, before pydantic sees the document.

Pydantic reports every unknown key of an ``extra="forbid"`` model, and turning a million of
them into errors takes minutes and gigabytes. Walking the raw document against the models'
field names finds them in a fraction of a second; when there are more than
:data:`FLOOD` of them the file is refused at once, with the first
:data:`~planner.domain.errors.MAX_SHOWN` named and the rest counted. Fewer go on to
pydantic, which reports them together with every other fault.
"""

from __future__ import annotations

import functools
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
    names = _fields(model)
    for key, value in data.items():
        if key not in names:
            yield (*path, _printable(key))
        else:
            shape = names[key]
            if shape is not None:
                yield from _inside(shape, value, (*path, str(key)))


# What a field's value may hold that has keys to check: a model, or a list or dict whose
# items (at any depth) are models. ``None``: nothing to look at (strings, answers, times…),
# so a 2,000 × 40 preferences table is skipped, not walked cell by cell.
_Shape = tuple[str, Any]


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, _Shape | None]:
    names: dict[str, _Shape | None] = {}
    for name, field in model.model_fields.items():
        names[name] = _shape_of(field.annotation)
        if field.alias:
            names[field.alias] = names[name]
    return names


def _shape_of(annotation: Any) -> _Shape | None:
    try:
        return _cached_shape(annotation)
    except TypeError:  # an unhashable annotation (metadata objects): work it out each time
        return _compute_shape(annotation)


@functools.cache
def _cached_shape(annotation: Any) -> _Shape | None:
    return _compute_shape(annotation)


def _compute_shape(annotation: Any) -> _Shape | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("model", annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        # Optional[Model]: a union of several models is pydantic's job
        return ("model", models[0]) if len(models) == 1 else None
    if origin is list and args:
        item = _shape_of(args[0])
        return ("list", item) if item is not None else None
    if origin is dict and len(args) == 2:
        item = _shape_of(args[1])
        return ("dict", item) if item is not None else None
    if origin is typing.Annotated and args:
        return _shape_of(args[0])
    return None


def _inside(shape: _Shape, value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Unknown keys inside ``value``, read as ``shape`` (models, lists, dicts of them)."""
    kind, inner = shape
    if kind == "model":
        if isinstance(value, Mapping):
            yield from _unknown(inner, value, path)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _inside(inner, item, (*path, str(index)))
    elif kind == "dict" and isinstance(value, Mapping):
        for key, item in value.items():
            yield from _inside(inner, item, (*path, _printable(key)))


def _printable(part: Any) -> str:
    """A key as one safe line (a key may hold a line break or a control code)."""
    text = str(part)
    return repr(text) if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text) else text
