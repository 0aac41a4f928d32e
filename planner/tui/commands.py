"""The command palette: every action of the app, searchable by name (ctrl+p)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from planner.tui.app import PlannerApp


class PlannerCommands(Provider):
    """Offers the app's :meth:`PlannerApp.palette_commands` (title, help, action)."""

    def _commands(self) -> list[tuple[str, str, str]]:
        app = cast("PlannerApp", self.app)
        return app.palette_commands()

    async def discover(self) -> Hits:
        app = self.app
        for title, help_text, action in self._commands():
            yield DiscoveryHit(title, partial(app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self.app
        for title, help_text, action in self._commands():
            score = matcher.match(f"{title} {help_text}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(app.run_action, action),
                    text=title,
                    help=help_text,
                )
