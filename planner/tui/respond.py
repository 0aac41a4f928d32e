"""``planner respond POLL``: the participant's small app.

The participant sees the poll's activities, answers yes / maybe / no, sets their own
limits, reads their own calendar *on their own machine* and sees exactly the busy blocks
that will be shared — whole slots of the grid, nothing else — before the response file is
written. They never see a colleague's name or answers: the poll holds none
(:mod:`planner.respond`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
)

from planner.domain.errors import InputError
from planner.domain.models import Answer
from planner.domain.planning import Interval
from planner.i18n import N_, Translator, translator
from planner.respond import (
    Limits,
    Poll,
    Response,
    build_response,
    load_poll,
    response_filename,
    snap_to_grid,
    write_response,
)
from planner.tui.bindings import shared_bindings
from planner.tui.focus import TabbedScreen, focus_first, tab_bar
from planner.tui.screens.dialogs import split_paths
from planner.tui.screens.help import HelpScreen, binding_rows
from planner.tui.text import assemble, literal, notify, one_line, plain
from planner.tui.widgets.answers import cell
from planner.tui.widgets.tick import Tick
from planner.tui.widgets.week_grid import GridItem, WeekGrid

ACTIVITY_BINDINGS: list[BindingType] = [
    Binding("y", "answer('yes')", N_("Yes"), tooltip=N_("I'd like to join."), id="respond-yes"),
    Binding("m", "answer('maybe')", N_("Maybe"), tooltip=N_("I might join."), id="respond-maybe"),
    Binding(
        "n",
        "answer('no')",
        N_("No"),
        tooltip=N_("Not for me (never shown to colleagues)."),
        id="respond-no",
    ),
    Binding(
        "x", "answer('')", N_("Clear"), tooltip=N_("No answer (counts as no)."), id="respond-clear"
    ),
]

# The texts of the shared bindings (planner.tui.bindings), for the catalogue.
_SHARED_TEXTS = (N_("Help"), N_("List every key."), N_("Theme"), N_("Switch light and dark."))
_ANSWER_WORDS = {Answer.yes: N_("yes"), Answer.maybe: N_("maybe"), Answer.no: N_("no")}


def _texts(b: Binding, t: Translator) -> Binding:
    description = t.gettext(b.description) if b.description else b.description
    tooltip = b.tooltip
    if tooltip.startswith("Go to the ") and tooltip.endswith(" tab."):  # shared_bindings
        tab = t.gettext(tooltip.removeprefix("Go to the ").removesuffix(" tab."))
        tooltip = t.gettext("Go to the {tab} tab.").format(tab=tab)
    elif tooltip:
        tooltip = t.gettext(tooltip)
    return replace(b, description=description, tooltip=tooltip)


def translate_bindings(node: DOMNode, t: Translator) -> None:
    """Show ``node``'s key bindings (footer, help) in ``t``'s language: they are declared
    once, in English, as the message ids."""
    if t.language == "en":
        return
    node._bindings = BindingsMap(
        [_texts(b, t) for bindings in node._bindings.key_to_bindings.values() for b in bindings]
    )


def translated(bindings: Sequence[BindingType], t: Translator) -> list[BindingType]:
    """``bindings`` with their texts in ``t``'s language (for the help screen)."""
    return [_texts(b, t) if isinstance(b, Binding) and t.language != "en" else b for b in bindings]


def answer_cell(answer: Answer | None, t: Translator) -> Text:
    """An answer as a word in the participant's language, styled like the organiser's."""
    shown = cell(answer)
    if answer is None:
        return shown
    return Text(t.gettext(_ANSWER_WORDS[answer]), style=shown.style)


CATEGORY_WORDS = {
    "social": N_("social"),
    "learning": N_("learning"),
    "collaboration": N_("collaboration"),
    "wellbeing": N_("wellbeing"),
    "celebration": N_("celebration"),
    "volunteering": N_("volunteering"),
}


