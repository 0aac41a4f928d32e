"""The activity catalogue: templates in ``activities/*.toml`` that scenarios refer to.

The catalogue ships inside the package (as ``planner._activities`` in a wheel) and is read
from the source tree's ``activities/`` during development.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Self

from pydantic import ConfigDict, Field, ValidationError, model_validator

from planner.domain.errors import InputError, Problem
from planner.domain.models import (
    Category,
    Id,
    Kind,
    Name,
    NumbersAreNumbers,
    Setting,
    Tag,
    Text,
    Window,
)


class TemplateTexts(NumbersAreNumbers):
    """A template's texts in one more language: ``[sv]`` / ``[pl]`` in its TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name = Field(description="Display name in this language.")
    description: Text = Field(description="What happens, in this language.")
    inclusive_note: Text = Field(description="How everyone can take part, in this language.")


class ActivityTemplate(NumbersAreNumbers):
    """A ready-made activity an organiser can add with ``template = "id"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id = Field(description="Template id; the file is activities/<id>.toml.")
    name: Name = Field(description="Display name.")
    description: Text = Field(description="What happens, for the invite.")
    category: Category = Field(description="social, learning, collaboration, ...")
    kind: Kind = Field(default=Kind.event, description="'event' or 'pairing'.")
    duration_minutes: int = Field(gt=0, le=24 * 60, description="Default session length.")
    min_participants: int = Field(ge=1, description="Default fewest attendees.")
    max_participants: int = Field(ge=1, description="Default most attendees.")
    setting: Setting = Field(description="indoor, outdoor or virtual.")
    provides: list[Tag] = Field(default_factory=list, description="Tags it offers.")
    after_hours: bool = Field(default=False, description="Usually held outside working hours.")
    min_departments: int = Field(default=1, ge=1, description="Default department mix.")
    windows: list[Window] = Field(
        default_factory=list, description="Default placement windows (e.g. lunch time)."
    )
    inclusive_note: Text = Field(description="How to run it so that everyone can take part.")
    sv: TemplateTexts | None = Field(default=None, description="Swedish name and texts.")
    pl: TemplateTexts | None = Field(default=None, description="Polish name and texts.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.min_participants > self.max_participants:
            raise ValueError("min_participants is larger than max_participants")
        if self.kind is Kind.pairing and self.max_participants > 8:
            raise ValueError("pairing groups hold at most 8 people")
        return self

    def texts(self, lang: str) -> TemplateTexts:
        """Name, description and note in ``lang``; English where it has none."""
        own = getattr(self, lang, None) if lang in TRANSLATED else None
        if isinstance(own, TemplateTexts):
            return own
        return TemplateTexts(
            name=self.name, description=self.description, inclusive_note=self.inclusive_note
        )

    def full_description(self, lang: str = "en") -> str:
        """The description an activity inherits: what happens, then the inclusive note."""
        texts = self.texts(lang)
        if texts.inclusive_note:
            return f"{texts.description.rstrip()}\n\n{texts.inclusive_note.strip()}"
        return texts.description

    def activity_defaults(self) -> dict[str, Any]:
        """The fields a scenario activity inherits (the scenario's own values win)."""
        defaults: dict[str, Any] = self.model_dump(
            include={
                "name",
                "description",
                "category",
                "kind",
                "duration_minutes",
                "min_participants",
                "max_participants",
                "setting",
                "provides",
                "after_hours",
                "min_departments",
                "windows",
            },
            mode="json",
        )
        if not self.windows:
            defaults.pop("windows", None)
        defaults["description"] = self.full_description()
        if self.setting is Setting.virtual:
            defaults["virtual"] = True
        return defaults


TRANSLATED = ("sv", "pl")
"""The languages besides English a template carries texts in (``[sv]``, ``[pl]``)."""


class Catalogue(Mapping[str, ActivityTemplate]):
    """Templates by id."""

    def __init__(self, templates: dict[str, ActivityTemplate]) -> None:
        self._templates = dict(sorted(templates.items()))

    def __getitem__(self, key: str) -> ActivityTemplate:
        return self._templates[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._templates)

    def __len__(self) -> int:
        return len(self._templates)


def _catalogue_dir() -> Traversable:
    source_tree = Path(__file__).resolve().parents[2] / "activities"
    if source_tree.is_dir():
        return source_tree
    return resources.files("planner._activities")


def load_catalogue(directory: Traversable | Path | None = None) -> Catalogue:
    """Read and validate every ``*.toml`` template; raise :class:`InputError` listing all faults."""
    root = directory if directory is not None else _catalogue_dir()
    prefix = "activities" if directory is None else str(directory)
    templates: dict[str, ActivityTemplate] = {}
    problems: list[Problem] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        source = f"{prefix}/{entry.name}"
        from planner.domain.io import parse_document  # io imports this module

        try:
            data = parse_document(entry.read_text(encoding="utf-8"), source, "toml")
            template = ActivityTemplate.model_validate(data)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        except ValidationError as exc:
            from planner.domain.io import validation_problems  # io imports this module

            problems.extend(validation_problems(source, exc))
            continue
        if entry.name != f"{template.id}.toml":
            problems.append(
                Problem(source, "id", f"id {template.id!r} does not match the file name")
            )
        templates[template.id] = template
    if problems:
        raise InputError(problems)
    return Catalogue(templates)


@cache
def default_catalogue() -> Catalogue:
    return load_catalogue()


def activity_texts(name: str, description: str, template: str | None, lang: str) -> tuple[str, str]:
    """An activity's name and description for a reader of ``lang``.

    Texts an activity took over unchanged from its catalogue template are shown in the
    reader's language (falling back to English); texts the organiser wrote stay as written.
    """
    if lang == "en" or template is None:
        return name, description
    try:
        found = default_catalogue().get(template)
    except InputError:  # a broken catalogue is reported by validate, not here
        return name, description
    if found is None:
        return name, description
    if name == found.name:
        name = found.texts(lang).name
    if description == found.full_description():
        description = found.full_description(lang)
    return name, description
