"""問答集: the seed's questions, answered in our own words (data/faq_<lang>.md)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Markdown

from app.i18n import localized_file
from screens.base import KioskScreen
from screens.widgets.chinese_markdown import ChineseMarkdown
from screens.widgets.i18n import T, TButton


def faq_text(lang: str, *, sms: bool = True) -> str:
    """The FAQ; lines marked `[sms] ` are shown only where SMS codes are offered and `[email] `
    lines only where they are not (R38: a kiosk without a gateway never speaks of SMS codes)."""
    keep, drop = ("[sms] ", "[email] ") if sms else ("[email] ", "[sms] ")
    lines = []
    for line in localized_file("faq", lang).read_text(encoding="utf-8").splitlines():
        heading, _, rest = line.partition(" ") if line.startswith("#") else ("", "", line)
        if rest.startswith(drop):
            continue
        if rest.startswith(keep):
            line = f"{heading} {rest[len(keep):]}" if heading else rest[len(keep):]
        lines.append(line)
    return "\n".join(lines) + "\n"


class FaqScreen(KioskScreen):
    AUTO_FOCUS = "#faq-back"
    def compose_body(self) -> ComposeResult:
        yield T("label.faq_title", classes="title")
        yield ChineseMarkdown(id="faq")
        yield TButton("label.faq_back", id="faq-back", variant="primary")

    def setup(self) -> None:
        faq = self.query_one("#faq", Markdown)
        sms = self.settings.sms_offered
        self.watch(self.app, "lang", lambda lang: faq.update(faq_text(lang, sms=sms)))

    @on(Button.Pressed, "#faq-back")
    def back_pressed(self) -> None:
        self.leave()
