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
    if not settings.database_url.endswith(".db"):
        pytest.skip("once is enough: it builds its own PostgreSQL schema behind a proxy")
    with proxied_postgres(settings) as (proxy, proxied):
        services = build_services(proxied, clock=clock, keyring=keyring)
        roster = make_roster(services)
        try:
            yield proxy, services, roster
        finally:
            proxy.resume()
            services.close()


async def wait_for_notice(pilot, words: str, tries: int = 50) -> bool:
    for _ in range(tries):
        await pilot.pause(0.1)
        if any(words in n for n in notices(pilot.app)):
            return True
    return False


async def test_r41_a_submission_at_the_kiosk_waits_and_is_kept_exactly_once(outage):
    """Step 4 sent while PostgreSQL is down: the kiosk says it is waiting, the parent's typing
    stays, and when the server is back the application is stored once and confirmed."""
    from app.factory import make_app
    from app.models import Application
    from screens.completion import CompletionScreen
    from tests.tui.wizard_kit import fill_parent, open_step4, value

    proxy, services, roster = outage
    app = make_app(services, mode="kiosk")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_step4(pilot, services, roster)
        await fill_parent(pilot, roster)
        proxy.pause()
        app.screen.query_one("#submit").press()
        await pilot.pause()
        app.screen.query_one("#yes").press()  # 確認送出
        assert await wait_for_notice(pilot, "等待資料庫")
        assert value(app, "#name") == "吳志明" and value(app, "#email") == "father@home.example"
        proxy.resume()
        assert await wait_for_notice(pilot, "已恢復")
        await settle(pilot)
        assert isinstance(app.screen, CompletionScreen)
    assert Application.select().count() == 1


async def test_r41_the_review_terminal_waits_keeps_the_typing_and_goes_on(outage):
    proxy, services, _ = outage
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
    proxy, services, _ = outage
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
