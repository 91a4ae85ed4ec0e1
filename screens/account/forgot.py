"""忘記密碼: a code to the account's e-mail or mobile (R1–R4 limits), then a new password. The
answer is the same whether or not the contact has an account (R4); other sessions end."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from app.services.verification import CodeSent
from screens.base import KioskScreen
from screens.widgets.channel import ChannelPicker
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class ForgotPasswordScreen(KioskScreen):
    DRAFT = ("forgot-contact",)

    def compose_body(self) -> ComposeResult:
        yield T("label.forgot_title", classes="title")
        yield T("label.forgot_lead", classes="lead")
        yield ChannelPicker("forgot", id="forgot-channel")
        yield Field("contact", "label.contact_value", Input(id="forgot-contact"))
        with Horizontal(classes="actions"):
            yield TButton("label.get_code", id="forgot-get-code", variant="primary")
        with Vertical(id="forgot-box"):
            yield T("", id="forgot-sent", classes="lead")
            yield Field("code", "label.code", Input(id="forgot-code", max_length=12))
            yield T("label.password_rules", classes="muted")
            yield Field("new_password", "label.password_new", Input(id="forgot-new", password=True))
            yield Field("new_password_again", "label.password_again",
                        Input(id="forgot-again", password=True))  # fmt: skip
            with Horizontal(classes="actions"):
                yield TButton("label.password_save", id="forgot-save", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#forgot-box").display = False
        self.query_one("#forgot-contact").focus()

    @property
    def channel(self) -> str:
        return self.query_one(ChannelPicker).channel

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "forgot-contact":
            self.request()
        elif event.input.id == "forgot-again":
            self.save()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        self.request() if event.button.id == "forgot-get-code" else self.save()

    def request(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.accounts.request_password_reset,
            self.channel,
            self.query_one("#forgot-contact", Input).value,
            self.app.lang,
            done=self.sent,
        )

    def sent(self, sent: CodeSent) -> None:
        self.query_one("#forgot-box").display = True
        self.query_one("#forgot-sent", T).set("label.forgot_sent", contact=sent.masked)
        self.query_one("#forgot-code").focus()

    def save(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.accounts.reset_password,
            self.channel,
            self.query_one("#forgot-contact", Input).value,
            self.query_one("#forgot-code", Input).value,
            self.query_one("#forgot-new", Input).value,
            self.query_one("#forgot-again", Input).value,
            done=self.done,
        )

    def done(self, _: object) -> None:
        self.notify(self.app.tr("label.forgot_done"), timeout=10)
        self.leave()
