"""Changing the password; forced at the first login with the initial one (R19, R20). The rules are
shown before typing, and each refusal says which rule in plain words."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from screens.base import KioskScreen
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class ChangePasswordScreen(KioskScreen):
    def __init__(self, *, forced: bool = False) -> None:
        super().__init__()
        self.forced = forced

    def compose_body(self) -> ComposeResult:
        yield T("label.password_title", classes="title")
        if self.forced:
            yield T("label.password_forced", classes="lead")
        yield T("label.password_rules", classes="muted")
        current = "label.password_initial" if self.forced else "label.password_current"
        yield Field("current_password", current, Input(id="current", password=True))
        yield Field("new_password", "label.password_new", Input(id="new", password=True))
        yield Field("new_password_again", "label.password_again", Input(id="again", password=True))
        with Horizontal(classes="actions"):
            yield TButton("label.password_save", id="save", variant="primary")
            if not self.forced:
                yield TButton("label.cancel", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#current").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["current", "new", "again"]
        index = order.index(event.input.id)
        if index < 2:
            self.query_one(f"#{order[index + 1]}").focus()
        else:
            self.save()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.save()
        else:
            self.leave()

    def save(self) -> None:
        self.clear_errors()
        self.call(
            self.app.services.accounts.change_password,
            self.app.account.account_id,
            self.query_one("#current", Input).value,
            self.query_one("#new", Input).value,
            self.query_one("#again", Input).value,
            done=self.saved,
        )

    def saved(self, _: object) -> None:
        self.notify(self.app.tr("label.password_saved"))
        from screens.account.home import AccountHomeScreen

        if self.forced:
            self.replace_with(AccountHomeScreen())
        else:
            self.leave()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and self.forced:
            return False  # R19: the initial password can never be kept
        return super().check_action(action, parameters)
