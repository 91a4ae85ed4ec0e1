"""A logged-in parent's page: the bound children (masked: a shared kiosk screen, R9), the
applications still open (a refused one with its reason) and 下載留存 of their forms, binding
another child with no new code, a new e-mail or mobile (R21), the unbinding request (R29), and
登出 (R22). It is the top of a logged-in parent's pages: 登出 leaves it, not Esc."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from app.clock import to_local
from app.errors import SessionEnded
from app.models import Status
from app.services.accounts import AccountProfile, BoundChild
from app.services.contacts import VerifiedContact
from app.services.kiosk import ProgressRow
from app.tui import FlowMessage
from screens.base import KioskScreen, LogOut
from screens.widgets.confirm import Confirm
from screens.widgets.form_download import REPRINTED, FormDownload
from screens.widgets.i18n import T, TButton


class AccountHomeScreen(KioskScreen):
    @dataclass
    class BindAnother(FlowMessage):
        """新增綁定學生 with the login standing for step 1's code."""

        contact: VerifiedContact

    class ChangePassword(FlowMessage):
        """變更密碼."""

    class ChangeContact(FlowMessage):
        """變更電子郵件或手機."""

    def compose_body(self) -> ComposeResult:
        yield T("label.home_title", classes="title")
        yield T("", id="profile", classes="lead")
        yield T("label.home_children", classes="section")
        yield Vertical(id="children")
        yield T("label.home_open", classes="section")
        yield Vertical(id="open")
        with Horizontal(id="reprint-row", classes="actions"):
            yield FormDownload(notices=REPRINTED)
        with Horizontal(classes="actions"):
            yield TButton("label.add_student", id="bind-another", variant="primary")
            yield TButton("label.home_change_contact", id="change-contact")
        with Horizontal(classes="actions"):
            yield TButton("label.home_change_password", id="change-password")
            yield TButton("label.key_logout", id="logout")

    def on_screen_resume(self) -> None:
        """Shown first, or again after a change of password or contact: loaded once (a second
        load from setup raced this one and could leave the page half drawn)."""
        self.reload()

    def reload(self) -> None:
        login = self.login
        if login is None:
            return
        services = self.services

        def load() -> tuple[AccountProfile, list[BoundChild], list[ProgressRow]]:
            if not services.accounts.session_valid(login.account_id, login.session_epoch):
                raise SessionEnded("errors.login.session_ended")
            return (
                services.accounts.profile(login.account_id),
                services.accounts.children(login.account_id),
                services.progress.open_applications_of(login.account_id),
            )

        self.call(load, done=self.show)

    def show(self, loaded: tuple[AccountProfile, list[BoundChild], list[ProgressRow]]) -> None:
        profile, children, open_rows = loaded
        self.query_one("#profile", T).set("label.home_profile", name=profile.name,
                                          email=profile.email_masked,
                                          mobile=profile.mobile_masked or "—")  # fmt: skip
        box = self.query_one("#children", Vertical)
        box.remove_children()
        if not children:
            box.mount(T("label.home_no_children", classes="muted"))
        for child in children:
            line = T("label.home_child", classes="progress-student", name=child.student_name,
                     school=child.school_name, classroom=child.class_name,
                     since=f"{to_local(child.since):%Y-%m-%d}")  # fmt: skip
            if child.unbind_pending:
                state = T("label.home_unbind_pending", classes="progress-status -pending")
            else:
                state = TButton("label.home_unbind", id=f"unbind-{child.binding_id}",
                                variant="warning", classes="unbind")  # fmt: skip
            box.mount(Horizontal(line, state, classes="progress-row"))
        self.query_one(FormDownload).show_numbers([row.number for row in open_rows])
        self.query_one("#reprint-row").display = bool(open_rows)  # nothing to print, no button
        rows = self.query_one("#open", Vertical)
        rows.remove_children()
        if not open_rows:
            rows.mount(T("label.home_no_open", classes="muted"))
        for row in open_rows:
            line = T("label.home_open_row", classes="progress-student",
                     name=row.student_name_masked, school=row.school_name,
                     classroom=row.classroom_name, number=row.number)  # fmt: skip
            badge = T(f"status.{row.status}", classes=f"progress-status -{row.status}")
            item = Horizontal(line, badge, classes="progress-row")
            if row.status == Status.REJECTED and row.reject_reason:
                reason = T("label.progress_reason", classes="progress-reason",
                           reason=row.reject_reason)  # fmt: skip
                rows.mount(Vertical(item, reason, classes="progress-item"))
            else:
                rows.mount(item)

    # --- what the parent does ------------------------------------------------------------------

    @on(Button.Pressed, "#logout")
    def logout_pressed(self) -> None:
        self.tell(LogOut())

    @on(Button.Pressed, "#change-password")
    def change_password_pressed(self) -> None:
        self.tell(self.ChangePassword())

    @on(Button.Pressed, "#change-contact")
    def change_contact_pressed(self) -> None:
        self.tell(self.ChangeContact())

    @on(Button.Pressed, "#bind-another")
    def bind_another_pressed(self) -> None:
        if self.login is not None:
            self.call(self.services.accounts.verified_contact, self.login.account_id,
                      done=lambda contact: self.tell(self.BindAnother(contact)))  # fmt: skip

    @on(Button.Pressed, ".unbind")
    def unbind_pressed(self, event: Button.Pressed) -> None:
        binding_id = int((event.button.id or "0").removeprefix("unbind-"))
        confirm = Confirm("label.home_unbind_confirm", "label.home_unbind_yes",
                          no_key="label.home_unbind_keep")  # fmt: skip
        self.app.push_screen(confirm, lambda ok: self.unbind(ok, binding_id))

    def unbind(self, ok: bool | None, binding_id: int) -> None:
        if ok and self.login is not None:
            self.call(self.services.unbinding.request, self.login.account_id, binding_id,
                      done=lambda _: self.after_unbind())  # fmt: skip

    def after_unbind(self) -> None:
        self.notify(self.tr("label.home_unbind_sent"))
        self.reload()
