"""One unbinding request (R29): the student, the parent who asked, since when they are bound.
The teacher or school IT confirms (the binding ends) or declines (it stays); either way the parent
is told by e-mail. Each asks first, naming the student and the parent."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from app.errors import QinziError
from app.models import Status
from app.services.review_views import UnbindRow
from screens.base import Place
from screens.review.base import ReviewScreen, fact, local
from screens.widgets.confirm import Confirm
from screens.widgets.i18n import T, TButton


class UnbindScreen(ReviewScreen):
    BINDINGS = [
        Binding("y", "decide(True)", "label.staff.key_unbind_yes", id="unbind-yes"),
        Binding("n", "decide(False)", "label.staff.key_unbind_no", id="unbind-no"),
        Binding("escape", "back", "label.key_back", id="back"),
    ]

    def __init__(self, place: Place, request_id: int) -> None:
        super().__init__(place)
        self.request_id = request_id
        self.row: UnbindRow | None = None

    def compose_body(self) -> ComposeResult:
        yield T("label.staff.unbind_title", classes="title", number=self.request_id)
        yield T("label.staff.unbind_lead", classes="lead")
        yield Vertical(id="unbind-facts", classes="facts")
        with Horizontal(classes="actions", id="unbind-actions"):
            yield TButton("label.staff.unbind_yes", id="yes", variant="error")
            yield TButton("label.staff.unbind_no", id="no")

    def setup(self) -> None:
        self.watch(self.app, "lang", lambda _: self.show(self.row) if self.row else None)
        self.call(self.services.unbinding.get, self.staff, self.request_id, done=self.show,
                  failed=self.refused)  # fmt: skip

    def refused(self, error: QinziError) -> None:
        self.notify(error.message(self.app.lang), severity="error", timeout=8)
        self.leave()

    def show(self, row: UnbindRow) -> None:
        self.row = row
        tr = self.tr
        facts = self.query_one("#unbind-facts", Vertical)
        facts.remove_children()
        facts.mount_all([
            fact("label.staff.f_student", row.student_name),
            fact("label.staff.f_classroom", row.classroom_name),
            fact("label.staff.f_parent", row.parent_name_masked),
            fact("label.staff.f_email", row.email_masked),
            fact("label.staff.f_bound_since", local(row.bound_since)),
            fact("label.staff.f_requested", local(row.requested_at)),
            fact("label.staff.f_state", tr(f"label.staff.status_{row.status}")),
        ])  # fmt: skip
        self.query_one("#unbind-actions").display = row.status == Status.PENDING
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return self.row is not None and self.row.status == Status.PENDING
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#yes, #no")
    def decide_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_decide(event.button.id == "yes")

    def action_decide(self, confirm: bool) -> None:
        row = self.row
        if row is None or row.status != Status.PENDING:
            return
        key = "label.staff.unbind_confirm" if confirm else "label.staff.unbind_decline"
        yes = "label.staff.unbind_yes" if confirm else "label.staff.unbind_no"
        question = Confirm(key, yes, student=row.student_name, parent=row.parent_name_masked,
                           classroom=row.classroom_name)  # fmt: skip
        self.app.push_screen(question, lambda ok: self._decide(ok, confirm))

    def _decide(self, ok: bool | None, confirm: bool) -> None:
        if ok:
            self.call(self.services.unbinding.decide, self.staff, self.request_id, confirm,
                      done=self.decided)  # fmt: skip

    def decided(self, status: str) -> None:
        key = "label.staff.unbind_done" if status == Status.APPROVED else "label.staff.unbind_kept"
        self.notify(self.tr(key, student=self.row.student_name if self.row else ""))
        self.leave()
