"""The focus model both apps follow (tested in ``tests/tui/test_focus.py``).

1. Every screen and dialog focuses its first useful widget when it opens: a tab its table
   or list (``Pane.HOME``), a form its first editable field (the first field with an error
   when it comes back refused), a picker its filter box, a confirmation its button. Focus
   never lands in a text box on its own, except in a form.
2. Escape backs out one level: search or any other box -> the tab's table -> the tab bar;
   in a dialog it cancels. Down or Enter on the tab bar goes back into the tab.
3. A focused text box takes every printable key (``4`` types a 4); keys that switch tabs or
   run app actions are printable only outside text boxes, and the app's non-printable keys
   (F5, F2, ctrl+z, ctrl+q) are priority bindings that work from anywhere on the main
   screen. Under a dialog the app's keys are off (``check_action``), so a digit or ctrl+z
   never reaches the screen beneath.
4. Tab and shift+tab move through the widgets of the shown tab only (the tab bar is one
   Escape away, so Right on it is a deliberate tab switch).
5. In a form Enter submits, ctrl+s too; every dialog has its own footer with its keys.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TabbedContent, TabPane, Tabs, TextArea


def is_text_box(widget: Widget | None) -> bool:
    return isinstance(widget, Input | TextArea)


def focus_first(container: Widget, selector: str = "*") -> bool:
    """Focus the first focusable widget under ``container`` matching ``selector``."""
    for widget in container.query(selector):
        if widget.focusable:
            widget.focus()
            return True
    return False


def active_pane(screen: Screen[object]) -> TabPane | None:
    tabs = screen.query(TabbedContent)
    if not tabs:
        return None
    content = tabs.first()
    if not content.active:
        return None
    return content.get_pane(content.active)


def tab_bar(screen: Screen[object]) -> Tabs | None:
    found = screen.query(Tabs)
    return found.first() if found else None


class TabbedScreen(Screen[object]):
    """The main screen of an app built on a :class:`TabbedContent` (rules 2 and 4).

    The app supplies ``focus_home(tab_pane)``: focus the pane's first useful widget."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "cycle(1)", "Next field", show=False),
        Binding("shift+tab", "cycle(-1)", "Previous field", show=False),
        Binding("escape", "back", "Back", show=False, tooltip="Back out one level."),
        Binding("down,enter", "into_tab", "Into the tab", show=False),
    ]

    def _home(self, pane: TabPane) -> bool:
        home = getattr(self.app, "focus_home", None)
        return bool(home(pane)) if home is not None else focus_first(pane)

    def action_cycle(self, step: int) -> None:
        pane = active_pane(self)
        if pane is None:
            self.focus_next() if step > 0 else self.focus_previous()
            return
        inside = [w for w in self.focus_chain if pane in w.ancestors]
        # A scrolling container that holds fields is not a stop of its own.
        holders = {a for w in inside for a in w.ancestors}
        chain = [w for w in inside if w not in holders]
        if not chain:
            return
        here = chain.index(self.focused) if self.focused in chain else (-1 if step > 0 else 0)
        chain[(here + step) % len(chain)].focus()

    def action_back(self) -> None:
        pane = active_pane(self)
        focused = self.focused
        if pane is None or focused is None:
            return
        if pane not in focused.ancestors:
            return
        if is_text_box(focused) and self._home(pane):
            return
        bar = tab_bar(self)
        if bar is not None:
            bar.focus()

    def action_into_tab(self) -> None:
        pane = active_pane(self)
        if pane is not None and isinstance(self.focused, Tabs):
            self._home(pane)
