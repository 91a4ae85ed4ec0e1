"""The kiosk around the wizard: welcome, step 1, the progress page, FAQ, outbox pane, idle wipe
and the kiosk lock — through the real services on a real database file."""

from __future__ import annotations

from textual.widgets import Input, Markdown

from app.models import Application, Channel, OutboxMessage, Status
from screens.contact import ContactScreen
from screens.faq import FaqScreen
from screens.progress import ProgressScreen
from screens.staff_pin import StaffPinScreen
from screens.welcome import WelcomeScreen
from screens.widgets.confirm import Confirm
from screens.widgets.field import Field
from screens.widgets.idle import IdleCountdown
from screens.widgets.outbox_pane import OutboxPane
from tests.factories import submit_application
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - the flow: SQLite
from tests.tui.conftest import click, last_code, settle, type_into


def field_error(app, name: str) -> str:
    field = app.screen.query_one(f"#field-{name}", Field)
    return field.error.message(app.lang) if field.error else ""


async def to_step1(pilot) -> None:
    await pilot.click("#bind")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ContactScreen)


async def test_r26_bad_contact_is_explained_beside_the_field_and_kept(kiosk_app):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "parent@home")
        await pilot.press("enter")
        await settle(pilot)
        assert "有效的電子郵件信箱" in field_error(app, "contact")
        assert app.screen.query_one("#contact", Input).value == "parent@home"


async def test_r2_third_sms_in_an_hour_is_refused_with_advice_to_use_email(kiosk_app):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "0912345678")
        for _ in range(3):
            await click(pilot, "#get-code")
            await settle(pilot)
        assert "電子郵件信箱" in field_error(app, "contact")
        assert app.screen.query_one("#contact", Input).value == "0912345678"


async def test_r4_wrong_code_says_how_many_tries_are_left(kiosk_app):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "parent@home.example")
        await pilot.press("enter")
        await settle(pilot)
        code = last_code(app.services)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        await type_into(pilot, "#code", wrong)
        await pilot.press("enter")
        await settle(pilot)
        assert "還可以再試 4 次" in field_error(app, "code")
        assert app.screen.query_one("#code", Input).value == wrong
        assert app.visit.session is None


async def test_r37_the_step4_address_of_the_decision_mail_lands_on_the_progress_page(
    kiosk_app, roster
):
    """Issue 16: step 1 was done by SMS, step 4 gave an e-mail; coming back with that e-mail, as
    the approval or rejection mail says, shows the application instead of a new step 2."""
    app = kiosk_app()
    [done] = submit_application(app.services, roster, ("wu",), contact="0922000111",
                                email="dad.work@office.example")  # fmt: skip
    async with app.run_test(size=(80, 24)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "dad.work@office.example")
        await click(pilot, "#get-code")
        await settle(pilot)
        await type_into(pilot, "#code", last_code(app.services))
        await click(pilot, "#confirm")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        assert done.number in " ".join(str(w.render()) for w in app.screen.query("Static"))


async def test_flow_step1_a_contact_with_applications_lands_on_the_progress_page(kiosk_app, roster):
    """Flow step 1 → 5, R17: come back with a new code, see both applications, cancel one,
    void the rest, log out to an empty welcome screen."""
    app = kiosk_app()
    services = app.services
    submit_application(services, roster, ("wu", "chen"), email="parent@home.example")
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "parent@home.example")
        await pilot.click("#get-code")
        await settle(pilot)
        await type_into(pilot, "#code", last_code(services))
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        rows = app.screen.query(".progress-item")
        assert len(rows) == 2
        assert all("申請" in str(r.query_one(".progress-status").render()) for r in rows)

        first = Application.select().order_by(Application.id).first()
        await pilot.click(f"#cancel-{first.number}")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.click("#yes")
        await settle(pilot)
        assert Application.get_by_id(first.id).status == Status.CANCELLED
        assert len(app.screen.query(".progress-item")) == 1

        await pilot.click("#void-all")
        await pilot.pause()
        await pilot.click("#no")  # changed their mind: nothing happens
        await settle(pilot)
        assert len(app.screen.query(".progress-item")) == 1
        await pilot.click("#void-all")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert Application.select().where(Application.status == Status.PENDING).count() == 0

        await pilot.click("#logout")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert app.visit.session is None and app.visit.drafts == {}


