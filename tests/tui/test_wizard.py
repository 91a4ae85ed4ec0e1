"""The binding wizard after step 1 (steps 2–4 and the completion page), walked through the real
services on a real database file: what a parent sees, refusal by refusal, with what they typed
still in place (R26)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual import events
from textual.widgets import Checkbox, RadioButton, Select

from app.models import Application, OutboxMessage, Status
from app.services.kiosk import ParentDetails
from app.tui import FlowMessage
from screens.completion import CompletionScreen
from screens.consent import ConsentScreen
from screens.contact import ContactScreen
from screens.parent import ParentScreen
from screens.student import StudentScreen
from screens.welcome import WelcomeScreen
from screens.widgets.confirm import Confirm
from tests.factories import make_account, submit_application, verified_contact
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - the flow: SQLite
from tests.tui.conftest import notice_of, settle, start_session, type_into
from tests.tui.wizard_kit import (
    error_key,
    field_error,
    fill_parent,
    fill_student,
    find_and_add,
    open_step2,
    open_step4,
    pass_step1,
    prepare_session,
    press,
    read_statement,
    screen_text,
    send_step4,
    text_of,
    value,
)
from tests.whole_text import Frame, untranslated_faults

SIZE = (100, 30)


# --- the whole way ------------------------------------------------------------------------------


async def test_r31_one_parent_binds_two_students_from_step1_to_the_completion_page(
    kiosk_app, roster
):
    """R31, flow steps 1–4: two passes through step 2, one consent, one submission, two
    application numbers on the completion page and two pending applications in the database.
    Each screen reports to the flow what the parent did, and only that, in order."""
    app = kiosk_app()
    services = app.services
    told: list[str] = []
    seen: dict[int, object] = {}  # kept alive, so that no id is reused

    def hook(message) -> None:
        """Each message once, though the hook sees it at every node it bubbles through."""
        if isinstance(message, FlowMessage) and id(message) not in seen:
            seen[id(message)] = message
            told.append(type(message).__qualname__)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pass_step1(pilot, services)
        assert isinstance(app.screen, StudentScreen)
        assert app.screen.query_one("#next").disabled

        await find_and_add(pilot, roster, "wu")
        assert "吳*寶" in text_of(app, "#chosen-list .chosen-text")
        assert not app.screen.query_one("#next").disabled
        await press(pilot, "#another")
        assert value(app, "#student-id") == ""
        await find_and_add(pilot, roster, "chen")
        rows = [str(s.render()) for s in app.screen.query(".chosen-text")]
        assert len(rows) == 2 and "陳*明" in rows[1] and "302" in rows[1]
        await press(pilot, "#next")

        assert isinstance(app.screen, ConsentScreen)
        await read_statement(pilot)
        app.screen.query_one("#agree", Checkbox).value = True
        await pilot.pause()
        await press(pilot, "#next")

        assert isinstance(app.screen, ParentScreen)
        await fill_parent(pilot, roster)
        await pilot.press("enter")  # Enter in the signature field asks first (issue 16)
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        question = str(app.screen.query_one(".confirm-text").render())
        assert "吳*寶" in question and "吳*明" in question and "fa***@home.example" in question
        app.screen.query_one("#yes").press()  # 確認送出
        await settle(pilot)

        assert isinstance(app.screen, CompletionScreen)
        numbers = app.screen.numbers
        assert len(numbers) == 2
        shown = screen_text(app, ".submitted-head")
        assert all(n in shown for n in numbers) and "吳*寶" in shown and "陳*明" in shown
        rows = Application.select().where(Application.number.in_(numbers))
        assert {a.status for a in rows} == {Status.PENDING}
        assert "身分證字號的後六碼" in screen_text(app, "#next-steps T")
    assert [m for m in told if m != "BackAtStart"] == [
        "WelcomeScreen.Picked", "ContactScreen.Verified", "StudentScreen.Done",
        "ConsentScreen.Agreed", "ParentScreen.Sent",
    ]  # fmt: skip


# --- step 2 -------------------------------------------------------------------------------------


async def test_r7_a_wrong_checksum_is_shown_beside_the_student_id_and_kept(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        bad = roster.ids["wu"][:-1] + str((int(roster.ids["wu"][-1]) + 1) % 10)
        await fill_student(pilot, roster, "wu", student_id=bad)
        await press(pilot, "#check-id")
        assert error_key(app, "student_id") == "errors.id.checksum"
        assert "檢查碼" in field_error(app, "student_id")
        assert value(app, "#student-id") == bad
        await press(pilot, "#lookup")  # a malformed ID never costs one of the R8 tries
        assert app.visit.session.failed_lookups == 0
        await type_into(pilot, "#student-id", roster.ids["wu"])
        await press(pilot, "#check-id")
        assert error_key(app, "student_id") is None
        assert "A123******" in text_of(app, "#student-id-ok")


async def test_r8_a_failed_lookup_says_how_many_tries_are_left_not_what_was_wrong(
    kiosk_app, roster
):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        # Right ID, wrong school: looked up as soon as the form is complete (issue 16).
        await fill_student(pilot, roster, "wu", school="E002")
        await settle(pilot)
        message = field_error(app, "student_id")
        assert error_key(app, "student_id") == "errors.application.lookup_failed"
        assert "4 次" in message and "學校" in message and "學層" in message
        assert value(app, "#student-id") == roster.ids["wu"]
        assert app.screen.query_one("#school", Select).value == "E002"
        assert not app.screen.query_one("#card").display
        assert app.visit.session.failed_lookups == 1  # the refusal's session is the kiosk's now


async def test_r8_the_fifth_failed_lookup_ends_the_session_and_wipes_everything(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await fill_student(pilot, roster, "wu", school="E002")  # the first lookup
        await settle(pilot)
        for _ in range(3):
            await press(pilot, "#lookup")
        assert "1 次" in field_error(app, "student_id")
        await press(pilot, "#lookup")
        assert app.visit.session is None
        assert isinstance(app.screen, WelcomeScreen)
        assert app.visit.drafts == {}
        assert "次數太多" in notice_of(app)  # it stays on the welcome screen (issue 16)


async def test_r5_other_needs_a_short_description(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await fill_student(pilot, roster, "wu", "other")
        assert app.screen.query_one("#field-relationship_note").display
        await press(pilot, "#lookup")
        await press(pilot, "#add")
        assert error_key(app, "relationship_note") == "errors.application.note_required"
        assert "姑姑" in field_error(app, "relationship_note")
        assert value(app, "#student-id") == roster.ids["wu"]
        assert app.screen.relationship == "other"
        assert app.visit.session.students == ()
        await type_into(pilot, "#relationship-note", "姑姑")
        await press(pilot, "#add")
        assert [c.note for c in app.visit.session.students] == ["姑姑"]
        assert "其他（姑姑）" in text_of(app, "#chosen-list .chosen-text")


async def test_r5_a_relationship_must_be_chosen_before_adding(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await fill_student(pilot, roster, "wu")
        app.screen.query_one("#kind-guardian", RadioButton).value = True  # 父親 is not one
        await pilot.pause()
        await press(pilot, "#lookup")
        await press(pilot, "#add")
        assert error_key(app, "relationship") == "errors.application.relationship_invalid"


async def test_r6_lookup_asks_for_the_school_without_spending_a_try(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await fill_student(pilot, roster, "wu")
        app.screen.query_one("#school", Select).clear()
        await pilot.pause()
        await press(pilot, "#lookup")
        assert error_key(app, "school") == "errors.wizard.school_required"
        assert app.visit.session.failed_lookups == 0


async def test_flow_step2_a_chosen_student_can_be_removed(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await find_and_add(pilot, roster, "wu")
        await press(pilot, "#another")
        await find_and_add(pilot, roster, "chen")
        app.screen.query(".remove").first().press()
        await settle(pilot)
        assert [c.card.name_masked for c in app.visit.session.students] == ["陳*明"]
        rows = [str(s.render()) for s in app.screen.query(".chosen-text")]
        assert len(rows) == 1 and "陳*明" in rows[0]
        app.screen.query(".remove").first().press()
        await settle(pilot)
        assert app.visit.session.students == ()
        assert app.screen.query_one("#student-form").display  # the form is back
        assert app.screen.query_one("#next").disabled


# --- step 3 -------------------------------------------------------------------------------------


async def open_step3(pilot, services, roster) -> None:
    session = start_session(pilot.app, services)
    student = roster.student("wu")
    apps = services.applications
    found = apps.lookup_student(session, student.school.level, "E001", roster.ids["wu"])
    pilot.app.visit.session = apps.choose_student(found.session, found.value, "father")
    await pilot.app.flow.show("consent")
    await settle(pilot)


async def test_r10_the_consent_box_is_disabled_until_the_statement_is_read_by_keyboard(
    kiosk_app, roster
):
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_step3(pilot, app.services, roster)
        agree = app.screen.query_one("#agree", Checkbox)
        assert agree.disabled and app.screen.query_one("#next").disabled
        assert "個資" in str(app.screen.query_one("#statement-text").source)
        await pilot.press("pagedown")
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)
        assert agree.disabled  # one page is not the end
        await read_statement(pilot)
        assert not agree.disabled
        agree.value = True
        await pilot.pause()
        await press(pilot, "#next")
        assert isinstance(app.screen, ParentScreen)
        assert app.visit.session.consent_version == app.services.settings.privacy_statement_version


async def test_r10_the_mouse_wheel_reads_the_statement_too(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step3(pilot, app.services, roster)
        box = app.screen.query_one("#statement")
        agree = app.screen.query_one("#agree", Checkbox)
        x, y = box.region.center
        for _ in range(200):
            if not agree.disabled:
                break
            box.post_message(events.MouseScrollDown(box, x, y, 0, 1, 0, False, False, False,
                                                    screen_x=x, screen_y=y))  # fmt: skip
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
        assert box.scroll_y == box.max_scroll_y > 0
        assert not agree.disabled


async def test_r22_not_agreeing_asks_first_then_wipes_the_session(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step3(pilot, app.services, roster)
        await press(pilot, "#decline")
        assert isinstance(app.screen, Confirm)
        await press(pilot, "#no")
        assert isinstance(app.screen, ConsentScreen) and app.visit.session is not None
        await press(pilot, "#decline")
        await press(pilot, "#yes")
        assert app.visit.session is None
        assert isinstance(app.screen, WelcomeScreen)
        assert len(app.screen_stack) == 1


# --- step 4 -------------------------------------------------------------------------------------


async def test_r16_a_signature_that_differs_from_the_name_is_refused(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        await fill_parent(pilot, roster, signature="吳志名")
        await send_step4(pilot)
        assert error_key(app, "signature") == "errors.application.signature_mismatch"
        assert "完全相同" in field_error(app, "signature")
        assert [value(app, f"#{n}") for n in ("name", "email", "mobile", "signature")] == [
            "吳志明", "father@home.example", "0911222333", "吳志名"]  # fmt: skip
        assert Application.select().count() == 0


async def test_r37_step4_brings_the_contact_proved_in_step1(kiosk_app, roster):
    """Issue 16: the e-mail verified in step 1 was typed again in step 4; now it stands in its
    field (the parent may change it), and a mobile from step 1 stands in the mobile field."""
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        await type_into(pilot, "#parent-id", roster.parent_ids["father"])
        await press(pilot, "#check-parent")
        assert value(app, "#email") == "father@home.example" and value(app, "#mobile") == ""
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        prepare_session(app, app.services, roster)
        app.visit.session = replace(
            app.visit.session, contact=verified_contact(app.services, "0912345678")
        )
        await app.flow.show("parent")
        await settle(pilot)
        await type_into(pilot, "#parent-id", roster.parent_ids["father"])
        await press(pilot, "#check-parent")
        assert value(app, "#mobile") == "0912345678" and value(app, "#email") == ""


async def test_r26_every_mistake_of_step4_is_shown_at_once(kiosk_app, roster):
    """Issue 16: a bad e-mail, a bad mobile and a wrong signature took three rounds of 送出資料;
    one submit now marks all three, and keeps everything typed."""
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        await fill_parent(pilot, roster, email="father@@home", mobile="12345", signature="吳志名")
        await send_step4(pilot)
        assert error_key(app, "email") is not None
        assert error_key(app, "mobile") is not None
        assert error_key(app, "signature") == "errors.application.signature_mismatch"
        assert [value(app, f"#{n}") for n in ("email", "mobile", "signature")] == [
            "father@@home", "12345", "吳志名"]  # fmt: skip
        assert Application.select().count() == 0


async def test_r26_an_open_dropdown_names_its_keys_in_the_kiosks_language(kiosk_app, roster):
    """Issue 16: with the school list open the key bar said "esc Dismiss menu" in Chinese."""
    from screens.widgets.keybar import KeyBar

    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        school = app.screen.query_one("#school", Select)
        school.focus()
        await pilot.press("enter")
        await settle(pilot)
        shown = app.screen.query_one(KeyBar).keys()  # the keys it shows, not a dict
        words = [description for _, _, description, _ in shown]
        assert "關閉選單" in words and "Dismiss menu" not in words


async def test_r26_typing_after_tab_at_step1_goes_into_the_field(kiosk_app):
    """Issue 16: a parent who pressed Tab first (focus on a button) lost every key typed."""
    from screens.contact import ContactScreen

    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.flow.show("contact")
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen)
        await pilot.press("tab")
        assert app.screen.focused is not None and app.screen.focused.id != "contact"
        await pilot.press(*"ab@x.tw")
        assert value(app, "#contact") == "ab@x.tw"


async def test_r11_a_bad_mobile_is_refused_beside_it(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        await fill_parent(pilot, roster, mobile="0212345678")
        await send_step4(pilot)
        assert error_key(app, "mobile") == "errors.contact.mobile_invalid"
        assert "09" in field_error(app, "mobile")
        assert value(app, "#mobile") == "0212345678"


async def test_r11_the_parent_id_is_checked_and_must_not_be_the_students(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        assert not app.screen.query_one("#details").display
        assert app.screen.query_one("#submit").disabled
        await type_into(pilot, "#parent-id", "A12345678")
        await pilot.press("enter")
        await settle(pilot)
        assert error_key(app, "parent_id") == "errors.id.format"
        await type_into(pilot, "#parent-id", roster.ids["wu"])
        await press(pilot, "#check-parent")
        assert error_key(app, "parent_id") == "errors.application.parent_is_student"
        assert not app.screen.query_one("#details").display


def refusal_setup(services, roster, case: str) -> str:
    """Arrange the database for one e-mail/pair refusal; returns the e-mail step 4 will use."""
    if case == "R12":
        return roster.student("wu2").email
    if case == "R13":
        make_account(services, roster, "mother", email="mother@home.example", children=())
        return "mother@home.example"
    if case == "R14":
        submit_application(services, roster, ("lin",), "other", name="林美惠",
                           email="shared@home.example", relationship="mother")  # fmt: skip
        return "shared@home.example"
    return "father@home.example"


async def test_r12_r13_r14_taken_e_mails_are_refused_beside_the_e_mail(kiosk_app, roster):
    app = kiosk_app()
    expected = {
        "R12": ("errors.application.email_is_student", "學生帳號"),
        "R13": ("errors.application.email_has_account", "忘記密碼"),
        "R14": ("errors.application.email_has_application", "已有申請紀錄"),
    }
    async with app.run_test(size=SIZE) as pilot:
        for case, (key, words) in expected.items():
            email = refusal_setup(app.services, roster, case)
            await open_step4(pilot, app.services, roster)
            await fill_parent(pilot, roster, email=email)
            await send_step4(pilot)
            assert error_key(app, "email") == key, case
            assert words in field_error(app, "email"), case
            assert value(app, "#email") == email and value(app, "#signature") == "吳志明"
            # Issue 16: login and forgotten password only where an account is the answer.
            assert app.screen.query_one("#account-help").display == (case == "R13"), case
            app.pop_screen()
            await settle(pilot)
    assert Application.select().where(Application.student == roster.student("wu")).count() == 0


async def test_r13_message_points_to_parent_login_and_forgotten_password(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        email = refusal_setup(app.services, roster, "R13")
        await open_step4(pilot, app.services, roster)
        await fill_parent(pilot, roster, email=email)
        await send_step4(pilot)
        assert "家長登入" in field_error(app, "email") and "忘記密碼" in field_error(app, "email")
        # Issue 6: one key from the refusal to the reset screen, and back to the typed form.
        assert app.screen.query_one("#account-help").display
        await pilot.press("f7")
        await pilot.pause()
        from screens.account.forgot import ForgotPasswordScreen

        assert isinstance(app.screen, ForgotPasswordScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert value(app, "#email") == email


async def test_r15_a_pair_already_waiting_offers_the_way_to_the_progress_page(kiosk_app, roster):
    """Issue 16: "already sent, see 目前申請進度" came with no way there."""
    from screens.progress import ProgressScreen

    app = kiosk_app()
    [waiting] = submit_application(app.services, roster, ("wu",))
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        await fill_parent(pilot, roster)
        await send_step4(pilot)
        assert app.screen.query_one("#pending-help").display
        assert not app.screen.query_one("#account-help").display
        await press(pilot, "#help-progress")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        assert waiting.number in screen_text(app, "Static")


async def test_r15_an_already_bound_pair_is_refused_with_login_advice(kiosk_app, roster):
    app = kiosk_app()
    make_account(app.services, roster, "father", children=("wu",))
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        await type_into(pilot, "#parent-id", roster.parent_ids["father"])
        await press(pilot, "#check-parent")
        await type_into(pilot, "#signature", "吳志明")
        await send_step4(pilot)
        assert error_key(app, "parent_id") == "errors.application.already_bound"
        message = field_error(app, "parent_id")
        assert "已綁定過親子關係" in message and "家長登入" in message
        assert value(app, "#parent-id") == roster.parent_ids["father"]
        await pilot.press("f6")  # issue 6: one key to 家長登入
        await pilot.pause()
        from screens.account.login import LoginScreen

        assert isinstance(app.screen, LoginScreen)


async def test_r9_an_existing_account_is_shown_masked_and_used_as_it_is(kiosk_app, roster):
    app = kiosk_app()
    make_account(app.services, roster, "father", email="father@home.example", children=())
    async with app.run_test(size=SIZE) as pilot:
        await open_step4(pilot, app.services, roster)
        await type_into(pilot, "#parent-id", roster.parent_ids["father"])
        await pilot.press("enter")
        await settle(pilot)
        shown = text_of(app, "#account-details")
        assert "吳*明" in shown and "fa***@home.example" in shown and "0911***333" in shown
        assert "吳志明" not in shown and "father@home.example" not in shown
        for name in ("name", "email", "mobile"):
            assert not app.screen.query_one(f"#field-{name}").display
        await type_into(pilot, "#signature", "吳志明")
        await pilot.press("enter")
        await settle(pilot)
        question = str(app.screen.query_one(".confirm-text").render())
        assert "吳*明" in question and "0911***333" in question  # the account's own, masked
        app.screen.query_one("#yes").press()
        await settle(pilot)
        assert isinstance(app.screen, CompletionScreen)
        row = Application.get(Application.number == app.screen.numbers[0])
        assert (row.parent_name, row.email) == ("吳志明", "father@home.example")


async def test_r26_back_from_step4_to_step2_and_forward_again_keeps_everything(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await find_and_add(pilot, roster, "wu")
        await press(pilot, "#next")
        await read_statement(pilot)
        app.screen.query_one("#agree", Checkbox).value = True
        await pilot.pause()
        await press(pilot, "#next")
        await fill_parent(pilot, roster, signature="")
        await press(pilot, "#back")
        assert isinstance(app.screen, ConsentScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen)
        assert "吳*寶" in text_of(app, "#chosen-list .chosen-text")
        await press(pilot, "#next")
        agree = app.screen.query_one("#agree", Checkbox)
        assert agree.value and not agree.disabled  # consent given before stays given
        await press(pilot, "#next")
        assert isinstance(app.screen, ParentScreen)
        assert value(app, "#parent-id") == roster.parent_ids["father"]
        assert [value(app, f"#{n}") for n in ("name", "email", "mobile")] == [
            "吳志明", "father@home.example", "0911222333"]  # fmt: skip
        assert app.screen.query_one("#details").display  # 驗證 need not be pressed again


async def test_r26_the_language_switch_keeps_what_was_typed_and_changes_the_labels(
    kiosk_app, roster
):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await fill_student(pilot, roster, "wu", "grandmother", school="E002")
        await press(pilot, "#lookup")
        kind = app.screen.query_one("#kind-guardian", RadioButton)
        assert str(kind.label) == "監護人"
        await pilot.press("f2")
        await settle(pilot)
        assert str(kind.label) == "Guardian"
        assert "could not find a child" in field_error(app, "student_id")
        assert value(app, "#student-id") == roster.ids["wu"]
        assert app.screen.relationship == "grandmother"
        assert app.screen.query_one("#school", Select).value == "E002"
        assert "Grandmother" in str(app.screen.query_one("#rel-grandmother", RadioButton).label)

        app.pop_screen()  # back at the welcome screen: that visit ends (R36)
        await settle(pilot)
        await open_step4(pilot, app.services, roster)
        await fill_parent(pilot, roster, mobile="12345")
        await send_step4(pilot)
        assert "starting with 09" in field_error(app, "mobile")
        await pilot.press("f2")
        await settle(pilot)
        assert "09 開頭" in field_error(app, "mobile")
        assert value(app, "#mobile") == "12345" and value(app, "#name") == "吳志明"


# --- completion -----------------------------------------------------------------------------------


async def test_r27_the_completion_page_lists_numbers_papers_and_the_way_on(kiosk_app, roster):
    app = kiosk_app()
    services = app.services
    async with app.run_test(size=SIZE) as pilot:
        session = prepare_session(app, services, roster, ("wu", "chen"), "grandmother")
        details = ParentDetails(roster.parent_ids["grandma"], "吳林玉", "grandma@home.example",
                                "0922333444")  # fmt: skip
        submitted = services.applications.submit(session, details, "吳林玉").value
        await app.flow.show("completion", submitted)
        await settle(pilot)
        shown = screen_text(app, ".submitted Static")
        assert all(s.number in shown for s in submitted)
        assert shown.count("監護權證明") == 2 and "祖母" in shown
        assert not app.screen.check_action("back", ())  # the sent wizard cannot be reopened
        await press(pilot, "#download")
        assert "列印" in notice_of(app)
        await press(pilot, "#progress")
        from screens.progress import ProgressScreen

        assert isinstance(app.screen, ProgressScreen)
        assert len(app.screen_stack) == 2  # welcome, progress


async def test_r22_logout_from_the_completion_page_wipes_the_session(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        submitted = submit_application(app.services, roster)
        start_session(app, app.services)
        await app.flow.show("completion", submitted)
        await settle(pilot)
        await press(pilot, "#logout")
        assert app.visit.session is None and isinstance(app.screen, WelcomeScreen)


@pytest.mark.parametrize("focused", ["#relationship-kind", "#check-id", "#lookup", "#school"])
async def test_r6_a_scanner_burst_reads_the_class_letter_whatever_has_focus(
    kiosk_app, roster, focused
):
    """Issue 16: step 2 opens on the relationship choice, and a USB scanner types the letter's
    QR and Enter into whatever has focus; its Enter must not pick 法定代理人 nor press a button."""
    from app.services.forms.qr import class_qr_text

    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        app.screen.query_one(focused).focus()
        await pilot.pause()
        await pilot.press(*class_qr_text("E002", "101"), "enter")
        await settle(pilot)
        assert app.screen.level == "elementary"
        assert app.screen.query_one("#school").value == "E002"
        assert app.screen.kind is None  # nothing chosen for the parent
        assert value(app, "#student-id") == ""
        assert app.visit.session.failed_lookups == 0


async def test_r6_a_scanned_class_letter_preselects_level_and_school(kiosk_app, roster):
    """Issue 4: the class letter's QR, typed by a USB scanner into step 2, chooses the level and
    the school; the parent still types the student's ID."""
    from app.services.forms.qr import class_qr_text

    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await type_into(pilot, "#student-id", class_qr_text("E002", "101"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.level == "elementary"
        assert app.screen.query_one("#school").value == "E002"
        assert value(app, "#student-id") == ""
        assert app.visit.session.failed_lookups == 0


async def test_r36_back_to_step1_keeps_the_verified_contact_and_asks_no_new_code(
    kiosk_app, services, roster
):
    """Issue 18, R36: Esc from step 2 returns to step 1 showing the contact as verified, not
    its used code; 下一步 (or Enter) goes on without a new code — two Backs must not spend the
    hourly SMS allowance. Typing another contact asks for a code as usual."""
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await pass_step1(pilot, services)
        assert isinstance(app.screen, StudentScreen)
        await find_and_add(pilot, roster, "wu")
        sent = OutboxMessage.select().count()

        for _ in range(2):
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ContactScreen)
            assert not app.screen.query_one("#code-box").display
            assert value(app, "#code") == ""
            assert "已驗證" in text_of(app, "#kept")
            assert app.screen.query_one("#go-on").has_focus
            assert str(app.screen.query_one("#go-on").label) == "下一步"
            assert untranslated_faults(Frame(app)) == []
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, StudentScreen)
            # the session went on: the child added before is still there
            assert "吳*寶" in text_of(app, "#chosen-list .chosen-text")
        assert OutboxMessage.select().count() == sent

        await pilot.press("escape")
        await settle(pilot)
        await type_into(pilot, "#contact", "mother@home.example")
        assert not app.screen.query_one("#go-on").display
        assert app.screen.query_one("#get-code").display
        await pilot.press("enter")
        await settle(pilot)
        assert OutboxMessage.select().count() == sent + 1
        assert app.screen.query_one("#code-box").display


