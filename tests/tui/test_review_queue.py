"""The queue (R18, R28): only the own classes (school IT: the school), counts per status in the
tabs, filters by status and roster match, search by name or number, sort by any column, pages
fetched by the query — also on a database of a few thousand applications."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Tabs

from app.models import Application, Status, Teacher
from app.services.demo.seed import DEMO_STAFF_PASSWORD, seed
from screens.review import queue as queue_module
from tests.tui.conftest import settle, type_into
from tests.tui.review_kit import (
    apply_all,
    cell,
    log_in,
    numbers,
    review_app,
    rows,
    tab_labels,
    text_of,
    wait_for_numbers,
)


@pytest.fixture
def applied(services, roster, clock):
    return apply_all(services, roster, clock)


async def test_r18_each_teacher_sees_only_the_own_class_with_counts(services, applied):
    for who, expected in [("lee", ["ali", "wu2", "wu"]), ("ho", ["chen"]), ("kao", ["lin"]),
                          ("it", ["chen", "ali", "wu2", "wu"])]:  # fmt: skip
        app = review_app(services)
        async with app.run_test(size=(100, 30)) as pilot:
            await log_in(pilot, who)
            assert numbers(app) == [applied[s] for s in expected], who
            n = len(expected)
            assert tab_labels(app) == [f"全部 {n}", f"申請 {n}", "認證 0", "不通過 0",
                                       "解除綁定 0"]  # fmt: skip
            assert f"共 {n} 筆" in text_of(app, "#queue-status")


async def test_r9_queue_rows_name_the_own_class_in_full_and_mask_the_rest(services, applied):
    """R9 with R18/R33: the homeroom teacher tells 吳三寶 and 吳大寶 apart (both 吳*寶 masked);
    school IT's list rows stay masked; parents are masked for everyone."""
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        row = next(r for r in rows(app) if r[1] == applied["wu"])
        # one class: no class column (R9 full name, the seed's 申請)
        assert row[2:9] == ["吳三寶", "父親", "✓", "", "", "申請", "09-01 16:00"]
        assert "吳大寶" in str(rows(app)) and "吳志明" not in str(rows(app))
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "it")
        assert "吳三寶" not in str(rows(app)) and "吳*寶" in str(rows(app))


async def test_r18_r28_filters_by_status_and_roster_match(services, staff_decided):
    app, applied = review_app(services), staff_decided
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        assert tab_labels(app)[:4] == ["全部 3", "申請 1", "認證 1", "不通過 1"]
        await pilot.press("f")  # next tab: pending
        await settle(pilot)
        assert app.screen.query_one(Tabs).active == "tab-pending"
        assert numbers(app) == [applied["ali"]]
        await pilot.press("f", "f")  # approved, rejected
        await settle(pilot)
        assert numbers(app) == [applied["wu2"]]
        await pilot.click("#tab-all")
        await settle(pilot)
        await pilot.press("m")  # roster match: yes
        await settle(pilot)
        assert numbers(app) == [applied["wu"]]
        assert "名冊比對：相符" in text_of(app, "#queue-status")
        assert tab_labels(app)[:2] == ["全部 1", "申請 0"]  # the counts follow the filter
        await pilot.press("m")  # no
        await settle(pilot)
        assert sorted(numbers(app)) == sorted([applied["ali"], applied["wu2"]])
        await pilot.press("m")  # any
        await settle(pilot)
        assert len(numbers(app)) == 3


@pytest.fixture
def staff_decided(services, roster, applied):
    """李老師 approved wu and rejected wu2; ali is pending."""
    from app.services.staff import StaffIdentity

    lee = StaffIdentity.of(roster.teachers["lee"])
    services.review.approve(lee, applied["wu"])
    services.review.reject(lee, applied["wu2"], "請補交紙本申請書")
    return applied


