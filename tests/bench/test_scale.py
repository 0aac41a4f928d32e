"""The input-scale benchmark runs end to end (the figures themselves are for the report)."""

from __future__ import annotations

from planner.bench.scale import large_scenario, run_scale
from planner.domain.io import validate_scenario


def test_large_scenario_is_valid_and_deterministic() -> None:
    data = large_scenario(people=120, activities=6, seed=3)
    assert data == large_scenario(people=120, activities=6, seed=3)
    scenario = validate_scenario(data, "large")
    assert len(scenario.people) == 120 and len(scenario.activities) == 6


def test_run_scale_reports_each_step() -> None:
    result = run_scale(people=60, activities=4)
    assert result.people == 60 and result.validate_seconds > 0 and result.import_seconds > 0
    assert "60 people" in result.line()
