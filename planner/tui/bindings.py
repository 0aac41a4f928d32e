"""Bindings both apps share: help, theme and one number key per tab."""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding


def shared_bindings(tabs: Sequence[tuple[str, str]]) -> list[Binding]:
    """``?`` help, F2 theme, and ``1``..``n`` for the tabs given as (id, title)."""
    return [
        Binding(
            "question_mark", "help", "Help", key_display="?", tooltip="List every key.", id="help"
        ),
        Binding("f2", "toggle_theme", "Theme", tooltip="Switch light and dark.", id="theme"),
        *(
            Binding(
                str(i + 1),
                f"tab('{tab}')",
                title,
                show=False,
                tooltip=f"Go to the {title} tab.",
                id=f"tab-{tab}",
            )
            for i, (tab, title) in enumerate(tabs)
        ),
    ]
