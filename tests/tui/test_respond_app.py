"""The participant's app: answers, limits, own calendar read locally, the response file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Static

from planner.domain.errors import InputError
from planner.respond import export_polls, load_response
from planner.store import Workspace
from planner.tui.respond import ReviewResponse, make_respond_app

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


def make_poll(demo_ws: Path, tmp_path: Path, person: str = "ali-haddad") -> Path:
    """Export every person's poll; the path of ``person``'s."""
    with Workspace.open(demo_ws) as ws:
        export_polls(ws, tmp_path / "polls")
    return tmp_path / "polls" / f"poll-{person}.toml"


async def test_respond_writes_only_answers_limits_and_grid_blocks(
    demo_ws: Path, tmp_path: Path
) -> None:
    poll = make_poll(demo_ws, tmp_path)
    ics = tmp_path / "mine.ics"
    ics.write_text(ICS)
    out = tmp_path / "answers"
    app = make_respond_app(poll, None, [ics], out)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("y", "n", "m")  # first three activities
        app.query_one("#r-events", Input).value = "1"
        app.query_one("#r-show", Checkbox).value = True
        assert len(app.shared_blocks()) == 1
        await pilot.press("ctrl+s")
        await pilot.pause()
        # A review first: what will be sent, in words; nothing is written yet.
        assert isinstance(app.screen, ReviewResponse)
        review = str(app.screen.query_one("#review", Static).render())
        assert "1 busy block on the" in review and "at most 1 event a week" in review
        assert "name in colleagues' invites: yes" in review
        assert "SECRET" not in review
        assert not out.exists()
        await pilot.press("escape")  # back to change something: still nothing written
        await pilot.pause()
        assert not isinstance(app.screen, ReviewResponse) and not out.exists()
        await pilot.press("ctrl+s", "enter")  # Enter writes (the button has focus)
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


async def test_the_id_comes_from_the_poll_and_cannot_be_edited(
    demo_ws: Path, tmp_path: Path
) -> None:
    poll = make_poll(demo_ws, tmp_path, "beatriz-santos")
    app = make_respond_app(poll, "beatriz-santos", [], tmp_path)  # --as equal: accepted
    async with app.run_test(size=(100, 30)) as pilot:
        shown = app.query_one("#r-person")
        assert isinstance(shown, Static) and not isinstance(shown, Input)
        assert str(shown.render()) == "beatriz-santos"
        assert not shown.focusable
        await pilot.press("y", "ctrl+s", "enter")
        await pilot.pause()
    assert app.written == tmp_path / "response-beatriz-santos.toml"
    assert load_response(app.written).person == "beatriz-santos"


def test_as_another_person_is_refused_before_the_app_opens(demo_ws: Path, tmp_path: Path) -> None:
    poll = make_poll(demo_ws, tmp_path, "beatriz-santos")
    with pytest.raises(InputError, match="'ali-haddad' is not the person of this poll"):
        make_respond_app(poll, "ali-haddad", [], tmp_path)


def test_an_unknown_as_is_refused_before_the_ui_opens(
    demo_ws: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from planner.cli import main
    from planner.tui.respond import RespondApp

    def never(self: RespondApp, *args: object, **kwargs: object) -> None:
        raise AssertionError("the UI opened")

    monkeypatch.setattr(RespondApp, "run", never)
    poll = make_poll(demo_ws, tmp_path)
    assert main(["respond", str(poll), "--as", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "--as" in err and "'nobody' is not the person of this poll" in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("response-*.toml"))
