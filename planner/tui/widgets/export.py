"""The Export tab: the poll and the invites out, responses and RSVP replies in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from planner.domain.models import Scenario
from planner.domain.timeutil import zone
from planner.tui.text import assemble, literal, notify
from planner.tui.widgets.base import Pane, Snapshot


@dataclass(frozen=True)
class Delivery:
    """Where invites may also go, from the environment (PLANNER_CALDAV_URL, PLANNER_SMTP)."""

    caldav: str | None
    smtp: str | None

    @classmethod
    def from_env(cls) -> Delivery:
        return cls(
            os.environ.get("PLANNER_CALDAV_URL") or None, os.environ.get("PLANNER_SMTP") or None
        )


INVITE_WORDS = {
    "none": "No plan to send yet: solve on the Plan tab first.",
    "never": "Invites not written yet: w writes them.",
    "current": "Invites up to date with the plan.",
    "stale": "Invites OUT OF DATE: the plan changed since the last export; w writes the changes.",
}


def state_text(snapshot: Snapshot) -> Text:
    text = Text()
    if snapshot.plan_state == "stale":
        text.append("⚠ The plan is OUT OF DATE (the workspace changed): re-plan first.\n", "bold")
    words = INVITE_WORDS.get(snapshot.invites, "")
    text.append(
        ("⚠ " if snapshot.invites == "stale" else "") + words,
        "bold" if snapshot.invites == "stale" else "",
    )
    return text


class ExportPane(Pane):
    HOME = "#export-files"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "w",
            "write",
            "Write invites",
            tooltip="Write the invites as .ics files.",
            id="export-invites",
        ),
        Binding(
            "o",
            "poll",
            "Poll",
            tooltip="Write each person's own poll (polls/poll-<id>.toml).",
            id="export-poll",
        ),
        Binding(
            "u",
            "push",
            "Send",
            tooltip="Write the invites and push them to CalDAV / send mail (when configured).",
            id="export-send",
        ),
        Binding(
            "r",
            "raw",
            "Raw/readable",
            tooltip="Switch the preview between the readable invite and its raw iCalendar.",
            id="export-raw",
        ),
        Binding(
            "i",
            "import_file",
            "Import",
            tooltip="Import responses (response-*.toml) or RSVP replies (.ics).",
            id="export-import",
        ),
    ]

    files: reactive[tuple[Path, ...]] = reactive(())
    """Files written by the last export (set by the app)."""
    report: reactive[tuple[str, ...]] = reactive(())

    @dataclass
    class ExportRequested(Message):
        what: str  # "invites", "send" or "poll"
        out: Path
        caldav: str | None = None
        smtp: str | None = None

    @dataclass
    class ImportRequested(Message):
        pass

    def __init__(self, *, out_dir: Path, id: str | None = None) -> None:
        super().__init__(id=id)
        self.out_dir = out_dir
        self.delivery = Delivery.from_env()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="plan-controls"):
            yield Label("Out")
            yield Input(str(self.out_dir), id="export-out", compact=True)
        yield Static("", id="export-state")
        yield Static(literal(self._delivery_text()), id="export-delivery", classes="status")
        with Horizontal(classes="split"):
            yield OptionList(id="export-files")
            with VerticalScroll(classes="detail"):
                yield Static("", id="export-preview")
        yield Static("", id="export-replies", classes="status")

    def _delivery_text(self) -> str:
        d = self.delivery
        parts = [
            f"CalDAV: {d.caldav}" if d.caldav else "CalDAV: not configured (PLANNER_CALDAV_URL)",
            f"mail: {d.smtp}" if d.smtp else "mail: not configured (PLANNER_SMTP)",
        ]
        return "  ·  ".join(parts)

    def render_snapshot(self, snapshot: Snapshot) -> None:
        self._show_state(snapshot)
        replies = self.query_one("#export-replies", Static)
        if snapshot.replies:
            replies.update(literal("Replies: " + "; ".join(snapshot.replies)))
        else:
            replies.update(literal("Replies: no replies yet"))

    def _show_state(self, snapshot: Snapshot) -> None:
        text = state_text(snapshot)
        if self.report:
            text.append(literal(f"\nLast export: {self.report[0].removeprefix('Invites: ')}"))
        self.query_one("#export-state", Static).update(text)

    def out(self) -> Path:
        return Path(self.query_one("#export-out", Input).value.strip() or ".").expanduser()

    def watch_files(self, files: tuple[Path, ...]) -> None:
        options = self.query_one("#export-files", OptionList)
        options.clear_options()
        options.add_options([Option(literal(p.name), id=str(p)) for p in files])
        if files:
            self._preview(files[0])
        else:
            self.query_one("#export-preview", Static).update(
                "w: write invites · o: write the poll · i: import responses or replies"
            )

    def watch_report(self, report: tuple[str, ...]) -> None:
        if self.snapshot is not None and self.is_mounted:
            self._show_state(self.snapshot)
        if report and not self.files:
            self.query_one("#export-preview", Static).update(literal("\n".join(report)))

    @on(OptionList.OptionHighlighted, "#export-files")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._preview(Path(event.option.id))

    raw = False
    _previewed: Path | None = None

    def _preview(self, path: Path) -> None:
        self._previewed = path
        preview = self.query_one("#export-preview", Static)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            preview.update(literal(f"cannot read {path}: {exc.strerror}"))
            return
        if self.raw or path.suffix != ".ics":
            preview.update(literal(text))
            return
        scenario = self.snapshot.scenario if self.snapshot else None
        preview.update(readable_invite(text, path, scenario))

    def action_raw(self) -> None:
        self.raw = not self.raw
        if self._previewed is not None:
            self._preview(self._previewed)

    @on(Input.Submitted, "#export-out")
    def _out_done(self) -> None:
        self.focus_home()

    def action_write(self) -> None:
        self.post_message(self.ExportRequested("invites", self.out()))

    def action_push(self) -> None:
        d = self.delivery
        if not d.caldav and not d.smtp:
            notify(
                self, "Set PLANNER_CALDAV_URL or PLANNER_SMTP to push invites.", severity="warning"
            )
            return
        self.post_message(self.ExportRequested("send", self.out(), d.caldav, d.smtp))

    def action_poll(self) -> None:
        self.post_message(self.ExportRequested("poll", self.out() / "polls"))

    def action_import_file(self) -> None:
        self.post_message(self.ImportRequested())


def readable_invite(text: str, path: Path, scenario: Scenario | None) -> Text:
    """An invite file as its invitee reads it: what, when in the invitee's zone, where, who
    is listed; the raw iCalendar is one key away (r)."""
    from icalendar import Calendar  # loads on first preview

    try:
        cal = Calendar.from_ical(text)
    except ValueError as exc:
        return literal(f"not a readable calendar ({exc}); r shows the raw text")
    person_id = path.stem.removesuffix("-cancel")
    tz = ZoneInfo("UTC")
    invitee = ""
    if scenario is not None:
        person = next((p for p in scenario.people if p.id == person_id), None)
        tz = zone(scenario.person_zone_name(person) if person else scenario.team.timezone)
        invitee = person.name if person else "the team calendar"
    method = str(cal.get("METHOD", "PUBLISH"))
    kind = {"REQUEST": "Invitation", "CANCEL": "Cancellation"}.get(method, "Calendar")
    parts: list[str | tuple[str, str]] = [
        (f"{kind}{f' for {invitee}' if invitee else ''}  (times in {tz.key}; r: raw)\n", "bold")
    ]
    for event in cal.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if event.get("DTEND") else None
        parts.append((f"\n{event.get('SUMMARY', '(no title)')}\n", "bold"))
        if isinstance(start, datetime):
            when = f"{start.astimezone(tz):%a %d %b %Y %H:%M}"
            if isinstance(end, datetime):
                when += f"–{end.astimezone(tz):%H:%M}"
            parts.append(f"when: {when}\n")
        if event.get("LOCATION"):
            parts.append(f"where: {event.get('LOCATION')}\n")
        attendees = event.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        listed = [str(a.params.get("CN") or str(a).removeprefix("mailto:")) for a in attendees]
        if listed:
            parts.append(f"listed: {', '.join(listed)}\n")
        if event.get("STATUS"):
            parts.append(f"status: {str(event.get('STATUS')).lower()}\n")
    return assemble(*parts)
