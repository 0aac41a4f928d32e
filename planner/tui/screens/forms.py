"""Edit forms: a person form with errors next to each field, and a TOML editor for the
records with many fields (activities, queues, venues, team, policy).

Forms only validate the record itself (the pydantic model, the same one the core uses);
rules across records (a queue must exist, an email must be unique) are the workspace's,
and its :class:`InputError` comes back through ``errors`` when the app re-opens the form.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any, ClassVar

import tomli_w
from pydantic import BaseModel, ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static, TextArea

from planner.domain.io import validation_problems
from planner.domain.models import Person
from planner.tui.text import literal, notify
from planner.tui.widgets.tick import Tick

SAVE = Binding(
    "ctrl+s", "save", "Save", tooltip="Validate and save to the workspace.", id="form-save"
)
CANCEL = Binding("escape", "cancel", "Cancel", tooltip="Close without saving.", id="form-cancel")

# field name, label, kind ("text", "list", "int", "bool")
PERSON_FIELDS: list[tuple[str, str, str]] = [
    ("id", "Id (slug)", "text"),
    ("name", "Name", "text"),
    ("email", "Email", "text"),
    ("department", "Department", "text"),
    ("queues", "Queues (a, b)", "list"),
    ("timezone", "Time zone", "text"),
    ("max_events_per_week", "Max events / week", "int"),
    ("max_minutes_per_week", "Max minutes / week", "int"),
    ("needs", "Needs (tags)", "list"),
    ("after_hours", "May be planned after hours", "bool"),
    ("show_in_attendee_lists", "Listed in colleagues' invites", "bool"),
    ("share_reasons", "Share reasons (time off/busy)", "bool"),
]


class PersonForm(ModalScreen[Person | None]):
    """Add or edit one person; returns the validated :class:`Person`. Enter in any field
    saves, like ctrl+s; the first editable field (the first refused one) has focus."""

    BINDINGS: ClassVar[list[BindingType]] = [SAVE, CANCEL]
    AUTO_FOCUS = "Input"

    def __init__(
        self,
        initial: Mapping[str, Any] | None = None,
        *,
        editing: bool = False,
        errors: Mapping[str, str] | None = None,
        departments: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.initial = dict(initial or {})
        self.editing = editing
        self.errors = dict(errors or {})
        self.departments = departments or []

    def compose(self) -> ComposeResult:
        title = f"Edit {self.initial.get('name', '')}" if self.editing else "Add a person"
        with Vertical(classes="dialog form"):
            yield Label(literal(title), classes="dialog-title")
            with VerticalScroll(classes="form-body"):
                for name, label, kind in PERSON_FIELDS:
                    value = self.initial.get(name)
                    with Horizontal(classes="form-row"):
                        if kind == "bool":
                            yield Tick(label, bool(value), id=f"f-{name}", compact=True)
                        else:
                            yield Label(label, classes="form-label")
                            text = ", ".join(value) if isinstance(value, list) else value
                            yield Input(
                                "" if text is None else str(text),
                                id=f"f-{name}",
                                compact=True,
                                disabled=name == "id" and self.editing,
                                type="integer" if kind == "int" else "text",
                                select_on_focus=False,  # a key typed on focus adds, not replaces
                            )
                    error = self.errors.get(name, "")
                    yield Static(
                        literal(f"  ⚠ {error}" if error else ""),
                        id=f"e-{name}",
                        classes="field-error" + ("" if error else " hidden"),
                    )
                other = {k: v for k, v in self.errors.items() if k not in dict_fields()}
                yield Static(
                    literal("\n".join(f"⚠ {k}: {v}" if k else f"⚠ {v}" for k, v in other.items())),
                    id="e-other",
                    classes="field-error" + ("" if other else " hidden"),
                )
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self._focus_first_error(self.errors)

    def _focus_first_error(self, errors: Mapping[str, str]) -> None:
        for name in dict_fields():
            if name in errors:
                widget = self.query_one(f"#f-{name}")
                if widget.focusable:
                    widget.focus()
                    return

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            k: v
            for k, v in self.initial.items()
            if k not in dict_fields()  # keep fields the form does not show (hours, time off, ...)
        }
        for name, _label, kind in PERSON_FIELDS:
            if kind == "bool":
                data[name] = self.query_one(f"#f-{name}", Checkbox).value
                continue
            raw = self.query_one(f"#f-{name}", Input).value.strip()
            if kind == "list":
                data[name] = [p.strip() for p in raw.split(",") if p.strip()]
            else:
                # Numbers stay text: the model parses them and words a bad one per field.
                data[name] = raw or None
        return {k: v for k, v in data.items() if v is not None}

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for name in dict_fields():
            widget = self.query_one(f"#e-{name}", Static)
            message = errors.get(name, "")
            widget.update(literal(f"  ⚠ {message}" if message else ""))
            widget.set_class(not message, "hidden")
        other = {k: v for k, v in errors.items() if k not in dict_fields()}
        widget = self.query_one("#e-other", Static)
        widget.update(
            literal("\n".join(f"⚠ {k}: {v}" if k else f"⚠ {v}" for k, v in other.items()))
        )
        widget.set_class(not other, "hidden")
        self._focus_first_error(errors)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            person = Person.model_validate(self.values())
        except ValidationError as exc:
            errors: dict[str, str] = {}
            for p in validation_problems("form", exc):
                errors.setdefault(p.location.split(".")[0], p.message)
            self.show_errors(errors)
            notify(self, "Fix the marked fields.", severity="error")
            return
        self.dismiss(person)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def dict_fields() -> list[str]:
    return [name for name, _, _ in PERSON_FIELDS]


def problems_by_field(problems: list[tuple[str, str]]) -> dict[str, str]:
    """Workspace problems (``people.3.email``) -> the form's field names (``email``)."""
    out: dict[str, str] = {}
    for location, message in problems:
        parts = location.split(".")
        key = parts[2] if len(parts) > 2 and parts[0] == "people" else location
        out.setdefault(key, message)
    return out


