"""A logged-in parent's page: the bound children (masked: a shared kiosk screen, R9), the
applications still open, binding another child with no new code, a new e-mail or mobile (R21), the
unbinding request (R29), and 登出 (R22)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from app.clock import to_local
from app.errors import SessionEnded
from app.services.account_children import BoundChild
from app.services.accounts import AccountProfile
from app.services.kiosk import KioskSession, ProgressRow
from screens.base import KioskScreen
from screens.widgets.confirm import Confirm
from screens.widgets.i18n import T, TButton


class AccountHomeScreen(KioskScreen):
    def compose_body(self) -> ComposeResult:
        yield T("label.home_title", classes="title")
        yield T("", id="profile", classes="lead")
        yield T("label.home_children", classes="section")
        yield Vertical(id="children")
        yield T("label.home_open", classes="section")
        yield Vertical(id="open")
        with Horizontal(classes="actions"):
            yield TButton("label.add_student", id="bind-another", variant="primary")
            yield TButton("label.home_change_contact", id="change-contact")
        with Horizontal(classes="actions"):
            yield TButton("label.home_change_password", id="change-password")
            yield TButton("label.key_logout", id="logout")

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        login = self.app.account
        if login is None:
            return
        accounts = self.app.services.accounts

        def load():
            if not accounts.session_valid(login.account_id, login.session_epoch):
                raise SessionEnded("errors.login.session_ended")
            return (
                accounts.profile(login.account_id),
                accounts.children(login.account_id),
                self.app.services.progress.open_applications_of(login.account_id),
            )

        self.call(load, done=self.show)

    def show(self, loaded: tuple[AccountProfile, list[BoundChild], list[ProgressRow]]) -> None:
        profile, children, open_rows = loaded
        mobile = profile.mobile_masked or "—"
        self.query_one("#profile", T).set(
            "label.home_profile", name=profile.name, email=profile.email_masked, mobile=mobile
        )
        box = self.query_one("#children", Vertical)
        box.remove_children()
        if not children:
            box.mount(T("label.home_no_children", classes="muted"))
        for child in children:
            since = f"{to_local(child.since):%Y-%m-%d}"
            line = T(
                "label.home_child",
                classes="progress-student",
                name=child.student_name,
                school=child.school_name,
                classroom=child.class_name,
                since=since,
            )
            parts = [line]
            if child.unbind_pending:
                parts.append(T("label.home_unbind_pending", classes="progress-status -pending"))
            else:
                parts.append(TButton("label.home_unbind", id=f"unbind-{child.binding_id}",
                                     variant="warning"))  # fmt: skip
            box.mount(Horizontal(*parts, classes="progress-row"))
        rows = self.query_one("#open", Vertical)
        rows.remove_children()
        if not open_rows:
            rows.mount(T("label.home_no_open", classes="muted"))
        for row in open_rows:
            status = row.status
            line = T(
                "label.home_open_row",
                classes="progress-student",
                name=row.student_name_masked,
                school=row.school_name,
                classroom=row.classroom_name,
                number=row.number,
            )
            badge = T(f"status.{status}", classes=f"progress-status -{status}")
            rows.mount(Horizontal(line, badge, classes="progress-row"))

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button == "logout":
            self.app.wipe()
        elif button == "change-password":
            from screens.account.password import ChangePasswordScreen

            self.app.push_screen(ChangePasswordScreen())
        elif button == "change-contact":
            from screens.account.contact_change import ContactChangeScreen

            self.app.push_screen(ContactChangeScreen())
        elif button == "bind-another":
            self.call(
                self.app.services.accounts.verified_contact,
                self.app.account.account_id,
                done=self.bind_another,
            )
        elif button.startswith("unbind-"):
            binding_id = int(button.removeprefix("unbind-"))
            self.app.push_screen(
                Confirm("label.home_unbind_confirm"), lambda ok: self.unbind(ok, binding_id)
            )

    def bind_another(self, contact) -> None:
        self.app.start_session(KioskSession(contact=contact, lang=self.app.lang))
        from screens.student import StudentScreen

        self.app.push_screen(StudentScreen())

    def unbind(self, ok: bool | None, binding_id: int) -> None:
        if ok:
            self.call(
                self.app.services.unbinding.request,
                self.app.account.account_id,
                binding_id,
                done=lambda _: self.after_unbind(),
            )

    def after_unbind(self) -> None:
        self.notify(self.app.tr("label.home_unbind_sent"))
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Home is the top of a logged-in parent's pages; 登出 leaves it, not Esc."""
        return action != "back"
