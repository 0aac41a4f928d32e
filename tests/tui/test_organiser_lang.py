"""The organiser's TUI in Swedish and Polish where the catalogue covers it (issue 18):
tab titles, the app's own keys in the footer and the help list, error titles, the
welcome screen. The panes' own keys stay English (README, "Languages")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Label, Tab

from planner.domain.errors import InputError
from planner.store import Workspace
from planner.tui.screens.help import HelpScreen
from tests.tui.conftest import app_for

SIZE = (100, 30)


def tab_titles(app: Any) -> list[str]:
    return [str(tab.label) for tab in app.query(Tab)]


def footer_words(app: Any) -> set[str]:
    return {active.binding.description for active in app.active_bindings.values()}


async def test_the_organiser_tui_in_swedish(demo_ws: Path) -> None:
    english = app_for(demo_ws)
    async with english.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert tab_titles(english)[:3] == ["Overview", "People", "Activities"]
        assert {"Quit", "Undo", "Solve", "Help"} <= footer_words(english)
    app = app_for(demo_ws, language="sv")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert tab_titles(app) == [
            "Översikt",
            "Personer",
            "Aktiviteter",
            "Svar",
            "Regler",
            "Plan",
            "Export",
            "Omgångar",
        ]
        assert {"Avsluta", "Ångra", "Planera", "Hjälp"} <= footer_words(app)
        app._edit(lambda: (_ for _ in ()).throw(InputError.single("x.toml", "bad")))
        await pilot.pause()
        assert [n.title for n in app._notifications] == ["Ogiltiga uppgifter"]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
        assert app.screen.intro.startswith("Varje ändring sparas direkt")
    assert ("Appen", "ctrl+z", "Ångra", "Ångra den senaste ändringen i arbetsytan.") in rows
    assert ("Appen", "2", "Personer", "Gå till fliken Personer.") in rows
    # The panes' own keys are not covered: English, under a Swedish section title.
    assert ("Personer", "a", "Add", "Add a person through a form.") in rows


async def test_the_welcome_screen_in_polish(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    Workspace.open(path).close()
    app = app_for(path, language="pl")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        labels = [str(label.render()) for label in app.screen.query(Label)]
        assert "Ten obszar roboczy jest pusty" in labels
        assert "Importuj…" in {str(b.label) for b in app.screen.query("Button")}


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--lang", "pl", "tui"], {}, "pl"),
        (["tui"], {"PLANNER_LANG": "sv"}, "sv"),
        (["tui"], {"LANG": "pl_PL.UTF-8"}, "pl"),
        (["tui"], {}, "en"),
    ],
)
def test_the_cli_opens_the_tui_in_the_organisers_language(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    expected: str,
) -> None:
    import planner.tui.app as tui_app
    from planner.cli import main

    for var in ("PLANNER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    opened: dict[str, Any] = {}

    class Opened:
        return_code = 0

        def run(self) -> None:
            pass

    def fake_make_app(workspace: str, **kwargs: Any) -> Opened:
        opened.update(kwargs)
        return Opened()

    monkeypatch.setattr(tui_app, "make_app", fake_make_app)
    assert main([*argv[:-1], "--workspace", str(tmp_path / "ws.db"), argv[-1]]) == 0
    assert opened["language"] == expected
