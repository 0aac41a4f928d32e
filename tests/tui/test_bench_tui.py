"""`planner bench --tui` runs the real TUI headless and times every step it names."""

from __future__ import annotations

from planner.tui.bench import STEPS, run_tui_bench, tui_table


def test_tui_bench_times_every_step_on_a_real_workspace() -> None:
    (row,) = run_tui_bench(("S",), runs=1)
    assert (row.size, row.people, row.activities) == ("S", 40, 8)
    assert set(row.seconds) == set(STEPS)
    assert all(len(v) == 1 and v[0] > 0 for v in row.seconds.values())
    assert tui_table([row]).row_count == 1