@pytest.mark.parametrize(
    ("relationship", "paper"),
    [("grandmother", "documents.guardianship_proof"), ("other", "documents.delegation_letter")],
)
async def test_r27_a_guardian_sees_the_papers_to_bring_at_step2(
    kiosk_app, services, relationship, paper
):
    """Issue 18, R27: choosing a 監護人 relationship at step 2 says at once which papers the
    school must see (not only after sending); a parent (法定代理人) is told of none."""
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, services)
        screen = app.screen
        papers = screen.query_one("#papers")
        assert not papers.display
        screen.query_one("#kind-guardian", RadioButton).value = True
        await pilot.pause()
        assert not papers.display  # no relationship chosen yet
        screen.query_one(f"#rel-{relationship}", RadioButton).value = True
        await pilot.pause()
        assert papers.display
        shown = str(papers.render())
        assert app.tr(paper)[:20] in shown.replace("\n", "")
        screen.query_one("#kind-legal", RadioButton).value = True
        await pilot.pause()
        screen.query_one("#rel-father", RadioButton).value = True
        await pilot.pause()
        assert not papers.display


# --- issue 18: English school names -----------------------------------------------------------


def english_school_names() -> None:
    """Nanmen gets its English name, and a second junior high comes before it in the list."""
    from app.models import School

    School.update(name_en="Nanmen Junior High School").where(School.code == "J001").execute()
    School.create(code="J000", name="臺北市中正區中正國中", level="junior",
                  name_en="Chung Cheng Junior High School")  # fmt: skip


