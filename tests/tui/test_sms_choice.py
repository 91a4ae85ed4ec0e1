"""R38 on the screens: a production kiosk whose SMS go nowhere (`[sms] transport = "outbox"`)
offers no mobile choice at step 1, 忘記密碼 or a contact change, and no text there speaks of an
SMS; one with a gateway, and the demo, offer it."""

from __future__ import annotations

import pytest

from app.factory import make_app
from screens.account.contact_change import ContactChangeScreen
from screens.account.forgot import ForgotPasswordScreen
from screens.contact import ContactScreen
from screens.widgets.code_request import CodeRequest
from tests.factories import make_account
from tests.tui.conftest import click, settle, type_into
from tests.tui.test_account import NEW_PASSWORD, log_in
from tests.tui.wizard_kit import field_error


def app_with(services, *, mode: str = "production", sms: str = "outbox"):
    services.ctx.settings.mode = mode
    services.ctx.settings.sms_transport = sms
    return make_app(services)


def shown_text(app) -> str:
    """Every text the screen shows, labels of buttons and fields included."""
    return " ".join(str(w.render()) for w in app.screen.query("Static, Label, RadioButton")
                    if w.display and w.parent.display)  # fmt: skip


def mobile_offered(app) -> bool:
    """The one contact field takes a mobile number too (its label and hint say so)."""
    return app.screen.query_one(CodeRequest).sms


async def test_r38_no_gateway_in_production_no_mobile_choice_at_step_1(services):
    app = app_with(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        hint = shown_text(app)  # the welcome screen's "applied before?" hint
        assert "信箱取得驗證碼" in hint and "手機" not in hint
        await click(pilot, "#bind")
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen)
        assert not mobile_offered(app)
        text = shown_text(app)
        assert "電子郵件信箱" in text
        assert "簡訊" not in text and "行動電話" not in text and "手機" not in text
        # A mobile number typed anyway is refused with the way out: nothing is sent.
        await type_into(pilot, "#contact", "0912345678")
        await click(pilot, "#get-code")
        await settle(pilot)
        assert not app.screen.query_one("#code-box").display
        assert "電子郵件信箱" in field_error(app, "contact")
        assert services.outbox.recent(demo=False) == []


@pytest.mark.parametrize(("mode", "sms"), [("production", "kannel"), ("demo", "outbox")])
async def test_r38_a_gateway_or_the_demo_offers_the_mobile_choice(services, mode, sms):
    app = app_with(services, mode=mode, sms=sms)
    async with app.run_test(size=(100, 30)) as pilot:
        await click(pilot, "#bind")
        await settle(pilot)
        assert mobile_offered(app) and "簡訊" in shown_text(app)


async def test_r38_no_gateway_no_mobile_choice_at_forgot_password_or_contact_change(
    services, roster
):
    app = app_with(services)
    make_account(services, roster, email="dad@home.example", password=NEW_PASSWORD)
    async with app.run_test(size=(100, 30)) as pilot:
        await click(pilot, "#login")
        await pilot.pause()
        await click(pilot, "#forgot")
        await settle(pilot)
        assert isinstance(app.screen, ForgotPasswordScreen)
        assert not mobile_offered(app) and "手機" not in shown_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await log_in(pilot, "dad@home.example", NEW_PASSWORD)
        await click(pilot, "#change-contact")
        await settle(pilot)
        assert isinstance(app.screen, ContactChangeScreen)
        assert not mobile_offered(app)
        text = shown_text(app)
        assert "新的電子郵件信箱" in text and "手機" not in text and "行動電話" not in text


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
async def test_r38_without_a_gateway_the_faq_promises_no_sms_code(services, lang):
    """The FAQ's SMS answers give way to e-mail ones; with a gateway it is the full FAQ."""
    from screens.faq import FaqScreen, faq_text

    app = app_with(services)
    async with app.run_test(size=(100, 30)) as pilot:
        app.lang = lang
        await click(pilot, "#faq")
        await settle(pilot)
        assert isinstance(app.screen, FaqScreen)
        shown = app.screen.query_one("#faq").source
    assert shown == faq_text(lang, sms=False) and "[email]" not in shown
    assert "簡訊驗證碼" not in shown and "by text message" not in shown
    assert "取得驗證碼" in shown or "Get a code" in shown
    full = faq_text(lang)
    assert full.count("\n### ") == 11 and "[sms]" not in full
    assert "簡訊驗證碼" in full or "by text message" in full
