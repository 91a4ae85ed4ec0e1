"""下載留存: the application forms of the numbers a page lists, as one PDF under the data folder's
forms/, printed where the kiosk has a printer. The completion page, the progress page and the
account home share it, so a parent can print a form again, or its approved or rejected copy,
wherever they see the application (issue 16)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual import on
from textual.widgets import Button

from screens.widgets.i18n import TButton

if TYPE_CHECKING:
    from app.services.forms import PrintJob, SavedForm
    from screens.base import QinziScreen
    from screens.widgets.notice import Severity

# Where a form printed again went, without the completion page's "sign it and hand it in".
REPRINTED = ("label.reprint.saved", "label.reprint.printed")


class FormDownload(TButton):
    """The button and what it does. `numbers` are the applications it prints; without any it is
    greyed out. `notices` are the catalog keys of the message that says where the file went,
    saved and printed (the completion page's also says to sign it and hand it in)."""

    def __init__(
        self,
        numbers: Sequence[str] = (),
        *,
        notices: tuple[str, str] = ("label.completion.saved", "label.completion.printed"),
        id: str = "download",
        variant: str = "default",
    ) -> None:
        super().__init__("label.completion.download", id=id, variant=variant)
        self.notices = notices
        self.show_numbers(numbers)

    def show_numbers(self, numbers: Sequence[str]) -> None:
        self.numbers = list(numbers)
        self.disabled = not self.numbers

    @on(Button.Pressed)
    def download(self, event: Button.Pressed) -> None:
        event.stop()
        if not self.numbers:
            return
        screen: QinziScreen[Any] = self.screen  # type: ignore[assignment]
        forms, numbers = self.app.services.forms, list(self.numbers)
        # The parent's own applications only: the kiosk session's contact, or the account.
        owner = screen.session.contact.digest if screen.session else None
        account = screen.login.account_id if screen.login and owner is None else None

        def save_and_print() -> tuple[SavedForm, PrintJob | None]:
            saved = forms.save(numbers, owner=owner, account=account)
            return saved, forms.print_file(saved.path)

        screen.say(self.app.tr("label.completion.preparing"))
        screen.call(save_and_print, done=self.ready)

    def ready(self, result: tuple[SavedForm, PrintJob | None]) -> None:
        saved, job = result
        tr = self.app.tr
        key = self.notices[1] if job else self.notices[0]
        # Where to collect the paper, never the file's path: the parent cannot reach it (issue 16).
        text = tr(key, count=saved.pages, pages=saved.pages, printer=job.printer if job else "")
        severity: Severity = "information"
        if saved.unprintable:  # R43: a character no font has prints as its code point
            text += "\n" + tr(
                "label.form_unprintable",
                count=len(saved.unprintable),
                numbers=", ".join(saved.unprintable),
            )
            severity = "warning"
        screen: QinziScreen[Any] = self.screen  # type: ignore[assignment]
        screen.say(text, severity)
