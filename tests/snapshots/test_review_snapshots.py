"""What a teacher sees at the staff terminal, kept as SVG snapshots for a person to review:
`pytest tests/snapshots --snapshot-update` after an intended change. The queue and the detail at
100x30 (the issue's size) and the queue at 80x24, the smallest terminal we support."""

from __future__ import annotations

from app.factory import make_app
from app.tui import QinziApp
from tests.tui.conftest import settle
from tests.tui.review_kit import apply_all, go_to, log_in

SIZE = (100, 30)


def staff_app(services) -> QinziApp:
    return make_app(services, mode="review")


def test_staff_login_zh(snap_compare, services):
    assert snap_compare(staff_app(services), terminal_size=SIZE)


def test_queue_zh(snap_compare, services, roster, clock):
    apply_all(services, roster, clock)

    async def run_before(pilot):
        await log_in(pilot, "it")

    assert snap_compare(staff_app(services), terminal_size=SIZE, run_before=run_before)


def test_queue_en_at_80x24(snap_compare, services, roster, clock):
    apply_all(services, roster, clock)

    async def run_before(pilot):
        await log_in(pilot, "lee")
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(staff_app(services), terminal_size=(80, 24), run_before=run_before)


def test_detail_zh(snap_compare, services, roster, clock):
    applied = apply_all(services, roster, clock)

    async def run_before(pilot):
        await log_in(pilot, "lee")
        await go_to(pilot, applied["wu"])
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(staff_app(services), terminal_size=SIZE, run_before=run_before)


def test_detail_of_a_guardian_zh(snap_compare, services, roster, clock):
    applied = apply_all(services, roster, clock)

    async def run_before(pilot):
        await log_in(pilot, "kao")
        await go_to(pilot, applied["lin"])
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(staff_app(services), terminal_size=SIZE, run_before=run_before)
