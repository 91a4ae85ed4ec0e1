"""Step 1 取得驗證碼: e-mail or mobile, a 6-digit code, 確認. The verified contact becomes the
session; the flow sends a contact that already applied to the progress page (step 5)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.widgets import Input

from app.identity import mask_contact
from app.services.contacts import VerifiedContact
from app.tui import FlowMessage
from screens.base import KioskScreen, Place
from screens.widgets.code_request import CodeRequest
from screens.widgets.i18n import T


class ContactScreen(KioskScreen):
    AUTO_FOCUS = "#contact"
    DRAFT = ("contact",)

    @dataclass
    class Verified(FlowMessage):
        contact: VerifiedContact
        has_applications: bool

    def __init__(self, place: Place, typed: list[str] | None = None) -> None:
        """`typed`: what the parent began typing on the welcome screen (issue 16), read when
        this screen is up (keys may still join it on the way)."""
        super().__init__(place)
        self.typed = typed

    @dataclass
    class Kept(FlowMessage):
        """下一步 with the contact verified earlier in this session (issue 18)."""

    def setup(self) -> None:
        text, enter, _ = "".join(self.typed or ()).partition("\n")
        if text:
            contact = self.query_one("#contact", Input)
            contact.value = text
            contact.cursor_position = len(text)
            if enter:  # Enter came before this screen did: the code is asked for, as it meant
                self.call_after_refresh(contact.action_submit)

    def compose_body(self) -> ComposeResult:
        yield T("label.contact_title", classes="title")
        email_only = "" if self.settings.sms_offered else "_email"  # R38
        yield T(f"label.contact_lead{email_only}", classes="lead")
        yield CodeRequest()

    @on(events.ScreenResume)
    def keep_verified(self) -> None:
        """Back from step 2: the session's contact is still verified (issue 18, R36), so its
        used code is not asked for again — two Backs would otherwise spend the SMS allowance."""
        if self.session is not None:
            contact = self.session.contact
            self.query_one(CodeRequest).keep(contact.value, mask_contact(contact.value))

    @on(CodeRequest.Kept)
    def go_on(self, message: CodeRequest.Kept) -> None:
        message.stop()
        self.clear_errors()
        self.tell(self.Kept())

    @on(CodeRequest.Asked)
    def request_code(self, message: CodeRequest.Asked) -> None:
        message.stop()
        self.clear_errors()
        minutes = self.settings.code_ttl_minutes
        self.call(self.services.verification.request_code, message.channel, message.contact,
                  "bind", self.app.lang,
                  done=lambda sent: message.request.sent(sent, minutes))  # fmt: skip

    @on(CodeRequest.Entered)
    def verify(self, message: CodeRequest.Entered) -> None:
        message.stop()
        self.clear_errors()
        services = self.services

        def verify_and_look() -> tuple[VerifiedContact, bool]:
            contact = services.verification.verify_code(
                message.channel, message.contact, message.code
            )
            return contact, services.progress.has_applications(contact.digest)

        self.call(verify_and_look, done=self.verified)

    def verified(self, answer: tuple[VerifiedContact, bool]) -> None:
        contact, has_applications = answer
        self.notify(self.tr("label.contact_verified", contact=mask_contact(contact.value)))
        self.tell(self.Verified(contact, has_applications))
