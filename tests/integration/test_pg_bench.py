"""``planner bench --workspace-scale`` at a small size: both engines, every edit kept."""

from __future__ import annotations

import pytest

from planner.bench.workspace import EDITS, ORGANISERS, run_workspace_scale, workspace_table


@pytest.mark.slow
def test_workspace_bench_runs_both_engines_and_loses_no_edit() -> None:
    results = run_workspace_scale(people=ORGANISERS * EDITS, activities=4)
    assert [r.engine for r in results] == ["SQLite", "PostgreSQL"]
    for r in results:
        assert (r.edits_present, r.edits_lost) == (ORGANISERS * EDITS, 0), r
        assert r.p95_ms > 0 and r.import_s > 0 and r.open_s > 0
    table = workspace_table(results)
    assert table[0][0] == "engine" and [row[0] for row in table[1:]] == ["SQLite", "PostgreSQL"]
