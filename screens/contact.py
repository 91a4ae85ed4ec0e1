"""Step 1 取得驗證碼: choose e-mail or mobile, get a 6-digit code, type it, 確認. The verified
contact becomes the session; one that already applied goes to the progress page (flow step 5)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from app.identity import mask_contact
from app.services.contacts import VerifiedContact
from app.services.kiosk import KioskSession
from app.services.verification import CodeSent
from screens.base import KioskScreen
from screens.widgets.channel import ChannelPicker
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class ContactScreen(KioskScreen):
    STEP = 1
    DRAFT = ("contact",)

    def compose_body(self) -> ComposeResult:
        yield T("label.contact_title", classes="title")
        yield T("label.contact_lead", classes="lead")
        yield ChannelPicker("channel", id="channel")
        yield Field("contact", "label.contact_value", Input(id="contact"))
        with Horizontal(classes="actions"):
            yield TButton("label.get_code", id="get-code", variant="primary")
        with Vertical(id="code-box"):
            yield T("", id="code-sent", classes="lead")
            yield Field("code", "label.code", Input(id="code", max_length=12))
            with Horizontal(classes="actions"):
                yield TButton("label.confirm", id="confirm", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "lang", self._relabel)
        self.query_one("#code-box").display = False
        self.query_one("#contact").focus()

    def _relabel(self, lang: str) -> None:
        placeholder = "label.contact_placeholder_" + self.channel
        self.query_one("#contact", Input).placeholder = self.app.tr(placeholder)
        self.query_one("#code", Input).placeholder = self.app.tr("label.code_placeholder")

    @property
    def channel(self) -> str:
        return self.query_one(ChannelPicker).channel

    def on_radio_set_changed(self) -> None:
        self.clear_errors()
        self._relabel(self.app.lang)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "contact":
            self.request_code()
        elif event.input.id == "code":
            self.verify()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        if event.button.id == "get-code":
            self.request_code()
        elif event.button.id == "confirm":
            self.verify()

    def request_code(self) -> None:
        self.clear_errors()
        contact = self.query_one("#contact", Input).value
        self.call(
            self.app.services.verification.request_code,
            self.channel,
            contact,
            "bind",
            self.app.lang,
            done=self.code_sent,
        )

    def code_sent(self, sent: CodeSent) -> None:
        self.query_one("#code-box").display = True
        self.query_one("#code-sent", T).set(
            "label.code_sent",
            contact=sent.masked,
            minutes=self.app.services.settings.code_ttl_minutes,
        )
        code = self.query_one("#code", Input)
        code.value = ""
        code.focus()
        self.call_after_refresh(self.query_one("#code-box").scroll_visible)

    def verify(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.verification.verify_code,
            self.channel,
            self.query_one("#contact", Input).value,
            self.query_one("#code", Input).value,
            done=self.verified,
        )

    def verified(self, contact: VerifiedContact) -> None:
        self.app.start_session(KioskSession(contact=contact, lang=self.app.lang))
        self.call(self.app.services.progress.has_applications, contact.digest, done=self.go_on)

    def go_on(self, has_applications: bool) -> None:
        self.notify(self.app.tr("label.contact_verified", contact=mask_contact(
            self.app.session.contact.value)))  # fmt: skip
        if has_applications:
            from screens.progress import ProgressScreen

            self.app.push_screen(ProgressScreen())
        else:
            from screens.student import StudentScreen

            self.app.push_screen(StudentScreen())
