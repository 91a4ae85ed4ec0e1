"""Flow step 5 目前申請進度: one row per application with its status (申請 / 認證 / 不通過
and the reason), the trash button on a pending row, 重新載入, 新增綁定學生, 下載留存 (the forms
again, or their approved and rejected copies), 註銷全部紀錄 and 登出 (R17)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from app.clock import to_local
from app.models import Status
from app.services.kiosk import ProgressRow
from app.tui import FlowMessage
from screens.base import KioskScreen, LogOut
from screens.widgets.confirm import Confirm
from screens.widgets.form_download import REPRINTED, FormDownload
from screens.widgets.i18n import T, TButton

STATUS_CLASS = {
    Status.PENDING: "-pending",
    Status.APPROVED: "-approved",
    Status.REJECTED: "-rejected",
}


class ProgressScreen(KioskScreen):
    """There is no step before the progress page: the flow gives it no way back."""

    class AddStudent(FlowMessage):
        """新增綁定學生."""

    def compose_body(self) -> ComposeResult:
        yield T("label.progress_title", classes="title")
        yield T("label.progress_thanks", classes="lead")
        with Horizontal(classes="actions"):
            yield TButton("label.reload", id="reload")
            yield TButton("label.add_student", id="add", variant="primary")
            yield FormDownload(notices=REPRINTED)
        yield Vertical(id="rows")
        yield T("label.progress_void_hint", classes="muted")
        with Horizontal(classes="actions"):
            yield TButton("label.void_all", id="void-all", variant="error")
            yield TButton("label.key_logout", id="logout")
        yield T("label.progress_howto", classes="muted")

    def on_screen_resume(self) -> None:
        """Shown first, or again after a cancellation: the rows as they are now (once: a second
        load from setup raced this one and could leave the page empty for a moment)."""
        self.reload()

    @on(Button.Pressed, "#reload")
    def reload(self) -> None:
        if self.session is not None:
            self.call(self.services.progress.progress, self.session.contact.digest,
                      done=self.show)  # fmt: skip

    def show(self, rows: list[ProgressRow]) -> None:
        self.query_one(FormDownload).show_numbers([row.number for row in rows])
        box = self.query_one("#rows", Vertical)
        box.remove_children()
        if not rows:
            box.mount(T("label.progress_empty", classes="muted"))
        for row in rows:
            box.mount(self.row_widget(row))

    def row_widget(self, row: ProgressRow) -> Horizontal:
        status = T(
            f"status.{row.status}", classes=f"progress-status {STATUS_CLASS.get(row.status, '')}"
        )
        parts = [
            T("label.progress_student", classes="progress-student", name=row.student_name_masked,
              school=row.school_name, classroom=row.classroom_name, number=row.number,
              when=f"{to_local(row.submitted_at):%Y-%m-%d}"),
            status,
        ]  # fmt: skip
        if row.cancellable:
            parts.append(TButton("label.cancel_application", id=f"cancel-{row.number}",
                                 variant="error", classes="progress-cancel"))  # fmt: skip
        widget = Horizontal(*parts, classes="progress-row")
        if row.status == Status.REJECTED and row.reject_reason:
            return Vertical(
                widget,
                T("label.progress_reason", classes="progress-reason", reason=row.reject_reason),
                classes="progress-item",
            )
        return Vertical(widget, classes="progress-item")

    @on(Button.Pressed, "#add")
    def add_pressed(self) -> None:
        self.tell(self.AddStudent())

    @on(Button.Pressed, "#logout")
    def logout_pressed(self) -> None:
        self.tell(LogOut())

    @on(Button.Pressed, "#void-all")
    def void_all_pressed(self) -> None:
        confirm = Confirm("label.void_all_confirm", "label.void_all_yes",
                          no_key="label.void_all_keep")  # fmt: skip
        self.app.push_screen(confirm, self._void_all)

    @on(Button.Pressed, ".progress-cancel")
    def cancel_pressed(self, event: Button.Pressed) -> None:
        number = (event.button.id or "").removeprefix("cancel-")
        confirm = Confirm("label.cancel_confirm", "label.cancel_yes", no_key="label.cancel_keep",
                          number=number)  # fmt: skip
        self.app.push_screen(confirm, lambda ok: self._cancel(ok, number))

    def _cancel(self, ok: bool | None, number: str) -> None:
        if ok and self.session is not None:
            self.call(self.services.progress.cancel, self.session.contact.digest, number,
                      done=lambda _: self.after("label.cancelled", number=number))  # fmt: skip

    def _void_all(self, ok: bool | None) -> None:
        if ok and self.session is not None:
            self.call(self.services.progress.void_all, self.session.contact.digest,
                      done=lambda n: self.after("label.voided", count=n))  # fmt: skip

    def after(self, key: str, **params: object) -> None:
        self.say(self.tr(key, **params))
        self.reload()
