"""Hostile text in both TUIs (SPEC §6): markup in every user field is shown literally.

Every user field of the scenario carries Rich/Textual markup: a closing tag with nothing
open (``[/]``, a MarkupError crash), a style (``[bold]``), a hidden link posing as a name
and an action link (``[@click=app.quit]``). The pilot walks every tab and screen of the
organiser's app and of ``planner respond``; on each, the literal text — brackets
included — must be on screen, and no cell of the screen may carry a link or an action.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from planner.respond import export_polls
from planner.store import Workspace
from planner.tui.app import make_app
from planner.tui.respond import make_respond_app
from planner.tui.screens.dialogs import PathPrompt, PickDialog
from planner.tui.screens.forms import PersonForm, RecordEditor
from planner.tui.screens.preview import BusyPreview
from planner.tui.text import literal
from tests.factories import activity, build, person, scenario_data
from tests.tui.conftest import NOW, fake_factory

SIZE = (220, 60)

CLOSE = "Mallory [/]"
BOLD = "[bold]x[/bold]"
LINK = "[link=https://evil.example]Ali Haddad (click to confirm)[/link]"
CLICK = "[@click=app.quit]x[/]"
HOSTILE = [CLOSE, BOLD, LINK, CLICK]

TEAM = "Team [/] [b]Red[/b]"
ORGANISER = "[link=https://evil.example]Olga[/link]"
LUNCH = "Lunch [/]"
QUIZ = "[@click=app.quit]Quiz[/]"
DEPARTMENT = "[bold]Billing[/bold]"
PLACE = "[link=https://evil.example]Room 1[/link]"
VENUE = "[b]Cafe[/b] [/]"
QUEUE = "Phones [/]"
DESCRIPTION = "Bring food.\n" + "\n".join(HOSTILE)

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:busy-1@example.com
DTSTAMP:20270201T080000Z
DTSTART;TZID=Europe/Stockholm:20270302T100000
DTEND;TZID=Europe/Stockholm:20270302T110000
SUMMARY:private
END:VEVENT
END:VCALENDAR
"""


def hostile_workspace(path: Path) -> Path:
    people = [
        person("mallory", DEPARTMENT, name=CLOSE, queues=["phones"], show_in_attendee_lists=True),
        person("bold", "Support [/]", name=BOLD, show_in_attendee_lists=True),
        person("ali", DEPARTMENT, name=LINK, show_in_attendee_lists=True),
        person("click", "Support [/]", name=CLICK, show_in_attendee_lists=True),
    ]
    activities = [
        activity("lunch", name=LUNCH, description=DESCRIPTION, location=PLACE, max_participants=4),
        activity("quiz", name=QUIZ, description=DESCRIPTION, venues=["cafe"]),
    ]
    data = scenario_data(
        people,
        activities,
        {p["id"]: {"lunch": "yes", "quiz": "maybe"} for p in people},
        team={"name": TEAM, "organiser": {"name": ORGANISER, "email": "olga@example.com"}},
        venues=[{"id": "cafe", "name": VENUE, "capacity": 10}],
        queues=[{"id": "phones", "name": QUEUE, "min_on_duty": 0}],
    )
    ws = Workspace.open(path)
    ws.save_scenario(build(data), {})
    ws.close()
    return path


