"""Browser mode end to end: `qinzi serve demo` in headless Chromium (SPEC R22, R25, R1).

xterm.js draws the terminal into a canvas, so the text is read where it enters the page: the
bytes each tab receives on its websocket (what xterm.js writes to its screen), with the escape
sequences removed. The screenshot is for a person to look at."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

SCREENSHOTS = Path(__file__).parent / "screenshots"
ANSI = re.compile(
    rb"\x1b\[[0-9;?$<>=]*[ -/]*[@-~]"  # CSI: cursor moves, colours
    rb"|\x1b\][^\x07\x1b]*(\x07|\x1b\\)"  # OSC: titles
    rb"|\x1b[()][0-9A-Z]"  # character sets
)
WELCOME = "親子綁定"
CONTACT_LABEL = "電子郵件信箱或行動電話"  # step 1's field (data/i18n/zh-TW/kiosk.toml)


class Tab:
    """One browser tab and everything the server sent it."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.requests: list[str] = []
        self.received: list[bytes] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("websocket", self._socket)
        self.page.goto(url)
        self.page.wait_for_function(
            "document.body.classList.contains('-first-byte')", timeout=30_000
        )

    def _socket(self, ws) -> None:
        self.requests.append(ws.url)
        ws.on("framereceived", lambda f: self.received.append(f if isinstance(f, bytes) else b""))

    def text(self) -> str:
        return ANSI.sub(b"", b"".join(self.received)).decode("utf-8", "replace")

    def wait_for_text(self, wanted: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while wanted not in self.text():
            assert time.monotonic() < deadline, f"{wanted!r} never reached the page"
            self.page.wait_for_timeout(200)

    def keys(self, *keys: str, text: str = "") -> None:
        self.page.focus(".xterm-helper-textarea")
        if text:
            self.page.keyboard.type(text, delay=20)
        for key in keys:
            self.page.keyboard.press(key)
        self.page.wait_for_timeout(500)

    def first_step(self, email: str) -> None:
        """Enter on 親子綁定 (it has the focus), the e-mail, Enter; each key only once the
        screen it is meant for has arrived, since a busy machine starts the app slowly."""
        self.keys("Enter")
        self.wait_for_text(CONTACT_LABEL)
        self.keys(text=email)
        self.wait_for_text(email)
        self.keys("Enter")

    def close(self) -> None:
        self.context.close()


def outbox_to(database: Path, recipient: str, seconds: float = 20) -> list[tuple[str, str]]:
    deadline = time.monotonic() + seconds
    while True:
        with sqlite3.connect(database) as conn:
            rows = conn.execute(
                "SELECT channel, purpose FROM outbox_message WHERE recipient = ?", (recipient,)
            ).fetchall()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


def test_r22_the_kiosk_opens_in_the_browser_offline_and_sends_a_code(demo_server, browser):
    """R22, R1: the page opens straight into the welcome screen in Traditional Chinese (no Start
    button), every request stays on this computer, and the first step works from the keyboard:
    Enter on 親子綁定, an e-mail, Enter, and a code is in the demo database's outbox."""
    url, database = demo_server
    tab = Tab(browser, url)
    try:
        tab.wait_for_text(WELCOME)
        tab.wait_for_text("家長登入")
        assert not tab.page.query_selector("#start"), "the stock page's Start button is back"
        fonts = tab.page.evaluate(
            "async () => (await document.fonts.load('16px \"Roboto Mono\"', '親')).length"
        )
        assert fonts == 1, "the Chinese web font is not served locally"
        tab.page.wait_for_timeout(1000)
        SCREENSHOTS.mkdir(exist_ok=True)
        tab.page.screenshot(path=str(SCREENSHOTS / "welcome.png"))

        tab.first_step("browser.parent@home.example")
        rows = outbox_to(database, "browser.parent@home.example")
        assert [channel for channel, _ in rows] == ["email"], rows

        hosts = {urlsplit(r).hostname for r in tab.requests}
        assert hosts == {"127.0.0.1"}, tab.requests
    finally:
        tab.close()


def test_r22_each_tab_is_its_own_session(demo_server, browser):
    """R22: two tabs are two processes; what one parent types never reaches the other tab."""
    url, database = demo_server
    first, second = Tab(browser, url), Tab(browser, url)
    try:
        first.wait_for_text(WELCOME)
        second.wait_for_text(WELCOME)
        first.first_step("first.tab@home.example")
        assert outbox_to(database, "first.tab@home.example")
        first.wait_for_text("first.tab@home.example")
        second.page.wait_for_timeout(1500)
        second.keys("Tab")  # some input, so the second tab's screen is redrawn
        assert "first.tab@home.example" not in second.text()
        assert "first.tab@home.example" in first.text()
    finally:
        first.close()
        second.close()
