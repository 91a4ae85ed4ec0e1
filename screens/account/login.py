"""家長登入: the e-mail and the password. Unknown e-mail and wrong password read the same
(R4's spirit); five failures in a row make the account wait (R20)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from app.services.accounts import ParentLogin
from screens.base import KioskScreen
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class LoginScreen(KioskScreen):
    DRAFT = ("login-email",)

    def compose_body(self) -> ComposeResult:
        yield T("label.login_title", classes="title")
        yield T("label.login_lead", classes="lead")
        yield Field("email", "label.login_email", Input(id="login-email"))
        yield Field("password", "label.login_password", Input(id="login-password", password=True))
        with Horizontal(classes="actions"):
            yield TButton("label.login", id="login", variant="primary")
            yield TButton("label.forgot_password", id="forgot")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#login-email").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "login-email":
            self.query_one("#login-password").focus()
        else:
            self.login()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        if event.button.id == "login":
            self.login()
        elif event.button.id == "forgot":
            from screens.account.forgot import ForgotPasswordScreen

            self.app.push_screen(ForgotPasswordScreen())

    def login(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.accounts.parent_login,
            self.query_one("#login-email", Input).value,
            self.query_one("#login-password", Input).value,
            done=self.logged_in,
        )

    def logged_in(self, login: ParentLogin) -> None:
        self.query_one("#login-password", Input).value = ""
        self.app.account = login
        self.app.refresh_bindings()
        if login.must_change:
            from screens.account.password import ChangePasswordScreen

            self.replace_with(ChangePasswordScreen(forced=True))
        else:
            from screens.account.home import AccountHomeScreen

            self.replace_with(AccountHomeScreen())
