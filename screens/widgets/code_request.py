"""E-mail or mobile, 取得驗證碼, the code and 確認: how step 1, 忘記密碼 and a contact change all
begin. One field takes either (issue 16): the channel follows what is typed, and the line under
the field says where the code will go, so no key is spent on a channel choice and the first key
typed lands in the field. The widget calls no service: it reports what the person asked for
(`Asked`, `Entered`) and the screen answers with `sent(...)` or a refusal beside the field
(`contact`, `code`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input

from app.services.contacts import channel_of
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton
from screens.widgets.typed import OnQinzi

if TYPE_CHECKING:
    from app.services.verification import CodeSent


# Refusals after which the code on its way is no use any more: a new one must be asked for.
VOID_CODE = frozenset({"errors.code.too_many", "errors.code.expired", "errors.code.used"})


class CodeRequest(OnQinzi, Vertical):
    """`contact_key` labels the contact field; `sent_key` says where the code went ({contact},
    {minutes}); `confirm_key` labels the last button; `extra` widgets go between the code and
    that button (忘記密碼's new password). Where no SMS can be sent (R38) the contact is an
    e-mail address only, and `contact_key` + "_email" labels it."""

    DEFAULT_CSS = """
    CodeRequest { height: auto; }
    """

    @dataclass
    class Asked(Message):
        """取得驗證碼 for this contact."""

        request: CodeRequest
        channel: str
        contact: str

        @property
        def control(self) -> CodeRequest:
            return self.request

    @dataclass
    class Entered(Message):
        """確認 with this code (and whatever the extra fields hold, which the screen reads)."""

        request: CodeRequest
        channel: str
        contact: str
        code: str

        @property
        def control(self) -> CodeRequest:
            return self.request

    @dataclass
    class Kept(Message):
        """下一步 with the contact this session verified already (issue 18): no new code."""

        request: CodeRequest

        @property
        def control(self) -> CodeRequest:
            return self.request

    def __init__(
        self,
        *,
        contact_key: str = "label.contact_value",
        sent_key: str = "label.code_sent",
        confirm_key: str = "label.confirm",
        extra: tuple[Widget, ...] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.contact_key, self.sent_key, self.confirm_key = contact_key, sent_key, confirm_key
        self.extra = extra
        self.kept: str | None = None  # the contact this session verified, if any

    def compose(self) -> ComposeResult:
        # R38: without an SMS gateway a production terminal asks for an e-mail address only.
        self.sms = self.app.services.settings.sms_offered
        contact_key = self.contact_key if self.sms else f"{self.contact_key}_email"
        yield Field("contact", contact_key, Input(id="contact", max_length=254),
                    hint_key=self._hint_key(""))  # fmt: skip
        yield T("", id="kept", classes="lead")
        with Horizontal(classes="actions"):
            yield TButton("label.get_code", id="get-code", variant="primary")
            yield TButton("label.wizard.next", id="go-on", variant="primary")
        with Vertical(id="code-box"):
            yield T("", id="code-sent", classes="lead")
            yield Field("code", "label.code", Input(id="code", max_length=12))
            yield from self.extra
            with Horizontal(classes="actions"):
                yield TButton(self.confirm_key, id="confirm", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#code-box").display = False
        self._show_kept(False)
        self.watch(self.app, "lang", self._relabel)

    def _relabel(self, _: str | None = None) -> None:
        tr = self.app.tr
        self.query_one("#contact", Input).placeholder = tr(
            "label.contact_placeholder" if self.sms else "label.contact_placeholder_email"
        )
        self.query_one("#code", Input).placeholder = tr("label.code_placeholder")

    @property
    def channel(self) -> str:
        """What the typed contact is: Channel.EMAIL, Channel.SMS or "" (neither yet)."""
        return channel_of(self.contact)

    @property
    def contact(self) -> str:
        return self.query_one("#contact", Input).value

    @property
    def code(self) -> str:
        return self.query_one("#code", Input).value

    def sent(self, sent: CodeSent, minutes: int) -> None:
        """The code is on its way: say where, and wait for it in the code field."""
        box = self.query_one("#code-box")
        box.display = True
        self.query_one("#code-sent").display = True
        self.query_one("#code-sent", T).set(self.sent_key, contact=sent.masked, minutes=minutes)
        code = self.query_one("#code", Input)
        code.value = ""
        code.focus()
        self.call_after_refresh(box.scroll_visible)

    def keep(self, contact: str, masked: str) -> None:
        """Back from a later step (issue 18, R36): the contact this session verified stays
        verified until the session ends. Its used code goes, and 下一步 goes on with it; typing
        another contact asks for a new code as usual."""
        self.kept = contact
        self.query_one("#kept", T).set("label.contact_kept", contact=masked)
        self.query_one("#code-box").display = False
        self.query_one("#code", Input).value = ""
        field = self.query_one("#contact", Input)
        field.value = contact
        self._show_kept(True)
        self.query_one("#go-on").focus()

    def _show_kept(self, kept: bool) -> None:
        self.query_one("#kept").display = kept
        self.query_one("#field-contact .field-hint").display = not kept  # no code goes out
        self.query_one("#go-on").display = kept
        self.query_one("#get-code").display = not kept

    @property
    def keeps(self) -> bool:
        """The typed contact is the one verified already."""
        return self.kept is not None and self.contact.strip() == self.kept

    # --- what the person does -------------------------------------------------------------------

    def _hint_key(self, channel: str) -> str:
        if not self.sms:
            return "label.contact_hint_email"
        return f"label.contact_hint_{channel}" if channel else "label.contact_hint"

    @on(Input.Changed, "#contact")
    def contact_typed(self, event: Input.Changed) -> None:
        self.query_one("#field-contact .field-hint", T).set(self._hint_key(self.channel))
        if self.kept is not None:
            self._show_kept(self.keeps)

    @on(Field.Refused, "#field-code")
    def code_refused(self, event: Field.Refused) -> None:
        """A code that can no longer be used: "sent to …, valid 60 minutes" would be stale."""
        if event.error.key in VOID_CODE:
            self.query_one("#code-sent").display = False

    @on(Button.Pressed, "#get-code")
    @on(Input.Submitted, "#contact")
    def ask(self, event: Button.Pressed | Input.Submitted) -> None:
        event.stop()
        if self.keeps:
            self.post_message(self.Kept(self))
        else:
            self.post_message(self.Asked(self, self.channel, self.contact))

    @on(Button.Pressed, "#go-on")
    def go_on(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Kept(self))

    @on(Input.Submitted, "#code")
    def code_typed(self, event: Input.Submitted) -> None:
        event.stop()
        if self.extra:
            self.screen.focus_next()  # the new password comes first
        else:
            self.enter()

    @on(Button.Pressed, "#confirm")
    def confirm_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.enter()

    def enter(self) -> None:
        self.post_message(self.Entered(self, self.channel, self.contact, self.code))
