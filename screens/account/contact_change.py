"""A new e-mail or mobile for the account (R21): a code goes to the NEW contact; once confirmed,
the old contact is told."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from app.services.verification import CodeSent
from screens.base import KioskScreen
from screens.widgets.channel import ChannelPicker
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class ContactChangeScreen(KioskScreen):
    DRAFT = ("new-contact",)

    def compose_body(self) -> ComposeResult:
        yield T("label.change_title", classes="title")
        yield T("label.change_lead", classes="lead")
        yield ChannelPicker("change", id="change-channel")
        yield Field("contact", "label.change_new", Input(id="new-contact"))
        with Horizontal(classes="actions"):
            yield TButton("label.get_code", id="change-get-code", variant="primary")
        with Vertical(id="change-code-box"):
            yield T("", id="change-sent", classes="lead")
            yield Field("code", "label.code", Input(id="change-code", max_length=12))
            with Horizontal(classes="actions"):
                yield TButton("label.confirm", id="change-confirm", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#change-code-box").display = False
        self.query_one("#new-contact").focus()

    @property
    def channel(self) -> str:
        return self.query_one(ChannelPicker).channel

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.request() if event.input.id == "new-contact" else self.confirm()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        self.request() if event.button.id == "change-get-code" else self.confirm()

    def request(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.contact_change.request,
            self.app.account.account_id,
            self.channel,
            self.query_one("#new-contact", Input).value,
            self.app.lang,
            done=self.sent,
        )

    def sent(self, sent: CodeSent) -> None:
        self.query_one("#change-code-box").display = True
        minutes = self.app.services.settings.code_ttl_minutes
        self.query_one("#change-sent", T).set("label.code_sent", contact=sent.masked,
                                              minutes=minutes)  # fmt: skip
        self.query_one("#change-code").focus()

    def confirm(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.contact_change.confirm,
            self.app.account.account_id,
            self.channel,
            self.query_one("#new-contact", Input).value,
            self.query_one("#change-code", Input).value,
            done=self.changed,
        )

    def changed(self, _: object) -> None:
        self.notify(self.app.tr("label.change_done"))
        self.leave()
