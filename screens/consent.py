"""Step 3 同意個資使用聲明: the privacy statement in a box of its own; the consent box stays
disabled until the box was scrolled to its end, by keyboard or mouse wheel (R10). 不同意並退出
asks first, then ends the visit (R22, R36)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Markdown

from app.services.kiosk import KioskSession, Statement
from app.tui import FlowMessage
from screens.base import SESSION, KioskScreen, LogOut
from screens.widgets.checkbox import TCheckbox
from screens.widgets.chinese_markdown import ChineseMarkdown
from screens.widgets.confirm import Confirm
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class ConsentScreen(KioskScreen):
    AUTO_FOCUS = "#statement"

    class Agreed(FlowMessage):
        """下一步 with the box ticked: consent is recorded in the session."""

    read_to_end = False
    loaded = False

    def compose_body(self) -> ComposeResult:
        yield T("label.consent_step.title", classes="title")
        with VerticalScroll(id="statement"):
            yield ChineseMarkdown(id="statement-text")
        yield Field(
            "consent",
            "label.consent_step.scroll_hint",
            TCheckbox("label.consent_step.agree", id="agree", disabled=True, compact=True),
        )
        with Horizontal(classes="actions"):
            yield TButton("label.wizard.back", id="back")
            yield TButton("label.wizard.next", id="next", variant="primary", disabled=True)
        # Apart from 下一步, so that leaving is never pressed by mistake.
        with Horizontal(classes="actions"):
            yield TButton("label.consent_step.decline", id="decline", variant="error", compact=True)

    def setup(self) -> None:
        if self.session is not None and self.session.has_consent:
            # Coming back after consenting: the statement was read; the box stays ticked.
            self._mark_read()
            self.query_one("#agree", Checkbox).value = True
        box = self.query_one("#statement", VerticalScroll)
        self.watch(box, "scroll_y", self._check_end, init=False)
        self.watch(box, "virtual_size", self._check_end, init=False)
        self.watch(self.app, "lang", self._load)

    def _load(self, lang: str) -> None:
        self.call(self.services.applications.privacy_statement, lang, done=self._show)

    async def _show(self, statement: Statement) -> None:
        await self.query_one("#statement-text", Markdown).update(statement.text)
        self.loaded = True
        self.call_after_refresh(self._check_end)

    def _check_end(self, *_: object) -> None:
        """Read means: the text is laid out and its last line has been inside the box."""
        box = self.query_one("#statement", VerticalScroll)
        if self.read_to_end or not self.loaded or box.virtual_size.height == 0:
            return
        if box.scroll_y >= box.max_scroll_y:
            self._mark_read()

    def _mark_read(self) -> None:
        self.read_to_end = True
        agree = self.query_one("#agree", Checkbox)
        agree.disabled = False
        if self.focused is self.query_one("#statement"):
            agree.focus()  # read to the end: the box to tick is next (issue 16)
        self.query_one("#field-consent .field-label", T).set("label.consent_step.read_hint")

    @on(Checkbox.Changed, "#agree")
    def agree_changed(self, event: Checkbox.Changed) -> None:
        self.clear_errors()
        self.query_one("#next").disabled = not event.value
        if event.value and self.focused is event.checkbox:
            self.query_one("#next").focus()  # ticked: 下一步 is the next key (issue 16)

    @on(Button.Pressed, "#back")
    def back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#decline")
    def decline(self) -> None:
        question = Confirm("label.consent_step.decline_question", "label.consent_step.decline_yes",
                           no_key="label.consent_step.decline_no")  # fmt: skip
        self.app.push_screen(question, self._declined)

    def _declined(self, yes: bool | None) -> None:
        if yes:
            self.tell(LogOut())

    @on(Button.Pressed, "#next")
    def next(self) -> None:
        if not self.query_one("#agree", Checkbox).value:
            return
        self.call(self.services.applications.give_consent, SESSION, self.read_to_end,
                  done=self._agreed)  # fmt: skip

    def _agreed(self, _: KioskSession) -> None:
        self.tell(self.Agreed())
