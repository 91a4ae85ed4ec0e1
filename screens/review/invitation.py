"""Setting a first password with an invitation code (R32): the e-mail, the code school IT's
invitation brought (72 hours, R1/R4 rules) and a new password twice (R20). Done, the person is
logged in. Reached from the staff login screen."""

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

ORDER = ("email", "code", "new", "again")


class InvitationScreen(ReviewScreen):
    AUTO_FOCUS = "#email"

    @dataclass
    class Accepted(FlowMessage):
        staff: StaffIdentity

    def compose_body(self) -> ComposeResult:
        yield T("label.staff_invite.title", classes="title")
        yield T("label.staff_invite.lead", classes="lead")
        yield Field("email", "label.staff_invite.email", Input(id="email"))
        yield Field("code", "label.staff_invite.code", Input(id="code", max_length=12))
        yield Field("new_password", "label.staff_invite.new_password",
                    Input(id="new", password=True))  # fmt: skip
        yield Field("new_password_again", "label.staff_invite.new_password_again",
                    Input(id="again", password=True))  # fmt: skip
        with Horizontal(classes="actions"):
            yield TButton("label.staff_invite.save", id="save", variant="primary")

    def setup(self) -> None:
        self.watch(self.app, "lang", self._relabel)

    def _relabel(self, lang: str) -> None:
        self.query_one("#code", Input).placeholder = self.tr("label.staff_invite.code_placeholder")

    @on(Input.Submitted)
    def typed(self, event: Input.Submitted) -> None:
        self.enter_moves_on(ORDER, event, self.save)

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        self.clear_errors()
        self.call(self.services.staff_accounts.accept_invitation,
                  *(self.query_one(f"#{name}", Input).value for name in ORDER),
                  done=self.accepted)  # fmt: skip

    def accepted(self, staff: StaffIdentity) -> None:
        for name in ("code", "new", "again"):
            self.query_one(f"#{name}", Input).value = ""
        self.notify(self.tr("label.staff_invite.done"))
        self.tell(self.Accepted(staff))
