"""The teacher's review queue and decisions (R18, R19, R27, R28).

A homeroom teacher sees and decides only the applications of their own classrooms; school IT sees
the whole school (staff.py's `scope` and `may_see`). Every lookup by number, typed or scanned,
goes through the same check, so a number from another class opens nothing. Approval writes the
account, the binding, the e-mail and the audit event in one transaction: all of them or none."""

from __future__ import annotations

from datetime import datetime

from peewee import fn

from app.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleRefused
from app.identity import mask_name, national_mobile
from app.models import (
    Application,
    Binding,
    Channel,
    Classroom,
    RosterGuardian,
    Status,
    Student,
    Teacher,
)
from app.services.approval import WITHDRAWN, Approver, Decision, ensure_pending
from app.services.audit import teacher_actor
from app.services.contacts import contact_digest
from app.services.context import Context
from app.services.eligibility import bulk_approvable
from app.services.kiosk import content_sha256, required_documents
from app.services.numbers import parse_number
from app.services.paging import page_bounds
from app.services.review_views import (
    ApplicationDetail,
    BindingState,
    GuardianOnFile,
    QueuePage,
    QueueRow,
    RosterRecord,
)
from app.services.staff import (
    StaffIdentity,
    current,
    may_decide,
    may_see,
    scope,
    shown_student_name,
)
from app.text import drop_control, refuse_control

REASON_MAX = 200
QUEUE_STATUSES = (Status.PENDING, Status.APPROVED, Status.REJECTED)
SORTS = {
    "submitted_at": Application.submitted_at,
    "number": Application.number,
    "student": Student.name,
    "classroom": Classroom.name,
    "status": Application.status,
    "relationship": Application.relationship,
    "roster_match": Application.roster_match,
}


def roster_record(app: Application) -> RosterRecord:
    """The application's student as the roster holds them now: a re-import may have moved them
    since the parent applied (R34), and the teacher compares before deciding."""
    student = app.student
    school = student.school
    return RosterRecord(
        student_name=student.name,
        student_id_masked=student.id_masked,
        school_name=school.name,
        classroom_name=student.classroom.name,
        level=school.level,
        active=student.active,
        school_matches=student.school_id == app.school_id,
        classroom_matches=student.classroom_id == app.classroom_id,
        level_matches=school.level == app.level,
    )


def binding_state(app: Application) -> BindingState | None:
    """The binding the approval of `app` made: the live one if there is one, else the latest
    that ended (R29, R34, R35). None before approval."""
    if app.status != Status.APPROVED or app.account_id is None:
        return None
    binding = (
        Binding.select()
        .where(
            (Binding.application == app.id)
            | ((Binding.account == app.account_id) & (Binding.student == app.student_id))
        )
        .order_by(Binding.removed_at.is_null(False), Binding.removed_at.desc(), Binding.id.desc())
        .first()
    )
    if binding is None:
        return None
    ender = Teacher.get_or_none(Teacher.id == binding.ended_by_id) if binding.ended_by_id else None
    return BindingState(
        binding_id=binding.id,
        active=binding.removed_at is None,
        ended_at=binding.removed_at,
        ended_by=ender.name if ender else None,
        end_reason=binding.end_reason,
    )


def _bulk_approvable(app: Application) -> bool:
    return bulk_approvable(
        status=app.status,
        roster_match=app.roster_match,
        needs_documents=bool(required_documents(app.relationship)),
        documents_checked=app.documents_checked,
    )


