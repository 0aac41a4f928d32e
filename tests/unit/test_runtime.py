"""Every planner command collects garbage less often than CPython's default (issue 17)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from planner.domain.runtime import THRESHOLDS
from tests.integration.cli import run


@pytest.fixture
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("default_thresholds")
def test_a_command_sets_the_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0 and out
    assert gc.get_threshold() == THRESHOLDS
    assert THRESHOLDS[0] > 700
