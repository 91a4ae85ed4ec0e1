"""The parent account screens at 100x30 (issue 6), for a person to review."""

from __future__ import annotations

from app.factory import make_app
from tests.factories import make_account
from tests.tui.conftest import settle

SIZE = (100, 30)
PASSWORD = "Harbour-Lantern-1987"


def test_login_zh(snap_compare, services):
    assert snap_compare(make_app(services), press=["tab", "enter"], terminal_size=SIZE)


def test_forced_change_zh(snap_compare, services, roster):
    make_account(services, roster, email="dad@home.example")

    async def run_before(pilot):
        login = services.accounts.parent_login("dad@home.example", roster.parent_ids["father"][-6:])
        pilot.app.visit.login = login

        await pilot.app.flow.show("first-password", forced=True)
        await settle(pilot)

    assert snap_compare(make_app(services), terminal_size=SIZE, run_before=run_before)


def test_account_home_zh(snap_compare, services, roster):
    make_account(services, roster, email="dad@home.example", password=PASSWORD)

    async def run_before(pilot):
        pilot.app.visit.login = services.accounts.parent_login("dad@home.example", PASSWORD)

        await pilot.app.flow.show("home")
        await settle(pilot)

    assert snap_compare(make_app(services), terminal_size=SIZE, run_before=run_before)


def test_account_home_en(snap_compare, services, roster):
    make_account(services, roster, email="dad@home.example", password=PASSWORD)

    async def run_before(pilot):
        await pilot.press("f2")
        pilot.app.visit.login = services.accounts.parent_login("dad@home.example", PASSWORD)

        await pilot.app.flow.show("home")
        await settle(pilot)

    assert snap_compare(make_app(services), terminal_size=SIZE, run_before=run_before)
