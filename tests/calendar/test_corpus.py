"""Every real-world .ics file in the shared corpus imports or is refused — never a crash or hang.

The corpus (``tests/data/ics-corpus``, a copy of ``../shared/ics-corpus`` with its licences) holds ~450 files from Google,
Outlook, Apple, Thunderbird, Nextcloud and deliberately broken ones; see its README.md.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.calendar.busy import read_busy_blocks
from planner.domain.errors import InputError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "ics-corpus"
ZONE = ZoneInfo("Europe/Stockholm")
START = datetime(1990, 1, 1, tzinfo=ZONE)
END = datetime(2040, 1, 1, tzinfo=ZONE)
PER_FILE_SECONDS = 8.0
"""CPU seconds of the reading thread (wall time fails on a loaded machine): the slowest file
(1.6 MB, 7,000 events) takes about 5 s."""


def _reason(error: InputError) -> str:
    """The reason without file and location, for counting."""
    return "; ".join(p.message for p in error.problems)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_every_corpus_file_imports_or_is_refused() -> None:
    files = sorted(CORPUS.rglob("*.ics"))
    assert len(files) > 100, f"expected the ~450-file corpus, found {len(files)} files"

    imported = refused = blocks = 0
    reasons: Counter[str] = Counter()
    slow: list[str] = []
    slowest = (0.0, "")
    crashes: list[str] = []
    began = time.perf_counter()
    for path in files:
        name = str(path.relative_to(CORPUS))
        t0 = time.thread_time()
        try:
            result = read_busy_blocks(path, zone=ZONE, start=START, end=END, source=name)
        except InputError as exc:
            refused += 1
            reasons[_reason(exc)] += 1
            assert all(p.source == name for p in exc.problems)
        except Exception as exc:
            crashes.append(f"{name}: {type(exc).__name__}")
        else:
            imported += 1
            blocks += len(result)
            assert all(b.start < b.end for b in result)
            assert all(a.end < b.start for a, b in itertools.pairwise(result))
        elapsed = time.thread_time() - t0
        slowest = max(slowest, (elapsed, name))
        if elapsed > PER_FILE_SECONDS:
            slow.append(f"{name}: {elapsed:.1f}s")
    total = time.perf_counter() - began

    print(
        f"\ncorpus: {len(files)} files, {imported} imported ({blocks} busy blocks), "
        f"{refused} refused, {total:.1f}s (slowest {slowest[0]:.1f}s: {slowest[1]})"
    )
    for reason, count in reasons.most_common(12):
        print(f"  {count:4d}  {reason}")
    assert not crashes, "crashed instead of InputError:\n" + "\n".join(crashes)
    assert not slow, "too slow:\n" + "\n".join(slow)
    assert imported + refused == len(files)
    assert imported > len(files) // 2, "most real-world files should import"
    assert refused > 0, "the corpus has deliberately broken files"