class ActivityTable(DataTable[Text | str]):
    """The poll's activities with the participant's answer per row."""

    BINDINGS: ClassVar[list[BindingType]] = ACTIVITY_BINDINGS

    def __init__(self, t: Translator, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        translate_bindings(self, t)

    def action_answer(self, word: str) -> None:
        app = self.app
        if isinstance(app, RespondApp):
            app.set_answer(self.cursor_row, Answer(word) if word else None)


def review_text(poll: Poll, response: Response) -> Text:
    """What the response file says, in words: the answers, the limits, how many busy blocks
    (start and end only: no title, place or note was read)."""
    t = translator(poll.language)
    _ = t.gettext
    names = {a.id: a.name for a in poll.activities}
    by_answer: dict[Answer, list[str]] = {a: [] for a in Answer}
    for aid, answer in response.answers.items():
        by_answer[answer].append(names.get(aid, aid))
    unanswered = [a.name for a in poll.activities if a.id not in response.answers]
    parts: list[str | tuple[str, str]] = [(_("Your answers") + "\n", "bold")]
    labels = {
        Answer.yes: _("yes"),
        Answer.maybe: _("maybe"),
        Answer.no: _("no (the organiser only)"),
    }
    for answer, label in labels.items():
        if by_answer[answer]:
            parts.append(f"  {label}: {', '.join(by_answer[answer])}\n")
    if unanswered:
        label = _("not answered (counts as no)")
        parts.append(f"  {label}: {', '.join(unanswered)}\n")
    lim = response.limits
    parts.append(("\n" + _("Your limits") + "\n", "bold"))
    if lim.max_events_per_week is not None:
        events = t.count(
            "at most {n} event a week", "at most {n} events a week", lim.max_events_per_week
        )
    else:
        cap = poll.policy.max_events_per_week
        events = t.count(
            "at most the team's {n} event a week", "at most the team's {n} events a week", cap
        )
    if lim.max_minutes_per_week is not None:
        events += _(", {minutes} minutes").format(minutes=lim.max_minutes_per_week)
    parts.append(f"  {events}\n")
    yes, no = _("yes"), _("no")
    if lim.needs:
        label = _("needs")
        parts.append(f"  {label}: {', '.join(lim.needs)}\n")
    label = _("after hours")
    parts.append(f"  {label}: {yes if lim.after_hours else no}\n")
    listed = _("name in colleagues' invites")
    parts.append(f"  {listed}: {yes if lim.show_in_attendee_lists else no}\n")
    reasons = _("organiser sees 'busy'/'time off'")
    parts.append(f"  {reasons}: {yes if lim.share_reasons else no}\n")
    parts.append(("\n" + _("Your calendar") + "\n", "bold"))
    blocks = t.count(
        "{n} busy block on the {slot}-minute grid: start and end only (no titles, places or notes)",
        "{n} busy blocks on the {slot}-minute grid: start and end only (no titles, places or notes)",
        len(response.busy),
        slot=poll.slot_minutes,
    )
    parts.append(f"  {blocks}\n")
    return assemble(*parts)


class ReviewResponse(ModalScreen[bool]):
    """The last look before the response file is written: Enter writes, Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "back", N_("Back"), tooltip=N_("Change something first."), id="review-back"
        ),
        Binding(
            "ctrl+s",
            "write",
            N_("Write"),
            tooltip=N_("Write the response file."),
            id="review-write",
        ),
    ]
    AUTO_FOCUS = "#write"

    def __init__(self, poll: Poll, response: Response, out: Path) -> None:
        super().__init__()
        self.poll = poll
        self.response = response
        self.out = out
        self.t = translator(poll.language)
        translate_bindings(self, self.t)

    def compose(self) -> ComposeResult:
        _ = self.t.gettext
        path = self.out / response_filename(self.poll.person)
        with Vertical(classes="dialog"):
            yield Label(
                literal(_("Send this to {organiser}?").format(organiser=self.poll.organiser.name)),
                classes="dialog-title",
            )
            with VerticalScroll(classes="review-body"):
                yield Static(review_text(self.poll, self.response), id="review")
            yield Static(literal(_("It is written to {path}.").format(path=path)), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button(_("Write response"), variant="primary", id="write")
                yield Button(_("Back"), id="back")
        yield Footer()

    @on(Button.Pressed, "#write")
    def action_write(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(False)


class RespondApp(App[int]):
    """Build with :func:`make_respond_app`."""

    CSS_PATH = "respond.tcss"
    TITLE = "planner respond"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "write",
            N_("Review and write"),
            tooltip=N_("See what will be sent, then write response-<id>.toml."),
            id="respond-write",
        ),
        Binding(
            "ctrl+q",
            "quit",
            N_("Quit"),
            tooltip=N_("Leave without writing."),
            id="quit",
            priority=True,
        ),
        *shared_bindings(
            [
                ("r-activities", N_("Activities")),
                ("r-limits", N_("You")),
                ("r-calendar", N_("Calendar")),
            ]
        ),
    ]

    def __init__(
        self,
        poll: Poll,
        *,
        calendars: Sequence[Path] = (),
        out: Path | None = None,
    ) -> None:
        super().__init__()
        self.poll = poll
        self.person = poll.person  # from the poll, signed: not the participant's to change
        self.calendar_paths = list(calendars)
        self.out = out or Path.cwd()
        self.answers: dict[str, Answer | None] = {a.id: None for a in poll.activities}
        self.raw_blocks: list[Interval] = []
        self.written: Path | None = None
        self.t = translator(poll.language)
        translate_bindings(self, self.t)

    HOMES: ClassVar[dict[str, str]] = {"r-activities": "#r-table", "r-calendar": "#r-grid"}
    """Each tab's first useful widget; the You tab has only text boxes, so its home is the
    tab bar (Tab goes into the first box; digits still switch tabs)."""

    def get_default_screen(self) -> TabbedScreen:
        return TabbedScreen(id="_default")

    def focus_home(self, pane: TabPane) -> bool:
        selector = self.HOMES.get(pane.id or "")
        if selector and focus_first(pane, selector):
            return True
        bar = tab_bar(self.screen)
        if bar is None:
            return False
        bar.focus()
        return True

    def compose(self) -> ComposeResult:
        p = self.poll
        _ = self.t.gettext
        yield Static(
            assemble(
                (f"{p.team}", "bold"),
                _(
                    " — poll from {organiser} <{email}>, {days}. "
                    "Your answers go to the organiser only."
                ).format(organiser=p.organiser.name, email=p.organiser.email, days=self._days()),
            ),
            id="respond-header",
        )
        with TabbedContent(initial="r-activities"):
            with (
                TabPane("1 " + _("Activities"), id="r-activities"),
                Horizontal(classes="split"),
            ):
                yield ActivityTable(self.t, id="r-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(classes="detail"):
                    yield Static(id="r-detail")
            with TabPane("2 " + _("You"), id="r-limits"), VerticalScroll(classes="form-body"):
                with Horizontal(classes="form-row"):
                    yield Label(_("Your id"), classes="form-label")
                    yield Static(Text(self.person), id="r-person")
                for fid, label, value in self._limit_fields():
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield Input(value, id=fid, compact=True, select_on_focus=False)
                yield Tick(_("May be planned outside my working hours"), id="r-after", compact=True)
                yield Tick(_("Colleagues' invites may list my name"), id="r-show", compact=True)
                yield Tick(
                    _("The organiser may see 'time off'/'busy' as my reason"),
                    id="r-share",
                    compact=True,
                )
                yield Static("", id="r-limit-errors", classes="field-error")
            with TabPane("3 " + _("Calendar"), id="r-calendar"), Vertical():
                with Horizontal(classes="form-row"):
                    yield Label(_(".ics file"), classes="form-label")
                    yield Input(
                        " ".join(str(c) for c in self.calendar_paths),
                        placeholder=_("path/to/your-calendar.ics (read here, never sent)"),
                        id="r-ics",
                        compact=True,
                    )
                yield Static("", id="r-shared", classes="status")
                yield WeekGrid(
                    self.poll.tz,
                    empty=_("nothing will be shared"),
                    language=self.t.language,
                    id="r-grid",
                )
        yield Footer()

    def _days(self) -> str:
        h, t = self.poll.horizon, self.t
        if t.language == "en":
            return f"{h.start:%d %b} – {h.end:%d %b %Y}"
        return f"{t.format_date(h.start, 'd MMM')} – {t.format_date(h.end, 'd MMM y')}"

    def _limit_fields(self) -> list[tuple[str, str, str]]:
        pol = self.poll.policy
        _ = self.t.gettext
        if pol.max_minutes_per_week:
            minutes = _("Max minutes / week (team: {minutes})").format(
                minutes=pol.max_minutes_per_week
            )
        else:
            minutes = _("Max minutes / week")
        return [
            (
                "r-events",
                _("Max events / week (team: {events})").format(events=pol.max_events_per_week),
                "",
            ),
            ("r-minutes", minutes, ""),
            ("r-needs", _("Needs (e.g. step-free)"), ""),
        ]

    def on_mount(self) -> None:
        _ = self.t.gettext
        table = self.query_one("#r-table", ActivityTable)
        table.add_column(_("Activity"), key="name")
        table.add_column(_("Min"), key="minutes")
        table.add_column(_("Answer"), key="answer")
        for a in self.poll.activities:
            table.add_row(one_line(a.name), str(a.duration_minutes), cell(None), key=a.id)
        table.focus()
        self._describe()
        if self.calendar_paths:
            self.read_calendars(self.calendar_paths)
        self._show_shared()

    # ------------------------------------------------------------------ answers

    def set_answer(self, row: int, answer: Answer | None) -> None:
        if not (0 <= row < len(self.poll.activities)):
            return
        aid = self.poll.activities[row].id
        self.answers[aid] = answer
        table = self.query_one("#r-table", ActivityTable)
        table.update_cell(aid, "answer", answer_cell(answer, self.t))
        if row + 1 < table.row_count:
            table.move_cursor(row=row + 1)

    @on(DataTable.RowHighlighted, "#r-table")
    def _describe(self) -> None:
        table = self.query_one("#r-table", ActivityTable)
        row = table.cursor_row
        if not (0 <= row < len(self.poll.activities)):
            return
        a = self.poll.activities[row]
        t = self.t
        _ = t.gettext
        facts = [
            _(CATEGORY_WORDS[a.category.value]),
            _("{minutes} min").format(minutes=a.duration_minutes),
        ]
        if a.sessions > 1:
            facts.append(t.count("{n} session", "{n} sessions", a.sessions))
        if a.virtual:
            facts.append(_("online"))
        if a.after_hours:
            facts.append(_("may be after hours"))
        parts: list[str | tuple[str, str]] = [(f"{a.name}\n", "bold"), " · ".join(facts) + "\n"]
        if a.location:
            parts.append(_("where: {place}").format(place=a.location) + "\n")
        if a.provides:
            parts.append(_("provides: {tags}").format(tags=", ".join(a.provides)) + "\n")
        if a.facilitators:
            parts.append(_("run by: {names}").format(names=", ".join(a.facilitators)) + "\n")
        parts.append(f"\n{a.description}\n")
        self.query_one("#r-detail", Static).update(assemble(*parts))

    # ------------------------------------------------------------------ calendar

    @on(Input.Submitted, "#r-ics")
    def _ics_submitted(self, event: Input.Submitted) -> None:
        try:
            paths = split_paths(event.value)
        except ValueError as exc:
            notify(self, str(exc), severity="error", timeout=8)
            return
        self.raw_blocks = []
        self.read_calendars(paths)
        self._show_shared()

    def read_calendars(self, paths: Sequence[Path]) -> None:
        """Read the participant's own calendars here; only slot-grid blocks will leave."""
        from planner.calendar.busy import read_busy_blocks

        start, end = self.poll.window()
        for path in paths:
            try:
                found = read_busy_blocks(path, zone=self.poll.tz, start=start, end=end)
            except InputError as exc:
                notify(self, str(exc), title=exc.title, severity="error", timeout=8)
                continue
            self.raw_blocks.extend((b.start, b.end) for b in found)

    def shared_blocks(self) -> list[Interval]:
        return snap_to_grid(
            self.raw_blocks, self.poll.tz, self.poll.slot_minutes, self.poll.window()
        )

    def _show_shared(self) -> None:
        blocks = self.shared_blocks()
        self.query_one("#r-shared", Static).update(
            literal(
                self.t.count(
                    "{n} busy block on the {slot}-minute grid will be shared "
                    "(start and end only; nothing else leaves this machine).",
                    "{n} busy blocks on the {slot}-minute grid will be shared "
                    "(start and end only; nothing else leaves this machine).",
                    len(blocks),
                    slot=self.poll.slot_minutes,
                )
            )
        )
        busy = self.t.gettext("busy")
        self.query_one("#r-grid", WeekGrid).show(
            [GridItem(s, e, busy) for s, e in blocks],
            self.poll.tz,
            (self.poll.horizon.start, self.poll.horizon.end),
        )

    # ------------------------------------------------------------------ writing

    def limits(self) -> Limits:
        def number(fid: str) -> int | None:
            raw = self.query_one(f"#{fid}", Input).value.strip()
            return int(raw) if raw else None

        needs = [n.strip() for n in self.query_one("#r-needs", Input).value.split(",") if n.strip()]
        return Limits(
            max_events_per_week=number("r-events"),
            max_minutes_per_week=number("r-minutes"),
            after_hours=self.query_one("#r-after", Checkbox).value,
            needs=needs,
            show_in_attendee_lists=self.query_one("#r-show", Checkbox).value,
            share_reasons=self.query_one("#r-share", Checkbox).value,
        )

    def action_write(self) -> None:
        errors = self.query_one("#r-limit-errors", Static)
        try:
            limits = self.limits()
            response = build_response(self.poll, self.answers, limits, self.raw_blocks)
        except InputError as exc:
            lines = [f"⚠ {p.location}: {p.message}" for p in exc.shown()]
            errors.update(literal("\n".join([*lines, *filter(None, [exc.more_line()])])))
            self.query_one(TabbedContent).active = "r-limits"
            notify(self, self.t.gettext("Check the 'You' tab."), severity="error")
            return
        except ValueError as exc:
            errors.update(literal(f"⚠ {exc}"))
            self.query_one(TabbedContent).active = "r-limits"
            notify(self, self.t.gettext("Check the 'You' tab."), severity="error")
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._write(response)

        self.push_screen(ReviewResponse(self.poll, response, self.out), confirmed)

    def _write(self, response: Response) -> None:
        try:
            self.written = write_response(response, self.out, self.poll.language)
        except InputError as exc:  # an --out that is refused: a link, a device, a workspace
            notify(self, str(exc), title=exc.title, severity="error")
            return
        except OSError as exc:
            notify(self, f"{self.out}: {exc.strerror}", severity="error")
            return
        message = self.t.gettext("wrote {path} — send it to {email}").format(
            path=self.written, email=self.poll.organiser.email
        )
        self.exit(0, message=literal(message))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.focus_home(self.query_one(f"#{tab}", TabPane))

    def action_help(self) -> None:
        _ = self.t.gettext
        rows = binding_rows(
            [
                (_("App"), translated(self.BINDINGS, self.t)),
                (_("Activities"), translated(ACTIVITY_BINDINGS, self.t)),
            ]
        )
        self.push_screen(HelpScreen(rows))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"


def make_respond_app(
    poll: Path,
    person: str | None = None,
    calendars: Sequence[Path] = (),
    out: Path | None = None,
    language: str | None = None,
) -> RespondApp:
    """The one way to build the participant's app; raises InputError for a bad poll file or
    an ``--as`` that is not the poll's person (the id comes from the poll).

    ``language`` (``--lang`` / ``PLANNER_LANG``) overrides the language the poll carries."""
    loaded = load_poll(poll)
    if language is not None:
        loaded = loaded.model_copy(update={"language": language})
    if person is not None and person != loaded.person:
        raise InputError.single(
            "--as",
            f"{person!r} is not the person of this poll ({loaded.person!r}): each person "
            "answers only their own poll (leave --as out; the id comes from the poll)",
        )
    return RespondApp(loaded, calendars=calendars, out=out)


def run_respond(
    poll: Path,
    person: str | None,
    calendars: list[Path],
    out: Path | None = None,
    language: str | None = None,
) -> int:
    """Run the participant's app. Leaving without writing is a choice, not an error (exit 0)."""
    app = make_respond_app(poll, person, calendars, out, language)
    app.run()
    _ = app.t.gettext
    if app.written is None:
        print(_("no response written"), file=sys.stderr)
    else:
        print(plain(_("wrote {path}").format(path=app.written)))
    return 0
