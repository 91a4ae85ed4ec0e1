"""What a parent sees, kept as SVG snapshots at 100x30 (zh-TW, a few in English) for a person to
review: `pytest tests/snapshots --snapshot-update` after an intended change."""

from __future__ import annotations

from app.factory import make_app
from app.tui import QinziApp
from tests.factories import submit_application
from tests.tui.conftest import settle, start_session

SIZE = (100, 30)


def production_app(services) -> QinziApp:
    return make_app(services)


def test_welcome_zh(snap_compare, services):
    assert snap_compare(production_app(services), terminal_size=SIZE)


def test_welcome_en(snap_compare, services):
    assert snap_compare(production_app(services), press=["f2"], terminal_size=SIZE)


def test_step1_with_a_refusal_zh(snap_compare, services):
    async def run_before(pilot):
        await pilot.click("#bind")
        await pilot.pause()
        pilot.app.screen.query_one("#contact").value = "parent@home"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(production_app(services), terminal_size=SIZE, run_before=run_before)


def test_step1_at_80x24_zh(snap_compare, services):
    assert snap_compare(production_app(services), press=["enter"], terminal_size=(80, 24))


def test_progress_page_zh(snap_compare, services, roster):
    submit_application(services, roster, ("wu", "chen"), email="parent@home.example")

    async def run_before(pilot):
        start_session(pilot.app, services, "parent@home.example")

        await pilot.app.flow.show("progress")
        await rows_shown(pilot, 2)

    assert snap_compare(production_app(services), terminal_size=SIZE, run_before=run_before)


async def rows_shown(pilot, count: int) -> None:
    """The progress page's rows come from a worker; on a busy machine a frame or two later."""
    for _ in range(50):
        await settle(pilot)
        if len(pilot.app.screen.query("#rows > *")) >= count:
            return


def test_progress_page_en(snap_compare, services, roster):
    submit_application(services, roster, ("wu",), email="parent@home.example")

    async def run_before(pilot):
        await pilot.press("f2")
        start_session(pilot.app, services, "parent@home.example")

        await pilot.app.flow.show("progress")
        await rows_shown(pilot, 1)

    assert snap_compare(production_app(services), terminal_size=SIZE, run_before=run_before)


def test_faq_zh(snap_compare, services):
    assert snap_compare(production_app(services), press=["tab", "tab", "enter"], terminal_size=SIZE)


def test_outbox_pane_demo(snap_compare, services):
    services.ctx.settings.mode = "demo"
    from app.models import Channel

    services.verification.request_code(Channel.SMS, "0912345678")

    async def run_before(pilot):
        pilot.app.refresh_outbox()
        await settle(pilot)

    assert snap_compare(production_app(services), terminal_size=(120, 30), run_before=run_before)