def screen_text(app: App[Any]) -> str:
    """What the terminal shows now, line by line (the active screen, toasts included)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def no_links(app: App[Any]) -> None:
    """No cell on screen is a hyperlink to the planted address or runs the planted action."""
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            assert "evil.example" not in (style.link or ""), segment
            assert "app.quit" not in str(style.meta.get("@click", "")), segment


async def until(pilot: Pilot[Any], done: Callable[[], bool], timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not done():
        assert loop.time() < end, "timed out waiting for the app"
        await pilot.pause(0.05)


async def shows(pilot: Pilot[Any], *texts: str, timeout: float = 10) -> None:
    """Each line of ``texts`` appears on screen, as it is, within ``timeout`` seconds."""
    lines = [line for text in texts for line in text.splitlines()]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        await pilot.pause()
        on_screen = screen_text(pilot.app)
        missing = [line for line in lines if line not in on_screen]
        if not missing:
            break
        assert loop.time() < end, f"{missing[0]!r} not shown literally in:\n{on_screen}"
        await pilot.pause(0.1)
    no_links(pilot.app)


async def test_organiser_app_shows_markup_literally(tmp_path: Path) -> None:
    path = hostile_workspace(tmp_path / "hostile.db")
    ics = tmp_path / "mine.ics"
    ics.write_text(ICS)
    app = make_app(
        str(path),
        now=lambda: NOW,
        out_dir=tmp_path / "out",
        solver_factory=fake_factory(block=False),
        check_plans=False,
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await shows(pilot, TEAM)  # overview

        await pilot.press("2")  # people, with departments in the filter
        await shows(pilot, *HOSTILE, DEPARTMENT, "Support [/]")
        await pilot.press("e")  # the person form, titled with the name
        assert isinstance(app.screen, PersonForm)
        await shows(pilot, f"Edit {CLOSE}")
        app.screen.query_one("#f-email", Input).value = "[b]not[/b] an email"
        await pilot.press("ctrl+s")
        await shows(pilot, "[b]not[/b] an email")  # the error quotes the value
        app.screen.query_one("#f-email", Input).value = "mallory@example.com"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, PersonForm))
        await shows(pilot, f"Saved {CLOSE}.")  # the notification
        await pilot.press("ctrl+z")
        await shows(pilot, "Undone:")

        await pilot.press("c")  # read a calendar: the prompt and the preview
        assert isinstance(app.screen, PathPrompt)
        await shows(pilot, f"Calendar of {CLOSE}")
        app.screen.query_one("#path", Input).value = "nope[/].ics"
        await pilot.press("enter")
        await shows(pilot, "no such file: nope[/].ics")
        app.screen.query_one("#path", Input).value = str(ics)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BusyPreview))
        await shows(pilot, f"{CLOSE}: mine.ics")
        await pilot.press("escape")

        await pilot.press("3")  # activities: table and detail
        await shows(pilot, LUNCH, DESCRIPTION, PLACE)
        await pilot.press("down")
        await shows(pilot, QUIZ)
        await pilot.press("e")
        assert isinstance(app.screen, RecordEditor)
        await shows(pilot, f"Edit {QUIZ}")
        await pilot.press("escape")

        await pilot.press("4")  # answers: row names, column labels and the totals line
        await shows(pilot, CLOSE, BOLD, "Lunch …", f"{LUNCH}: 4 yes")
        await pilot.press("right")
        await shows(pilot, f"{QUIZ}: 0 yes · 4 maybe")

        await pilot.press("5")  # rules: team, queues, venues
        await shows(pilot, TEAM, f"Queue {QUEUE}", f"Venue {VENUE}")

        await pilot.press("6", "s")  # plan: list, detail, grid, a person's week
        await until(pilot, lambda: app.snapshot is not None and app.snapshot.plan is not None)
        await shows(pilot, LUNCH, *HOSTILE)
        await pilot.press("v")
        await shows(pilot, LUNCH, QUIZ)
        await pilot.press("v", "p")
        assert isinstance(app.screen, PickDialog)
        await shows(pilot, *HOSTILE, DEPARTMENT)
        await pilot.press("enter")
        await until(pilot, lambda: app.query_one("#plan-pane").explanation is not None)
        await shows(pilot, CLOSE, LUNCH)

        await pilot.press("7", "w")  # export: the files and the invite preview
        await until(pilot, lambda: bool(app.query_one("#export-pane").files))
        await shows(pilot, LUNCH)
        assert app.return_code is None  # no [@click=app.quit] ever fired


async def test_respond_app_shows_markup_literally(tmp_path: Path) -> None:
    path = hostile_workspace(tmp_path / "hostile.db")
    with Workspace.open(path) as ws:
        export_polls(ws, tmp_path / "polls")
    poll = tmp_path / "polls" / "poll-mallory.toml"
    app = make_respond_app(poll, None, [], tmp_path / "out [/]")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await shows(pilot, LUNCH, QUIZ, DESCRIPTION, PLACE, TEAM, ORGANISER)
        await pilot.press("down")
        await shows(pilot, QUIZ, DESCRIPTION)
        await pilot.press("y")
        app.query_one("#r-needs", Input).value = "[b]x[/b]"
        await pilot.press("ctrl+s", "2")
        await shows(pilot, "'[b]x[/b]' is not a tag")  # the error quotes the value
        app.query_one("#r-needs", Input).value = ""
        await pilot.press("ctrl+s")
        await shows(pilot, QUIZ)  # the review names the activities literally
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 0 and app.written is not None


def test_literal_escapes_terminal_controls() -> None:
    shown = literal("a\x1b]0;owned\x07b\x9b31m\u2028c")
    assert isinstance(shown, Text)
    assert shown.plain == "a\\x1b]0;owned\\x07b\\x9b31m\\u2028c"
    assert literal(CLOSE).plain == CLOSE and not literal(LINK).spans
