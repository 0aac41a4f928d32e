"""The TUIs' rendering rule, checked in the source: text built from values (an f-string, a
concatenation, a join) reaches a widget only through ``planner.tui.text``; notifications
only through its ``notify``. A str handed to Textual is read as markup, so a name such as
``Mallory [/]`` in an f-string crashes the app (SPEC §6, Hostile text)."""

from __future__ import annotations

import ast
from pathlib import Path

import planner.tui

TUI = Path(planner.tui.__file__).parent
WIDGET_CALLS = {
    "update",
    "Label",
    "Static",
    "Button",
    "add_row",
    "add_rows",
    "add_column",
    "add_columns",
    "Option",
    "exit",
    "set_options",
}
"""Widgets and calls that read a str as markup. (The dialogs take a str title and show it
with literal() themselves.)"""
STYLING = {"id", "classes", "variant"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _built(node: ast.expr) -> bool:
    """A string made from values here: f-string, ``+`` of strings, ``"".join(...)``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _built(node.left) or _built(node.right) or isinstance(node.left, ast.Constant)
    if isinstance(node, ast.Call) and _name(node.func) == "join":
        return True
    if isinstance(node, ast.IfExp):
        return _built(node.body) or _built(node.orelse)
    return False


def offences() -> list[str]:
    found = []
    for path in sorted(TUI.rglob("*.py")):
        if path.name == "text.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            where = f"{path.relative_to(TUI.parent)}:{node.lineno}"
            if name == "notify" and isinstance(node.func, ast.Attribute):
                found.append(f"{where}: .notify() reads markup; use planner.tui.text.notify")
            if name in WIDGET_CALLS:
                args = [*node.args, *(k.value for k in node.keywords if k.arg not in STYLING)]
                if any(_built(a) for a in args):
                    found.append(f"{where}: {name}() gets a built str; wrap it in literal()")
    return found


def test_user_text_reaches_widgets_only_through_the_helper() -> None:
    assert offences() == []
