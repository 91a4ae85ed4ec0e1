"""The page after 送出資料: thanks, the application number of each student (R31), the papers a
guardian must bring (R27), what happens next (the teacher, the approval e-mail, the first login),
and the way on: 下載留存, 查看申請進度, 登出."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from app.services.kiosk import Submitted
from screens.base import KioskScreen
from screens.widgets.i18n import T, TButton


def numbered(mark: str, key: str, **params: object) -> Horizontal:
    """A list item with a hanging indent, so wrapped lines stay clear of the mark."""
    return Horizontal(Static(mark, classes="mark"), T(key, **params), classes="item")


class SubmittedCard(Vertical):
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
    def __init__(self, submitted: list[Submitted]) -> None:
        super().__init__()
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
        random = self.app.services.settings.initial_password == "random"
        days = self.app.services.settings.initial_password_days
        with Vertical(id="next-steps"):
            yield numbered("1.", "label.completion.next_review")
            yield numbered("2.", "label.completion.next_mail_random" if random
                           else "label.completion.next_mail", days=days)  # fmt: skip
            yield numbered("3.", "label.completion.next_login_random" if random
                           else "label.completion.next_login", days=days)  # fmt: skip
            yield numbered("4.", "label.completion.next_progress")
        with Horizontal(classes="actions"):
            yield TButton("label.completion.download", id="download", variant="primary")
            yield TButton("label.completion.progress", id="progress")
        with Horizontal(classes="actions"):
            yield TButton("label.completion.logout", id="logout")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#download").focus(scroll_visible=False)

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        if event.button.id == "download":
            self.download_forms(self.numbers)
        elif event.button.id == "progress":
            self.show_progress()
        elif event.button.id == "logout":
            self.app.wipe()

    def download_forms(self, numbers: list[str]) -> None:
        """下載留存: the application forms of `numbers` as one PDF under the data folder's
        forms/, printed where the kiosk has a printer; the screen says where the file went."""
        forms = self.app.services.forms
        owner = self.app.session.contact.digest if self.app.session else None

        def save_and_print():
            saved = forms.save(numbers, owner=owner)
            return saved, forms.print_file(saved.path)

        self.notify(self.app.tr("label.completion.preparing"), timeout=4)
        self.call(save_and_print, done=self.forms_ready)

    def forms_ready(self, result) -> None:
        saved, job = result
        key = "label.completion.printed" if job else "label.completion.saved"
        printer = job.printer if job else ""
        self.notify(self.app.tr(key, path=str(saved.path), pages=saved.pages, printer=printer),
                    timeout=15)  # fmt: skip

    def show_progress(self) -> None:
        from screens.progress import ProgressScreen

        self.replace_with(ProgressScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No going back into a wizard whose applications are already sent."""
        if action == "back":
            return False
        return super().check_action(action, parameters)
