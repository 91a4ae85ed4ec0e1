"""Pilot helpers: an app made by the factory on the real services and a real database file, in
demo mode (the outbox readable), plus `settle` to wait for thread workers and the screen to catch
up."""

from __future__ import annotations

import contextlib
import re

import pytest

from app.factory import make_app
from app.models import OutboxMessage
from app.services.kiosk import KioskSession
from app.tui import QinziApp
from tests.factories import verified_contact


async def settle(pilot) -> None:
    """Let every thread worker finish and the resulting messages reach the widgets: until no
    worker runs any more (an answer may start the next call), at most a few rounds."""
    from textual.worker import WorkerCancelled, WorkerState

    for _ in range(5):
        # A newer poll of the outbox may replace an older one.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        busy = (WorkerState.PENDING, WorkerState.RUNNING)
        if not any(worker.state in busy for worker in pilot.app.workers):
            return


def notice_of(app) -> str:
    """The lasting notice on the screen (issue 16), as the parent reads it ('' when none)."""
    notices = app.screen.query("#notice")
    if not notices or not notices.first().has_class("-shown"):
        return ""
    return str(notices.first().render())


def last_code(services) -> str:
    message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
    return re.search(r"\b(\d{6})\b", services.outbox.body_of(message)).group(1)


@pytest.fixture
def demo_services(services):
    """The services with demo mode on (outbox pane allowed, R25)."""
    services.ctx.settings.mode = "demo"
    return services


@pytest.fixture
def kiosk_app(demo_services):
    def make(*, kiosk: bool = False, mode: str = "kiosk") -> QinziApp:
        return make_app(demo_services, mode=mode, kiosk=kiosk)

    return make


def start_session(app: QinziApp, services, contact: str = "father@home.example") -> KioskSession:
    """Step 1 done: a verified contact, as if the parent had typed the code."""
    app.flow.begin(verified_contact(services, contact))
    return app.visit.session


async def type_into(pilot, selector: str, text: str) -> None:
    """Set an Input's value the way typing would (Changed fires, drafts are kept)."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    widget.value = text
    await pilot.pause()


async def click(pilot, selector: str) -> None:
    """Click a widget the way a person would: scroll it into view first (bodies scroll at 80x24)."""
    await pilot.pause()  # the layout may have just changed (a box shown)
    pilot.app.screen.query_one(selector).scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(selector)