# ---------------------------------------------------------------------- TOML editor


def to_toml(data: Mapping[str, Any]) -> str:
    def ready(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ready(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [ready(v) for v in value]
        return value

    return tomli_w.dumps(ready(dict(data)))


class RecordEditor(ModalScreen[dict[str, Any] | None]):
    """Edit one record as TOML; returns the parsed data once ``model`` accepts it. Enter is
    a new line here: ctrl+s saves (the footer says so)."""

    BINDINGS: ClassVar[list[BindingType]] = [SAVE, CANCEL]
    AUTO_FOCUS = "#toml"

    def __init__(
        self,
        title: str,
        text: str,
        model: type[BaseModel],
        *,
        errors: list[str] | None = None,
        help_text: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.model = model
        self.errors = errors or []
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide editor"):
            yield Label(literal(self.title_text), classes="dialog-title")
            if self.help_text:
                yield Static(literal(self.help_text), classes="hint")
            yield TextArea(self.text, language="toml", id="toml", show_line_numbers=False)
            yield Static(
                literal("\n".join(f"⚠ {e}" for e in self.errors)),
                id="errors",
                classes="field-error" + ("" if self.errors else " hidden"),
            )
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def _show(self, errors: list[str]) -> None:
        widget = self.query_one("#errors", Static)
        widget.update(literal("\n".join(f"⚠ {e}" for e in errors)))
        widget.set_class(not errors, "hidden")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        text = self.query_one("#toml", TextArea).text
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self._show([f"not valid TOML: {exc}"])
            return
        try:
            self.model.model_validate(data)
        except ValidationError as exc:
            self._show(
                [p.render().removeprefix("form: ") for p in validation_problems("form", exc)]
            )
            return
        self.dismiss(data)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
