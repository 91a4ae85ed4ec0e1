"""Step 4 填寫家長資料: the parent's ID and 驗證; a parent who already has an account sees its
details masked and applies with them; anyone else types name, e-mail (the future login) and
mobile. The electronic signature is the full name typed again (R16). 送出資料 writes every
application of the session (R11–R16); each refusal shows beside its field, nothing typed is lost."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from app.codes import Channel
from app.errors import QinziError
from app.identity import mask_contact, mask_name, national_mobile
from app.services.kiosk import ParentDetails, Prefill, SessionAnswer, Submitted
from app.tui import FlowMessage
from screens.base import SESSION, KioskScreen
from screens.widgets.confirm import Confirm
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton

# Refusals that mean "you already have an account" (seed FAQ 二 Q2, Q4): R13, R15. They come
# with a one-key way to 家長登入 and 忘記密碼. (R12, a student's e-mail, is not one: issue 16.)
ACCOUNT_HELP = frozenset(
    {
        "errors.application.email_has_account",
        "errors.application.already_bound",
    }
)


class ParentScreen(KioskScreen):
    AUTO_FOCUS = "#parent-id"
    DRAFT = ("parent-id", "name", "email", "mobile", "signature")
    BINDINGS = [
        Binding("f6", "help('login')", "label.parent_login", id="help-login"),
        Binding("f7", "help('forgot')", "label.forgot_password", id="help-forgot"),
    ]

    @dataclass
    class Sent(FlowMessage):
        """送出資料 went through: one application per student."""

        submitted: list[Submitted]

    @dataclass
    class HelpWanted(FlowMessage):
        """The parent has an account after all: "login" or "forgot"."""

        what: str

    prefill: Prefill | None = None
    verified_id: str | None = None

    def compose_body(self) -> ComposeResult:
        yield T("label.parent_step.title", classes="title")
        yield T("label.parent_step.lead", classes="lead")
        yield Field(
            "parent_id",
            "label.parent_step.parent_id",
            Horizontal(
                Input(id="parent-id", max_length=20),
                TButton("label.wizard.check", id="check-parent", tab_stop=False),
                classes="input-row",
            ),
            T("", id="parent-id-ok", classes="field-ok"),
        )
        with Vertical(id="details"):
            with Vertical(id="account-box"):
                yield T("label.parent_step.account_found", classes="lead")
                yield T("", id="account-details")
            yield Field("name", "label.parent_step.name", Input(id="name", max_length=50))
            yield Field("email", "label.parent_step.email", Input(id="email", max_length=254),
                        hint_key="label.parent_step.email_hint")  # fmt: skip
            yield Field("mobile", "label.parent_step.mobile", Input(id="mobile", max_length=20),
                        hint_key="label.parent_step.mobile_hint")  # fmt: skip
            yield Field("signature", "label.parent_step.signature",
                        Input(id="signature", max_length=60),
                        hint_key="label.parent_step.signature_hint")  # fmt: skip
        with Horizontal(id="account-help", classes="actions"):
            yield TButton("label.parent_step.help_login", id="help-login")
            yield TButton("label.parent_step.help_forgot", id="help-forgot")
        with Horizontal(id="pending-help", classes="actions"):
            yield TButton("label.parent_step.help_progress", id="help-progress")
        yield T("label.parent_step.verify_first", id="verify-first", classes="muted")
        with Horizontal(classes="actions"):
            yield TButton("label.wizard.back", id="back")
            yield TButton("label.parent_step.submit", id="submit", variant="primary")

    def setup(self) -> None:
        self.query_one("#account-help").display = False
        self.query_one("#pending-help").display = False
        self.watch(self.app, "lang", self._relabel)
        self.refresh_state()
        typed = self.query_one("#parent-id", Input).value
        if typed and self.draft.get("verified-id") == typed:
            self.verify()  # verified before going back: show the same form again

    def _relabel(self, lang: str) -> None:
        for name, key in (("#parent-id", "label.parent_step.id_placeholder"),
                          ("#email", "label.parent_step.email_placeholder"),
                          ("#mobile", "label.parent_step.mobile_placeholder")):  # fmt: skip
            self.query_one(name, Input).placeholder = self.tr(key)

    def refresh_state(self) -> None:
        prefill = self.prefill
        account = prefill is not None and prefill.account_exists
        self.query_one("#details").display = prefill is not None
        self.query_one("#verify-first").display = prefill is None
        self.query_one("#submit").disabled = prefill is None
        self.query_one("#account-box").display = account
        self.query_one("#field-name").display = not account
        self.query_one("#field-email").display = not account
        self.query_one("#field-mobile").display = not (account and prefill.mobile_masked)
        ok = self.query_one("#parent-id-ok", T)
        ok.display = prefill is not None
        if prefill is None:
            return
        ok.set("label.parent_step.id_ok", masked=prefill.parent_id_masked)
        signature_hint = self.query_one("#field-signature .field-hint", T)
        if account:
            self.query_one("#account-details", T).set(
                "label.parent_step.account_details",
                name=mask_name(prefill.name or ""),
                email=prefill.email_masked or "",
                mobile=prefill.mobile_masked or "—",
            )
            signature_hint.set("label.parent_step.signature_hint_account")
        else:
            signature_hint.set("label.parent_step.signature_hint")

    # --- what the parent does ------------------------------------------------------------------

    @on(Input.Changed, "#parent-id")
    def id_changed(self, event: Input.Changed) -> None:
        # Another ID after 驗證: its account may differ, so 驗證 again.
        if self.prefill and event.value != self.verified_id:
            self.prefill = self.verified_id = None
            self.refresh_state()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "parent-id":
            self.verify()
        elif event.input.id == "signature":
            self.submit()
        else:
            self.focus_next_empty(event.input)

    def focus_next_empty(self, after: Input) -> None:
        """Enter moves on to the next field still empty (issue 16: the e-mail verified at step 1
        is filled in already); Tab still visits every field."""
        order = [self.query_one(f"#{name}", Input) for name in self.DRAFT]
        later = order[order.index(after) + 1:] if after in order else []
        target = next((i for i in later if not i.value and i.display and not i.disabled), None)
        if target is None:
            self.focus_next()
        else:
            target.focus()

    @on(Button.Pressed, "#back")
    def back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#help-login")
    def help_login_pressed(self) -> None:
        self.action_help("login")

    @on(Button.Pressed, "#help-forgot")
    def help_forgot_pressed(self) -> None:
        self.action_help("forgot")

    @on(Button.Pressed, "#help-progress")
    def help_progress_pressed(self) -> None:
        """R15's refusal says the application waits: the way to see it (issue 16)."""
        self.action_help("progress")

    # --- the way to an existing account (R12, R13, R15) -----------------------------------------

    def show_error(self, error: QinziError) -> None:
        super().show_error(error)
        self.query_one("#account-help").display = error.key in ACCOUNT_HELP
        self.query_one("#pending-help").display = error.key == "errors.application.already_pending"
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help":
            return self.query_one("#account-help").display
        return super().check_action(action, parameters)

    def action_help(self, what: str) -> None:
        self.tell(self.HelpWanted(what))

    # --- 驗證 and 送出資料 -----------------------------------------------------------------------

    @on(Button.Pressed, "#check-parent")
    def verify(self) -> None:
        self.clear_errors()
        typed = self.query_one("#parent-id", Input).value
        self.call(self.services.applications.parent_prefill, SESSION, typed,
                  done=lambda answer: self._verified(typed, answer))  # fmt: skip

    def _verified(self, typed: str, answer: SessionAnswer[Prefill]) -> None:
        if typed != self.query_one("#parent-id", Input).value:
            return  # changed while we looked
        prefill = answer.value
        self.prefill, self.verified_id = prefill, typed
        self.draft["verified-id"] = typed
        self.refresh_state()
        if not prefill.account_exists:
            self.prefill_contact()
        first = "#name"
        if prefill.account_exists:
            first = "#signature" if prefill.mobile_masked else "#mobile"
        self.call_after_refresh(lambda: self.query_one(first).focus())

    def prefill_contact(self) -> None:
        """Issue 16: the e-mail or mobile proved in step 1 is not typed twice; it stands in its
        field, where the parent may change it (R37: either contact opens the progress page)."""
        contact = self.session.contact if self.session is not None else None
        if contact is None:
            return
        name, value = (("#email", contact.value) if contact.channel == Channel.EMAIL
                       else ("#mobile", national_mobile(contact.value)))  # fmt: skip
        box = self.query_one(name, Input)
        if not box.value:
            box.value = value

    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        if self.prefill is None:
            return
        self.clear_errors()
        self.query_one("#account-help").display = False
        value = {name: self.query_one(f"#{name}", Input).value for name in self.DRAFT}
        details = ParentDetails(value["parent-id"], value["name"], value["email"], value["mobile"])
        # Issue 16: Enter in the signature sent every application at once, unseen; 確認送出
        # first shows what goes, with the parent's data masked (R9).
        confirm = Confirm("label.parent_step.confirm_summary", "label.parent_step.confirm_send",
                          destructive=False, **self.summary(details))  # fmt: skip
        self.app.push_screen(confirm, lambda ok: self._send(ok, details, value["signature"]))

    def summary(self, details: ParentDetails) -> dict[str, str]:
        tr = self.tr
        session = self.session
        children = tr("format.list_separator").join(
            tr("format.name_with_relationship", name=c.card.name_masked,
               relationship=tr(f"relationship.{c.relationship}"))
            for c in (session.students if session is not None else ())
        )  # fmt: skip
        def masked(value: str) -> str:
            return mask_contact(value.strip()) if value.strip() else ""

        prefill = self.prefill
        if prefill is not None and prefill.account_exists:
            name, email = prefill.name or "", prefill.email_masked or ""
            mobile = prefill.mobile_masked or masked(details.mobile)
        else:
            name, email = details.name.strip(), masked(details.email)
            mobile = masked(details.mobile)
        return {"children": children, "name": mask_name(name), "email": email or "—",
                "mobile": mobile or "—"}  # fmt: skip

    def _send(self, ok: bool | None, details: ParentDetails, signature: str) -> None:
        if ok:
            self.call(self.services.applications.submit, SESSION, details, signature,
                      done=self._sent)  # fmt: skip

    def _sent(self, answer: SessionAnswer[list[Submitted]]) -> None:
        # The parent's details stay for another round of students; the signature does not.
        self.draft.pop("signature", None)
        self.tell(self.Sent(list(answer.value)))
