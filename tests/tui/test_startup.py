"""The program starts on its database and speaks zh-TW first, English on a key."""

from __future__ import annotations

from textual.widgets import Static

from app.tui import QinziApp


async def test_app_starts_in_traditional_chinese_and_switches_to_english(services, roster):
    app = QinziApp(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        title = app.screen.query_one("#welcome-title", Static)
        assert "親子綁定" in str(title.render())
        stats = str(app.screen.query_one("#welcome-stats", Static).render())
        assert "3 所學校" in stats and "6 位學生" in stats
        await pilot.press("f2")
        await pilot.pause()
        assert "parent–child binding" in str(title.render())
        assert app.title == "Parent–child binding"
