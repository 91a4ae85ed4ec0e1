"""問答集: the seed's questions, answered in our own words (data/faq_<lang>.md)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Markdown

from app.resources import data_file
from screens.base import KioskScreen
from screens.widgets.i18n import T, TButton


def faq_text(lang: str) -> str:
    return data_file("faq_en.md" if lang == "en" else "faq_zh-TW.md").read_text(encoding="utf-8")


class FaqScreen(KioskScreen):
    def compose_body(self) -> ComposeResult:
        yield T("label.faq_title", classes="title")
        yield Markdown(id="faq")
        yield TButton("label.faq_back", id="faq-back", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(
            self.app, "lang", lambda lang: self.query_one("#faq", Markdown).update(faq_text(lang))
        )
        self.query_one("#faq-back").focus()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        self.leave()

    def action_back(self) -> None:
        self.leave()
