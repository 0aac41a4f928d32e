"""The Export tab: the poll and the invites out, responses and RSVP replies in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from planner.tui.text import literal, notify
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
        replies = self.query_one("#export-replies", Static)
        if snapshot.replies:
            replies.update(literal("Replies: " + "; ".join(snapshot.replies)))
        else:
            replies.update(literal("Replies: no replies yet"))

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
        if report and not self.files:
            self.query_one("#export-preview", Static).update(literal("\n".join(report)))

    @on(OptionList.OptionHighlighted, "#export-files")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._preview(Path(event.option.id))

    def _preview(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            text = f"cannot read {path}: {exc.strerror}"
        self.query_one("#export-preview", Static).update(literal(text))

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
