"""The forced change of a temporary password that school IT gave (R32): a new password twice
(R20), before the queue opens. The flow gives this screen no way back."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input

from app.services.staff import StaffIdentity
from app.tui import FlowMessage
from screens.review.base import ReviewScreen
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class StaffPasswordScreen(ReviewScreen):
    AUTO_FOCUS = "#new"

    @dataclass
    class Saved(FlowMessage):
        staff: StaffIdentity

    def compose_body(self) -> ComposeResult:
        yield T("label.staff_invite.forced_title", classes="title")
        yield T("label.staff_invite.forced_lead", classes="lead")
        yield Field("new_password", "label.staff_invite.new_password",
                    Input(id="new", password=True))  # fmt: skip
        yield Field("new_password_again", "label.staff_invite.new_password_again",
                    Input(id="again", password=True))  # fmt: skip
        with Horizontal(classes="actions"):
            yield TButton("label.staff_invite.forced_save", id="save", variant="primary")

    @on(Input.Submitted, "#new")
    def new_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#again").focus()

    @on(Input.Submitted, "#again")
    @on(Button.Pressed, "#save")
    def save(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        staff = self.staff
        if staff is None:
            return
        self.clear_errors()
        self.call(self.services.staff_accounts.change_temporary_password, staff,
                  self.query_one("#new", Input).value, self.query_one("#again", Input).value,
                  done=self.saved)  # fmt: skip

    def saved(self, staff: StaffIdentity) -> None:
        self.tell(self.Saved(staff))
