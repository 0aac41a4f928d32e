"""The Answers tab at L (2,000 people × 40 activities): paged, and still every row reachable.

The table builds only the rows near the view (issue 14: its first view took seconds when
all 80,000 cells were added at once); these tests pin what the organiser sees, not speed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.style import Style
from textual.widgets import DataTable

from planner.domain.models import Answer, Scenario
from planner.store import Workspace
from planner.tui.widgets.answers import AnswerMatrix, cell
from planner.tui.widgets.base import shorten
from tests.tui.conftest import app_for

SIZE = (120, 40)


@pytest.fixture(scope="module")
def large_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from planner.bench.orgs import scenario

    path = tmp_path_factory.mktemp("large") / "large.db"
    with Workspace.open(path) as ws:
        ws.save_scenario(scenario("L"), {}, label="bench L")
    return path


@pytest.fixture
def large_ws(large_db: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "large.db"
    shutil.copy(large_db, path)
    yield path


def _scenario(path: Path) -> Scenario:
    with Workspace.open(path) as ws:
        return ws.load_scenario()


def _expected_row(s: Scenario, index: int) -> list[str]:
    person = s.people[index]
    answers = s.preferences.get(person.id, {})
    return [shorten(person.name, 16), *(str(cell(answers.get(a.id))) for a in s.activities)]


def _shown(table: AnswerMatrix) -> str:
    """The table's lines as drawn on the screen now."""
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_first_view_at_l_shows_the_first_people_and_builds_only_those_near_it(
    large_ws: Path,
) -> None:
    s = _scenario(large_ws)
    assert len(s.people) == 2000 and len(s.activities) == 40
    app = app_for(large_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.pause()
        table = app.query_one("#answers-table", AnswerMatrix)
        # Every row is there to scroll to, but only those near the view are built.
        assert table.total_rows == 2000
        assert table.virtual_size.height == 2000 + table.header_height
        assert table.size.height < table.row_count <= 300
        for r in range(table.size.height):
            assert [str(c) for c in table.get_row_at(r)] == _expected_row(s, r)
        shown = _shown(table)
        assert shorten(s.people[0].name, 16) in shown
        assert shorten(s.people[30].name, 16) in shown


async def test_the_last_row_shows_the_last_persons_answers_and_takes_an_edit(
    large_ws: Path,
) -> None:
    s = _scenario(large_ws)
    last = s.people[-1]
    app = app_for(large_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.pause()
        table = app.query_one("#answers-table", AnswerMatrix)
        assert table.row_count < table.total_rows
        await pilot.press("ctrl+end")  # to the last row, built or not
        await pilot.pause()
        assert table.cursor_coordinate.row == 1999 and table.row_count == 2000
        assert [str(c) for c in table.get_row_at(1999)] == _expected_row(s, 1999)
        assert shorten(last.name, 16) in _shown(table)
        before = s.answer(last.id, s.activities[0].id)
        word = "n" if before is Answer.yes else "y"
        await pilot.press(word)
        await pilot.pause()
        after = _scenario(large_ws).answer(last.id, s.activities[0].id)
        assert after is (Answer.no if word == "n" else Answer.yes)
        assert str(table.get_cell_at(table.cursor_coordinate)) == after.value


async def test_scrolling_builds_the_rows_it_reaches_and_an_edit_elsewhere_lands_there(
    large_ws: Path,
) -> None:
    s = _scenario(large_ws)
    app = app_for(large_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.pause()
        table = app.query_one("#answers-table", AnswerMatrix)
        table.scroll_to(y=1200, animate=False)  # as the mouse wheel or scrollbar would
        await pilot.pause()
        assert table.row_count > 1200 + table.size.height
        assert shorten(s.people[1201].name, 16) in _shown(table)
        for _ in range(5):  # page down from the top, past the first built page
            await pilot.press("pagedown")
        await pilot.pause()
        row = table.cursor_coordinate.row
        assert row > AnswerMatrix.AHEAD
        await pilot.press("x")
        await pilot.pause()
        person = s.people[row].id
        activity = s.activities[table.cursor_coordinate.column - 1].id
        assert activity not in _scenario(large_ws).preferences.get(person, {})
        assert str(table.get_cell_at(table.cursor_coordinate)) == str(cell(None))


async def test_a_filter_at_l_finds_a_person_far_down(large_ws: Path) -> None:
    s = _scenario(large_ws)
    last = s.people[-1]
    app = app_for(large_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "slash", *last.id, "enter")
        await pilot.pause()
        table = app.query_one("#answers-table", AnswerMatrix)
        rows = [[str(c) for c in table.get_row_at(r)] for r in range(table.total_rows)]
        assert _expected_row(s, 1999) in rows
        assert table.total_rows == sum(last.id in f"{p.id} {p.name}".lower() for p in s.people)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_an_answer_cell_is_drawn_as_datatable_draws_it(demo_ws: Path, theme: str) -> None:
    """The answer cells' drawings are shared between cells; each must still be exactly
    DataTable's own (styles, cursor, hover, stripes, and the meta a mouse click reads)."""
    app = app_for(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        await pilot.press("4")
        await pilot.pause()
        table = app.query_one("#answers-table", AnswerMatrix)
        width = table.ordered_columns[1].get_render_width(table)
        checked = 0
        for r in range(min(table.row_count, 6)):
            for c in range(1, 4):
                for cursor in (False, True):
                    for hover in (False, True):
                        style = table._get_row_style(r, table.rich_style)
                        ours = table._render_cell(r, c, style, width, cursor, hover)
                        table._cell_render_cache.clear()
                        theirs = DataTable._render_cell(table, r, c, style, width, cursor, hover)
                        assert ours == theirs, (r, c, cursor, hover)
                        assert ours[0][0].style is not None
                        assert isinstance(ours[0][0].style, Style)
                        assert ours[0][0].style.meta == {"row": r, "column": c}
                        checked += 1
        assert checked >= 24
        assert table._word_lines  # and they were shared: one drawing per word and look