def school_prompts(app) -> list[str]:
    from textual.widgets._select import SelectOverlay

    overlay = app.screen.query_one("#school", Select).query_one(SelectOverlay)
    return [str(o.prompt) for o in overlay.options][1:]  # the blank prompt first


async def test_r6_in_english_typing_letters_on_the_school_list_finds_the_school(kiosk_app, roster):
    """Issue 18, R6: in English the list names a school "English (Chinese)", typing "nan" on
    the closed list opens it on Nanmen and Enter chooses it; the student found shows the
    English name. F2 relabels the list and keeps the choice and the student found."""
    english_school_names()
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        app.lang = "en"
        await open_step2(pilot, app.services)
        app.screen.query_one("#level-junior", RadioButton).value = True
        await settle(pilot)
        assert school_prompts(app) == [
            "Chung Cheng Junior High School (臺北市中正區中正國中)",
            "Nanmen Junior High School (臺北市中正區南門國中)",
        ]
        select = app.screen.query_one("#school", Select)
        select.focus()
        await pilot.pause()
        await pilot.press("n", "a", "n")
        assert select.expanded
        from textual.widgets._select import SelectOverlay

        overlay = select.query_one(SelectOverlay)
        assert overlay.highlighted == 2  # the blank prompt, Chung Cheng, Nanmen
        await pilot.press("enter")
        await settle(pilot)
        assert select.value == "J001" and not select.expanded
        assert app.focused is app.screen.query_one("#student-id")

        await pilot.press(*roster.ids["wang"])
        await settle(pilot)
        assert app.screen.card is not None
        assert "Nanmen Junior High School" in text_of(app, "#card-text")
        assert "南門" not in text_of(app, "#card-text")

        await pilot.press("f2")
        await settle(pilot)
        assert school_prompts(app) == ["臺北市中正區中正國中", "臺北市中正區南門國中"]
        assert select.value == "J001"
        assert app.screen.card is not None  # relabelling is no new choice: the student stays
        assert "臺北市中正區南門國中" in text_of(app, "#card-text")
        assert app.visit.session.failed_lookups == 0

        await pilot.press("f2")
        await settle(pilot)
        assert school_prompts(app)[1] == "Nanmen Junior High School (臺北市中正區南門國中)"
        assert select.value == "J001" and app.screen.card is not None
        app.screen.query_one("#kind-legal", RadioButton).value = True
        await pilot.pause()
        app.screen.query_one("#rel-father", RadioButton).value = True
        await pilot.pause()
        await press(pilot, "#add")
        assert "Nanmen Junior High School" in text_of(app, "#chosen-list .chosen-text")


