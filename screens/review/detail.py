"""One application beside the roster's record (R18, R28): what matches is marked ✓, what does not
✗, in colour and in words. A guardian's application lists the papers to see (R27). Approve (R19),
or approve and open the next one waiting, or reject with a reason picked from a list or typed;
each asks first, naming the student and the applicant, and approving warns when the signed paper
form has not arrived (where the school requires it, approval waits for it). A decided
application is read-only, except that staff can end the binding an approval made (R35)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from app.errors import InvalidInput, QinziError, RuleRefused
from app.models import Status
from app.services.approval import Decision
from app.services.review_views import ApplicationDetail, BindingState
from app.tui import FlowMessage
from screens.base import Place
from screens.review.base import Fact, ReviewScreen, fact, local
from screens.widgets.checkbox import TCheckbox
from screens.widgets.confirm import Confirm
from screens.widgets.end_binding import EndBinding, binding_line
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton, relationship_text
from screens.widgets.paragraph import Paragraph

REASONS = ("name", "relationship", "paper", "documents", "mobile")
WITHDRAWN = (Status.CANCELLED, Status.VOIDED)


class DetailScreen(ReviewScreen):
    BINDINGS = [
        Binding("a", "approve", "label.staff.key_approve", id="approve"),
        Binding("n", "approve(True)", "label.review_day.key_approve_next", id="approve-next"),
        Binding("r", "reject", "label.staff.key_reject", id="reject"),
        Binding("p", "paper", "label.staff.key_paper", id="paper"),
        Binding("e", "end_binding", "label.review_day.key_end_binding", id="end-binding"),
        Binding("escape", "back", "label.key_back", id="back"),
    ]

    @dataclass
    class OpenNext(FlowMessage):
        """Approved; the next application waiting for this staff member is `number`."""

        number: str

    def __init__(self, place: Place, number: str, detail: ApplicationDetail | None = None) -> None:
        super().__init__(place)
        self.number = number
        self.detail = detail

    def compose_body(self) -> ComposeResult:
        yield T("label.staff.detail_title", id="detail-title", classes="title", number=self.number)
        yield Paragraph("", id="detail-state")
        with Horizontal(id="detail-sides"):
            with Vertical(classes="side"):
                yield T("label.staff.side_application", classes="side-title")
                yield Vertical(id="facts-application", classes="facts")
            with Vertical(classes="side"):
                yield T("label.staff.side_roster", classes="side-title")
                yield Vertical(id="facts-roster", classes="facts")
        with Vertical(id="documents"):
            yield T("documents.title", classes="side-title")
            yield Vertical(id="documents-list")
            checkbox = TCheckbox("label.staff.documents_checked", id="documents-checked")
            yield Field("documents_checked", "label.staff.documents_field", checkbox)
        yield T("label.staff.it_may_not_decide", id="it-may-not-decide", classes="hint")
        with Vertical(id="decision"):
            yield Field(
                "reason",
                "label.staff.reason",
                Select([], id="reason-preset", compact=True),
                Input(id="reason", compact=True, max_length=200),
                hint_key="label.staff.reason_hint",
            )
            yield T("label.review_day.paper_required_hint", id="paper-required", classes="muted")
            with Horizontal(classes="actions"):
                yield TButton("label.staff.approve", id="approve", variant="success")
                yield TButton("label.review_day.approve_next", id="approve-next",
                              variant="success")  # fmt: skip
                yield TButton("label.staff.reject", id="reject", variant="error")
                yield TButton("label.staff.paper", id="paper")
        yield EndBinding(id="ending")

    def setup(self) -> None:
        self.query_one("#documents").display = False
        self.query_one("#decision").display = False
        self.query_one("#it-may-not-decide").display = False
        self.query_one("#ending").display = False
        self.watch(self.app, "lang", self._relabel)
        if self.detail is None:
            self.load()

    def _relabel(self, lang: str) -> None:
        tr = self.tr
        preset = self.query_one("#reason-preset", Select)
        preset.set_options([(tr(f"label.staff.reason_short_{k}"), k) for k in REASONS])
        preset.prompt = tr("label.staff.reason_pick")
        self.query_one("#reason", Input).placeholder = tr("label.staff.reason_placeholder")
        if self.detail is not None:
            self.show(self.detail)

    def load(self) -> None:
        self.call(self.review.detail, self.staff, self.number, done=self.show, failed=self.refused)

    def refused(self, error: QinziError) -> None:
        """R18: a number this teacher may not open shows nothing of it."""
        self.notify(error.message(self.app.lang), severity="error", timeout=8)
        self.leave()

    # --- showing ------------------------------------------------------------------------------

    def show(self, d: ApplicationDetail) -> None:
        self.detail = d
        tr = self.tr
        self.query_one("#detail-state", Static).update(self.state_line(d))
        self.query_one("#detail-state").set_classes(f"-{d.status}")
        for box, facts in (("#facts-application", self.application_facts(d)),
                           ("#facts-roster", self.roster_facts(d))):  # fmt: skip
            container = self.query_one(box, Vertical)
            container.remove_children()
            container.mount_all([fact(*f) for f in facts])
        pending = d.status == Status.PENDING
        docs = self.query_one("#documents")
        docs.display = bool(d.required_documents)
        listing = self.query_one("#documents-list", Vertical)
        listing.remove_children()
        listing.mount_all([Paragraph(f"・{tr(key)}") for key in d.required_documents])
        box = self.query_one("#documents-checked", TCheckbox)
        box.value = box.value or d.documents_checked
        box.disabled = not pending or d.documents_checked
        self.query_one("#decision").display = pending and d.may_decide
        self.query_one("#it-may-not-decide").display = pending and not d.may_decide
        self.query_one("#paper-required").display = pending and d.paper_required
        self.query_one("#ending").display = self.check_action("end_binding", ()) is True
        self.query_one("#paper").display = self.check_action("paper", ()) is True
        self.refresh_bindings()

    def state_line(self, d: ApplicationDetail) -> str:
        tr = self.tr
        status = tr(f"label.staff.status_{d.status}")
        if d.status == Status.APPROVED and d.decided_automatically:
            return tr("label.staff.state_auto", status=status, when=local(d.decided_at))
        if d.status in (Status.APPROVED, Status.REJECTED):
            line = tr("label.staff.state_decided", status=status, who=d.decided_by or "",
                      when=local(d.decided_at))  # fmt: skip
            if d.reject_reason:
                line += "\n" + tr("label.staff.state_reason", reason=d.reject_reason)
            return line
        if d.status in WITHDRAWN:
            return tr("label.staff.state_withdrawn", status=status)
        return tr("label.staff.state_pending", status=status, when=local(d.submitted_at))

    def application_facts(self, d: ApplicationDetail) -> list[Fact]:
        tr = self.tr
        names = [g for g in d.guardians]
        mobiles = [g for g in d.guardians if g.mobile]
        name_state = "" if not names else "ok" if any(g.name_matches for g in names) else "bad"
        mobile_state = "" if not mobiles else (
            "ok" if any(g.mobile_matches for g in mobiles) else "bad"
        )  # fmt: skip
        relationship = relationship_text(tr, d.relationship, d.relationship_note)
        paper = local(d.paper_received_at) or tr("label.staff.paper_missing")
        return [
            ("label.staff.f_student", f"{d.student_name}  {d.student_id_masked}", ""),
            ("label.staff.f_school", d.school_name, ""),
            ("label.staff.f_classroom", d.classroom_name, ""),
            ("label.staff.f_level", tr(f"level.{d.level}"), ""),
            ("label.staff.f_relationship", relationship, ""),
            ("label.staff.f_parent", f"{d.parent_name}  {d.parent_id_masked}", name_state),
            ("label.staff.f_email", d.email, ""),
            ("label.staff.f_mobile", d.mobile, mobile_state),
            ("label.staff.f_submitted", f"{local(d.submitted_at)}  {d.terminal_id}", ""),
            ("label.staff.f_consent", f"{d.consent_version}  {local(d.consent_at)}", ""),
            ("label.staff.f_signed", tr("label.staff.signed_intact" if d.content_intact
                                        else "label.staff.signed_changed",
                                        when=local(d.signed_at)),
             "ok" if d.content_intact else "bad"),
            *self.signed_name_facts(d),
            ("label.staff.f_paper", paper, "ok" if d.paper_received_at else ""),
            *self.binding_facts(d.binding),
        ]  # fmt: skip

    def signed_name_facts(self, d: ApplicationDetail) -> list[Fact]:
        """Issue 16: a parent with an account signed with a name that is not the account's."""
        if not d.signed_name:
            return []
        text = self.tr("label.staff.signed_name_differs", name=d.signed_name)
        return [("label.staff.f_signed_name", text, "bad")]

    def binding_facts(self, b: BindingState | None) -> list[Fact]:
        """R35: whether the approval's binding is live, or who ended it, when and why."""
        if b is None:
            return []
        return [("label.review_day.f_binding", *binding_line(self.tr, b, local(b.ended_at)))]

    def roster_facts(self, d: ApplicationDetail) -> list[Fact]:
        tr = self.tr
        r = d.roster
        if r is None:
            return []

        def state(ok: bool) -> str:
            return "ok" if ok else "bad"

        facts: list[Fact] = [
            ("label.staff.f_student", f"{r.student_name}  {r.student_id_masked}", "ok"),
            ("label.staff.f_school", r.school_name, state(r.school_matches)),
            ("label.staff.f_classroom", r.classroom_name, state(r.classroom_matches)),
            ("label.staff.f_level", tr(f"level.{r.level}"), state(r.level_matches)),
            ("label.staff.f_active", tr("label.staff.yes" if r.active else "label.staff.no"),
             state(r.active)),
        ]  # fmt: skip
        # A guardian who is not the applicant is no fault when another one is.
        anyone = any(g.name_matches or g.mobile_matches for g in d.guardians)
        for g in d.guardians:
            both = g.name_matches and (g.mobile_matches or not g.mobile)
            some = g.name_matches or g.mobile_matches
            text = f"{g.name}  {g.mobile or tr('label.staff.no_mobile')}"
            mark = "ok" if both else "" if some or anyone else "bad"
            facts.append(("label.staff.f_guardian", text, mark))
        if not d.guardians:
            facts.append(("label.staff.f_guardian", tr("label.staff.no_guardians"), ""))
        match_key = "label.staff.match_flag_yes" if d.roster_match else "label.staff.match_flag_no"
        facts.append(("label.staff.f_match", tr(match_key), "ok" if d.roster_match else ""))
        return facts

    # --- deciding -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        d = self.detail
        if action in ("approve", "reject"):
            return d is not None and d.status == Status.PENDING and d.may_decide
        if action == "end_binding":
            return d is not None and d.binding is not None and d.binding.active
        if action == "paper":
            return d is not None and d.status not in WITHDRAWN and d.paper_received_at is None
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#approve")
    def approve_pressed(self) -> None:
        self.action_approve()

    @on(Button.Pressed, "#approve-next")
    def approve_next_pressed(self) -> None:
        self.action_approve(True)


    @on(Button.Pressed, "#reject")
    @on(Input.Submitted, "#reason")
    def reject_pressed(self) -> None:
        self.action_reject()

    @on(Button.Pressed, "#paper")
    def paper_pressed(self) -> None:
        self.action_paper()

    @on(Select.Changed, "#reason-preset")
    def reason_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            reason = self.query_one("#reason", Input)
            reason.value = self.tr(f"label.staff.reason_{event.value}")
            reason.focus()

    def who(self) -> dict[str, str]:
        d = self.detail
        assert d is not None
        relationship = self.tr(f"relationship.{d.relationship}")
        return {"number": d.number, "student": d.student_name, "parent": d.parent_name,
                "relationship": relationship, "classroom": d.classroom_name}  # fmt: skip

    def action_approve(self, then_next: bool = False) -> None:
        d = self.detail
        if d is None or self.check_action("approve", ()) is not True:
            return
        self.clear_errors()
        checked = self.query_one("#documents-checked", TCheckbox).value
        if d.required_documents and not (checked or d.documents_checked):
            self.show_error(RuleRefused("errors.review.documents_unchecked",
                                        field="documents_checked"))  # fmt: skip
            self.query_one("#documents-checked").focus()
            return
        if d.paper_required and d.paper_received_at is None:
            # The service refuses too; asking it first would only cost a round trip.
            self.show_error(RuleRefused("errors.review_day.paper_required", number=d.number))
            return
        key = "label.staff.approve_confirm"
        if d.paper_received_at is None:  # the seed asks for the signed paper: say it is missing
            key = "label.review_day.approve_confirm_no_paper"
        confirm = Confirm(key, "label.staff.approve_yes", **self.who())
        self.app.push_screen(confirm, lambda ok: self._approve(ok, checked, then_next))

    def _approve(self, ok: bool | None, checked: bool, then_next: bool = False) -> None:
        if ok:
            done = self.decided_then_next if then_next else self.decided
            self.call(self.review.approve, self.staff, self.number, documents_checked=checked,
                      done=done)  # fmt: skip

    def decided_then_next(self, decision: Decision) -> None:
        self.notify(self.tr("label.staff.approved", **self.who()))
        self.call(self.review.next_pending, self.staff, decision.number, done=self._next)

    def _next(self, number: str | None) -> None:
        if number is None:
            self.notify(self.tr("label.review_day.next_none"))
            self.leave()
        else:
            self.tell(self.OpenNext(number))

    # --- ending the binding (R35) ---------------------------------------------------------------

    def action_end_binding(self) -> None:
        if self.check_action("end_binding", ()) is True:
            self.query_one(EndBinding).submit()

    @on(EndBinding.Chosen)
    def end_chosen(self, message: EndBinding.Chosen) -> None:
        if self.check_action("end_binding", ()) is not True:
            return
        reason = message.reason
        text = self.tr(f"label.review_day.end_reason_{reason}")
        confirm = Confirm("label.review_day.end_confirm", "label.review_day.end_yes",
                          reason=text, **self.who())  # fmt: skip
        self.app.push_screen(confirm, lambda ok: self._end(ok, reason))

    def _end(self, ok: bool | None, reason: str) -> None:
        if ok:
            self.call(self.services.unbinding.end, self.staff, self.number, reason,
                      done=lambda _: self._ended())  # fmt: skip

    def _ended(self) -> None:
        self.notify(self.tr("label.review_day.ended", **self.who()))
        self.load()

    def action_reject(self) -> None:
        if self.check_action("reject", ()) is not True:
            return
        self.clear_errors()
        reason = " ".join(self.query_one("#reason", Input).value.split())
        if not reason:
            self.show_error(InvalidInput("errors.review.reason_required", field="reason"))
            self.query_one("#reason").focus()
            return
        confirm = Confirm("label.staff.reject_confirm", "label.staff.reject_yes", reason=reason,
                          **self.who())  # fmt: skip
        self.app.push_screen(confirm, lambda ok: self._reject(ok, reason))

    def _reject(self, ok: bool | None, reason: str) -> None:
        if ok:
            self.call(self.review.reject, self.staff, self.number, reason, done=self.decided)

    def decided(self, decision: Decision) -> None:
        approved = decision.status == Status.APPROVED
        key = "label.staff.approved" if approved else "label.staff.rejected"
        self.notify(self.tr(key, **self.who()))
        self.leave()

    def action_paper(self) -> None:
        if self.check_action("paper", ()) is True:
            self.call(self.review.mark_paper_received, self.staff, self.number,
                      done=lambda _: self._paper_marked())  # fmt: skip

    def _paper_marked(self) -> None:
        self.notify(self.tr("label.staff.paper_marked", **self.who()))
        self.load()
