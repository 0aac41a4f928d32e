"""The week grid shows every session at any width, says whose week it is, and pages with
``[`` / ``]`` from anywhere on the Plan tab."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult

from planner.tui.widgets.plan import PlanPane
from planner.tui.widgets.week_grid import GridItem, WeekGrid
from tests.tui.conftest import app_for, fake_factory

TZ = ZoneInfo("Europe/Stockholm")
MONDAY = date(2027, 3, 1)


class GridApp(App[None]):
    def __init__(self, items: list[GridItem]) -> None:
        super().__init__()
        self.items = items

    def compose(self) -> ComposeResult:
        yield WeekGrid(TZ, id="g")

    def on_mount(self) -> None:
        self.query_one(WeekGrid).show(self.items, TZ, (MONDAY, MONDAY + timedelta(days=4)))


def grid_text(grid: WeekGrid) -> str:
    console = Console(width=grid.size.width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(grid.render())
    return console.export_text()


def at(hour: int, label: str, minutes: int = 30) -> GridItem:
    start = datetime(2027, 3, 2, hour, tzinfo=TZ)
    return GridItem(start, start + timedelta(minutes=minutes), label)


@pytest.mark.parametrize("width", [80, 120])
async def test_five_coffees_at_once_are_five_at_every_width(width: int) -> None:
    app = GridApp([at(10, "Coffee pairing") for _ in range(5)] + [at(14, "Lunch")])
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        text = grid_text(app.query_one(WeekGrid))
    assert "5× Co" in text
    assert "Lunch" in text


@pytest.mark.parametrize("width", [80, 120])
async def test_different_sessions_at_once_keep_their_count(width: int) -> None:
    app = GridApp([at(10, "Board game lunch"), at(10, "Charity run / walk"), at(10, "Quiz")])
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        text = grid_text(app.query_one(WeekGrid))
    assert "+2" in text


async def test_the_person_view_says_whose_week_and_brackets_work_from_the_table(
    demo_ws: Path,
) -> None:
    app = app_for(demo_ws, solver_factory=fake_factory(block=False), check_plans=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        for _ in range(200):
            if app.snapshot is not None and app.snapshot.plan is not None:
                break
            await pilot.pause(0.05)
        pane = app.query_one(PlanPane)
        grid = app.query_one(WeekGrid)
        assert app.focused is not None and app.focused.id == "sessions-table"
        first = grid.week_start
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert grid.week_start == first + timedelta(days=7)  # type: ignore[operator]
        assert grid.display  # the grid is shown when paged
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert grid.week_start == first
        assert grid.subject == "everyone's sessions"
        person = app.snapshot.scenario.people[0] if app.snapshot else None
        assert person is not None
        pane.explanation = (person.id, Text("why"))
        await pilot.pause()
        assert grid.subject == f"{person.name}'s sessions"
        assert f"{person.name}'s sessions: week of" in grid_text(grid)


def test_two_people_of_one_name_are_told_apart() -> None:
    from planner.tui.widgets.plan import person_labels
    from tests.factories import activity, build, person, scenario_data

    people = [person("anna-a"), person("anna-b"), person("bob")]
    data = scenario_data(people, [activity("lunch")], {})
    for p in data["people"][:2]:
        p["name"] = "Anna Lindqvist"
    labels = person_labels(build(data))
    assert labels["anna-a"] == "Anna Lindqvist (anna-a)"
    assert labels["anna-b"] == "Anna Lindqvist (anna-b)"
    assert "(" not in labels["bob"]
