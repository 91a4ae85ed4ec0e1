"""R32 on the staff terminal: an invited person sets a first password from the login screen and
is in; a temporary password is changed before the queue opens; a reset ends an open session at
the next action."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from app.errors import QinziError
from app.models import Teacher
from screens.review.invitation import InvitationScreen
from screens.review.login import StaffLoginScreen
from screens.review.queue import QueueScreen
from screens.review.staff_password import StaffPasswordScreen
from tests.tui.conftest import click, settle, type_into
from tests.tui.review_kit import field_error, log_in, review_app
from tests.unit.test_staff_accounts import invitation_code

GOOD = "lantern orchard velvet"
NEW_IT = "it2@school.example"


async def accept(pilot, email: str, code: str, password: str = GOOD) -> None:
    await type_into(pilot, "#email", email)
    await type_into(pilot, "#code", code)
    await type_into(pilot, "#new", password)
    await type_into(pilot, "#again", password)
    await pilot.press("enter")
    await settle(pilot)


async def test_r32_an_invited_it_person_sets_a_password_on_the_login_screen(services, roster):
    services.staff_accounts.add("E001", NEW_IT, name="王資訊")
    code = invitation_code(services, NEW_IT)
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await click(pilot, "#has-code")
        await settle(pilot)
        assert isinstance(app.screen, InvitationScreen)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        await accept(pilot, NEW_IT, wrong)
        assert "驗證碼不正確" in field_error(app, "code")
        assert app.screen.query_one("#email", Input).value == NEW_IT  # kept (R26)
        await accept(pilot, NEW_IT, code, "short")
        assert field_error(app, "new_password")
        await accept(pilot, NEW_IT, code)
        assert isinstance(app.screen, QueueScreen)
        assert app.visit.staff is not None and app.visit.staff.is_it
        assert "王資訊" in app.screen.sub_title
    assert services.accounts.staff_login(NEW_IT, GOOD).is_it


async def test_r32_a_teacher_invited_by_it_sets_a_password_and_logs_in(services, roster):
    Teacher.update(password_hash=None).where(Teacher.email == "ho@school.example").execute()
    it = services.accounts.staff_login("it@school.example", "teach-demo-2026")
    services.staff_accounts.invite(by=it)
    code = invitation_code(services, "ho@school.example")
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "ho", GOOD)  # no password yet: refused like a wrong one
        assert isinstance(app.screen, StaffLoginScreen)
        await click(pilot, "#has-code")
        await settle(pilot)
        await accept(pilot, "ho@school.example", code)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, StaffLoginScreen) and app.visit.staff is None
        await log_in(pilot, "ho", GOOD)
        assert isinstance(app.screen, QueueScreen)


async def test_r32_a_temporary_password_is_changed_before_the_queue(services, roster):
    it = services.accounts.staff_login("it@school.example", "teach-demo-2026")
    services.staff_accounts.set_temporary_password(it, "ho@school.example", "tulip-harbor-42")
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "ho", "tulip-harbor-42")
        assert isinstance(app.screen, StaffPasswordScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, StaffPasswordScreen)  # no way around it
        await type_into(pilot, "#new", "tulip-harbor-42")
        await type_into(pilot, "#again", "tulip-harbor-42")
        await pilot.press("enter")
        await settle(pilot)
        assert "臨時密碼" in field_error(app, "new_password")
        await type_into(pilot, "#new", GOOD)
        await type_into(pilot, "#again", GOOD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    assert not services.accounts.staff_login("ho@school.example", GOOD).must_change


async def test_r32_a_reset_ends_an_open_session_at_the_next_action(services, roster):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        assert isinstance(app.screen, QueueScreen)
        services.staff_accounts.reset("lee@school.example")
        await pilot.press("r")  # reload the queue
        await settle(pilot)
        assert isinstance(app.screen, StaffLoginScreen) and app.visit.staff is None


def staff_rows(app) -> dict[str, list[str]]:
    from textual.widgets import DataTable

    table = app.screen.query_one("#staff-table", DataTable)
    rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
    return {row[0]: row for row in rows}


async def pick(pilot, email: str) -> None:
    from textual.widgets import DataTable

    table = pilot.app.screen.query_one("#staff-table", DataTable)
    table.move_cursor(row=table.get_row_index(email))
    await pilot.pause()


async def test_r32_r33_it_invites_and_manages_its_own_schools_staff(services, roster):
    from screens.review.staff_admin import StaffAdminScreen

    Teacher.update(password_hash=None).where(Teacher.email == "ho@school.example").execute()
    app = review_app(services)
    async with app.run_test(size=(110, 40)) as pilot:
        await log_in(pilot, "it")
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, StaffAdminScreen)
        rows = staff_rows(app)
        assert set(rows) == {"it@school.example", "lee@school.example", "ho@school.example"}
        assert rows["ho@school.example"][4] == "未設密碼"
        assert rows["lee@school.example"][4] == "啟用中"
        await click(pilot, "#invite-all")
        await settle(pilot)
        assert staff_rows(app)["ho@school.example"][4] == "已邀請"
        assert invitation_code(services, "ho@school.example")

        await pick(pilot, "lee@school.example")
        await click(pilot, "#invite")  # an active account needs no invitation
        await settle(pilot)
        assert staff_rows(app)["lee@school.example"][4] == "啟用中"

        await pick(pilot, "lee@school.example")
        await type_into(pilot, "#temporary", "short")
        await click(pilot, "#set-temporary")
        await settle(pilot)
        assert field_error(app, "new_password")
        await type_into(pilot, "#temporary", "tulip-harbor-42")
        await click(pilot, "#set-temporary")
        await settle(pilot)
        assert services.accounts.staff_login("lee@school.example", "tulip-harbor-42").must_change

        await pick(pilot, "lee@school.example")
        await click(pilot, "#reset")
        await settle(pilot)
        await click(pilot, "#yes")
        await settle(pilot)
        assert staff_rows(app)["lee@school.example"][4] == "已邀請"
        assert invitation_code(services, "lee@school.example")

        await pick(pilot, "ho@school.example")
        await click(pilot, "#deactivate")
        await settle(pilot)
        await pilot.press("escape")  # asked first; No keeps the account
        await settle(pilot)
        assert staff_rows(app)["ho@school.example"][4] == "已邀請"
        await click(pilot, "#deactivate")
        await settle(pilot)
        await click(pilot, "#yes")
        await settle(pilot)
        assert staff_rows(app)["ho@school.example"][4] == "已停用"
    assert not Teacher.get(Teacher.email == "ho@school.example").active


async def test_r20_it_lifts_a_teachers_wait_on_the_staff_screen(services, roster):
    """Issue 15: anyone who types a teacher's e-mail and five wrong passwords made them wait
    15 minutes; IT lifts the wait on the staff screen and the teacher logs in at once."""
    from screens.review.staff_admin import StaffAdminScreen
    from tests.factories import TEACHER_PASSWORD

    for _ in range(5):
        with pytest.raises(QinziError):
            services.accounts.staff_login("lee@school.example", "wrong password")
    app = review_app(services)
    async with app.run_test(size=(110, 40)) as pilot:
        await log_in(pilot, "it")
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, StaffAdminScreen)
        assert staff_rows(app)["lee@school.example"][4] == "暫時鎖定"
        await pick(pilot, "lee@school.example")
        await click(pilot, "#lift-wait")
        await settle(pilot)
        assert staff_rows(app)["lee@school.example"][4] == "啟用中"
    assert services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)


async def test_r32_a_teacher_has_no_staff_screen(services, roster):
    from screens.review.staff_admin import StaffAdminScreen

    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert not isinstance(app.screen, StaffAdminScreen)


async def test_r32_from_an_imported_roster_to_a_teacher_in_the_queue(services, tmp_path):
    """Done means (issue 14): a fresh database, the roster imported, the first IT account made
    (as `qinzi staff add` does), IT sets its password from the invitation on the login screen
    and invites the teachers on its staff screen, a teacher sets a password and is in the queue
    of the own class and approves a parent's application there. No seed, no demo, no hand-made
    rows."""
    from app.identity import id_digest, with_check_digit
    from app.models import Application, Status, Student
    from app.resources import data_file
    from screens.review.detail import DetailScreen
    from screens.review.staff_admin import StaffAdminScreen
    from tests.factories import Roster, submit_application
    from tests.tui.review_kit import go_to

    assert services.roster.import_csv(data_file("demo_roster.csv")).ok
    kid = "M255976276"  # 黃歆承 of 和平國小 301, the first row of the demo roster
    roster = Roster(
        students={kid: Student.get(Student.id_digest == id_digest(services.ctx.keyring, kid))},
        ids={"kid": kid},
        parent_ids={"father": with_check_digit("A10000000")},
    )
    [applied] = submit_application(services, roster, ("kid",), name="黃信婷")
    services.staff_accounts.add("990101", "it@heping.example", name="王資訊")
    teacher = "heping.301@school.example"
    app = review_app(services)
    async with app.run_test(size=(110, 40)) as pilot:
        await click(pilot, "#has-code")
        await settle(pilot)
        await accept(pilot, "it@heping.example", invitation_code(services, "it@heping.example"))
        assert isinstance(app.screen, QueueScreen) and app.visit.staff.is_it
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, StaffAdminScreen)
        assert staff_rows(app)[teacher][4] == "未設密碼"
        await click(pilot, "#invite-all")
        await settle(pilot)
        assert staff_rows(app)[teacher][4] == "已邀請"
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, StaffLoginScreen) and app.visit.staff is None
        await click(pilot, "#has-code")
        await settle(pilot)
        await accept(pilot, teacher, invitation_code(services, teacher), "copper meadow whistle")
        assert isinstance(app.screen, QueueScreen)
        assert app.visit.staff.role == "teacher" and "301" in app.screen.sub_title
        await go_to(pilot, applied.number)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("a")
        await settle(pilot)
        await click(pilot, "#yes")
        await settle(pilot)
        if not isinstance(app.screen, QueueScreen):  # the paper-form warning asks once more
            await click(pilot, "#yes")
            await settle(pilot)
    assert Application.get(Application.number == applied.number).status == Status.APPROVED