class ReviewService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._approver = Approver(ctx)

    def _authorized(self, staff: StaffIdentity, raw_number: str) -> Application:
        number = parse_number(raw_number)
        if number is None:
            raise InvalidInput("errors.review.number_invalid", field="number")
        app = Application.get_or_none(Application.number == number)
        if app is None:
            raise NotFound("errors.review.not_found", field="number")
        if not may_see(staff, app.school_id, app.classroom_id):
            raise Forbidden(field="number")
        return app

    def _may_decide(self, staff: StaffIdentity, app: Application) -> bool:
        return may_decide(
            staff, app.school_id, app.classroom_id, self.ctx.settings.review_it_may_decide
        )

    def _deciding(self, staff: StaffIdentity, raw_number: str) -> tuple[Application, dict]:
        """R33: the application, if this staff member may decide it, and what the audit event
        says of who decided (school IT is named as such)."""
        app = self._authorized(staff, raw_number)
        if not self._may_decide(staff, app):
            raise Forbidden("errors.review.it_may_not_decide", field="number")
        return app, ({"by": "it"} if current(staff).is_it else {})

    # --- the queue --------------------------------------------------------------------------

    def queue(
        self,
        staff: StaffIdentity,
        *,
        status: str | None = None,
        roster_match: bool | None = None,
        search: str | None = None,
        sort: str = "submitted_at",
        descending: bool = True,
        page: int = 1,
        page_size: int = 50,
    ) -> QueuePage:
        """One page, paged by the query: the database never hands over more than `page_size`
        rows. Without a status filter the queue shows pending, approved and rejected."""
        if sort not in SORTS:
            raise InvalidInput("errors.review.sort_invalid", field="sort")
        if status is not None and status not in set(Status):
            raise InvalidInput("errors.review.status_invalid", field="status")
        page, page_size = page_bounds(page, page_size)
        conditions = [scope(staff)]
        if roster_match is not None:
            conditions.append(Application.roster_match == roster_match)
        text = " ".join(drop_control(search).split())
        # A number is typed or scanned with its QZ prefix or has a digit; names have neither (a
        # number may be all letters, QZ-HZVF-YWQP, and a name like "Mary Chen" parses as one).
        looks_numbered = any(ch.isdigit() for ch in text) or text.upper().startswith("QZ")
        number = parse_number(text) if looks_numbered else None
        if number:
            conditions.append(Application.number == number)
        elif len(text) > Student.name.max_length:
            # No name is that long, and SQLite refuses a LIKE pattern of 50,000 bytes.
            conditions.append(Application.id.is_null())
        elif text:
            # Students first (the school's, by name), then their applications by index.
            named = Student.select(Student.id).where(
                Student.school == staff.school_id, Student.name.contains(text)
            )
            conditions.append(Application.student.in_(named))
        counts = {
            row.status: row.n
            for row in Application.select(Application.status, fn.COUNT(Application.id).alias("n"))
            .where(*conditions)
            .group_by(Application.status)
            .objects()
        }
        statuses = (status,) if status else QUEUE_STATUSES
        total = sum(counts.get(s, 0) for s in statuses)
        order = SORTS[sort].desc() if descending else SORTS[sort].asc()
        tiebreak = Application.id.desc() if descending else Application.id.asc()
        query = (
            Application.select(Application, Student.name, Classroom.id, Classroom.name)
            .join(Student, on=Application.student == Student.id)
            .switch(Application)
            .join(Classroom, on=Application.classroom == Classroom.id)
            .where(*conditions, Application.status.in_(statuses))
            .order_by(order, tiebreak)
            .paginate(page, page_size)
        )
        rows = [
            QueueRow(
                number=a.number,
                student_name_masked=mask_name(a.student.name),
                student_name_shown=shown_student_name(staff, a.classroom.id, a.student.name),
                classroom_name=a.classroom.name,
                parent_name_masked=mask_name(a.parent_name),
                relationship=a.relationship,
                status=a.status,
                roster_match=a.roster_match,
                needs_documents=bool(required_documents(a.relationship)),
                paper_received=a.paper_received_at is not None,
                submitted_at=a.submitted_at,
                documents_checked=a.documents_checked,
            )
            for a in query
        ]
        return QueuePage(
            rows=rows, total=total, page=page, page_size=page_size, counts_by_status=counts
        )

    def detail(self, staff: StaffIdentity, number: str) -> ApplicationDetail:
        """Everything the teacher compares with the paper form, beside the roster's record."""
        app = self._authorized(staff, number)
        student = app.student
        guardians = tuple(
            GuardianOnFile(
                name=g.name,
                mobile=national_mobile(g.mobile) if g.mobile else None,
                name_matches=g.name == app.parent_name,
                mobile_matches=bool(g.mobile)
                and contact_digest(self.ctx.keyring, g.mobile) == app.contact_digest,
            )
            for g in RosterGuardian.select().where(RosterGuardian.student == student.id)
        )
        decider = (
            Teacher.get_or_none(Teacher.id == app.decided_by_id) if app.decided_by_id else None
        )
        return ApplicationDetail(
            number=app.number,
            status=app.status,
            decided=app.status in (Status.APPROVED, Status.REJECTED),
            student_name=student.name,
            student_id_masked=student.id_masked,
            school_name=app.school.name,
            classroom_name=app.classroom.name,
            level=app.level,
            relationship=app.relationship,
            relationship_note=app.relationship_note,
            parent_name=app.parent_name,
            parent_id_masked=app.parent_id_masked,
            signed_name=app.signed_name,
            email=app.email,
            mobile=national_mobile(app.mobile),
            roster_match=app.roster_match,
            guardians=guardians,
            required_documents=required_documents(app.relationship),
            documents_checked=app.documents_checked,
            paper_received_at=app.paper_received_at,
            consent_version=app.consent_version,
            consent_at=app.consent_at,
            signed_at=app.signed_at,
            terminal_id=app.terminal_id,
            content_intact=content_sha256(app) == app.content_sha256,
            submitted_at=app.submitted_at,
            decided_at=app.decided_at,
            decided_by=decider.name if decider else None,
            decided_automatically=app.decided_at is not None and app.decided_by_id is None,
            reject_reason=app.reject_reason,
            roster=roster_record(app),
            may_decide=self._may_decide(staff, app),
            paper_required=self.ctx.settings.review_require_paper_form,
            binding=binding_state(app),
        )

    def next_pending(self, staff: StaffIdentity, after: str) -> str | None:
        """The application to open after deciding `after` ("approve and open next"): the pending
        one of this staff member's scope that has waited longest, or None when none is left."""
        query = (
            Application.select(Application.number)
            .where(
                scope(staff),
                Application.status == Status.PENDING,
                Application.number != (parse_number(after) or ""),
            )
            .order_by(Application.submitted_at, Application.id)
            .limit(1)
        )
        row = query.first()
        return row.number if row else None

    def find(self, staff: StaffIdentity, raw_number: str) -> ApplicationDetail:
        """A number typed by hand or by a USB QR scanner, under the same authorisation."""
        return self.detail(staff, raw_number)

    # --- decisions --------------------------------------------------------------------------

    def approve(
        self, staff: StaffIdentity, number: str, documents_checked: bool = False
    ) -> Decision:
        """R18 + R27 + R19. A guardian application needs the teacher's tick that the papers
        were seen."""
        app, by = self._deciding(staff, number)
        ensure_pending(app)
        if required_documents(app.relationship) and not (
            documents_checked or app.documents_checked
        ):
            raise RuleRefused("errors.review.documents_unchecked", field="documents_checked")
        return self._approver.approve(
            app, teacher_actor(staff.teacher_id), staff.teacher_id, documents_checked, **by
        )

    def bulk_approve(self, staff: StaffIdentity, numbers: list[str]) -> list[str]:
        """R28: approve the roster-matched pending applications among `numbers` that this staff
        member may decide; anything else is skipped, not refused, and the approved numbers are
        returned. Guardian applications whose papers were not ticked (R27) are skipped too."""
        done: list[str] = []
        for raw in numbers:
            number = parse_number(raw)
            app = Application.get_or_none(Application.number == number) if number else None
            if app is None or not may_see(staff, app.school_id, app.classroom_id):
                continue
            if not _bulk_approvable(app) or not self._may_decide(staff, app):
                continue
            by = {"by": "it"} if current(staff).is_it else {}
            try:
                self._approver.approve(
                    app, teacher_actor(staff.teacher_id), staff.teacher_id, False, **by
                )
            except (Conflict, RuleRefused):
                continue
            done.append(app.number)
        return done

    def reject(self, staff: StaffIdentity, number: str, reason: str) -> Decision:
        """R18: a rejection needs a reason, which the parent reads in the e-mail and on the
        progress page."""
        text = refuse_control(" ".join((reason or "").split()), "reason")
        if not text:
            raise InvalidInput("errors.review.reason_required", field="reason")
        if len(text) > REASON_MAX:
            raise InvalidInput("errors.review.reason_too_long", field="reason", maximum=REASON_MAX)
        app, by = self._deciding(staff, number)
        ensure_pending(app)
        with self.ctx.transaction(f"application:{app.number}"):
            now = self.ctx.clock()
            changed = (
                Application.update(
                    status=Status.REJECTED,
                    reject_reason=text,
                    decided_at=now,
                    decided_by=staff.teacher_id,
                )
                .where(Application.id == app.id, Application.status == Status.PENDING)
                .execute()
            )
            if not changed:
                raise Conflict("errors.review.already_decided", field="number")
            self.ctx.outbox.notify(
                Channel.EMAIL,
                app.email,
                "application_rejected",
                app.lang,
                number=app.number,
                student=mask_name(app.student.name),
                reason=text,
            )
            self.ctx.audit.record(
                teacher_actor(staff.teacher_id), "application.rejected", app.number, **by
            )
        return Decision(app.number, Status.REJECTED)

    def mark_paper_received(self, staff: StaffIdentity, number: str) -> datetime:
        """The signed paper form (簽名切結) reached the school; recorded once."""
        app = self._authorized(staff, number)
        if app.status in WITHDRAWN:
            raise Conflict("errors.review.withdrawn", field="number")
        if app.paper_received_at is not None:
            return app.paper_received_at
        with self.ctx.transaction(f"application:{app.number}"):
            now = self.ctx.clock()
            Application.update(paper_received_at=now).where(
                Application.id == app.id, Application.paper_received_at.is_null()
            ).execute()
            self.ctx.audit.record(
                teacher_actor(staff.teacher_id), "application.paper_received", app.number
            )
        return now
