"""The program starts on its database and speaks zh-TW first, English on a key."""

from __future__ import annotations

from app.factory import make_app


async def test_app_starts_in_traditional_chinese_and_switches_to_english(services, roster):
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        title = app.screen.query_one("#welcome-title")
        assert "親子綁定" in str(title.render())
        assert "親子綁定" in str(app.screen.query_one("#bind").label)
        await pilot.press("f2")
        await pilot.pause()
        assert "link your account to your child" in str(title.render())
        assert str(app.screen.query_one("#bind").label) == "Link a child"
        assert app.title == "Parent–child link"
