"""Flow step 0: what this kiosk does, and the way in — 親子綁定, 家長登入, 常見問題, the language
switch. The first screen of the kiosk mode: whenever it is shown again after a parent's screens,
whoever was here has gone, and the flow ends their visit (R36)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Static

from app.tui import FlowMessage
from screens.base import KioskScreen
from screens.widgets.i18n import T, TButton
from screens.widgets.paragraph import Paragraph


class WelcomeScreen(KioskScreen):
    AUTO_FOCUS = "#bind"
    CSS_PATH = []  # its styles are the app's own (app.tcss): the first frame parses no more

    @dataclass
    class Picked(FlowMessage):
        """One of the ways in: "bind", "login" or "faq"; `typed`, what a parent began to type
        here, goes on into step 1's field."""

        choice: str
        typed: list[str] | None = None  # filled on while step 1 is on its way

    def compose_body(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield T("label.welcome_title", id="welcome-title")
            yield T("label.welcome_lead", id="welcome-lead")
            with Vertical(id="welcome-actions"):
                yield TButton("label.start_binding", id="bind", variant="primary")
                yield TButton("label.parent_login", id="login")
                yield TButton("label.faq", id="faq")
                yield TButton("label.switch_language", id="language")
            email_only = "" if self.settings.sms_offered else "_email"  # R38: no SMS codes
            yield T(f"label.welcome_progress_hint{email_only}", id="welcome-hint")
            yield T(self.mode_key(), id="welcome-mode")
            if self.app.demo_info is not None or self.app.preparing:
                yield Paragraph(id="demo-info")

    def mode_key(self) -> str:
        return "label.mode_demo" if self.settings.demo else "label.mode_production"

    def setup(self) -> None:
        if self.app.demo_info is not None or self.app.preparing:
            self.watch(self.app, "lang", self.show_demo_info)
            self.watch(self.app, "demo_info", self.show_demo_info, init=False)

    def show_demo_info(self, _: object = None) -> None:
        """The demo's logins and fictional students, so a salesperson needs no notes; until the
        set-up behind the first frame is done, a line saying it is on its way."""
        info = self.app.demo_info
        text = self.tr("label.demo_preparing")
        if info is not None:
            from app.services.demo.seed import demo_lines  # demo only: off a kiosk's start-up

            text = "\n".join(demo_lines(info, self.app.tr))
        self.query_one("#demo-info", Static).update(text)

    @on(Button.Pressed, "#bind, #login, #faq")
    def picked(self, event: Button.Pressed) -> None:
        event.stop()
        if self.typed_ahead is not None:
            return  # 親子綁定 is already on its way
        self.say("")  # the last visit's notice is not the next one's
        self.tell(self.Picked(event.button.id or ""))

    typed_ahead: list[str] | None = None  # keys typed here, on their way into step 1

    def on_screen_resume(self) -> None:
        self.typed_ahead = None

    def on_key(self, event: events.Key) -> None:
        """Issue 16: a key typed here never vanishes. A parent who starts typing an e-mail or a
        mobile number starts 親子綁定 with it (the welcome's first way in, and its focus); the
        keys that arrive before step 1 is up join it, and nothing else starts twice."""
        if self.typed_ahead is not None:
            event.stop()
            event.prevent_default()
            if event.is_printable and event.character:
                self.typed_ahead.append(event.character)
            elif event.key == "enter":  # typed before step 1 was up: it asks for the code there
                self.typed_ahead.append("\n")
            return
        if not event.is_printable or not event.character or event.character.isspace():
            return
        event.stop()
        event.prevent_default()
        self.say("")
        self.typed_ahead = [event.character]
        self.tell(self.Picked("bind", typed=self.typed_ahead))

    @on(Button.Pressed, "#language")
    def switch_language(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.action_toggle_language()
