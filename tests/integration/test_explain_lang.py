"""`planner explain --person` in the person's language, times in their zone (issue 18)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from planner.domain.schedule import NotHeld, Objective, Schedule
from tests.factories import activity, build, person, scenario_data
from tests.integration.cli import run
from tests.integration.test_cli_explain_session import write_with_plan

NOW = "2027-02-20T09:00:00+01:00"
OFF = [{"start": "2027-03-01", "end": "2027-03-12"}]


def write(tmp_path: Path, team_language: str | None = None) -> tuple[Path, Path]:
    """Lunch held once (Alice and Dave, full), the quiz not held; Carol is on time off."""
    people = [
        person("alice", queues=["phone"], language="sv"),
        person("bob", queues=["phone"]),  # no language of his own
        person("carol", time_off=OFF, language="pl", timezone="Europe/London"),
        person("dave", language="pl"),
        person("erin", language="sv"),
    ]
    acts = [
        activity("lunch", name="Team lunch", min_participants=2, max_participants=2),
        activity("quiz", name="Pub quiz", min_participants=4),
    ]
    prefs = {
        "alice": {"lunch": "yes", "quiz": "yes"},
        "bob": {"lunch": "yes", "quiz": "yes"},
        "carol": {"lunch": "yes", "quiz": "yes"},
        "dave": {"lunch": "yes", "quiz": "maybe"},
        "erin": {"lunch": "no", "quiz": "no"},
    }
    queues = [{"id": "phone", "name": "Phone line", "min_on_duty": 1}]
    data = scenario_data(people, acts, prefs, queues=queues)
    if team_language:
        data["team"]["language"] = team_language
    return write_with_plan(tmp_path, data)


def explain(
    capsys: pytest.CaptureFixture[str], scenario: Path, schedule: Path, pid: str, *lang: str
) -> str:
    code, out, err = run(
        capsys,
        *lang,
        "explain",
        str(scenario),
        "--schedule",
        str(schedule),
        "--person",
        pid,
        "--now",
        NOW,
    )
    assert code == 0, err
    return out


def test_a_swedish_person_reads_swedish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, schedule = write(tmp_path)
    assert explain(capsys, scenario, schedule, "alice").splitlines() == [
        "Alice (alice), tider i Europe/Stockholm:",
        "  ✓ Team lunch, tis 2 mars 12:00-13:00",
        "  ✗ Pub quiz: ingen plats",
        "      - Pub quiz kom inte med i planen: bara 3 av de 4 som behövs kan vid någon av "
        "starttiderna: övriga är inte tillgängliga (1)",
    ]


def test_a_polish_person_reads_polish_in_their_own_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, schedule = write(tmp_path)
    out = explain(capsys, scenario, schedule, "carol")
    # Carol works from London: the 12:00 Stockholm lunch is 11:00 for her.
    assert out.splitlines() == [
        "Carol (carol), godziny w strefie Europe/London:",
        "  ✗ Team lunch: bez przydziału",
        "      - brak dostępności w terminie: Team lunch, wt. 2 mar 11:00",
        "      - brak wolnych miejsc: Team lunch, wt. 2 mar 11:00 (2 z 2)",
        "  ✗ Pub quiz: bez przydziału",
        "      - Pub quiz – nie ma w planie: w żadnym terminie nie może więcej niż 3 z 4 "
        "potrzebnych osób; pozostałe osoby: niedostępność (1)",
    ]
    # Her time off stays private in Polish too: no "urlop" (time off), no dates.
    assert "urlop" not in out and "2027" not in out


def test_a_person_without_a_language_reads_the_teams(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, schedule = write(tmp_path, team_language="pl")
    out = explain(capsys, scenario, schedule, "bob")
    assert out.splitlines()[:3] == [
        "Bob (bob), godziny w strefie Europe/Stockholm:",
        "  ✗ Team lunch: bez przydziału",
        "      - brak wolnych miejsc: Team lunch, wt. 2 mar 12:00 (2 z 2)",
    ]
    # The team's language is only a fallback: Alice keeps her Swedish.
    assert explain(capsys, scenario, schedule, "alice").startswith("Alice (alice), tider i")


def test_lang_overrides_the_persons_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, schedule = write(tmp_path)
    out = explain(capsys, scenario, schedule, "carol", "--lang", "sv")
    assert out.splitlines()[:3] == [
        "Carol (carol), tider i Europe/London:",
        "  ✗ Team lunch: ingen plats",
        "      - inte tillgänglig vid Team lunch, tis 2 mars 11:00",
    ]
    english = explain(capsys, scenario, schedule, "alice", "--lang", "en")
    assert english.splitlines()[:2] == [
        "Alice (alice), times in Europe/Stockholm:",
        "  ✓ Team lunch, Tue 02 Mar 12:00-13:00",
    ]


def test_polish_plurals_in_a_reason() -> None:
    """ "only N people opted in": one, a few (2-4) and many (5+) in Polish."""
    from planner.domain.planning import PlanningInput
    from planner.solve.explain import explain_person

    def why(opted: int) -> str:
        people = [person(f"p{i}", language="pl") for i in range(opted)]
        acts = [activity("quiz", name="Pub quiz", min_participants=opted + 1)]
        prefs = {p["id"]: {"quiz": "yes"} for p in people}
        problem = PlanningInput(
            scenario=build(scenario_data(people, acts, prefs)), now=datetime.fromisoformat(NOW)
        )
        empty = Schedule(
            status="feasible",
            objective=Objective(value=0, bound=0, gap=0),
            not_held=[NotHeld(activity="quiz", session=1)],
        )
        [explanation] = explain_person(problem, empty, "p0", language="pl")
        return explanation.reasons[0].detail.split(" – nie ma w planie: ")[1]

    assert [why(n) for n in (1, 3, 5)] == [
        "zgłosiła się tylko 1 osoba; potrzeba 2",
        "zgłosiły się tylko 3 osoby; potrzeba 4",
        "zgłosiło się tylko 5 osób; potrzeba 6",
    ]


@pytest.mark.parametrize("lang", ["sv", "pl"])
def test_private_reasons_stay_unavailable_in_every_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    """Time off is worded "unavailable" unless the person shares reasons, in their language
    as in English; the others' count never names it either."""
    from planner.i18n import translator

    t = translator(lang)
    time_off = t.gettext("on time off during {s}").replace("{s}", "")
    unavailable = t.gettext("not available at the time of {s}").replace("{s}", "")
    assert time_off != "on time off during "  # the wordings are translated
    assert unavailable != "not available at the time of "
    scenario, schedule = write(tmp_path)
    for pid in ("alice", "carol", "dave"):
        out = explain(capsys, scenario, schedule, pid, "--lang", lang)
        assert time_off not in out, (pid, out)
    assert unavailable in explain(capsys, scenario, schedule, "carol", "--lang", lang)
    text = scenario.read_text().replace('id = "carol"', 'id = "carol"\nshare_reasons = true', 1)
    scenario.write_text(text)
    shared = explain(capsys, scenario, schedule, "carol", "--lang", lang)
    assert time_off in shared and unavailable not in shared
