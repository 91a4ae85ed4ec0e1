"""The database away under a running terminal (R41): every screen says it is waiting, keeps
what was typed and goes on by itself when the database is back; after
`db_give_up_after_minutes` the terminal exits with 75 for its service manager to restart it.
PostgreSQL is reached through a real TCP proxy that is stopped and started again."""

from __future__ import annotations

import os

import pytest
from textual.widgets import Input

from app.services import build_services
from screens.review.queue import QueueScreen
from tests.factories import make_roster
from tests.tcp_proxy import proxied_postgres
from tests.tui.conftest import settle
from tests.tui.review_kit import log_in, notices, review_app

pytestmark = pytest.mark.skipif(not os.environ.get("QINZI_TEST_PG"), reason="needs PostgreSQL")


@pytest.fixture
def outage(settings, clock, keyring, monkeypatch):
    import screens.base

    monkeypatch.setattr(screens.base, "DATABASE_RETRY_SECONDS", 0.1)
    with proxied_postgres(settings) as (proxy, proxied):
        services = build_services(proxied, clock=clock, keyring=keyring)
        make_roster(services)
        try:
            yield proxy, services
        finally:
            proxy.resume()
            services.close()


async def test_r41_the_review_terminal_waits_keeps_the_typing_and_goes_on(outage):
    proxy, services = outage
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        assert isinstance(app.screen, QueueScreen)
        search = app.screen.query_one("#search", Input)
        search.value = "吳"
        proxy.pause()
        await pilot.press("r")
        for _ in range(30):
            await pilot.pause(0.1)
            if any("等待資料庫" in n for n in notices(app)):
                break
        assert any("等待資料庫" in n for n in notices(app))
        assert search.value == "吳"  # nothing typed is lost
        proxy.resume()
        for _ in range(50):
            await pilot.pause(0.1)
            if any("已恢復" in n for n in notices(app)):
                break
        await settle(pilot)
        assert any("已恢復" in n for n in notices(app))
        assert not any("等待資料庫" in n for n in notices(app))
        assert isinstance(app.screen, QueueScreen) and search.value == "吳"


async def test_r41_after_the_set_time_the_terminal_exits_to_be_restarted(outage):
    proxy, services = outage
    services.settings.db_give_up_after_minutes = 0.01  # 0.6 seconds
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        proxy.pause()
        await pilot.press("r")
        for _ in range(50):
            await pilot.pause(0.1)
            if app.return_code is not None:
                break
    assert app.return_code == 75
