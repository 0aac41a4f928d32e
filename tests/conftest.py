"""Shared pytest configuration."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# Never read or write the real user's data directory from a test.
os.environ["PLANNER_HOME"] = tempfile.mkdtemp(prefix="planner-home-")


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture
def example_scenario(shared_dir: Path) -> Path:
    return shared_dir / "examples" / "support-team.toml"
