"""The page after 送出資料: thanks, the application number of each student (R31), the papers a
guardian must bring (R27), what happens next (the teacher, the approval e-mail, the first login),
and the way on: 下載留存, 查看申請進度, 登出."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from app.services.kiosk import Submitted
from app.tui import FlowMessage
from screens.base import KioskScreen, LogOut, Place
from screens.widgets.form_download import FormDownload
from screens.widgets.i18n import T, TButton, relationship_text
from screens.widgets.paragraph import Paragraph
from screens.widgets.typed import OnQinzi


def numbered(mark: str, key: str, **params: object) -> Horizontal:
    """A list item with a hanging indent, so wrapped lines stay clear of the mark."""
    return Horizontal(Static(mark, classes="mark"), T(key, **params), classes="item")


class SubmittedCard(OnQinzi, Vertical):
    """One application: its number and status, the student (masked, R9) and the papers."""

    def __init__(self, item: Submitted) -> None:
        super().__init__(classes="submitted")
        self.item = item

    def compose(self) -> ComposeResult:
        yield Paragraph("", classes="submitted-head")
        if self.item.required_documents:
            yield T("label.completion.documents")
            for key in self.item.required_documents:
                yield numbered("•", key)

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._render_head)

    def _render_head(self, lang: str) -> None:
        tr, item = self.app.tr, self.item
        text = Text()
        text.append(item.number, style="bold")
        text.append("  " + tr(f"status.{item.status}") + "\n")
        text.append(
            tr(
                "label.completion.student",
                name=item.student_name_masked,
                school=item.school_in(lang),
                classroom=item.classroom_name,
                relationship=relationship_text(tr, item.relationship, item.relationship_note),
            )
        )
        self.query_one(".submitted-head", Static).update(text)


class CompletionScreen(KioskScreen):
    AUTO_FOCUS = ""  # the download button, without scrolling the page to it

    class ShowProgress(FlowMessage):
        """查看申請進度."""

    def __init__(self, place: Place, submitted: list[Submitted]) -> None:
        super().__init__(place)
        self.submitted = list(submitted)

    @property
    def numbers(self) -> list[str]:
        return [s.number for s in self.submitted]

    def compose_body(self) -> ComposeResult:
        yield T("label.completion.title", classes="title")
        yield T("label.completion.lead", classes="lead", count=len(self.submitted))
        with Vertical(id="submitted"):
            for item in self.submitted:
                yield SubmittedCard(item)
        yield T("label.completion.next_title", classes="subtitle")
        random = self.settings.initial_password == "random"
        days = self.settings.initial_password_days
        with Vertical(id="next-steps"):
            papers = any(item.required_documents for item in self.submitted)
            yield numbered("1.", "label.completion.next_review_papers" if papers
                           else "label.completion.next_review")  # fmt: skip
            yield numbered("2.", "label.completion.next_mail_random" if random
                           else "label.completion.next_mail", days=days)  # fmt: skip
            yield numbered("3.", "label.completion.next_login_random" if random
                           else "label.completion.next_login", days=days)  # fmt: skip
            email_only = "" if self.settings.sms_offered else "_email"  # R38: no SMS codes
            yield numbered("4.", f"label.completion.next_progress{email_only}")
        with Horizontal(classes="actions"):
            yield FormDownload(self.numbers, variant="primary")
            yield TButton("label.completion.progress", id="progress")
        with Horizontal(classes="actions"):
            yield TButton("label.completion.logout", id="logout")

    def setup(self) -> None:
        self.query_one("#download").focus(scroll_visible=False)

    @on(Button.Pressed, "#progress")
    def progress_pressed(self) -> None:
        self.tell(self.ShowProgress())

    @on(Button.Pressed, "#logout")
    def logout_pressed(self) -> None:
        self.tell(LogOut())
