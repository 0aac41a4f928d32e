"""The wheel ships every package and the activity catalogue."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

REPO = Path(__file__).resolve().parents[2]


def test_every_package_is_listed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    assert set(find_packages(str(REPO), include=["planner*"])) | {"planner._activities"} == listed
    assert config["package-dir"]["planner._activities"] == "activities"
    assert "*.toml" in config["package-data"]["planner._activities"]


def test_catalogue_loads_from_a_package_directory(tmp_path: Path) -> None:
    from planner.domain.catalogue import load_catalogue

    assert len(load_catalogue(REPO / "activities")) >= 20
