"""``planner bench --rounds-timing`` end to end at size S, two rounds: the workspace is built
through the real round commands and every timed command ran (no targets asserted here: the
bench reports them, timed tests would be flaky)."""

from __future__ import annotations

from planner.bench.rounds import run_rounds_timing, timing_table


def test_the_rounds_timing_runs_the_real_commands() -> None:
    lines: list[str] = []
    result = run_rounds_timing("S", 2, seed=0, progress=lines.append)
    assert result.people == 40 and result.rounds == 2 and result.sessions_first_round > 0
    assert [t.command.split(" (")[0] for t in result.timed] == [
        "round close",
        "report --format json",
        "report --format html",
        "report --format csv",
    ]
    assert all(0 < t.seconds <= t.process_seconds and t.peak_mib > 0 for t in result.timed)
    assert "  round 2 closed" in lines
    assert timing_table(result).row_count == 4
