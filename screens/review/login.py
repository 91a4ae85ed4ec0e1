"""The staff terminal's door and its first screen: a teacher's or school IT's e-mail and password
(R20). An unknown e-mail and a wrong password get the same answer; after five failures in a row
the account waits, and the screen says how long."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input

from app.errors import QinziError
from app.services.staff import StaffIdentity
from app.tui import FlowMessage
from screens.review.base import ReviewScreen
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton

STAFF_WORDING = {
    "errors.login.failed": "errors.staff.login_failed",
    "errors.login.wait": "errors.staff.login_wait",
}


class StaffLoginScreen(ReviewScreen):
    AUTO_FOCUS = "#email"
    @dataclass
    class LoggedIn(FlowMessage):
        staff: StaffIdentity

    class HasInvitation(FlowMessage):
        """R32: the person has an invitation code and no password yet."""

    def compose_body(self) -> ComposeResult:
        yield T("label.staff.login_title", classes="title")
        yield T("label.staff.login_lead", classes="lead")
        yield Field("email", "label.staff.email", Input(id="email"))
        yield Field("password", "label.staff.password", Input(id="password", password=True))
        with Horizontal(classes="actions"):
            yield TButton("label.staff.login", id="login", variant="primary")
            yield TButton("label.staff_invite.has_code", id="has-code")

    def setup(self) -> None:
        self.watch(self.app, "lang", self._relabel)

    def _relabel(self, lang: str) -> None:
        self.query_one("#email", Input).placeholder = self.tr("label.staff.email_placeholder")

    @on(Input.Submitted, "#email")
    def email_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_focus(self.query_one("#password"))  # at once: typing goes on

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def login(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.clear_errors()
        self.call(self.services.accounts.staff_login, self.query_one("#email", Input).value,
                  self.query_one("#password", Input).value, done=self.logged_in,
                  failed=self.refused)  # fmt: skip

    @on(Button.Pressed, "#has-code")
    def has_code(self, event: Button.Pressed) -> None:
        event.stop()
        self.tell(self.HasInvitation())

    def refused(self, error: QinziError) -> None:
        """The parents' wording points to 忘記密碼, which staff do not have: same refusal, staff
        words (and still one message for an unknown e-mail and a wrong password)."""
        staff_key = STAFF_WORDING.get(error.key)
        if staff_key:
            error = type(error)(staff_key, field=error.field, **error.params)
        password = self.query_one("#password", Input)
        password.value = ""
        self.show_error(error)
        (password if error.field == "password" else self.query_one("#email")).focus()

    def logged_in(self, staff: StaffIdentity) -> None:
        self.query_one("#password", Input).value = ""
        self.tell(self.LoggedIn(staff))
