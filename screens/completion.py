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
from screens.widgets.i18n import T, TButton
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
        yield Static("", classes="submitted-head")
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
                school=item.school_name,
                classroom=item.classroom_name,
                relationship=tr(f"relationship.{item.relationship}"),
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
            yield numbered("1.", "label.completion.next_review")
            yield numbered("2.", "label.completion.next_mail_random" if random
                           else "label.completion.next_mail", days=days)  # fmt: skip
            yield numbered("3.", "label.completion.next_login_random" if random
                           else "label.completion.next_login", days=days)  # fmt: skip
            email_only = "" if self.settings.sms_offered else "_email"  # R38: no SMS codes
            yield numbered("4.", f"label.completion.next_progress{email_only}")
        with Horizontal(classes="actions"):
            yield TButton("label.completion.download", id="download", variant="primary")
            yield TButton("label.completion.progress", id="progress")
        with Horizontal(classes="actions"):
            yield TButton("label.completion.logout", id="logout")

    def setup(self) -> None:
        self.query_one("#download").focus(scroll_visible=False)

    @on(Button.Pressed, "#download")
    def download_pressed(self) -> None:
        self.download_forms(self.numbers)

    @on(Button.Pressed, "#progress")
    def progress_pressed(self) -> None:
        self.tell(self.ShowProgress())

    @on(Button.Pressed, "#logout")
    def logout_pressed(self) -> None:
        self.tell(LogOut())

    def download_forms(self, numbers: list[str]) -> None:
        """下載留存: the application forms of `numbers` as one PDF under the data folder's
        forms/, printed where the kiosk has a printer; the screen says where the file went."""
        forms = self.services.forms
        owner = self.session.contact.digest if self.session else None

        def save_and_print():
            saved = forms.save(numbers, owner=owner)
            return saved, forms.print_file(saved.path)

        self.notify(self.tr("label.completion.preparing"), timeout=4)
        self.call(save_and_print, done=self.forms_ready)

    def forms_ready(self, result) -> None:
        saved, job = result
        key = "label.completion.printed" if job else "label.completion.saved"
        printer = job.printer if job else ""
        self.notify(self.tr(key, path=str(saved.path), pages=saved.pages, printer=printer),
                    timeout=15)  # fmt: skip
