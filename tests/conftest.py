"""Shared pytest configuration."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from planner.store import Workspace
    from planner.store.pgserver import PgServer

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
"""Test data kept in the repository (with the licences of files from other projects), so a
clone runs every test without ``../shared`` beside it."""

# Never read or write the real user's data directory from a test.
os.environ["PLANNER_HOME"] = tempfile.mkdtemp(prefix="planner-home-")

# The organiser's language follows PLANNER_LANG and the OS locale: pin English, so a
# contributor with a Swedish or Polish desktop sees the same texts as CI (tests that want
# another language pass --lang or set the variable themselves).
os.environ.pop("PLANNER_LANG", None)
for _var in ("LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ[_var] = "C.UTF-8"


@pytest.fixture
def shared_dir() -> Path:
    """The folder holding ``examples/`` (the shared example scenario and its calendars)."""
    return DATA


@pytest.fixture
def example_scenario(shared_dir: Path) -> Path:
    return shared_dir / "examples" / "support-team.toml"


@pytest.fixture
def team_ws(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace holding the invite tests' team, nothing published yet."""
    from planner.store import Workspace
    from tests.calendar.test_invites import team_data
    from tests.factories import build

    workspace = Workspace.open(tmp_path / "ws.db")
    workspace.save_scenario(build(team_data()), {})
    yield workspace
    workspace.close()


@pytest.fixture
def published_ws(team_ws: Workspace, tmp_path: Path) -> Workspace:
    """``team_ws`` with the default plan published (invites written to ``tmp_path/out``)."""
    from planner.calendar.publish import publish_plan
    from tests.calendar.test_invites import default_schedule
    from tests.factories import NOW

    publish_plan(
        team_ws.planning_input(NOW),
        default_schedule(),
        tmp_path / "out",
        workspace=team_ws,
        now=NOW,
    )
    return team_ws


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server of the test session's own (see tests/pg.py)."""
    from tests.pg import session_server

    server = session_server()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a new, empty PostgreSQL database (the password is in ``PGPASSWORD``)."""
    from tests.pg import new_database

    return new_database(pg_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def ws_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a workspace lives, once per engine: a SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "w.db")
    return str(request.getfixturevalue("pg_url"))
