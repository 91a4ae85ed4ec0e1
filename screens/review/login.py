"""The staff terminal's door: a teacher's or school IT's e-mail and password (R20). An unknown
e-mail and a wrong password get the same answer; after five failures in a row the account waits,
and the screen says how long."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from app.errors import QinziError
from app.services.staff import StaffIdentity
from screens.review.base import ReviewScreen
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton

STAFF_WORDING = {
    "errors.login.failed": "errors.staff.login_failed",
    "errors.login.wait": "errors.staff.login_wait",
}


class StaffLoginScreen(ReviewScreen):
    CAN_GO_BACK = False

    def compose_body(self) -> ComposeResult:
        yield T("label.staff.login_title", classes="title")
        yield T("label.staff.login_lead", classes="lead")
        yield Field("email", "label.staff.email", Input(id="email"))
        yield Field("password", "label.staff.password", Input(id="password", password=True))
        with Horizontal(classes="actions"):
            yield TButton("label.staff.login", id="login", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        # The queue needs the terminal's width; F4 still shows the outbox in demo mode.
        self.app.outbox_shown = False
        self.watch(self.app, "lang", self._relabel)
        self.query_one("#email").focus()

    def _relabel(self, lang: str) -> None:
        email = self.query_one("#email", Input)
        email.placeholder = self.app.tr("label.staff.email_placeholder")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "email":
            self.set_focus(self.query_one("#password"))  # at once: typing goes on
        else:
            self.login()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        self.login()

    def login(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.accounts.staff_login,
            self.query_one("#email", Input).value,
            self.query_one("#password", Input).value,
            done=self.logged_in,
            failed=self.refused,
        )

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
        from screens.review.queue import QueueScreen

        self.query_one("#password", Input).value = ""
        self.app.staff = staff
        self.app.refresh_bindings()
        self.app.push_screen(QueueScreen())