async def test_r18_search_by_student_name_or_number(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "it")
        await type_into(pilot, "#search", "曉明")
        await pilot.press("enter")
        assert await wait_for_numbers(pilot, [applied["chen"]]) == [applied["chen"]]
        assert app.screen.focused is app.screen.query_one(DataTable)  # Enter goes to the rows
        await type_into(pilot, "#search", applied["wu2"].lower().replace("-", " "))
        await pilot.press("enter")
        assert await wait_for_numbers(pilot, [applied["wu2"]]) == [applied["wu2"]]
        await type_into(pilot, "#search", "")
        for _ in range(30):  # typing alone filters too, once the typing pauses
            await pilot.pause(queue_module.SEARCH_DELAY)
            await settle(pilot)
            if len(numbers(app)) == 4:
                break
        assert len(numbers(app)) == 4


async def test_r18_a_search_does_not_reach_another_class(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        for typed in ["陳曉明", applied["chen"]]:
            await type_into(pilot, "#search", typed)
            await pilot.press("enter")
            await settle(pilot)
            assert numbers(app) == [] and "共 0 筆" in text_of(app, "#queue-status")


async def test_r18_sort_by_any_column_with_the_keyboard_or_the_mouse(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "it")
        assert numbers(app) == [applied[s] for s in ["chen", "ali", "wu2", "wu"]]
        await pilot.press("d")  # submitted, oldest first
        await settle(pilot)
        assert numbers(app) == [applied[s] for s in ["wu", "wu2", "ali", "chen"]]
        await pilot.press("o", "o")  # number, then student (ascending)
        await settle(pilot)
        assert [r[2][0] for r in rows(app)] == ["A", "吳", "吳", "陳"]
        assert "↑" in str(app.screen.query_one(DataTable).columns["student"].label)
        table = app.screen.query_one(DataTable)
        x = sum(c.get_render_width(table) for c in table.ordered_columns[:2]) + 1
        await pilot.click(DataTable, offset=(x, 0))  # the header of the student column
        await settle(pilot)
        assert [r[2][0] for r in rows(app)] == ["陳", "吳", "吳", "A"]  # clicked again: reversed
        for _ in range(2):  # class, relationship
            await pilot.press("o")
            await settle(pilot)
        assert app.screen.sort == "relationship"
        assert [r[4] for r in rows(app)] == ["父親", "父親", "父親", "母親"]


async def test_r18_pages_come_from_the_query(services, applied, monkeypatch):
    monkeypatch.setattr(queue_module, "PAGE_SIZE", 3)
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "it")
        assert numbers(app) == [applied[s] for s in ["chen", "ali", "wu2"]]
        assert "第 1/2 頁" in text_of(app, "#queue-status")
        await pilot.press("pagedown")
        await settle(pilot)
        assert numbers(app) == [applied["wu"]]
        assert "第 2/2 頁 · 共 4 筆" in text_of(app, "#queue-status")
        await pilot.press("pagedown")  # no page 3
        await settle(pilot)
        assert numbers(app) == [applied["wu"]]
        await pilot.press("pageup")
        await settle(pilot)
        assert len(numbers(app)) == 3


async def test_r18_the_queue_opens_page_one_of_a_city_sized_school(services):
    """A few thousand applications: the table holds one page, the status line the total."""
    seed(services, schools=3, students=6000, applications=3000, rng_seed=7)
    it = Teacher.select().where(Teacher.role == "it").order_by(Teacher.id).first()
    total = (
        Application.select()
        .where(
            Application.school == it.school_id,
            Application.status.in_([Status.PENDING, Status.APPROVED, Status.REJECTED]),
        )
        .count()
    )
    assert total > queue_module.PAGE_SIZE
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, it.email, DEMO_STAFF_PASSWORD)
        assert app.screen.query_one(DataTable).row_count == queue_module.PAGE_SIZE
        pages = -(-total // queue_module.PAGE_SIZE)
        assert f"第 1/{pages} 頁 · 共 {total} 筆" in text_of(app, "#queue-status")
        assert tab_labels(app)[0] == f"全部 {total}"


async def test_the_queue_follows_the_language_at_80x24(services, applied):
    app = review_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("f2")
        await pilot.pause()
        assert tab_labels(app)[:2] == ["All 3", "Waiting 3"]
        assert "Page 1/1 · Total: 3" in text_of(app, "#queue-status")
        first = numbers(app)[0]
        assert cell(app, first, "relationship") == "Father"
        assert cell(app, first, "status") == "Waiting"
        table = app.screen.query_one(DataTable)
        assert table.virtual_size.width <= table.size.width  # no column cut off at 80
