"""家長登入: the e-mail and the password. Unknown e-mail and wrong password read the same
(R4's spirit); five failures in a row make the account wait (R20)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input

from app.services.accounts import ParentLogin
from app.tui import FlowMessage
from screens.base import KioskScreen
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class LoginScreen(KioskScreen):
    AUTO_FOCUS = "#login-email"
    DRAFT = ("login-email",)

    @dataclass
    class LoggedIn(FlowMessage):
        login: ParentLogin

    class Forgot(FlowMessage):
        """忘記密碼."""

    def compose_body(self) -> ComposeResult:
        yield T("label.login_title", classes="title")
        yield T("label.login_lead", classes="lead")
        yield Field("email", "label.login_email", Input(id="login-email"))
        yield Field("password", "label.login_password", Input(id="login-password", password=True))
        with Horizontal(classes="actions"):
            yield TButton("label.login", id="login", variant="primary")
            yield TButton("label.forgot_password", id="forgot")

    @on(Input.Submitted, "#login-email")
    def email_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#login-password").focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login")
    def login(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.clear_errors()
        self.call(self.services.accounts.parent_login,
                  self.query_one("#login-email", Input).value,
                  self.query_one("#login-password", Input).value, done=self.logged_in)  # fmt: skip

    @on(Button.Pressed, "#forgot")
    def forgot(self) -> None:
        self.tell(self.Forgot())

    def on_screen_resume(self) -> None:
        """Back from 忘記密碼 with a new password: ready to log in with it (issue 16), not on
        the button that left."""
        if isinstance(self.focused, Button):
            self.query_one("#login-email").focus()

    def logged_in(self, login: ParentLogin) -> None:
        self.query_one("#login-password", Input).value = ""
        self.tell(self.LoggedIn(login))
