"""The teacher's start-of-term day on the review terminal (issue 14, points 4 and 5): the paper
and documents columns, a failed scan that does not spoil the next one, the warning (or, with
`require_paper_form`, the refusal) when the signed paper has not arrived, "approve and open
next", the not-yet-bound list with its CSV, and staff ending a binding (R35)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Select

from app.models import AuditEvent, Binding
from app.services.staff import StaffIdentity
from screens.review.detail import DetailScreen
from screens.review.queue import QueueScreen
from screens.review.unbound import UnboundScreen
from screens.widgets.confirm import Confirm
from tests.tui.conftest import settle
from tests.tui.review_kit import (
    apply_all,
    cell,
    field_error,
    go_to,
    log_in,
    mails,
    notices,
    review_app,
    rows,
)


@pytest.fixture
def applied(services, roster, clock):
    return apply_all(services, roster, clock)


async def open_detail(pilot, number: str) -> None:
    await go_to(pilot, number)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DetailScreen)


def question(app) -> str:
    assert isinstance(app.screen, Confirm)
    return str(app.screen.query_one(".confirm-text").render())


async def test_r27_the_queue_shows_paper_received_and_documents_checked(services, roster, applied):
    kao = roster.teachers["kao"]
    from app.services.staff import StaffIdentity

    services.review.mark_paper_received(StaffIdentity.of(kao), applied["lin"])
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "kao")
        assert (cell(app, applied["lin"], "paper"), cell(app, applied["lin"], "documents")) == (
            "✓", "✗")  # fmt: skip
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")  # a father's application: no papers to check
        assert (cell(app, applied["wu"], "paper"), cell(app, applied["wu"], "documents")) == (
            "", "")  # fmt: skip


async def test_r18_after_a_failed_scan_the_next_scan_opens_its_application(services, applied):
    """A failed scan used to stay in the field, and every later scan was appended to it."""
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press(*"QZ-0000-0000", "enter")
        await settle(pilot)
        assert field_error(app, "number") == "查無這個申請編號，請再核對一次。"
        await pilot.press(*applied["wu2"], "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.number == applied["wu2"]


async def test_approving_without_the_paper_form_warns_first(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])
        await pilot.press("a")
        await pilot.pause()
        assert "尚未收到家長簽名的紙本申請書" in question(app)
        await pilot.click("#no")
        await settle(pilot)
        await pilot.press("p")  # paper received: the plain question again
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert "紙本" not in question(app) and "吳三寶" in question(app)


async def test_require_paper_form_refuses_approval_until_the_paper_is_received(services, applied):
    services.ctx.settings.review_require_paper_form = True
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])
        assert app.screen.query_one("#paper-required").display
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)  # no question asked, nothing approved
        assert any("才能核准" in n for n in notices(app))
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert cell(app, applied["wu"], "status") == "認證"


async def test_r18_approve_and_open_next_walks_the_own_class_oldest_first(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])
        for number, following in ((applied["wu"], applied["wu2"]),
                                  (applied["wu2"], applied["ali"])):  # fmt: skip
            assert app.screen.number == number
            await pilot.press("n")
            await pilot.pause()
            await pilot.click("#yes")
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen) and app.screen.number == following
        await pilot.press("n")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)  # none left: back to the queue, told so
        assert any("已經沒有申請中的案件" in n for n in notices(app))
        assert {cell(app, applied[s], "status") for s in ("wu", "wu2", "ali")} == {"認證"}


async def test_r35_a_teacher_ends_a_binding_from_the_detail_with_a_reason(services, applied):
    from app.models import Teacher
    from app.services.staff import StaffIdentity

    lee = Teacher.get(Teacher.email == "lee@school.example")
    services.review.approve(StaffIdentity.of(lee), applied["wu"])
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])
        assert app.screen.query_one("#ending").display
        await pilot.press("e")  # no reason picked yet: said beside the field
        await settle(pilot)
        assert field_error(app, "end_reason") == "請選擇結束綁定的原因。"
        app.screen.query_one("#end-reason", Select).value = "custody_order"
        await pilot.press("e")
        await pilot.pause()
        assert "法院裁定或監護權變更" in question(app) and "吳三寶" in question(app)
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert not app.screen.query_one("#ending").display
        assert any("已結束 吳三寶 的親子綁定" in n for n in notices(app))
    binding = Binding.get()
    assert binding.removed_at is not None and binding.end_reason == "custody_order"
    [(to, _, body)] = mails(services, "binding_ended")
    assert to == "father@home.example" and "法院裁定或監護權變更" in body
    assert AuditEvent.get(AuditEvent.action == "binding.ended").actor == f"staff:{lee.id}"


async def test_r9_r18_the_not_yet_bound_list_and_its_csv(services, roster, applied, settings):
    """wu, wu2 and ali of 301 applied; wu2's application is rejected, so 吳大寶 is the one to
    chase: by name on the teacher's screen, masked in the exported file."""
    from app.models import Teacher
    from app.services.staff import StaffIdentity

    lee = StaffIdentity.of(Teacher.get(Teacher.email == "lee@school.example"))
    services.review.reject(lee, applied["wu2"], "請補正")
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UnboundScreen)
        [room] = lee.classroom_ids
        assert app.screen.query_one("#unbound-class", Select).value == room
        assert rows(app) == [["301", "吳大寶", roster.student("wu2").id_masked, "不通過"]]
        await pilot.press("x")
        await settle(pilot)
        [path] = list((settings.data_dir / "exports").glob("unbound-*.csv"))
        text = Path(path).read_text(encoding="utf-8-sig")
        assert "吳*寶" in text and "吳大寶" not in text  # the file is masked (R9)
        assert any(str(path) in n for n in notices(app))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_r9_r33_school_it_lists_every_class_masked_and_picks_one(services, roster, applied):
    """Every student of 和平國小 has applied; once two are rejected, school IT finds them in
    the list, masked (R9), of every class of its school, or of the class it picks."""
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "it")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UnboundScreen)
        assert rows(app) == []  # everyone of 和平國小 has an application waiting
        services.review.reject(StaffIdentity.of(roster.teachers["ho"]), applied["chen"], "請補正")
        services.review.reject(StaffIdentity.of(roster.teachers["lee"]), applied["ali"], "請補正")
        await pilot.press("r")
        await settle(pilot)
        assert [(r[0], r[1]) for r in rows(app)] == [("301", "A** C***"), ("302", "陳*明")]
        app.screen.query_one("#unbound-class", Select).value = roster.classrooms["E001-302"].id
        await settle(pilot)
        assert [(r[0], r[1]) for r in rows(app)] == [("302", "陳*明")]
