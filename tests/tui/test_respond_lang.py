"""A Swedish and a Polish participant answer their polls in their own language (issue 18).

The screens are pinned at 80×24 like tests/tui/test_snapshots.py; the pilot answers, writes
the response and the file is read back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Static

from planner.demo import demo_scenario
from planner.domain.models import Answer
from planner.respond import export_polls, load_response
from planner.store import Workspace
from planner.tui.respond import ReviewResponse, make_respond_app

SIZE = (80, 24)
LANGS = {"erik-nilsson": "sv", "dana-kowalska": "pl"}


@pytest.fixture
def lang_polls(tmp_path: Path) -> Iterator[Path]:
    """The demo team with Erik reading Swedish and Dana Polish; everyone's polls."""
    scenario = demo_scenario()
    people = [
        p.model_copy(update={"language": LANGS[p.id]}) if p.id in LANGS else p
        for p in scenario.people
    ]
    scenario = scenario.model_copy(update={"people": people})
    with Workspace.open(tmp_path / "demo.db") as ws:
        ws.save_scenario(scenario, {}, label="create demo")
        export_polls(ws, tmp_path / "polls")
    yield tmp_path / "polls"


@pytest.mark.parametrize("pid", ["erik-nilsson", "dana-kowalska"])
def test_respond_screen_in_the_participants_language(
    snap_compare: Any, lang_polls: Path, tmp_path: Path, pid: str
) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("y", "m")
        await pilot.pause()

    app = make_respond_app(lang_polls / f"poll-{pid}.toml", None, [], tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("pid", ["erik-nilsson", "dana-kowalska"])
def test_review_screen_in_the_participants_language(
    snap_compare: Any, lang_polls: Path, pid: str
) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("y", "m", "n", "ctrl+s")
        await pilot.pause()

    app = make_respond_app(lang_polls / f"poll-{pid}.toml", None, [], Path("answers"))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


WORDS = {
    "sv": {
        "header": "enkät från",
        "tab": "1 Aktiviteter",
        "name": "Lunch över avdelningsgränserna",
        "yes": "ja",
        "footer": "Granska och spara",
        "review": ["Dina svar", "kanske:", "nej (bara arrangören ser det):", "Dina gränser"],
        "comment": "# Ditt svar på enkäten.",
    },
    "pl": {
        "header": "ankieta od:",
        "tab": "1 Aktywności",
        "name": "Lunch z innymi działami",
        "yes": "tak",
        "footer": "Sprawdź i zapisz",
        "review": ["Twoje odpowiedzi", "może:", "nie (widzi tylko organizator):", "Twoje limity"],
        "comment": "# Twoja odpowiedź na ankietę.",
    },
}


@pytest.mark.parametrize("pid", ["erik-nilsson", "dana-kowalska"])
async def test_answering_and_writing_in_the_participants_language(
    lang_polls: Path, tmp_path: Path, pid: str
) -> None:
    lang = LANGS[pid]
    words = WORDS[lang]
    out = tmp_path / "answers"
    app = make_respond_app(lang_polls / f"poll-{pid}.toml", None, [], out)
    async with app.run_test(size=(100, 30)) as pilot:
        header = str(app.query_one("#respond-header", Static).render())
        assert words["header"] in header
        assert "poll from" not in header
        table = app.query_one("#r-table")
        first = app.poll.activities[0]
        assert first.name == words["name"]
        await pilot.press("y", "m", "n")
        assert str(table.get_cell(first.id, "answer")) == words["yes"]  # type: ignore[attr-defined]
        footer = app.query_one(Footer)
        await pilot.pause()
        descriptions = {b.description for _, b, *_ in app.screen.active_bindings.values()}
        assert words["footer"] in descriptions and footer is not None
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReviewResponse)
        review = str(app.screen.query_one("#review", Static).render())
        for word in words["review"]:
            assert word in review, (word, review)
        await pilot.press("ctrl+s")
        await pilot.pause()
    written = out / f"response-{pid}.toml"
    assert written.read_text(encoding="utf-8").startswith(words["comment"])
    response = load_response(written)
    ids = [a.id for a in app.poll.activities[:3]]
    assert [response.answers[i] for i in ids] == [Answer.yes, Answer.maybe, Answer.no]


async def test_lang_overrides_the_polls_language(lang_polls: Path, tmp_path: Path) -> None:
    """``planner --lang pl respond`` (or PLANNER_LANG=pl): Polish on an English poll."""
    poll = lang_polls / "poll-ali-haddad.toml"  # no language: the team's English
    english = make_respond_app(poll, None, [], tmp_path)
    assert english.poll.language == "en"
    app = make_respond_app(poll, None, [], tmp_path, language="pl")
    async with app.run_test(size=SIZE):
        assert "ankieta od:" in str(app.query_one("#respond-header", Static).render())


def test_cli_lang_is_checked_and_passed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner import cli

    with pytest.raises(SystemExit) as caught:
        cli.build_parser().parse_args(["--lang", "de", "respond", "poll.toml"])
    assert caught.value.code == 2
    assert "invalid choice: 'de'" in capsys.readouterr().err
    args = cli.build_parser().parse_args(["--lang", "sv", "respond", "poll.toml"])
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    assert cli._chosen_language(args) == "sv"
    args = cli.build_parser().parse_args(["respond", "poll.toml"])
    assert cli._chosen_language(args) is None  # the poll's language
    monkeypatch.setenv("PLANNER_LANG", "pl_PL.UTF-8")
    assert cli._chosen_language(args) == "pl"
