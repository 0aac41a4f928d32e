"""Every screen at 80×24, pinned. Update with --snapshot-update only after looking."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from planner.respond import export_polls
from planner.store import Workspace
from planner.tui.app import make_app
from planner.tui.respond import make_respond_app
from tests.tui.conftest import NOW, fake_factory

SIZE = (80, 24)


def organiser(path: Path, **kwargs: Any) -> Any:
    return make_app(
        str(path),
        now=lambda: NOW,
        out_dir=Path("planner-out"),
        solver_factory=fake_factory(block=False),
        check_plans=False,
        **kwargs,
    )


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param((), id="overview"),
        pytest.param(("2",), id="people"),
        pytest.param(("3", "down"), id="activities"),
        pytest.param(("4", "right"), id="answers"),
        pytest.param(("5", "down"), id="rules"),
        pytest.param(("7",), id="export"),
        pytest.param(("2", "a"), id="person-form"),
        pytest.param(("question_mark",), id="help"),
    ],
)
def test_screens(snap_compare: Any, demo_ws: Path, keys: tuple[str, ...]) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press(*keys)
        await pilot.pause()

    assert snap_compare(organiser(demo_ws), terminal_size=SIZE, run_before=run_before)


def test_plan(snap_compare: Any, demo_ws: Path) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("f5")
        app = pilot.app
        for _ in range(200):
            if getattr(app, "snapshot", None) is not None and app.snapshot.plan is not None:
                break
            await asyncio.sleep(0.05)
        await pilot.pause()

    assert snap_compare(organiser(demo_ws), terminal_size=SIZE, run_before=run_before)


def test_respond(snap_compare: Any, demo_ws: Path, tmp_path: Path) -> None:
    with Workspace.open(demo_ws) as ws:
        poll = tmp_path / "polls" / "poll-ali-haddad.toml"
        assert poll in export_polls(ws, tmp_path / "polls")

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("y", "m")
        await pilot.pause()

    app = make_respond_app(poll, None, [], tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_respond_review(
    snap_compare: Any, demo_ws: Path, tmp_path: Path, size: tuple[int, int], theme: str
) -> None:
    """The participant's last look before writing (new in issue 14)."""
    with Workspace.open(demo_ws) as ws:
        poll = tmp_path / "polls" / "poll-ali-haddad.toml"
        assert poll in export_polls(ws, tmp_path / "polls")

    async def run_before(pilot: Pilot[int]) -> None:
        pilot.app.theme = theme
        await pilot.press("y", "m", "n", "ctrl+s")
        await pilot.pause()

    app = make_respond_app(poll, None, [], Path("answers"))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_plan_grid(snap_compare: Any, demo_ws: Path, size: tuple[int, int], theme: str) -> None:
    """The week grid with whose sessions it shows (issue 14)."""

    async def run_before(pilot: Pilot[int]) -> None:
        pilot.app.theme = theme
        await pilot.press("f5")
        app = pilot.app
        for _ in range(200):
            if getattr(app, "snapshot", None) is not None and app.snapshot.plan is not None:
                break
            await asyncio.sleep(0.05)
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(organiser(demo_ws), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_export_preview(
    snap_compare: Any,
    demo_ws: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    theme: str,
) -> None:
    """The readable invite preview and the export summary (issue 14)."""
    monkeypatch.chdir(tmp_path)  # the invites go to ./planner-out

    async def run_before(pilot: Pilot[int]) -> None:
        pilot.app.theme = theme
        await pilot.press("f5")
        app = pilot.app
        for _ in range(200):
            if getattr(app, "snapshot", None) is not None and app.snapshot.plan is not None:
                break
            await asyncio.sleep(0.05)
        await pilot.press("7", "w")
        for _ in range(200):
            if app.query_one("#export-files").option_count:
                break
            await asyncio.sleep(0.05)
        await pilot.press("down", "down")
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(organiser(demo_ws), terminal_size=size, run_before=run_before)
