"""School IT's staff screen (R32, R33): the staff of its own school with their state, and what IT
does for them: invite those without a password, re-invite (a reset: the old password and
sessions end), deactivate, or give a temporary password that must be changed at the first
login. The rules, and the refusal of anyone else's staff, are in services/staff_accounts.py."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input

from app.services.staff import StaffProfile
from app.services.staff_accounts import Invited, StaffRow
from screens.base import Place
from screens.review.base import ReviewScreen, fill_table
from screens.widgets.confirm import Confirm
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton

COLUMNS = ("email", "name", "role", "classes", "state")


class StaffAdminScreen(ReviewScreen):
    AUTO_FOCUS = "#staff-table"
    BINDINGS = [Binding("escape", "back", "label.key_back", id="back")]

    def __init__(self, place: Place) -> None:
        super().__init__(place)
        self.rows: list[StaffRow] = []
        self.school = ""

    def compose_body(self) -> ComposeResult:
        yield T("label.staff_admin.title", id="staff-title", classes="title", school="")
        yield T("label.staff_admin.lead", classes="lead")
        yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="actions"):
            yield TButton("label.staff_admin.invite", id="invite")
            yield TButton("label.staff_admin.invite_all", id="invite-all", variant="primary")
            yield TButton("label.staff_admin.reset", id="reset")
            yield TButton("label.staff_admin.deactivate", id="deactivate", variant="error")
        yield Field("new_password", "label.staff_admin.temporary",
                    Input(id="temporary", password=True))  # fmt: skip
        with Horizontal(classes="actions"):
            yield TButton("label.staff_admin.set_temporary", id="set-temporary")
            yield TButton("label.staff_admin.lift_wait", id="lift-wait")

    def setup(self) -> None:
        self.watch(self.app, "lang", self._relabel)
        self.load()

    def _relabel(self, lang: str) -> None:
        placeholder = self.tr("label.staff_admin.temporary_placeholder")
        self.query_one("#temporary", Input).placeholder = placeholder
        self.show_rows()

    def load(self) -> None:
        staff, services = self.staff, self.services
        if staff is None:
            return

        def job() -> tuple[StaffProfile, list[StaffRow]]:
            return services.staff.profile(staff), services.staff_accounts.members(by=staff)

        self.call(job, done=self.loaded)

    def loaded(self, result: tuple[StaffProfile, list[StaffRow]]) -> None:
        profile, self.rows = result
        self.school = profile.school_name
        self.show_rows()

    def show_rows(self) -> None:
        self.query_one("#staff-title", T).set("label.staff_admin.title", school=self.school)
        tr = self.tr
        columns = [(c, tr(f"label.staff_admin.col_{c}")) for c in COLUMNS]
        rows = [
            (r.email, [r.email, r.name, tr(f"cli.staff.role_{r.role}"), " ".join(r.classes),
                       tr(f"cli.staff.state_{r.state.replace('-', '_')}")])
            for r in self.rows
        ]  # fmt: skip
        table = self.query_one("#staff-table", DataTable)
        cursor = table.cursor_row
        fill_table(table, columns, rows)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))

    def chosen(self) -> str | None:
        table = self.query_one("#staff-table", DataTable)
        if not self.rows or table.cursor_row < 0:
            self.notify(self.tr("label.staff_admin.pick_first"), severity="warning")
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)].email

    # --- what IT does ---------------------------------------------------------------------------

    @on(Button.Pressed, "#invite-all")
    def invite_all(self) -> None:
        self.call(self.services.staff_accounts.invite, by=self.staff, lang=self.app.lang,
                  done=self.invited)  # fmt: skip

    @on(Button.Pressed, "#invite")
    def invite_one(self) -> None:
        email = self.chosen()
        if email:
            self.call(self.services.staff_accounts.invite, [email], by=self.staff,
                      lang=self.app.lang, done=self.invited)  # fmt: skip

    def invited(self, invited: Invited) -> None:
        self.notify(self.tr("label.staff_admin.invited", count=len(invited.emails)))
        self.load()

    @on(Button.Pressed, "#reset")
    def reset(self) -> None:
        """Asked first: the person's password and open session end at once."""
        email = self.chosen()
        if email:
            confirm = Confirm("label.staff_admin.reset_confirm", "label.staff_admin.reset",
                              email=email)  # fmt: skip
            self.app.push_screen(confirm, lambda ok: self._reset(ok, email))

    def _reset(self, ok: bool | None, email: str) -> None:
        if ok:
            self.call(self.services.staff_accounts.reset, email, self.app.lang, by=self.staff,
                      done=lambda _: self.done("label.staff_admin.reset_done", email))  # fmt: skip

    @on(Button.Pressed, "#deactivate")
    def deactivate(self) -> None:
        email = self.chosen()
        if email:
            confirm = Confirm("label.staff_admin.deactivate_confirm",
                              "label.staff_admin.deactivate", email=email)  # fmt: skip
            self.app.push_screen(confirm, lambda ok: self._deactivate(ok, email))

    def _deactivate(self, ok: bool | None, email: str) -> None:
        if ok:
            self.call(self.services.staff_accounts.deactivate, self.staff, email,
                      done=lambda _: self.done("label.staff_admin.deactivated", email))  # fmt: skip

    @on(Input.Submitted, "#temporary")
    @on(Button.Pressed, "#set-temporary")
    def set_temporary(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        email = self.chosen()
        if not email:
            return
        self.clear_errors()
        password = self.query_one("#temporary", Input).value
        self.call(self.services.staff_accounts.set_temporary_password, self.staff, email,
                  password, done=lambda _: self.temporary_set(email))  # fmt: skip

    @on(Button.Pressed, "#lift-wait")
    def lift_wait(self) -> None:
        """Issue 15: a teacher kept out by someone's wrong passwords logs in again at once."""
        email = self.chosen()
        if email:
            self.call(self.services.staff_accounts.lift_wait, email, by=self.staff,
                      done=lambda _: self.done("label.staff_admin.wait_lifted", email))  # fmt: skip

    def temporary_set(self, email: str) -> None:
        self.query_one("#temporary", Input).value = ""
        self.done("label.staff_admin.temporary_done", email)

    def done(self, key: str, email: str) -> None:
        self.notify(self.tr(key, email=email))
        self.load()
