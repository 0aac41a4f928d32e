"""The core never imports Textual (STYLE 1): checked in a fresh interpreter per package."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

CORE = [
    "planner.domain",
    "planner.store",
    "planner.solve",
    "planner.calendar",
    "planner.bench",
    "planner.service",
    "planner.respond",
    "planner.rounds",
    "planner.report",
    "planner.overview",
    "planner.demo",
    "planner.cli",  # imports the TUI lazily, only when a TUI command runs
]


@pytest.mark.parametrize("module", CORE)
def test_core_does_not_import_textual(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} does not exist yet")
    code = (
        "import importlib, pkgutil, sys\n"
        f"m = importlib.import_module({module!r})\n"
        "for info in pkgutil.walk_packages(getattr(m, '__path__', []), m.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(bad[:3])\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulls in textual: {result.stdout}{result.stderr}"


def test_file_only_commands_do_not_load_the_database_layer() -> None:
    # validate, verify and explain work on files; SQLAlchemy costs about a fifth of a second.
    code = "import sys, planner.service, planner.cli; print('sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_import_contracts_hold() -> None:
    """The layers of pyproject.toml's [tool.importlinter] (also run by `make lint`)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command;"
            " sys.exit(lint_imports_command(['--no-logo', '--no-cache']))",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
