"""忘記密碼: a code to the account's e-mail or mobile (R1–R4 limits), then a new password. The
answer is the same whether or not the contact has an account (R4); other sessions end. Done, the
screen returns to where it was opened from."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input

from screens.base import KioskScreen
from screens.widgets.code_request import CodeRequest
from screens.widgets.field import Field
from screens.widgets.i18n import T


class ForgotPasswordScreen(KioskScreen):
    AUTO_FOCUS = "#contact"
    DRAFT = ("contact",)

    def compose_body(self) -> ComposeResult:
        yield T("label.forgot_title", classes="title")
        email_only = "" if self.settings.sms_offered else "_email"  # R38
        yield T(f"label.forgot_lead{email_only}", classes="lead")
        yield CodeRequest(
            sent_key="label.forgot_sent",
            confirm_key="label.password_save",
            extra=(
                T("label.password_rules", classes="muted"),
                Field("new_password", "label.password_new", Input(id="new", password=True)),
                Field(
                    "new_password_again", "label.password_again", Input(id="again", password=True)
                ),
            ),
        )

    @on(CodeRequest.Asked)
    def request(self, message: CodeRequest.Asked) -> None:
        message.stop()
        self.clear_errors()
        minutes = self.settings.code_ttl_minutes
        self.call(self.services.accounts.request_password_reset, message.channel,
                  message.contact, self.app.lang,
                  done=lambda sent: message.request.sent(sent, minutes))  # fmt: skip

    @on(Input.Submitted, "#new")
    def new_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#again").focus()

    @on(Input.Submitted, "#again")
    def again_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(CodeRequest).enter()

    @on(CodeRequest.Entered)
    def save(self, message: CodeRequest.Entered) -> None:
        message.stop()
        self.clear_errors()
        self.call(self.services.accounts.reset_password, message.channel, message.contact,
                  message.code, self.query_one("#new", Input).value,
                  self.query_one("#again", Input).value, done=self.done)  # fmt: skip

    def done(self, _: object) -> None:
        self.notify(self.tr("label.forgot_done"), timeout=10)
        self.leave()
