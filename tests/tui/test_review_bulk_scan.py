"""Bulk approval of roster matches with one confirmation (R28), the scan field a USB QR scanner
types into (R31), and authorisation by number: another class's application can be neither
listed, nor opened, nor decided, also when its number is typed or scanned (R18)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from app.models import Application, AuditEvent, RosterGuardian, Status
from app.services.staff import StaffIdentity
from screens.review.bulk import BulkConfirm
from screens.review.detail import DetailScreen
from screens.review.queue import QueueScreen
from tests.factories import submit_application
from tests.tui.conftest import settle
from tests.tui.review_kit import (
    ROSTER_MOBILE,
    apply_all,
    field_error,
    go_to,
    log_in,
    mails,
    notices,
    numbers,
    review_app,
    rows,
    text_of,
)


@pytest.fixture
def matched(services, roster):
    """吳志明 is on file for wu, ali (301) and chen (302); he applies for them and wu2 by SMS,
    so wu and ali are roster matches in 李老師's class and wu2 is not."""
    for short in ["ali", "chen"]:
        RosterGuardian.create(student=roster.student(short), name="吳志明", mobile="+886912345678")
    done = submit_application(services, roster, ("wu", "wu2", "ali", "chen"), contact=ROSTER_MOBILE)
    return {short: d.number for short, d in zip(["wu", "wu2", "ali", "chen"], done, strict=True)}


def status(number: str) -> str:
    return Application.get(Application.number == number).status


def approvals() -> list[str]:
    events = AuditEvent.select().where(AuditEvent.action == "application.approved")
    return sorted(e.target for e in events)


async def test_r28_picked_roster_matches_are_approved_with_one_confirmation(services, matched):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await go_to(pilot, matched["wu2"])
        await pilot.press("space")  # not a roster match: refused, not picked
        assert any("名冊相符" in n for n in notices(app))
        assert "已選 0 筆" in text_of(app, "#queue-status")
        for short in ["wu", "ali"]:
            await go_to(pilot, matched[short])
            await pilot.press("space")
        assert "已選 2 筆" in text_of(app, "#queue-status")
        assert {r[1] for r in rows(app) if r[0] == "✓"} == {matched["wu"], matched["ali"]}
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BulkConfirm)
        listed = " ".join(str(t.render()) for t in app.screen.query("#bulk-rows T"))
        assert matched["wu"] in listed and "吳三寶" in listed  # the own class, by name (R9/R18)
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert any("已核准 2 筆；略過 0 筆" in n for n in notices(app))
        assert "已選 0 筆" in text_of(app, "#queue-status")
    assert [status(matched[s]) for s in ["wu", "ali", "wu2", "chen"]] == [
        Status.APPROVED, Status.APPROVED, Status.PENDING, Status.PENDING
    ]  # fmt: skip
    assert approvals() == sorted([matched["wu"], matched["ali"]])  # one event each
    # One parent: the first approval makes the account, the second joins it; a mail each.
    assert len(mails(services, "application_approved")) == 1
    assert len(mails(services, "binding_approved")) == 1


async def test_r28_without_picks_bulk_takes_the_pages_matches_and_counts_skips(
    services, roster, matched
):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BulkConfirm)
        assert "2 筆" in str(app.screen.query_one("#bulk-question").render())
        await pilot.press("escape")  # changed their mind
        await pilot.pause()
        assert approvals() == []
        # Meanwhile 李老師 approved wu at another terminal.
        services.review.approve(StaffIdentity.of(roster.teachers["lee"]), matched["wu"])
        await pilot.press("b")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert any("已核准 1 筆；略過 1 筆" in n for n in notices(app))
    assert approvals() == sorted([matched["wu"], matched["ali"]])


async def test_r28_bulk_with_nothing_to_approve_says_how_to_pick(services, roster, clock):
    apply_all(services, roster, clock)  # wu matches; the others do not
    matched = Application.get(Application.roster_match == 1).number
    services.review.approve(StaffIdentity.of(roster.teachers["lee"]), matched)
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert any("空白鍵" in n for n in notices(app))


async def scan(pilot, text: str) -> None:
    """What a USB scanner does: type the characters, then Enter — wherever the focus is."""
    await pilot.press(*text, "enter")
    await settle(pilot)


async def test_r31_a_scanned_number_opens_its_application_and_paper_is_marked(
    services, matched, clock
):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        assert app.screen.focused.id == "queue"  # the table has the focus, not the field
        await scan(pilot, matched["ali"])
        assert isinstance(app.screen, DetailScreen) and app.screen.number == matched["ali"]
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#scan", Input).value == ""
        assert app.screen.focused.id == "queue"  # ready for the next form
        await pilot.press("s")  # typed by hand, in lower case and without dashes
        await pilot.press(*matched["wu2"].lower().replace("-", ""), "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.number == matched["wu2"]
    stored = Application.get(Application.number == matched["ali"])
    assert stored.paper_received_at == clock.now
    assert (
        AuditEvent.get(AuditEvent.action == "application.paper_received").target == (matched["ali"])
    )


async def test_r18_another_classes_number_opens_nothing_scanned_or_typed(services, matched):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        assert matched["chen"] not in numbers(app)
        await scan(pilot, matched["chen"])
        assert isinstance(app.screen, QueueScreen)
        assert field_error(app, "number") == "您沒有權限查看或處理這筆資料。"
        # emptied and focused for the next scan, which is not appended to the failed one
        assert app.screen.query_one("#scan", Input).value == ""
        assert app.focused is app.screen.query_one("#scan", Input)
        await scan(pilot, "QZ-0000-0000")
        assert field_error(app, "number") == "查無這個申請編號，請再核對一次。"
        assert app.screen.query_one("#scan", Input).value == ""
        await pilot.press("s")
        await pilot.press(*"hello", "enter")
        await settle(pilot)
        assert "申請編號格式不正確" in field_error(app, "number")
        assert isinstance(app.screen, QueueScreen)


async def test_r18_another_classes_application_cannot_be_opened_or_decided(services, matched):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await app.flow.show("detail", matched["chen"])  # as if reached some other way
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert any("沒有權限" in n for n in notices(app))
    assert status(matched["chen"]) == Status.PENDING
    assert Application.get(Application.number == matched["chen"]).paper_received_at is None
    assert approvals() == []
