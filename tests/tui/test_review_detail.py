"""The application beside the roster (R18, R19, R27, R28): what matches is marked, approval asks
first naming the student and the applicant and writes account, binding, e-mail and audit as one;
a rejection needs a reason picked or typed; a guardian's papers must be ticked; a decided
application is read-only; a fault between the steps of an approval changes nothing."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from app.models import Account, Application, AuditEvent, Binding, Status
from screens.review.detail import DetailScreen
from screens.review.queue import QueueScreen
from screens.widgets.checkbox import TCheckbox
from screens.widgets.confirm import Confirm
from screens.widgets.i18n import T
from tests.tui.conftest import settle, type_into
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
    text_of,
)


@pytest.fixture
def applied(services, roster, clock):
    return apply_all(services, roster, clock)


async def open_detail(pilot, number: str) -> None:
    await go_to(pilot, number)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DetailScreen)


def facts(app, side: str) -> dict[str, tuple[str, str]]:
    """label -> (value, state) of one side of the detail."""
    out = {}
    for fact in app.screen.query(f"#facts-{side} .fact"):
        label = str(fact.query_one(T).render())
        value = fact.query_one(".fact-value")
        state = next((c for c in ("-ok", "-bad") if value.has_class(c)), "")
        out.setdefault(label, (str(value.render()), state))
    return out


def status_of(number: str) -> str:
    return Application.get(Application.number == number).status


async def test_r28_the_detail_shows_the_roster_beside_with_the_matches_marked(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])
        mine = facts(app, "application")
        assert mine["學生"][0].startswith("吳三寶")  # the full name for the own student (R18)
        assert mine["申請人"] == ("✓ 吳志明  A100******", "-ok")
        assert mine["手機"][1] == "-ok"
        school = facts(app, "roster")
        assert school["班級"] == ("✓ 301", "-ok")
        assert school["名冊家長"] == ("✓ 吳志明  0912345678", "-ok")
        assert school["比對結果"][1] == "-ok"
        assert "申請" in text_of(app, "#detail-state")  # the seed's word
        await pilot.press("escape")
        await settle(pilot)
        await open_detail(pilot, applied["wu2"])  # no guardian on file: nothing to match
        assert facts(app, "application")["申請人"][1] == ""
        assert facts(app, "roster")["名冊家長"] == ("名冊未登錄家長或監護人", "")


async def test_r19_approval_asks_first_then_writes_the_account_and_the_mail(
    services, roster, applied
):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        question = str(app.screen.query_one(".confirm-text").render())
        assert "吳三寶" in question and "吳志明" in question and applied["wu"] in question
        await pilot.click("#no")  # changed their mind: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and status_of(applied["wu"]) == Status.PENDING
        await pilot.press("a")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert cell(app, applied["wu"], "status") == "認證"
        assert any(applied["wu"] in n and "已通知家長" in n for n in notices(app))
    assert status_of(applied["wu"]) == Status.APPROVED
    account = Account.get()
    assert (account.email, account.must_change_password) == ("father@home.example", True)
    assert Binding.get().student_id == roster.student("wu").id
    [(to, _, body)] = mails(services, "application_approved")
    assert to == "father@home.example" and applied["wu"] in body
    event = AuditEvent.get(AuditEvent.action == "application.approved")
    assert event.actor == f"staff:{roster.teachers['lee'].id}"


async def test_r18_a_rejection_needs_a_reason(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu2"])
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, Confirm)
        assert "請填寫原因" in field_error(app, "reason")
        assert app.screen.focused is app.screen.query_one("#reason", Input)
    assert status_of(applied["wu2"]) == Status.PENDING
    assert mails(services, "application_rejected") == []


async def test_r18_reject_with_a_reason_picked_from_the_list(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu2"])
        app.screen.query_one("#reason-preset", Select).value = "paper"
        await pilot.pause()
        reason = app.screen.query_one("#reason", Input)
        assert reason.value.startswith("尚未收到簽名的紙本申請書")
        await pilot.press("enter")  # in the reason: reject
        await pilot.pause()
        question = str(app.screen.query_one(".confirm-text").render())
        assert "吳大寶" in question and "尚未收到簽名的紙本申請書" in question
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    stored = Application.get(Application.number == applied["wu2"])
    assert stored.status == Status.REJECTED and stored.reject_reason.startswith("尚未收到")
    [(_, _, body)] = mails(services, "application_rejected")
    assert "尚未收到簽名的紙本申請書" in body


async def test_r18_reject_with_a_typed_reason_in_english(services, applied):
    app = review_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("f2")
        await open_detail(pilot, applied["ali"])
        assert facts(app, "application")["Student"][0].startswith("Ali Chen")
        await type_into(pilot, "#reason", "  Please   bring the signed form.  ")
        await pilot.press("enter")
        await pilot.pause()
        assert "Ali Chen" in str(app.screen.query_one(".confirm-text").render())
        await pilot.click("#yes")
        await settle(pilot)
    assert Application.get(Application.number == applied["ali"]).reject_reason == (
        "Please bring the signed form."
    )


async def test_r27_a_guardian_application_needs_the_papers_ticked(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "kao")
        await open_detail(pilot, applied["lin"])
        assert app.screen.query_one("#documents").display
        listed = [str(s.render()) for s in app.screen.query("#documents-list Static")]
        assert len(listed) == 1 and "法院" in listed[0]
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, Confirm)
        assert "已核對證明文件" in field_error(app, "documents_checked")
        assert str(app.screen.query_one("#documents-checked").label) == "已核對證明文件"
        app.screen.query_one("#documents-checked", TCheckbox).value = True
        await pilot.press("a")
        await pilot.pause()
        assert "林小美" in str(app.screen.query_one(".confirm-text").render())
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    stored = Application.get(Application.number == applied["lin"])
    assert stored.status == Status.APPROVED and stored.documents_checked


async def test_r18_a_decided_application_is_read_only(services, roster, applied):
    from app.services.staff import StaffIdentity

    services.review.reject(StaffIdentity.of(roster.teachers["lee"]), applied["wu"], "姓名不符")
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])
        state = text_of(app, "#detail-state")
        assert "不通過" in state and "李老師" in state and "姓名不符" in state
        assert not app.screen.query_one("#decision").display
        await pilot.press("a", "r")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)  # no confirmation, nothing to decide
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert not {"approve", "reject"} & shown and "back" in shown
    assert status_of(applied["wu"]) == Status.REJECTED
    assert len(mails(services, "application_rejected")) == 1


@pytest.mark.parametrize("step", ["binding", "mail", "audit"])
async def test_r19_a_fault_between_the_steps_changes_nothing(services, applied, monkeypatch, step):
    from app.models import Binding as BindingModel

    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu"])

        def boom(*args, **kwargs):
            raise RuntimeError(f"{step} failed")

        if step == "binding":
            monkeypatch.setattr(BindingModel, "create", boom)
        elif step == "mail":
            monkeypatch.setattr(services.ctx.outbox, "notify", boom)
        else:
            monkeypatch.setattr(services.ctx.audit, "record", boom)
        await pilot.press("a")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)  # still here, still pending
        assert any("請再試一次" in n for n in notices(app))
        monkeypatch.undo()
        await pilot.press("escape")
        await settle(pilot)
        assert cell(app, applied["wu"], "status") == "申請"
    assert status_of(applied["wu"]) == Status.PENDING
    assert Account.select().count() == 0 and Binding.select().count() == 0
    assert mails(services, "application_approved") == []
    assert AuditEvent.select().where(AuditEvent.action == "application.approved").count() == 0


async def test_the_paper_form_is_marked_received(services, applied, clock):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await open_detail(pilot, applied["wu2"])
        assert facts(app, "application")["紙本申請書"] == ("尚未收到", "")
        await pilot.press("p")
        await settle(pilot)
        assert facts(app, "application")["紙本申請書"] == ("✓ 2026-09-01 16:04", "-ok")
        assert not app.screen.query_one("#paper").display
    stored = Application.get(Application.number == applied["wu2"])
    assert stored.paper_received_at == clock.now


async def test_r18_markup_in_a_parent_name_is_shown_as_text_and_runs_nothing(services, roster):
    """Issue 9 (T12): a parent may type markup as a name; the teacher's queue and detail show it
    as the characters typed, and clicking it runs no action (a review terminal is not locked)."""
    from tests.factories import submit_application

    name = "[@click=app.quit]吳志明[/]"
    number = submit_application(services, roster, name=name)[0].number
    app = review_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "lee")
        assert number in [row[1] for row in rows(app)]  # the queue drew its (masked) row
        await open_detail(pilot, number)
        shown = facts(app, "application")["申請人"][0]
        assert "[@click=app.quit]吳志明[/]" in shown
        fact = next(w for w in app.screen.query(".fact-value") if name in str(w.render()))
        await pilot.click(fact)
        await settle(pilot)
        assert app.is_running and app.return_code is None
