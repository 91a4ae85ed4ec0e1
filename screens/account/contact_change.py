"""A new e-mail or mobile for the account (R21): a code goes to the NEW contact; once confirmed,
the old contact is told, and the screen returns to the parent's page."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult

from screens.base import KioskScreen
from screens.widgets.code_request import CodeRequest
from screens.widgets.i18n import T


class ContactChangeScreen(KioskScreen):
    AUTO_FOCUS = "#contact"
    DRAFT = ("contact",)

    def compose_body(self) -> ComposeResult:
        yield T("label.change_title", classes="title")
        email_only = "" if self.settings.sms_offered else "_email"  # R38
        yield T(f"label.change_lead{email_only}", classes="lead")
        yield CodeRequest(contact_key="label.change_new")

    @on(CodeRequest.Asked)
    def request(self, message: CodeRequest.Asked) -> None:
        message.stop()
        if self.login is None:
            return
        self.clear_errors()
        minutes = self.settings.code_ttl_minutes
        self.call(self.services.contact_change.request, self.login.account_id, message.channel,
                  message.contact, self.app.lang,
                  done=lambda sent: message.request.sent(sent, minutes))  # fmt: skip

    @on(CodeRequest.Entered)
    def confirm(self, message: CodeRequest.Entered) -> None:
        message.stop()
        if self.login is None:
            return
        self.clear_errors()
        self.call(self.services.contact_change.confirm, self.login.account_id, message.channel,
                  message.contact, message.code, done=self.changed)  # fmt: skip

    def changed(self, _: object) -> None:
        self.notify(self.tr("label.change_done"))
        self.leave()
