"""The activity catalogue in activities/*.toml: it loads, is complete and reports faults well."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.domain.catalogue import ActivityTemplate, Catalogue, load_catalogue
from planner.domain.errors import InputError
from planner.domain.models import Activity, Kind, Setting

ACTIVITIES_DIR = Path(__file__).resolve().parents[2] / "activities"

REQUIRED_IDS = {
    "team-lunch",
    "coffee-pairing",
    "knowledge-share",
    "joint-training",
    "customer-journey-brainstorm",
    "volunteering-morning",
    "quiz-night",
    "recognition-breakfast",
    "mentoring-pairs",
    "walk-and-talk",
    "integration-workshop",
    "remote-game-session",
}

VALID_TEMPLATE = """\
id = "{id}"
name = "Broken on purpose"
description = "A template used by the tests. It has one fault."
category = "{category}"
duration_minutes = 60
min_participants = 2
max_participants = 10
setting = "indoor"
inclusive_note = "Opt-in."
"""


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ACTIVITIES_DIR)


def test_loads_at_least_twenty_templates(catalogue: Catalogue) -> None:
    assert len(catalogue) >= 20
    assert all(isinstance(t, ActivityTemplate) for t in catalogue.values())


def test_default_location_is_the_source_tree(catalogue: Catalogue) -> None:
    assert set(load_catalogue()) == set(catalogue)


def test_required_templates_exist(catalogue: Catalogue) -> None:
    missing = REQUIRED_IDS - set(catalogue)
    assert not missing, sorted(missing)


def test_every_file_is_named_after_its_id(catalogue: Catalogue) -> None:
    files = sorted(p.stem for p in ACTIVITIES_DIR.glob("*.toml"))
    assert files == sorted(catalogue)
    for template_id, template in catalogue.items():
        assert template.id == template_id
        assert (ACTIVITIES_DIR / f"{template.id}.toml").is_file()


def test_pairing_templates_hold_small_groups(catalogue: Catalogue) -> None:
    pairings = [t for t in catalogue.values() if t.kind is Kind.pairing]
    assert {"coffee-pairing", "mentoring-pairs"} <= {t.id for t in pairings}
    for t in pairings:
        assert 2 <= t.min_participants <= t.max_participants <= 8, t.id


def test_durations_are_multiples_of_thirty(catalogue: Catalogue) -> None:
    for t in catalogue.values():
        assert t.duration_minutes % 30 == 0, (t.id, t.duration_minutes)


def test_participant_ranges_are_ordered(catalogue: Catalogue) -> None:
    for t in catalogue.values():
        assert 1 <= t.min_participants <= t.max_participants, t.id


def test_texts_are_filled_in(catalogue: Catalogue) -> None:
    for t in catalogue.values():
        assert t.description.strip(), t.id
        assert t.inclusive_note.strip(), t.id


def test_specific_templates(catalogue: Catalogue) -> None:
    coffee = catalogue["coffee-pairing"]
    assert coffee.kind is Kind.pairing
    assert coffee.duration_minutes == 30
    assert (coffee.min_participants, coffee.max_participants) == (2, 3)
    assert coffee.setting is Setting.virtual
    assert "remote" in coffee.provides
    assert catalogue["quiz-night"].after_hours
    assert catalogue["walk-and-talk"].setting is Setting.outdoor
    assert catalogue["remote-game-session"].setting is Setting.virtual
    evening = {t.id for t in catalogue.values() if t.after_hours}
    assert "team-lunch" not in evening


def test_templates_fill_a_scenario_activity(catalogue: Catalogue) -> None:
    for template_id in catalogue:
        activity = Activity.model_validate(
            {"id": "a", "template": template_id}, context={"catalogue": catalogue}
        )
        assert activity.template == template_id
        assert activity.duration_minutes == catalogue[template_id].duration_minutes


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def test_bad_category_names_file_and_field(tmp_path: Path) -> None:
    _write(
        tmp_path, "bad-category.toml", VALID_TEMPLATE.format(id="bad-category", category="party")
    )
    with pytest.raises(InputError) as info:
        load_catalogue(tmp_path)
    text = info.value.render()
    assert f"{tmp_path}/bad-category.toml" in text
    assert "category" in text
    assert str(info.value) == text


def test_unknown_key_names_file_and_field(tmp_path: Path) -> None:
    text = VALID_TEMPLATE.format(id="extra-key", category="social") + 'colour = "blue"\n'
    _write(tmp_path, "extra-key.toml", text)
    with pytest.raises(InputError) as info:
        load_catalogue(tmp_path)
    rendered = info.value.render()
    assert f"{tmp_path}/extra-key.toml" in rendered
    assert "colour" in rendered


def test_missing_field_names_file_and_field(tmp_path: Path) -> None:
    text = VALID_TEMPLATE.format(id="no-setting", category="social").replace(
        'setting = "indoor"\n', ""
    )
    _write(tmp_path, "no-setting.toml", text)
    with pytest.raises(InputError) as info:
        load_catalogue(tmp_path)
    assert f"{tmp_path}/no-setting.toml: setting:" in info.value.render()


def test_bad_toml_names_file_and_position(tmp_path: Path) -> None:
    _write(tmp_path, "broken.toml", 'id = "broken"\nname = "Unclosed\ncategory = "social"\n')
    with pytest.raises(InputError) as info:
        load_catalogue(tmp_path)
    rendered = info.value.render()
    assert f"{tmp_path}/broken.toml" in rendered
    assert "not valid TOML" in rendered
    assert "line 2" in rendered


def test_id_must_match_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "one-name.toml", VALID_TEMPLATE.format(id="other-name", category="social"))
    with pytest.raises(InputError) as info:
        load_catalogue(tmp_path)
    rendered = info.value.render()
    assert f"{tmp_path}/one-name.toml: id:" in rendered
    assert "other-name" in rendered


def test_all_faults_are_reported_together(tmp_path: Path) -> None:
    _write(tmp_path, "good.toml", VALID_TEMPLATE.format(id="good", category="social"))
    _write(tmp_path, "bad-category.toml", VALID_TEMPLATE.format(id="bad-category", category="x"))
    _write(tmp_path, "broken.toml", "id = \n")
    _write(tmp_path, "notes.txt", "not a template")
    with pytest.raises(InputError) as info:
        load_catalogue(tmp_path)
    sources = {p.source for p in info.value.problems}
    assert sources == {f"{tmp_path}/bad-category.toml", f"{tmp_path}/broken.toml"}
    assert info.value.exit_code == 2


def test_valid_directory_loads(tmp_path: Path) -> None:
    _write(tmp_path, "good.toml", VALID_TEMPLATE.format(id="good", category="wellbeing"))
    loaded = load_catalogue(tmp_path)
    assert list(loaded) == ["good"]
    assert loaded["good"].kind is Kind.event
    assert loaded["good"].min_departments == 1
