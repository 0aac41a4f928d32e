"""The catalogues, the translator and the language fields (issue 18)."""

from __future__ import annotations

import re
import string
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from planner import i18n
from planner.domain import models
from planner.domain.catalogue import TRANSLATED, default_catalogue, load_catalogue
from planner.domain.errors import InputError
from planner.i18n import LANGUAGES, organiser_language, translator
from planner.respond import dump_poll, make_polls, poll_message
from planner.store import Workspace
from tests.factories import build, person, scenario_data
from tests.integration.cli import run

REPO = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "count": (1, 2)}


def code_messages() -> dict[str | tuple[str, str], list[str]]:
    """Every message id in planner's code, extracted with Babel as ``make extract`` does."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(REPO / "planner"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", ["sv", "pl"])
def test_every_message_in_the_code_is_translated(lang: str) -> None:
    with i18n.catalogue_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    assert catalog.num_plurals == {"sv": 2, "pl": 3}[lang]
    entries = {(m.id if isinstance(m.id, str) else (m.id[0], m.id[1])): m for m in catalog if m.id}
    messages = code_messages()
    assert len(messages) > 80
    missing = sorted(str(k) for k in messages if k not in entries)
    assert not missing, f"{lang}: not in the catalogue: {missing}"
    for key, entry in entries.items():
        assert "fuzzy" not in entry.flags, f"{lang}: fuzzy: {key}"
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        assert len(strings) == (catalog.num_plurals if isinstance(key, tuple) else 1), key
        for translated in strings:
            assert translated.strip(), f"{lang}: empty translation of {key}"
            ids = key if isinstance(key, tuple) else (key,)
            # The same placeholders: a translation can reorder them, never lose or invent one.
            assert fields(translated) == fields(ids[-1]), (lang, key, translated)
    stale = sorted(str(k) for k in entries if k not in messages)
    assert not stale, f"{lang}: no longer in the code: {stale}"


def test_polish_plural_forms() -> None:
    t = translator("pl")
    assert [t.count("{n} session", "{n} sessions", n) for n in (1, 2, 5, 22, 12, 112)] == [
        "1 termin",
        "2 terminy",
        "5 terminów",
        "22 terminy",
        "12 terminów",
        "112 terminów",
    ]
    blocks = [
        t.count(
            "{n} busy block on the {slot}-minute grid: start and end only (no titles, places or notes)",
            "{n} busy blocks on the {slot}-minute grid: start and end only (no titles, places or notes)",
            n,
            slot=30,
        ).split(" w siatce")[0]
        for n in (1, 2, 5, 22)
    ]
    assert blocks == ["1 zajęty blok", "2 zajęte bloki", "5 zajętych bloków", "22 zajęte bloki"]
    sv = translator("sv")
    assert [sv.count("{n} session", "{n} sessions", n) for n in (1, 2, 5)] == [
        "1 tillfälle",
        "2 tillfällen",
        "5 tillfällen",
    ]
    en = translator("en")
    assert [en.count("{n} session", "{n} sessions", n) for n in (1, 2, 2000)] == [
        "1 session",
        "2 sessions",
        "2,000 sessions",
    ]


def test_dates_per_locale_in_the_readers_zone() -> None:
    instant = datetime(2027, 3, 1, 17, 30, tzinfo=UTC)  # a Monday
    assert translator("sv").format_datetime(instant, "Europe/Stockholm") == "mån 1 mars 2027, 18:30"
    assert translator("pl").format_datetime(instant, "Europe/Warsaw") == "pon. 1 mar 2027, 18:30"
    assert translator("en").format_datetime(instant, "America/New_York") == "Mon 1 Mar 2027, 12:30"
    assert translator("pl").format_time(instant, "Europe/London") == "17:30"  # 24-hour clock
    assert translator("sv").format_date(date(2027, 12, 24)) == "24 dec. 2027"
    assert translator("sv").first_weekday() == translator("pl").first_weekday() == 0  # Monday


def test_the_po_file_is_compiled_in_memory_and_a_newer_mo_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    root = tmp_path / "locale"
    (root / "sv" / "LC_MESSAGES").mkdir(parents=True)
    po = Catalog(locale="sv")
    po.add("Help", "Hjälp (po)")
    with (root / "sv" / "LC_MESSAGES" / "planner.po").open("wb") as handle:
        write_po(handle, po)
    monkeypatch.setattr(i18n, "LOCALE_DIR", root)
    assert i18n._load("sv").gettext("Help") == "Hjälp (po)"
    mo = Catalog(locale="sv")
    mo.add("Help", "Hjälp (mo)")
    with (root / "sv" / "LC_MESSAGES" / "planner.mo").open("wb") as handle:
        write_mo(handle, mo)
    assert i18n._load("sv").gettext("Help") == "Hjälp (mo)"


def test_no_mo_files_are_committed_and_the_po_files_ship() -> None:
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "planner/locale"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "planner/locale/sv/LC_MESSAGES/planner.po" in tracked
    assert not [f for f in tracked if f.endswith(".mo")]
    assert "*.mo" in (REPO / ".gitignore").read_text().split()
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "locale/*/LC_MESSAGES/*.po" in config["package-data"]["planner"]


def test_organiser_language_from_flag_env_and_locale() -> None:
    assert organiser_language(None, {}) == "en"
    assert organiser_language(None, {"LANG": "sv_SE.UTF-8"}) == "sv"
    assert organiser_language(None, {"LANG": "de_DE.UTF-8"}) == "en"
    assert organiser_language(None, {"LANG": "C.UTF-8"}) == "en"
    assert organiser_language(None, {"LC_ALL": "pl_PL.UTF-8", "LANG": "sv_SE"}) == "pl"
    assert organiser_language(None, {"PLANNER_LANG": "pl", "LANG": "sv_SE.UTF-8"}) == "pl"
    assert organiser_language("sv", {"PLANNER_LANG": "pl"}) == "sv"


def test_the_domain_and_i18n_agree_on_the_languages() -> None:
    assert models.LANGUAGES == LANGUAGES
    assert set(TRANSLATED) == set(LANGUAGES) - {"en"}


# ---------------------------------------------------------------------- the model


def people() -> list[dict[str, Any]]:
    return [
        person("sven"),
        person("piotr", "Billing", language="pl"),
        person("emma", language="en"),
    ]


def test_a_person_without_a_language_gets_the_teams(tmp_path: Path) -> None:
    data = scenario_data(people(), [{"id": "lunch", "template": "team-lunch"}])
    data["team"]["language"] = "sv"
    scenario = build(data)
    assert [scenario.person_language(p) for p in scenario.people] == ["sv", "pl", "en"]
    with Workspace.open(tmp_path / "ws.db") as ws:
        ws.save_scenario(scenario, {}, label="create")
        polls = {p.person: p for p in make_polls(ws)}
        assert ws.load_scenario() == scenario  # stored and read back with the languages
    assert {pid: p.language for pid, p in polls.items()} == {
        "sven": "sv",
        "piotr": "pl",
        "emma": "en",
    }
    assert polls["sven"].activities[0].name == "Lunch över avdelningsgränserna"
    assert polls["piotr"].activities[0].name == "Lunch z innymi działami"
    assert polls["emma"].activities[0].name == "Team lunch across departments"
    assert dump_poll(polls["sven"]).startswith("# Enkät från Olga Organiser för Test team")
    assert 'language = "sv"' in dump_poll(polls["sven"])
    assert "language" not in dump_poll(polls["emma"])  # English polls stay as they were
    mail = poll_message(polls["piotr"], scenario.person("piotr"))
    assert str(mail["Subject"]) == "Test team: Twoje odpowiedzi na okres 1 mar – 12 mar 2027"


def test_team_language_defaults_to_english_and_is_not_written() -> None:
    from planner.domain.io import scenario_document

    scenario = build(scenario_data(people(), []))
    assert scenario.team.language == "en"
    document = scenario_document(scenario)
    assert "language" not in document["team"]
    assert [p.get("language") for p in document["people"]] == [None, "pl", "en"]


def test_an_unknown_language_is_exit_2_at_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import tomli_w

    data = scenario_data([*people(), person("hans", language="de")], [])
    path = tmp_path / "scenario.toml"
    path.write_text(tomli_w.dumps(data))
    code, _out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert f"{path}: people.3 (hans).language: 'de' is not one of en, sv, pl" in err
    assert "Traceback" not in err
    data = scenario_data(people(), [])
    data["team"]["language"] = "fi"
    path.write_text(tomli_w.dumps(data))
    code, _out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert f"{path}: team.language: 'fi' is not one of en, sv, pl" in err


# ---------------------------------------------------------------------- the catalogue


def test_every_catalogue_activity_speaks_swedish_and_polish() -> None:
    for template in default_catalogue().values():
        for lang in TRANSLATED:
            texts = getattr(template, lang)
            assert texts is not None, f"{template.id}: no [{lang}]"
            assert texts.name != template.name or template.name == "Escape room"
            assert texts.description != template.description
            assert texts.inclusive_note != template.inclusive_note
        assert template.texts("fi").name == template.name  # no such language: English


def test_validate_checks_every_languages_strings(tmp_path: Path) -> None:
    source = (REPO / "activities" / "team-lunch.toml").read_text()
    assert "\n[sv]\n" in source and "\n[pl]\n" in source
    bad = source.replace('[sv]\nname = "Lunch', '[sv]\nname = "\\nLunch', 1)
    bad = re.sub(r'(\[pl\]\nname = "[^"]*")\n', r'\1\nnamn = "x"\n', bad, count=1)
    (tmp_path / "team-lunch.toml").write_text(bad)
    with pytest.raises(InputError) as caught:
        load_catalogue(tmp_path)
    places = {p.location for p in caught.value.problems}
    assert {"sv.name", "pl.namn"} <= places, places


def test_every_error_title_is_in_the_catalogue() -> None:
    """The organiser's TUI shows an error's title in their language: every title is one."""
    import planner.calendar.caldav
    import planner.store.workspace  # noqa: F401  (their errors' titles)
    from planner.domain.errors import PlannerError
    from planner.tui.app import ERROR_TITLES

    def below(cls: type) -> list[type]:
        return [cls, *(c for sub in cls.__subclasses__() for c in below(sub))]

    titles = {cls.title for cls in below(PlannerError)}
    assert len(titles) >= 7
    assert titles <= set(ERROR_TITLES), titles - set(ERROR_TITLES)
    assert translator("sv").gettext("Invalid input") == "Ogiltiga uppgifter"
    assert translator("pl").gettext("Invalid input") == "Nieprawidłowe dane"


def test_numbers_per_locale() -> None:
    en, sv, pl = translator("en"), translator("sv"), translator("pl")
    assert [en.decimal(1234567.4), en.decimal(2.25, 1), en.percent(0.1234)] == [
        "1,234,567",
        "2.2",
        "12.34%",
    ]
    assert [sv.decimal(1234567.4), sv.decimal(2.26, 1), sv.percent(0.1234)] == [
        "1\xa0234\xa0567",
        "2,3",
        "12,34%",
    ]
    assert [pl.decimal(1234567.4), pl.percent(0.5, 0)] == ["1\xa0234\xa0567", "50%"]
