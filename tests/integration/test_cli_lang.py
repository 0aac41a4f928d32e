"""The organiser's CLI in Swedish or Polish: ``--lang``, else ``PLANNER_LANG``, else the OS
locale; English when nothing is chosen (issue 18). Covered: the summaries of validate,
solve, verify and export/report ("wrote …"), the progress line, "did you mean" and
"interrupted" (README, "Languages")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.domain.io import dump_scenario
from tests.factories import activity, build, everyone_yes, person, scenario_data
from tests.integration.cli import run, solve_argv

NOW = "2027-02-20T09:00:00+01:00"
PEOPLE = [
    person("ann"),
    person("bob", "Billing"),
    person("cat"),
    person("dan", "Billing"),
    person("eve"),
]


@pytest.fixture(autouse=True)
def _no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing chosen: no PLANNER_LANG, a C locale (each test sets what it needs)."""
    for var in ("PLANNER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    data = scenario_data(
        PEOPLE,
        [activity("lunch", name="Team lunch", min_participants=2, max_participants=4)],
        everyone_yes(PEOPLE, "lunch"),
        queues=[{"id": "phone", "name": "Phone line", "min_on_duty": 0}],
    )
    path = tmp_path / "s.toml"
    path.write_text(dump_scenario(build(data), "toml"))
    return path


VALID = {
    "en": ": valid — team 'Test team', 5 people, 1 activity, 0 venues, 1 queue, 5 answers, "
    "horizon 2027-03-01..2027-03-12",
    "sv": ": giltig — team 'Test team', 5 personer, 1 aktivitet, 0 lokaler, 1 kö, 5 svar, "
    "planeringsperiod 2027-03-01..2027-03-12",
    "pl": ": poprawny — zespół 'Test team', 5 osób, 1 aktywność, 0 miejsc, 1 kolejka, "
    "5 odpowiedzi, okres 2027-03-01..2027-03-12",
}


def test_lang_flag_env_and_os_locale_choose_the_organisers_language(
    scenario: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def validate(*flags: str) -> str:
        code, out, err = run(capsys, *flags, "validate", str(scenario))
        assert code == 0, err
        return out.strip()

    assert validate() == f"{scenario}{VALID['en']}"  # nothing chosen: English
    assert validate("--lang", "sv") == f"{scenario}{VALID['sv']}"
    assert validate("--lang=pl") == f"{scenario}{VALID['pl']}"
    workspace = ("--workspace", str(scenario.parent / "ws.db"))  # a global option first
    assert validate(*workspace, "--lang", "sv") == f"{scenario}{VALID['sv']}"
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")  # the OS locale
    assert validate() == f"{scenario}{VALID['sv']}"
    monkeypatch.setenv("PLANNER_LANG", "pl")  # beats the OS locale
    assert validate() == f"{scenario}{VALID['pl']}"
    assert validate("--lang", "en") == f"{scenario}{VALID['en']}"  # --lang beats both
    monkeypatch.setenv("PLANNER_LANG", "de")  # a language we do not speak: English
    assert validate() == f"{scenario}{VALID['en']}"


def test_solve_and_verify_summaries_in_polish(
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PLANNER_LANG", "pl")
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, *solve_argv(str(scenario), out=out_dir, now=NOW, workers=1))
    assert code == 0, err
    summary, wrote = out.strip().splitlines()
    assert re.fullmatch(
        r"(optymalny|dopuszczalny): 1 termin, z przydziałem: 4 osoby, bez przydziału: "
        r"1 zgłoszenie, poza planem: 0 terminów; cel [\d  ]+ \(granica [\d  ]+, "
        r"luka \d+,\d\d%\) w \d+,\d s",
        summary,
    ), summary
    # 1 schedule, the team calendar and 4 invites: "pliki" for 2-4, "plików" for 5+.
    assert re.fullmatch(
        rf"zapisano {re.escape(str(out_dir))}/schedule\.json i \d+ plików kalendarza", wrote
    )
    code, out, _ = run(
        capsys, "verify", str(scenario), str(out_dir / "schedule.json"), "--now", NOW
    )
    assert code == 0
    assert out.strip() == f"{out_dir / 'schedule.json'}: brak naruszeń (sprawdzono: 1 termin)"


def test_did_you_mean_in_swedish(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "--lang", "sv", "solve", str(scenario), "--out", str(tmp_path), "--tme-limit", "3"
    )
    assert code == 2
    assert "planner: --tme-limit: menade du --time-limit?" in err.splitlines()
    code, _, err = run(capsys, "--lang", "sv", "export", "polls", "--out", str(tmp_path))
    assert code == 2
    assert "planner: 'polls': menade du 'poll'?" in err.splitlines()


def test_explain_person_follows_the_person_not_planner_lang(
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """PLANNER_LANG is the organiser's own language: what a participant may be shown stays
    in the participant's (only --lang, asked for on purpose, changes it)."""
    monkeypatch.setenv("PLANNER_LANG", "pl")
    argv = ["explain", str(scenario), "--person", "ann", "--now", NOW, "--workers", "1"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert out.startswith("Ann (ann), times in Europe/Stockholm:")
    code, out, _ = run(capsys, "--lang", "sv", *argv)
    assert out.startswith("Ann (ann), tider i Europe/Stockholm:")
