"""Issue 6 through the screens: 家長登入, the forced change (R19, R20), expiry of the initial
password, throttling, contact change (R21), 忘記密碼, unbinding (R29) — real services, real file."""

from __future__ import annotations

from textual.widgets import Input

from app.models import Account, OutboxMessage
from app.services.staff import StaffIdentity
from screens.account.contact_change import ContactChangeScreen
from screens.account.forgot import ForgotPasswordScreen
from screens.account.home import AccountHomeScreen
from screens.account.login import LoginScreen
from screens.account.password import ChangePasswordScreen
from screens.student import StudentScreen
from screens.welcome import WelcomeScreen
from screens.widgets.field import Field
from tests.factories import make_account
from tests.tui.conftest import click, last_code, settle, type_into

NEW_PASSWORD = "Harbour-Lantern-1987"


def field_error(app, name: str) -> str:
    field = app.screen.query_one(f"#field-{name}", Field)
    return field.error.message(app.lang) if field.error else ""


async def log_in(pilot, email: str, password: str) -> None:
    if not isinstance(pilot.app.screen, LoginScreen):
        await click(pilot, "#login")
        await pilot.pause()
    await type_into(pilot, "#login-email", email)
    await type_into(pilot, "#login-password", password)
    await pilot.press("enter")
    await settle(pilot)


def outbox_to(address: str) -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.recipient == address))


async def test_r19_first_login_forces_a_change_then_the_new_password_works(kiosk_app, roster):
    app = kiosk_app()
    make_account(app.services, roster, email="dad@home.example")
    default = roster.parent_ids["father"][-6:]
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "dad@home.example", default)
        assert isinstance(app.screen, ChangePasswordScreen) and app.screen.forced
        await pilot.press("escape")  # R19: the initial password can never be kept
        await pilot.pause()
        assert isinstance(app.screen, ChangePasswordScreen)
        await type_into(pilot, "#current", default)
        await type_into(pilot, "#new", f"school{default}")
        await type_into(pilot, "#again", f"school{default}")
        await click(pilot, "#save")
        await settle(pilot)
        assert "預設密碼" in field_error(app, "new_password")  # R20: not the default
        assert app.screen.query_one("#new", Input).value == f"school{default}"
        await type_into(pilot, "#new", NEW_PASSWORD)
        await type_into(pilot, "#again", NEW_PASSWORD)
        await click(pilot, "#save")
        await settle(pilot)
        assert isinstance(app.screen, AccountHomeScreen)
        home = str(app.screen.query_one("#children").query_one(".progress-student").render())
        assert "吳*寶" in home  # R9: masked on a shared kiosk screen
        await click(pilot, "#logout")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen) and app.visit.login is None
        await log_in(pilot, "dad@home.example", NEW_PASSWORD)
        assert isinstance(app.screen, AccountHomeScreen)


async def test_r19_an_expired_initial_password_says_what_to_do(kiosk_app, roster, clock):
    app = kiosk_app()
    make_account(app.services, roster, email="dad@home.example")
    clock.advance(days=15)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "dad@home.example", roster.parent_ids["father"][-6:])
        assert isinstance(app.screen, LoginScreen)
        assert "忘記密碼" in field_error(app, "password")


async def test_r20_unknown_login_and_wrong_password_read_the_same_then_the_wait(kiosk_app, roster):
    app = kiosk_app()
    make_account(app.services, roster, email="dad@home.example", password=NEW_PASSWORD)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "nobody@home.example", "whatever-1")
        unknown = field_error(app, "password")
        await log_in(pilot, "dad@home.example", "wrong-password")
        assert field_error(app, "password") == unknown
        for _ in range(4):
            await log_in(pilot, "dad@home.example", "wrong-password")
        await log_in(pilot, "dad@home.example", NEW_PASSWORD)
        assert "15 分鐘" in field_error(app, "password")
        assert app.screen.query_one("#login-email", Input).value == "dad@home.example"


async def test_r21_new_mobile_needs_a_code_to_it_and_the_old_number_is_told(kiosk_app, roster):
    app = kiosk_app()
    make_account(app.services, roster, email="dad@home.example", password=NEW_PASSWORD)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "dad@home.example", NEW_PASSWORD)
        await click(pilot, "#change-contact")
        await pilot.pause()
        assert isinstance(app.screen, ContactChangeScreen)
        await type_into(pilot, "#contact", "0922333444")
        await click(pilot, "#get-code")
        await settle(pilot)
        assert len(outbox_to("+886922333444")) == 1
        await type_into(pilot, "#code", last_code(app.services))
        await click(pilot, "#confirm")
        await settle(pilot)
        assert isinstance(app.screen, AccountHomeScreen)
        assert Account.get().mobile == "+886922333444"
        notice = outbox_to("+886911222333")
        assert len(notice) == 1 and "0922***444" in app.services.outbox.body_of(notice[0])


async def test_forgotten_password_by_code_ends_other_sessions(kiosk_app, roster):
    app = kiosk_app()
    account = make_account(app.services, roster, email="dad@home.example", password=NEW_PASSWORD)
    other = app.services.accounts.parent_login("dad@home.example", NEW_PASSWORD)
    async with app.run_test(size=(100, 30)) as pilot:
        await click(pilot, "#login")
        await pilot.pause()
        await click(pilot, "#forgot")
        await pilot.pause()
        assert isinstance(app.screen, ForgotPasswordScreen)
        await type_into(pilot, "#contact", "dad@home.example")
        await click(pilot, "#get-code")
        await settle(pilot)
        await type_into(pilot, "#code", last_code(app.services))
        await type_into(pilot, "#new", "Quiet-Orchid-Bridge-42")
        await type_into(pilot, "#again", "Quiet-Orchid-Bridge-42")
        await click(pilot, "#confirm")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        # Issue 16: back on the login screen, ready to type (it had nothing focused).
        assert app.focused is app.screen.query_one("#login-email")
        assert not app.services.accounts.session_valid(account.id, other.session_epoch)
        # The owner hears of it on the other channel.
        assert outbox_to("+886911222333")
        await log_in(pilot, "dad@home.example", "Quiet-Orchid-Bridge-42")
        assert isinstance(app.screen, AccountHomeScreen)


async def test_r29_unbinding_request_reaches_the_teachers_queue(kiosk_app, roster):
    app = kiosk_app()
    make_account(app.services, roster, email="dad@home.example", password=NEW_PASSWORD)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "dad@home.example", NEW_PASSWORD)
        button = app.screen.query(".progress-row Button").first()
        await click(pilot, f"#{button.id}")
        await pilot.pause()
        await click(pilot, "#yes")
        await settle(pilot)
        teacher = StaffIdentity.of(roster.teachers["lee"])
        assert app.services.unbinding.page(teacher).total == 1
        assert not app.screen.query("#children Button")  # no second request offered


async def test_a_logged_in_parent_starts_a_binding_without_a_new_code(kiosk_app, roster):
    app = kiosk_app()
    make_account(app.services, roster, email="dad@home.example", password=NEW_PASSWORD)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "dad@home.example", NEW_PASSWORD)
        sent_before = OutboxMessage.select().count()
        await click(pilot, "#bind-another")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen)
        assert app.visit.session.contact.value == "dad@home.example"
        assert OutboxMessage.select().count() == sent_before
