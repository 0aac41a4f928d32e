"""Shared fixtures of the calendar tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.calendar.publish import publish_plan
from planner.store import Workspace
from tests.calendar.test_invites import default_schedule, team_data
from tests.factories import NOW, build


@pytest.fixture
def team_ws(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace holding the invite tests' team, nothing published yet."""
    workspace = Workspace.open(tmp_path / "ws.db")
    workspace.save_scenario(build(team_data()), {})
    yield workspace
    workspace.close()


@pytest.fixture
def published_ws(team_ws: Workspace, tmp_path: Path) -> Workspace:
    """``team_ws`` with the default plan published (invites written to ``tmp_path/out``)."""
    publish_plan(
        team_ws.planning_input(NOW),
        default_schedule(),
        tmp_path / "out",
        workspace=team_ws,
        now=NOW,
    )
    return team_ws
