"""Flow step 0: what this kiosk does, and the way in — 親子綁定, 常見問題, the language switch."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from screens.base import KioskScreen
from screens.widgets.i18n import T, TButton


class WelcomeScreen(KioskScreen):
    CSS_PATH = []  # its styles are the app's own (app.tcss): the first frame parses no more
    def compose_body(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield T("label.welcome_title", id="welcome-title")
            yield T("label.welcome_lead", id="welcome-lead")
            with Vertical(id="welcome-actions"):
                yield TButton("label.start_binding", id="bind", variant="primary")
                yield TButton("label.parent_login", id="login")
                yield TButton("label.faq", id="faq")
                yield TButton("label.switch_language", id="language")
            yield T("label.welcome_progress_hint", id="welcome-hint")
            yield T(self.mode_key(), id="welcome-mode")
            if self.app.demo_info is not None or self.app.preparing:
                yield Static(id="demo-info")

    def mode_key(self) -> str:
        return "label.mode_demo" if self.app.services.settings.demo else "label.mode_production"

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#bind").focus()
        if self.app.demo_info is not None or self.app.preparing:
            self.watch(self.app, "lang", self.show_demo_info)
            self.watch(self.app, "demo_info", self.show_demo_info, init=False)

    def show_demo_info(self, _: object = None) -> None:
        """The demo's logins and fictional students, so a salesperson needs no notes; until the
        set-up behind the first frame is done, a line saying it is on its way."""
        info = self.app.demo_info
        text = self.app.tr("label.demo_preparing")
        if info is not None:
            from app.services.demo.seed import demo_lines  # demo only: kept off a kiosk's start-up

            text = "\n".join(demo_lines(info, self.app.tr))
        self.query_one("#demo-info", Static).update(text)

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        if event.button.id == "bind":
            from screens.contact import ContactScreen

            self.app.push_screen(ContactScreen())
        elif event.button.id == "login":
            from screens.account.login import LoginScreen

            self.app.push_screen(LoginScreen())
        elif event.button.id == "faq":
            from screens.faq import FaqScreen

            self.app.push_screen(FaqScreen())
        elif event.button.id == "language":
            self.app.action_toggle_language()
