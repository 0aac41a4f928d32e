"""Words: counts said right (``plural``) and "did you mean" for CLI typos (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.domain.words import plural, record_noun
from planner.store import Workspace
from tests.integration.cli import run


@pytest.mark.parametrize(
    ("n", "word", "said"),
    [
        (1, "session", "1 session"),
        (0, "session", "0 sessions"),
        (1, "activity", "1 activity"),
        (2, "activity", "2 activities"),
        (2, "day", "2 days"),
        (1, "person", "1 person"),
        (2000, "person", "2,000 people"),
        (3, "match", "3 matches"),
        (1, "busy block", "1 busy block"),
        (2, "busy block", "2 busy blocks"),
    ],
)
def test_plural(n: int, word: str, said: str) -> None:
    assert plural(n, word) == said


def test_record_nouns() -> None:
    assert [record_noun(k) for k in ("activities", "people", "queues", "venues")] == [
        "activity",
        "person",
        "queue",
        "venue",
    ]


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (
            ["solve", "s.toml", "--timelimit", "5", "--out", "o"],
            "--timelimit: did you mean --time-limit?",
        ),
        (["solve", "s.toml", "--outdir", "o"], "--outdir: did you mean --out?"),
        (["slove"], "'slove': did you mean 'solve'?"),
        (["export", "invite", "--out", "x"], "'invite': did you mean 'invites'?"),
        (["tui", "--time-limt", "3"], "--time-limt: did you mean --time-limit?"),
        (["--workspce", "x.db", "tui"], "--workspce: did you mean --workspace?"),
    ],
)
def test_cli_typos_get_did_you_mean(
    capsys: pytest.CaptureFixture[str], argv: list[str], hint: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert f"planner: {hint}" in err.splitlines()
    assert "Traceback" not in err


def test_no_guess_when_nothing_is_close(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "solve", "s.toml", "--out", "o", "--zzzzzz")
    assert code == 2
    assert "did you mean" not in err


def test_the_tui_takes_a_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``planner tui --time-limit 3``: the TUI's solve uses 3 s, not its 10 s default."""
    import planner.tui.app as tui_app
    from planner.cli import main

    seen: list[float] = []

    def fake_run(self: tui_app.PlannerApp, *args: object, **kwargs: object) -> None:
        seen.append(self.time_limit)

    monkeypatch.setattr(tui_app.PlannerApp, "run", fake_run)
    Workspace.open(tmp_path / "w.db").close()
    assert main(["--workspace", str(tmp_path / "w.db"), "tui", "--time-limit", "3"]) == 0
    assert seen == [3.0]


def test_validate_says_one_person(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import tomli_w

    from tests.factories import activity, person, scenario_data

    data = scenario_data([person("ann")], [activity("lunch")], {})
    path = tmp_path / "one.toml"
    path.write_text(tomli_w.dumps(data))
    code, out, err = run(capsys, "validate", str(path))
    assert code == 0, err
    assert "1 person, 1 activity" in out
    assert "1 people" not in out and "1 activities" not in out


def test_an_unknown_template_is_one_error_not_four(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import tomli_w

    from tests.factories import person, scenario_data

    data = scenario_data([person("ann")], [], {})
    data["activities"] = [{"id": "lunch", "template": "no-such-template"}]
    path = tmp_path / "s.toml"
    path.write_text(tomli_w.dumps(data))
    code, _out, err = run(capsys, "validate", str(path))
    assert code == 2
    lines = [line for line in err.splitlines() if "activities.0" in line]
    assert len(lines) == 1 and "activities.0 (lunch).template: unknown template" in lines[0], err
