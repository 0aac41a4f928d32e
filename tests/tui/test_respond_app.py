"""The participant's app: answers, limits, own calendar read locally, the response file."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.widgets import Checkbox, Input

from planner.respond import export_poll, load_response
from planner.store import Workspace
from planner.tui.respond import make_respond_app

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:secret-1@example.com
DTSTAMP:20270201T080000Z
DTSTART;TZID=Europe/Stockholm:20270309T091000
DTEND;TZID=Europe/Stockholm:20270309T095000
SUMMARY:SECRET-dentist
LOCATION:SECRET-clinic
END:VEVENT
END:VCALENDAR
"""


def make_poll(demo_ws: Path, tmp_path: Path) -> Path:
    with Workspace.open(demo_ws) as ws:
        return export_poll(ws, tmp_path / "poll.toml")


async def test_respond_writes_only_answers_limits_and_grid_blocks(
    demo_ws: Path, tmp_path: Path
) -> None:
    poll = make_poll(demo_ws, tmp_path)
    ics = tmp_path / "mine.ics"
    ics.write_text(ICS)
    out = tmp_path / "answers"
    app = make_respond_app(poll, "ali-haddad", [ics], out)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("y", "n", "m")  # first three activities
        app.query_one("#r-events", Input).value = "1"
        app.query_one("#r-show", Checkbox).value = True
        assert len(app.shared_blocks()) == 1
        await pilot.press("ctrl+s")
        await pilot.pause()
    path = out / "response-ali-haddad.toml"
    assert app.written == path and app.return_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "SECRET" not in text and "09:10" not in text
    response = load_response(path)
    assert [a.value for a in response.answers.values()] == ["yes", "no", "maybe"]
    assert response.limits.max_events_per_week == 1 and response.limits.show_in_attendee_lists
    (block,) = response.busy
    assert (block.start.hour, block.start.minute, block.end.hour, block.end.minute) == (8, 0, 9, 0)
    # The poll and the app show no colleague: only the organiser and facilitators.
    assert "Beatriz" not in poll.read_text()


async def test_respond_needs_an_id(demo_ws: Path, tmp_path: Path) -> None:
    app = make_respond_app(make_poll(demo_ws, tmp_path), None, [], tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.written is None
        assert "person" in str(app.query_one("#r-limit-errors").render())