async def test_r6_in_chinese_the_school_list_shows_chinese_names_only(kiosk_app, roster):
    """Issue 18: English names stay out of the Chinese list, and a Latin letter typed on it
    goes to the ID field as before (issue 16)."""
    english_school_names()
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        app.screen.query_one("#level-junior", RadioButton).value = True
        await settle(pilot)
        assert school_prompts(app) == ["臺北市中正區中正國中", "臺北市中正區南門國中"]
        select = app.screen.query_one("#school", Select)
        select.focus()
        await pilot.pause()
        await pilot.press("y")
        assert not select.expanded
        assert value(app, "#student-id") == "y"


async def test_r6_in_english_a_scanner_burst_on_the_school_list_still_reads_the_letter(
    kiosk_app, roster
):
    """Issue 18: letters search the English list, but a scanner types capitals (QZCLASS:…),
    which still go to the text field whole, so the class letter is read."""
    from app.services.forms.qr import class_qr_text

    english_school_names()
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        app.lang = "en"
        await open_step2(pilot, app.services)
        app.screen.query_one("#level-junior", RadioButton).value = True
        await settle(pilot)
        select = app.screen.query_one("#school", Select)
        select.focus()
        await pilot.pause()
        await pilot.press(*class_qr_text("J001", "801"), "enter")
        await settle(pilot)
        assert not select.expanded
        assert app.screen.level == "junior" and select.value == "J001"
        assert value(app, "#student-id") == ""
