"""R22 through the PIN screen: five wrong staff PINs make the kiosk say how long to wait, in the
parent's or teacher's language, with the field empty; the wait holds across a restart of the app;
after it the right PIN (or its Argon2id hash in the configuration) leaves the kiosk."""

from __future__ import annotations

from textual.widgets import Input

from app.factory import make_app
from app.models import AuditEvent
from app.services.kiosk_lock import PIN_FAILED, hash_pin
from screens.staff_pin import StaffPinScreen
from screens.welcome import WelcomeScreen
from screens.widgets.field import Field
from tests.tui.conftest import settle, type_into

PIN = "24681357"
SIZE = (100, 30)


def pin_error(app) -> str:
    field = app.screen.query_one("#field-pin", Field)
    return str(field.query_one(".field-error").render()) if field.error else ""


async def open_pin(pilot) -> None:
    await pilot.press("ctrl+q")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StaffPinScreen)


async def try_pin(pilot, pin: str) -> None:
    await type_into(pilot, "#pin", pin)
    await pilot.press("enter")
    await settle(pilot)


async def test_r22_five_wrong_pins_make_the_screen_say_how_long_to_wait(services, clock):
    services.ctx.settings.staff_pin = PIN
    app = make_app(services, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_pin(pilot)
        for _ in range(4):
            await try_pin(pilot, "13572468")
        assert "再錯 1 次" in pin_error(app)
        await try_pin(pilot, "13572468")
        assert "請等 1 分鐘後再試" in pin_error(app)
        assert app.screen.query_one("#pin", Input).value == ""
        await pilot.press("f2")
        await pilot.pause()
        assert "try again in 1 minute" in pin_error(app)
        await try_pin(pilot, PIN)  # the right PIN, but still waiting: refused, not compared
        assert isinstance(app.screen, StaffPinScreen) and "1 minute" in pin_error(app)
        assert app.screen.query_one("#pin", Input).value == ""
        assert AuditEvent.select().where(AuditEvent.action == PIN_FAILED).count() == 5
        clock.advance(minutes=1)
        await try_pin(pilot, PIN)
    assert app.return_code == 0


async def test_r22_the_wait_is_shown_on_opening_after_a_restart(services, clock):
    """A restarted kiosk (a new app on the same database) opens the PIN screen with the wait
    already said; Escape goes back to the welcome screen; after the wait the hash opens it."""
    settings = services.ctx.settings
    settings.staff_pin_hash = hash_pin(settings, PIN)
    first = make_app(services, kiosk=True)
    async with first.run_test(size=SIZE) as pilot:
        await open_pin(pilot)
        for _ in range(5):
            await try_pin(pilot, "99999999")
        assert isinstance(first.screen, StaffPinScreen) and "1 分鐘" in pin_error(first)
    clock.advance(seconds=30)
    again = make_app(services, kiosk=True)
    async with again.run_test(size=SIZE) as pilot:
        await open_pin(pilot)
        assert "1 分鐘" in pin_error(again)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(again.screen, WelcomeScreen)
        clock.advance(seconds=30)
        await open_pin(pilot)
        assert pin_error(again) == ""
        await try_pin(pilot, PIN)
    assert again.return_code == 0
