"""Running the CLI in-process from tests: one helper for the call, one for ``solve``'s flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``planner ARGV`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors exit from inside main()
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def solve_argv(
    *source: str, out: Path, now: str, time_limit: float = 5, workers: int | None = None
) -> list[str]:
    """``solve`` with its source (a scenario path, or ``--workspace DB``) and limits."""
    argv = ["solve", *source, "--out", str(out), "--now", now, "--time-limit", f"{time_limit:g}"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return argv
