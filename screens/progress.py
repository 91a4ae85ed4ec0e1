"""Flow step 5 目前申請進度: one row per application with its status (申請 / 認證 / 不通過
and the reason), the trash button on a pending row, 重新載入, 新增綁定學生, 註銷全部紀錄 and
登出 (R17)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from app.clock import to_local
from app.models import Status
from app.services.kiosk import ProgressRow
from screens.base import KioskScreen
from screens.widgets.confirm import Confirm
from screens.widgets.i18n import T, TButton

STATUS_CLASS = {
    Status.PENDING: "-pending",
    Status.APPROVED: "-approved",
    Status.REJECTED: "-rejected",
}


class ProgressScreen(KioskScreen):
    def compose_body(self) -> ComposeResult:
        yield T("label.progress_title", classes="title")
        yield T("label.progress_thanks", classes="lead")
        with Horizontal(classes="actions"):
            yield TButton("label.reload", id="reload")
            yield TButton("label.add_student", id="add", variant="primary")
        yield Vertical(id="rows")
        yield T("label.progress_void_hint", classes="muted")
        with Horizontal(classes="actions"):
            yield TButton("label.void_all", id="void-all", variant="error")
            yield TButton("label.key_logout", id="logout")
        yield T("label.progress_howto", classes="muted")

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        session = self.app.session
        if session is None:
            return
        self.call(self.app.services.progress.progress, session.contact.digest, done=self.show)

    def show(self, rows: list[ProgressRow]) -> None:
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

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button == "reload":
            self.reload()
        elif button == "add":
            from screens.student import StudentScreen

            self.app.push_screen(StudentScreen())
        elif button == "logout":
            self.app.wipe()
        elif button == "void-all":
            self.app.push_screen(Confirm("label.void_all_confirm"), self._void_all)
        elif button.startswith("cancel-"):
            number = button.removeprefix("cancel-")
            self.app.push_screen(
                Confirm("label.cancel_confirm", number=number), lambda ok: self._cancel(ok, number)
            )

    def _cancel(self, ok: bool | None, number: str) -> None:
        if ok:
            contact = self.app.session.contact.digest
            self.call(self.app.services.progress.cancel, contact, number,
                      done=lambda _: self.after("label.cancelled", number=number))  # fmt: skip

    def _void_all(self, ok: bool | None) -> None:
        if ok:
            contact = self.app.session.contact.digest
            self.call(self.app.services.progress.void_all, contact,
                      done=lambda n: self.after("label.voided", count=n))  # fmt: skip

    def after(self, key: str, **params: object) -> None:
        self.notify(self.app.tr(key, **params))
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """There is no step before the progress page: going back would re-open step 1."""
        return action != "back"
