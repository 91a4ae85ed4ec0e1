"""R36: the welcome screen ends the session, whatever the route back to it. A first parent goes
as far as a route needs — a verified e-mail, a student chosen, consent, every field of step 4
typed — and leaves by it (Esc from each step, 登出, the idle countdown, the completion page, a
rule ending the session, a teacher unlocking the kiosk); the next person then walks steps 1, 2
and 4 and finds every field empty and nothing of the first parent anywhere. The messages the
screens send the flow are asserted too (`message_hook`)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from textual.widgets import Checkbox, Input

from app.tui import FlowMessage
from screens.base import BackAtStart
from screens.consent import ConsentScreen
from screens.contact import ContactScreen
from screens.parent import ParentScreen
from screens.staff_pin import StaffPinScreen
from screens.student import StudentScreen
from screens.welcome import WelcomeScreen
from screens.widgets.idle import IdleCountdown
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - the flow: SQLite
from tests.tui.conftest import last_code, settle, type_into
from tests.tui.wizard_kit import fill_parent, fill_student, find_and_add, press, read_statement

SIZE = (100, 30)
PIN = "24681357"
FIRST, NEXT = "first.parent@home.example", "next.parent@home.example"
ROUTES = ("esc-1", "esc-2", "esc-3", "esc-4", "logout", "idle", "completion", "error", "lock")


def typed(app, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


async def verify(pilot, contact: str) -> None:
    """Step 1 by the keyboard: the e-mail, Enter, the code from the outbox, Enter."""
    await pilot.click("#bind")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ContactScreen)
    await type_into(pilot, "#contact", contact)
    await pilot.press("enter")
    await settle(pilot)
    await type_into(pilot, "#code", last_code(pilot.app.services))
    await pilot.press("enter")
    await settle(pilot)


async def consent(pilot) -> None:
    await read_statement(pilot)
    pilot.app.screen.query_one("#agree", Checkbox).value = True
    await pilot.pause()
    await press(pilot, "#next")


async def first_parent(pilot, roster, route: str) -> None:
    """As far into the wizard as the route leaves from, typing everything on the way."""
    depth = {"esc-1": 1, "esc-2": 2, "esc-3": 3, "error": 2}.get(route, 4)
    if depth == 1:
        await pilot.click("#bind")
        await settle(pilot)
        await type_into(pilot, "#contact", FIRST)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#code", "123")
        return
    await verify(pilot, FIRST)
    assert isinstance(pilot.app.screen, StudentScreen)
    if route == "error":
        await fill_student(pilot, roster, "wu", school="E002")  # the right ID, a wrong school
        return
    await find_and_add(pilot, roster, "wu")
    if depth == 2:
        await fill_student(pilot, roster, "chen", note=None)  # a second one, half typed
        return
    await press(pilot, "#next")
    assert isinstance(pilot.app.screen, ConsentScreen)
    if depth == 3:
        await read_statement(pilot)
        return
    await consent(pilot)
    assert isinstance(pilot.app.screen, ParentScreen)
    await fill_parent(pilot, roster, email=FIRST)


async def leave_by(pilot, route: str, clock) -> None:
    app = pilot.app
    if route.startswith("esc-"):
        for _ in range(int(route[-1])):
            await pilot.press("escape")
            await settle(pilot)
    elif route == "logout":
        await pilot.press("f10")
    elif route == "idle":
        clock.advance(seconds=app.services.settings.idle_seconds + 1)
        app.tick()
        await pilot.pause()
        assert isinstance(app.screen, IdleCountdown)
        clock.advance(seconds=app.services.settings.idle_countdown_seconds + 1)
        app.screen.tick()
    elif route == "completion":
        await pilot.press("enter")  # in the signature field: 送出資料, then 確認送出
        await settle(pilot)
        pilot.app.screen.query_one("#yes").press()
        await settle(pilot)
        await press(pilot, "#logout")
    elif route == "error":
        # The completed form was looked up once by itself (issue 16); 查詢 for the others.
        for _ in range(app.services.settings.lookup_failures_per_session - 1):
            await press(pilot, "#lookup")
    elif route == "lock":
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, StaffPinScreen)
        await type_into(pilot, "#pin", PIN)
        await pilot.press("enter")
    await settle(pilot)


async def next_person_finds_nothing(pilot, roster) -> None:
    """Steps 1, 2 and 4 of the next parent: every field empty, nothing of the first one."""
    app = pilot.app
    assert isinstance(app.screen, WelcomeScreen)
    assert app.visit.session is None and app.visit.drafts == {} and app.visit.login is None
    await pilot.click("#bind")
    await settle(pilot)
    assert typed(app, "#contact") == "" and typed(app, "#code") == ""
    assert not app.screen.query_one("#code-box").display
    await type_into(pilot, "#contact", NEXT)
    await pilot.press("enter")
    await settle(pilot)
    await type_into(pilot, "#code", last_code(app.services))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, StudentScreen)
    assert app.visit.session.contact.value == NEXT and app.visit.session.students == ()
    assert typed(app, "#student-id") == "" and typed(app, "#relationship-note") == ""
    assert not app.screen.query_one("#chosen-box").display
    assert not app.screen.query_one("#card").display
    await find_and_add(pilot, roster, "chen")
    await press(pilot, "#next")
    await consent(pilot)
    assert isinstance(app.screen, ParentScreen)
    for name in ("#parent-id", "#name", "#email", "#mobile", "#signature"):
        assert typed(app, name) == "", name
    assert not app.screen.query_one("#details").display


@pytest.mark.parametrize("route", ROUTES)
async def test_r36_every_route_back_to_the_welcome_screen_ends_the_session(
    route, kiosk_app, roster, clock
):
    app = kiosk_app(kiosk=route == "lock")
    app.services.ctx.settings.staff_pin = PIN
    told: list[str] = []
    seen: dict[int, object] = {}  # kept alive, so that no id is reused

    def hook(message) -> None:
        """Each message once, though the hook sees it at every node it bubbles through."""
        if isinstance(message, FlowMessage) and id(message) not in seen:
            seen[id(message)] = message
            told.append(type(message).__qualname__)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await first_parent(pilot, roster, route)
        await leave_by(pilot, route, clock)
        if route != "lock":
            assert told[-1] == BackAtStart.__qualname__
            if route != "esc-1":
                assert "ContactScreen.Verified" in told
            await next_person_finds_nothing(pilot, roster)
    if route == "lock":  # the teacher closed the kiosk; its next start shows nothing either
        assert app.return_code == 0
        again = kiosk_app(kiosk=True)
        async with again.run_test(size=SIZE) as pilot:
            await next_person_finds_nothing(pilot, roster)


async def test_r36_an_answer_on_its_way_when_the_parent_leaves_reaches_nobody(
    kiosk_app, monkeypatch
):
    """R36: the code is being checked when the parent presses Esc: the answer, a verified
    contact, must not start a session nor open step 2 for whoever comes next."""
    app = kiosk_app()
    verification = app.services.verification
    real, go = verification.verify_code, threading.Event()

    def held(*args, **kwargs):
        go.wait(10)  # the check takes its time …
        return real(*args, **kwargs)

    monkeypatch.setattr(verification, "verify_code", held)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#bind")
        await settle(pilot)
        await type_into(pilot, "#contact", FIRST)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#code", last_code(app.services))
        await pilot.press("enter")
        await pilot.press("escape")  # … and the parent is gone before it answers
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        go.set()
        await asyncio.sleep(0.2)
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.visit.session is None and app.visit.drafts == {}