async def test_r22_idle_countdown_then_everything_is_wiped(kiosk_app, clock):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "parent@home.example")
        clock.advance(seconds=119)
        app.tick()
        await pilot.pause()
        assert not isinstance(app.screen, IdleCountdown)
        clock.advance(seconds=2)
        app.tick()
        await pilot.pause()
        assert isinstance(app.screen, IdleCountdown)
        clock.advance(seconds=16)
        app.screen.tick()
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert app.visit.drafts == {} and app.visit.session is None
        await to_step1(pilot)
        assert app.screen.query_one("#contact", Input).value == ""


async def test_r22_a_key_during_the_countdown_keeps_the_session(kiosk_app, clock):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "parent@home.example")
        clock.advance(seconds=121)
        app.tick()
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.query_one("#contact", Input).value == "parent@home.example"


async def test_r22_kiosk_needs_the_staff_pin_to_quit(kiosk_app):
    app = kiosk_app(kiosk=True)
    app.services.ctx.settings.staff_pin = "2468"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")  # no command palette in a kiosk
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, StaffPinScreen)
        await type_into(pilot, "#pin", "1111")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffPinScreen)
        assert "密碼不正確" in field_error(app, "pin")
        await type_into(pilot, "#pin", "2468")
        await pilot.press("enter")
        await settle(pilot)
    assert app.return_code == 0


async def test_r25_outbox_pane_shows_codes_in_demo_mode_only(kiosk_app):
    app = kiosk_app()
    async with app.run_test(size=(120, 30)) as pilot:
        app.services.verification.request_code(Channel.EMAIL, "parent@home.example")
        app.refresh_outbox()
        await settle(pilot)
        pane = app.screen.query_one(OutboxPane)
        assert pane.has_class("-shown")
        text = str(pane.query_one("#outbox-list").render())
        assert last_code(app.services) in text
        assert "pa***@home.example" in text
        await pilot.press("f4")
        await pilot.pause()
        assert not pane.has_class("-shown")


async def test_r25_on_a_phone_wide_terminal_the_outbox_starts_hidden_and_f4_shows_it_whole(
    kiosk_app,
):
    """Issue 18: at a phone's 41 columns the pane (36 wide) left step 1 three columns, one
    character a line. There it starts hidden, F4 shows it over the whole width (the code is
    readable), and a terminal widened past 80 columns gets the pane beside the steps again."""
    app = kiosk_app()
    async with app.run_test(size=(41, 40)) as pilot:
        await to_step1(pilot)
        pane = app.screen.query_one(OutboxPane)
        assert not pane.has_class("-shown")
        assert app.screen.query_one("#contact", Input).region.width > 30
        app.services.verification.request_code(Channel.EMAIL, "parent@home.example")
        app.refresh_outbox()
        await pilot.press("f4")
        await settle(pilot)
        assert pane.has_class("-shown") and pane.region.width == 41
        assert last_code(app.services) in str(pane.query_one("#outbox-list").render())
        await pilot.press("f4")
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert pane.has_class("-shown") and pane.region.width == 36


async def test_r25_production_kiosk_never_shows_the_outbox(services):
    from app.factory import make_app

    app = make_app(services, kiosk=True)
    async with app.run_test(size=(120, 30)) as pilot:
        services.verification.request_code(Channel.EMAIL, "parent@home.example")
        await pilot.press("f4")
        await settle(pilot)
        assert not app.screen.query_one(OutboxPane).has_class("-shown")
        assert app.outbox_messages == []


async def test_r26_language_switch_mid_step_keeps_what_was_typed(kiosk_app):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "parent@home")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert app.lang == "en"
        assert "not a valid email" in field_error(app, "contact")
        assert app.screen.query_one("#contact", Input).value == "parent@home"
        assert "Get code" in str(app.screen.query_one("#get-code").label)


async def test_faq_covers_every_question_of_the_seed_in_both_languages(kiosk_app):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#faq")
        await pilot.pause()
        assert isinstance(app.screen, FaqScreen)
        from screens.faq import faq_text

        for lang in ("zh-TW", "en"):
            assert faq_text(lang).count("\n### ") == 11  # seed FAQ 一 Q1–Q7, 二 Q1–Q4
        assert "後六碼" in faq_text("zh-TW")
        assert app.screen.query_one("#faq", Markdown) is not None
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)


async def test_r36_back_from_step1_to_the_welcome_screen_forgets_the_e_mail(kiosk_app):
    """R36: whoever presses 親子綁定 next finds step 1 empty (the draft used to stay for them)."""
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "parent@home.example")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert app.visit.drafts == {}
        await to_step1(pilot)
        assert app.screen.query_one("#contact", Input).value == ""


