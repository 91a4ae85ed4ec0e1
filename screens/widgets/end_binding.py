"""Staff ending a binding (R35), as the application's page shows it: the binding's state in
words, and a reason to pick before the screen asks for confirmation. The rule (who may, the
mail, the audit) is the unbinding service's; this only collects the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Select

from app.errors import InvalidInput
from app.services.review_views import BindingState
from app.services.unbinding import END_REASONS
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton
from screens.widgets.typed import OnQinzi


def binding_line(tr: Callable[..., str], b: BindingState, when: str) -> tuple[str, str]:
    """The binding's state in words, and "ok" (live) or "bad" (ended): who ended it, when, why."""
    if b.active:
        return tr("label.review_day.binding_active"), "ok"
    reason = tr(f"label.review_day.end_reason_{b.end_reason}") if b.end_reason else ""
    if b.ended_by:
        text = tr("label.review_day.binding_ended", when=when, who=b.ended_by, reason=reason)
    elif b.end_reason:
        text = tr("label.review_day.binding_ended_system", when=when, reason=reason)
    else:
        text = tr("label.review_day.binding_ended_by_parent", when=when)
    return text, "bad"


class EndBinding(OnQinzi, Vertical):
    """The reason list and the button; `submit()` (the screen's key) does what the button does."""

    DEFAULT_CSS = """
    EndBinding { height: auto; }
    EndBinding .actions { height: auto; }
    """

    @dataclass
    class Chosen(Message):
        """A reason was picked (an END_REASONS code) and the staff member asked to end."""

        reason: str

    def compose(self) -> ComposeResult:
        yield T("label.review_day.end_title", classes="side-title")
        yield Field("end_reason", "label.review_day.end_reason",
                    Select([], id="end-reason", compact=True))  # fmt: skip
        with Horizontal(classes="actions"):
            yield TButton("label.review_day.end_button", id="end", variant="error")

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._relabel)

    def _relabel(self, lang: str) -> None:
        tr = self.app.tr
        select = self.query_one("#end-reason", Select)
        select.set_options([(tr(f"label.review_day.end_reason_{k}"), k) for k in END_REASONS])
        select.prompt = tr("label.review_day.end_reason_pick")

    @on(Button.Pressed, "#end")
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    def submit(self) -> None:
        select = self.query_one("#end-reason", Select)
        if not isinstance(select.value, str):
            error = InvalidInput("errors.review_day.end_reason_invalid", field="end_reason")
            self.query_one(Field).show(error)
            select.focus()
            return
        self.query_one(Field).show(None)
        self.post_message(self.Chosen(select.value))
