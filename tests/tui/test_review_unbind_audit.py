"""Unbinding requests as their own kind in the queue (R29), and the audit log for school IT (R24):
filtered by actor, action and date, exported as CSV under the data folder."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from app.models import AuditEvent, Binding, Status, UnbindRequest
from screens.review.audit import AuditScreen
from screens.review.queue import QueueScreen
from screens.review.unbind import UnbindScreen
from screens.widgets.confirm import Confirm
from tests.factories import make_account
from tests.tui.conftest import settle, type_into
from tests.tui.review_kit import (
    apply_all,
    field_error,
    log_in,
    mails,
    notices,
    review_app,
    rows,
    tab_labels,
    text_of,
)


@pytest.fixture
def requests(services, roster, clock):
    """The father is bound to wu (301) and chen (302) and asks to unbind both."""
    account = make_account(services, roster, "father", children=("wu", "chen"))
    out = {}
    for binding in Binding.select().where(Binding.account == account):
        short = "wu" if binding.student_id == roster.student("wu").id else "chen"
        out[short] = UnbindRequest.create(binding=binding, requested_at=clock.now)
    return out


async def to_unbind_tab(pilot) -> None:
    await pilot.click("#tab-unbind")
    await settle(pilot)


@pytest.mark.parametrize(("confirm", "key", "mail"), [(True, "y", "unbind_confirmed"),
                                                      (False, "n", "unbind_declined")])  # fmt: skip
async def test_r29_an_unbinding_request_is_decided_from_the_queue(
    services, requests, clock, confirm, key, mail
):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        assert tab_labels(app)[4] == "解除綁定 1"
        await to_unbind_tab(pilot)
        [row] = rows(app)
        # the class's own teacher sees the student by name; the parent stays masked (R9)
        assert row[:4] == [f"#{requests['wu'].id}", "吳三寶", "301", "吳*明"]
        assert "#" + str(requests["chen"].id) not in str(rows(app))  # 何老師's class
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnbindScreen)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        question = str(app.screen.query_one(".confirm-text").render())
        assert "吳三寶" in question and "吳*明" in question
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert rows(app) == [] and tab_labels(app)[4] == "解除綁定 0"
    binding = Binding.get_by_id(requests["wu"].binding_id)
    assert (binding.removed_at == clock.now) is confirm
    assert UnbindRequest.get_by_id(requests["wu"].id).status == (
        Status.APPROVED if confirm else Status.REJECTED
    )
    [(to, _, _)] = mails(services, mail)
    assert to == "father@home.example"
    assert UnbindRequest.get_by_id(requests["chen"].id).status == Status.PENDING


async def test_r29_going_back_from_the_question_changes_nothing(services, requests):
    app = review_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "it")
        await to_unbind_tab(pilot)
        assert len(rows(app)) == 2  # school IT: the whole school
        await pilot.press("enter")
        await settle(pilot)
        await pilot.click("#yes")  # the button on the page asks first
        await pilot.pause()
        await pilot.click("#no")
        await settle(pilot)
        assert isinstance(app.screen, UnbindScreen)
    assert UnbindRequest.select().where(UnbindRequest.status == Status.PENDING).count() == 2
    assert Binding.select().where(Binding.removed_at.is_null()).count() == 2


async def test_r18_r29_another_class_cannot_open_an_unbinding_request(services, requests):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "kao")
        await to_unbind_tab(pilot)
        assert rows(app) == []
        await app.flow.show("unbind", requests["wu"].id)
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert any("沒有權限" in n for n in notices(app))


# --- R24: the audit log -----------------------------------------------------------------------


@pytest.fixture
def decided(services, roster, clock):
    """Applications of the school, one approved by 李老師 a day later."""
    from app.services.staff import StaffIdentity

    applied = apply_all(services, roster, clock)
    clock.advance(days=1)
    services.review.approve(StaffIdentity.of(roster.teachers["lee"]), applied["wu"])
    return applied


async def test_r24_only_school_it_has_the_audit_log(services, decided):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        await app.flow.show("audit")  # as if reached some other way
        await settle(pilot)
        assert any("只有資訊組長" in n for n in notices(app))
        assert rows(app) == []


async def test_r24_school_it_filters_the_log_and_exports_it(services, roster, decided, settings):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "it")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        everything = len(rows(app))  # R33: its school's events only
        assert everything == AuditEvent.select().where(
            AuditEvent.school == roster.schools["E001"].id
        ).count() < AuditEvent.select().count()
        assert rows(app)[0][2].startswith("登入")  # newest first: IT's own login
        app.screen.query_one("#action", Select).value = "application.approved"
        await settle(pilot)
        [row] = rows(app)
        assert row[1:5] == ["李老師", "核准申請", decided["wu"], "test-kiosk"]
        await type_into(pilot, "#actor", "ho@school.example")
        await pilot.press("enter")
        await settle(pilot)
        assert rows(app) == []
        await type_into(pilot, "#actor", "lee@school.example")
        await type_into(pilot, "#since", "2026/9/2")
        await type_into(pilot, "#until", "2026-09-01")
        await pilot.press("enter")
        await settle(pilot)
        assert field_error(app, "until") == "迄日早於起日，請對調。"
        await type_into(pilot, "#until", "")
        await pilot.press("enter")
        await settle(pilot)
        assert len(rows(app)) == 1 and field_error(app, "until") == ""
        await pilot.press("tab")  # from the last field to the table
        assert app.screen.focused.id == "audit-table"
        await pilot.press("e")
        await settle(pilot)
        shown = text_of(app, "#audit-export")
    exports = list((settings.data_dir / "exports").glob("audit-*.csv"))
    assert len(exports) == 1 and str(exports[0]) in shown and "已匯出 1 筆" in shown
    with Path(exports[0]).open(encoding="utf-8-sig", newline="") as fh:
        [line] = list(csv.DictReader(fh))
    assert (line["actor_name"], line["action"], line["target"]) == (
        "李老師",
        "application.approved",
        decided["wu"],
    )
    assert AuditEvent.select().where(AuditEvent.action == "audit.exported").count() == 1


async def test_r24_a_bad_date_is_explained_beside_its_field(services, decided):
    app = review_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "it")
        await pilot.press("a")
        await settle(pilot)
        await type_into(pilot, "#since", "yesterday")
        await pilot.press("enter")
        await settle(pilot)
        assert "2026-09-01" in field_error(app, "since")
        assert app.screen.query_one("#since", Input).value == "yesterday"
        await pilot.press("f2")
        await pilot.pause()
        assert field_error(app, "since").startswith("Type a date")
        assert "Audit log" in str(app.screen.query_one(".title").render())