async def test_demo_welcome_lists_logins_and_students_in_the_current_language(demo_services):
    """The demo's hints, the same lines `qinzi demo` prints, follow the language switch."""
    from app.factory import make_app
    from app.services.demo.seed import demo_setup

    info = demo_setup(demo_services)
    app = make_app(demo_services, demo_info=info)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one("#demo-info").render())
        assert info.teacher_login in text and info.students[0].student_id in text
        await pilot.press("f2")
        await pilot.pause()
        assert str(app.screen.query_one("#demo-info").render()) != text


async def test_demo_set_up_runs_behind_the_first_frame_and_its_hints_follow(demo_services):
    """Issue 7: the welcome screen is up before the demo's set-up (roster, staff passwords, sample
    applications) has run; it says the data is on its way, then shows the logins it made."""
    import threading

    from app.factory import make_app
    from app.services.demo.seed import demo_setup

    release = threading.Event()

    def prepare():
        release.wait(10)
        return demo_setup(demo_services)

    app = make_app(demo_services, prepare=prepare)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.demo_info is None
        assert "準備示範資料" in str(app.screen.query_one("#demo-info").render())
        release.set()
        await settle(pilot)
        text = str(app.screen.query_one("#demo-info").render())
        assert app.demo_info.teacher_login in text and "準備示範資料" not in text


async def test_issue16_one_field_takes_an_email_or_a_mobile_and_says_where_the_code_goes(kiosk_app):
    """No channel choice: the first key typed lands in the field (even after Tab), an @ makes it
    an e-mail and digits a mobile, and the line under the field says so in the parent's words."""
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_step1(pilot)
        await pilot.press("tab")
        await pilot.press(*"0912345678")
        assert app.screen.query_one("#contact", Input).value == "0912345678"
        assert "簡訊" in str(app.screen.query_one("#field-contact .field-hint").render())
        await pilot.press("enter")
        await settle(pilot)
        sent = OutboxMessage.select().where(OutboxMessage.recipient == "+886912345678")
        assert sent.count() == 1
        app.screen.query_one("#contact", Input).value = "parent@home.example"
        await pilot.pause()
        assert "電子郵件信箱" in str(app.screen.query_one("#field-contact .field-hint").render())


async def test_issue16_neither_an_email_nor_a_mobile_gets_one_line_naming_both(kiosk_app):
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_step1(pilot)
        await type_into(pilot, "#contact", "王小明")
        await pilot.click("#get-code")
        await settle(pilot)
        error = field_error(app, "contact")
        assert "@" in error and "09" in error
        assert app.screen.query_one("#contact", Input).value == "王小明"


async def test_issue16_a_burst_typed_on_the_welcome_screen_all_lands_in_step_1(kiosk_app):
    """Typing on the welcome screen starts 親子綁定; keys that arrive before step 1 is up (a
    fast typist, a paste) join the field in order, and an Enter among them starts nothing twice:
    it asks for the code once step 1 is up, as the parent meant (issue 18: it was lost)."""
    from textual import events

    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for ch in "dad@home.example":
            app.screen.post_message(events.Key(ch, ch))
        app.screen.post_message(events.Key("enter", None))
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen)
        assert len(app.screen_stack) == 2
        assert app.screen.query_one("#contact", Input).value == "dad@home.example"
        assert app.screen.query_one("#code-box").display  # the code was asked for, once
        assert OutboxMessage.select().count() == 1


async def test_r36_the_next_person_starts_on_the_first_way_in_not_the_last_ones_button(kiosk_app):
    """Issue 16: after 登出 the welcome screen kept focus on 家長登入, the last parent's choice,
    so the next one's Enter opened the login."""
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#login").focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#bind")


async def test_start_up_the_collector_paused_by_the_command_line_runs_again_behind_the_first_frame(
    kiosk_app,
):
    """Issue 13 (start-up): `qinzi kiosk` and `qinzi demo` start the app with Python's garbage
    collector paused; once the first frame is drawn the app resumes it (a kiosk runs for
    months), after one collection, with what start-up built set aside (gc.freeze)."""
    import gc

    from app.tui import COLLECTOR_PAUSE

    app = kiosk_app()
    gc.disable()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert not gc.isenabled()  # the first frame is drawn; its write may still be going
            await pilot.pause(COLLECTOR_PAUSE + 0.2)
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
