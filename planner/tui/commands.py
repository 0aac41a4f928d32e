"""The command palette: every action of the app, searchable by name (ctrl+p).

Besides the app's fixed actions, the palette offers one "Why is … not placed" per person
with an unplaced opt-in and one "Explain session …" per session not held in the current
plan; both show their explanation in the Plan tab, with times in the team zone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from planner.tui.app import PlannerApp


def _explain_session(app: PlannerApp, session_id: str) -> None:
    """Work out, off the UI thread, why a session was not held; show it in the Plan tab."""
    from rich.text import Text

    from planner.solve.explain import explain_session
    from planner.tui.app import ExplainReady

    plan = app.snapshot.plan if app.snapshot else None
    if plan is None:
        return
    problem = app._problem or app.workspace.planning_input(app.now())
    text = "\n".join(explain_session(problem, plan, session_id)) + "\n\n(x: back to sessions)"
    app.post_message(ExplainReady(session_id, Text(text)))


def _show(app: PlannerApp, work: Callable[[], object]) -> None:
    app.action_tab("plan")
    work()


class PlannerCommands(Provider):
    """Offers the app's :meth:`PlannerApp.palette_commands` (title, help, action) and the
    explanations of the current plan."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast("PlannerApp", self.app)
        out: list[tuple[str, str, Callable[[], object]]] = [
            (title, help_text, partial(app.run_action, action))
            for title, help_text, action in app.palette_commands()
        ]
        return out + self._explanations(app)

    def _explanations(self, app: PlannerApp) -> list[tuple[str, str, Callable[[], object]]]:
        snapshot = app.snapshot
        plan = snapshot.plan if snapshot else None
        if snapshot is None or plan is None:
            return []
        people = {p.id: p.name for p in snapshot.scenario.people}
        activities = {a.id: a for a in snapshot.scenario.activities}
        out: list[tuple[str, str, Callable[[], object]]] = []
        for pid in dict.fromkeys(u.person for u in plan.unplaced):
            out.append(
                (
                    f"Why is {people.get(pid, pid)} not placed",
                    "Their sessions and, per opted-in activity, why not",
                    partial(_show, app, partial(app._explain, pid)),
                )
            )
        for n in plan.not_held:
            a = activities.get(n.activity)
            name = a.name if a else n.activity
            of = f" (session {n.session})" if a and a.sessions > 1 else ""
            sid = f"{n.activity}#{n.session}"
            work = partial(
                app.run_worker,
                partial(_explain_session, app, sid),
                thread=True,
                exclusive=True,
                group="explain",
                exit_on_error=False,
            )
            out.append(
                (
                    f"Explain session {name}{of}: not held",
                    "Why it was not held, and the limits that may bind it",
                    partial(_show, app, work),
                )
            )
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(f"{title} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
