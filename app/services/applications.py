"""Binding applications from the kiosk (SPEC "The parent flow", R5–R17, R27, R28, R31).

The methods follow the wizard: step 2 (schools, check_id, lookup_student, choose_student), step 3
(privacy_statement, give_consent) and step 4 (parent_prefill, submit); the progress page is
ProgressService. Everything a parent typed stays in the KioskSession in memory until `submit`,
which writes every application of the session in one transaction or none of them.

A KioskSession is never changed here: each step returns the next session (alone, or with its
answer in a SessionAnswer). The counts that end a session are session_limits.py's."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import replace

from peewee import IntegrityError

from app import identity
from app.errors import InvalidInput, NotFound, QinziError, RuleRefused
from app.i18n import join_list, localized_file, t
from app.identity import id_digest, mask_email, mask_id, mask_mobile, mask_name
from app.models import (
    Account,
    Application,
    Channel,
    Classroom,
    Level,
    Relationship,
    School,
    Status,
    Student,
)
from app.services.approval import Approver
from app.services.audit import contact_actor
from app.services.contacts import contact_digest, normalize_email, normalize_phone
from app.services.context import Context
from app.services.eligibility import (
    refuse_bound_pair,
    refuse_taken_email,
    roster_match,
)
from app.services.kiosk import (
    ChosenStudent,
    KioskSession,
    ParentDetails,
    Prefill,
    SchoolOption,
    SessionAnswer,
    Statement,
    StudentCard,
    Submitted,
    content_sha256,
    required_documents,
)
from app.services.numbers import insert_numbered
from app.services.session_limits import (
    count_miss,
    note_parent_id,
    refuse_if_contact_spent,
    refuse_if_ended,
)
from app.text import lookup_key, refuse_control, refuse_unreadable

NAME_MAX = 50
NOTE_MAX = 20


def clean_name(raw: str) -> str:
    """Full-width letters folded and runs of spaces collapsed, so that the signature can be
    compared with the name as the parent typed it on the same screen."""
    return " ".join(unicodedata.normalize("NFKC", raw or "").split())


def _level(value: str) -> Level:
    try:
        return Level(value)
    except ValueError:
        raise InvalidInput("errors.application.level_invalid", field="level") from None


class ApplicationService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.approver = Approver(ctx)  # R28's automatic approval; the review desk is staff's

    # --- step 2: the student ----------------------------------------------------------------

    def schools(self, level: str) -> list[SchoolOption]:
        """R6: the schools of one level, for the list the parent picks from, with their English
        names where the roster gives them (issue 18)."""
        query = School.select().where(School.level == _level(level)).order_by(School.code)
        return [SchoolOption(s.code, s.name, s.name_en) for s in query]

    def school_level(self, code: str) -> str | None:
        """The level of the school with this code, for a class letter's QR (issue 4)."""
        school = School.get_or_none(School.code == lookup_key(code))
        return school.level if school else None

    def check_id(self, raw: str, field: str = "student_id") -> str:
        """R7, the 驗證 button: the normalised ID, or the reason it is not one."""
        result = identity.check_id(raw)
        if not result.ok:
            raise InvalidInput(f"errors.id.{result.reason}", field=field)
        return result.normalized

    def lookup_student(
        self, session: KioskSession, level: str, school_code: str, raw_id: str
    ) -> SessionAnswer[StudentCard]:
        """R8: found only when ID, level and school all match an active student. A miss never
        says which part was wrong, and the session ends at the configured number of misses so
        the kiosk cannot be used to find out which school a child attends. A miss's refusal
        carries the session with the miss counted."""
        refuse_if_ended(session)
        refuse_if_contact_spent(self.ctx, session)
        level = _level(level)
        digest = id_digest(self.ctx.keyring, self.check_id(raw_id, "student_id"))
        student = (
            Student.select(Student, School, Classroom)
            .join(School)
            .switch(Student)
            .join(Classroom)
            .where(
                Student.id_digest == digest,
                Student.active == True,  # noqa: E712
                School.code == lookup_key(school_code),
                School.level == level,
            )
            .first()
        )
        if student is None:
            raise count_miss(self.ctx, session)
        if any(c.card.student_id == student.id for c in session.students):
            raise RuleRefused("errors.application.student_already_chosen", field="student_id")
        card = StudentCard(
            student_id=student.id,
            name_masked=mask_name(student.name),
            school_code=student.school.code,
            school_name=student.school.name,
            classroom_name=student.classroom.name,
            level=level,
            school_name_en=student.school.name_en,
        )
        found = replace(session, found_student_ids=session.found_student_ids | {student.id})
        return SessionAnswer(found, card)

    def choose_student(
        self,
        session: KioskSession,
        card: StudentCard,
        relationship: str,
        note: str | None = None,
    ) -> KioskSession:
        """R5: the relationship to this student; 其他 needs a short description. The session
        returned has the student added at the end of its list."""
        refuse_if_ended(session)
        if card.student_id not in session.found_student_ids:
            raise InvalidInput("errors.application.student_not_verified", field="student_id")
        if any(c.card.student_id == card.student_id for c in session.students):
            raise RuleRefused("errors.application.student_already_chosen", field="student_id")
        try:
            rel = Relationship(relationship)
        except ValueError:
            raise InvalidInput(
                "errors.application.relationship_invalid", field="relationship"
            ) from None
        text = None
        if rel is Relationship.OTHER:
            text = refuse_control(" ".join((note or "").split()), "relationship_note")
            if not text:
                raise InvalidInput("errors.application.note_required", field="relationship_note")
            if len(text) > NOTE_MAX:
                raise InvalidInput(
                    "errors.application.note_too_long", field="relationship_note", maximum=NOTE_MAX
                )
        return replace(session, students=(*session.students, ChosenStudent(card, rel, text)))

    def remove_student(self, session: KioskSession, index: int) -> KioskSession:
        refuse_if_ended(session)
        if not 0 <= index < len(session.students):
            raise NotFound("errors.application.no_such_student", field="students")
        return replace(session, students=session.students[:index] + session.students[index + 1 :])

    # --- step 3: consent --------------------------------------------------------------------

    def privacy_statement(self, lang: str) -> Statement:
        """The statement file's first line is its version; it must equal the configured
        `privacy_statement_version` that consent records (a test checks the shipped files)."""
        text = localized_file("privacy", lang).read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        version = first.replace("：", ":").rpartition(":")[2].strip()
        return Statement(version=version, text=rest.strip())

    def give_consent(self, session: KioskSession, scrolled_to_end: bool) -> KioskSession:
        """R10: the box counts only once the whole statement was on screen."""
        refuse_if_ended(session)
        if not scrolled_to_end:
            raise RuleRefused("errors.application.consent_not_scrolled", field="consent")
        return replace(
            session,
            consent_version=self.ctx.settings.privacy_statement_version,
            consent_at=self.ctx.clock(),
        )

    # --- step 4: the parent -----------------------------------------------------------------

    def parent_prefill(self, session: KioskSession, raw_parent_id: str) -> SessionAnswer[Prefill]:
        """Step 4 驗證: R7 and R11 on the parent ID, and the account's details if there is one.
        The session returned (or carried by a refusal) remembers the ID as tried."""
        refuse_if_ended(session)
        parent_id = self.check_id(raw_parent_id, "parent_id")
        digest = id_digest(self.ctx.keyring, parent_id)
        session = note_parent_id(self.ctx, session, digest)
        self._refuse_student_id(session, digest)
        account = Account.get_or_none(Account.id_digest == digest)
        if account is None:
            return SessionAnswer(session, Prefill(mask_id(parent_id), account_exists=False))
        return SessionAnswer(
            session,
            Prefill(
                mask_id(parent_id),
                account_exists=True,
                name=mask_name(account.name),
                email_masked=mask_email(account.email),
                mobile_masked=mask_mobile(account.mobile) if account.mobile else None,
            ),
        )

    def _refuse_student_id(self, session: KioskSession, parent_digest: str) -> None:
        """R11: the parent is not one of the chosen students. The refusal carries the session,
        which may have just counted the ID as tried."""
        ids = [c.card.student_id for c in session.students]
        if (
            ids
            and Student.select()
            .where(Student.id.in_(ids), Student.id_digest == parent_digest)
            .exists()
        ):
            raise RuleRefused(
                "errors.application.parent_is_student", field="parent_id"
            ).with_session(session)

    @staticmethod
    def _parent_name(raw: str) -> str:
        name = refuse_unreadable(clean_name(raw), "name")
        if not name:
            raise InvalidInput("errors.application.name_empty", field="name")
        if len(name) > NAME_MAX:
            raise InvalidInput("errors.application.name_too_long", field="name", maximum=NAME_MAX)
        return name

    @staticmethod
    def _signature(raw: str, name: str | None) -> str:
        """R16: the signature is the name as typed above it (compared once the name is valid)."""
        signed = refuse_unreadable(clean_name(raw), "signature")
        if not signed:
            raise InvalidInput("errors.application.signature_empty", field="signature")
        if name is not None and signed != name:
            raise RuleRefused("errors.application.signature_mismatch", field="signature")
        return signed

    def submit(
        self, session: KioskSession, parent: ParentDetails, signature: str
    ) -> SessionAnswer[list[Submitted]]:
        """Write one application per chosen student (R11–R16), all or none; the session returned
        has no students and no consent, ready for the next child of the same contact.

        With an existing account the application carries the account's own name, e-mail and
        mobile. `roster_match` (R28) compares the roster's guardians with the name and with the
        mobile this session proved by SMS; a session verified by e-mail proves no mobile, so it
        never matches."""
        refuse_if_ended(session)
        if not session.students:
            raise RuleRefused("errors.application.no_students", field="students")
        if not session.has_consent:
            raise RuleRefused("errors.application.consent_missing", field="consent")
        parent_id = self.check_id(parent.raw_id, "parent_id")
        digest = id_digest(self.ctx.keyring, parent_id)
        self._refuse_student_id(session, digest)
        account = Account.get_or_none(Account.id_digest == digest)
        # R26: every field of the form is checked before anything is refused, so that a parent
        # sees each mistake at once rather than one per submit.
        problems: list[QinziError] = []

        def checked(check: Callable[[], str]) -> str | None:
            try:
                return check()
            except (InvalidInput, RuleRefused) as error:
                problems.append(error)
                return None

        if account is not None:
            name, email = account.name, account.email
            mobile = account.mobile or checked(lambda: normalize_phone(parent.mobile))
        else:
            name = checked(lambda: self._parent_name(parent.name))
            email = checked(lambda: normalize_email(parent.email))
            mobile = checked(lambda: normalize_phone(parent.mobile))
        # With an account the parent sees its name masked: any readable name signs, and the
        # teacher is shown a difference (issue 16); without one, the signature is the name above.
        signed = checked(lambda: self._signature(signature, None if account else name))
        if problems:
            raise QinziError.together(problems)
        # Hashed now, outside the transaction (Argon2 is slow on purpose), so that approval never
        # needs the ID again (R19).
        password_hash = self.ctx.hasher.hash(parent_id[-6:])
        pairs = [f"pair:{digest}:{c.card.student_id}" for c in session.students]
        now = self.ctx.clock()
        with self.ctx.transaction(*sorted({f"email:{email}", f"parent:{digest}", *pairs})):
            refuse_taken_email(email, digest)
            rows = []
            for chosen in session.students:
                student = refuse_bound_pair(digest, chosen.card.student_id)
                rows.append(
                    self._insert(
                        student=student,
                        school=student.school_id,
                        classroom=student.classroom_id,
                        level=chosen.card.level,
                        relationship=chosen.relationship,
                        relationship_note=chosen.note,
                        contact_digest=session.contact.digest,
                        parent_id_digest=digest,
                        parent_id_masked=mask_id(parent_id),
                        parent_name=name,
                        signed_name=signed if signed != name else None,
                        email=email,
                        mobile=mobile,
                        email_digest=contact_digest(self.ctx.keyring, email),
                        mobile_digest=contact_digest(self.ctx.keyring, mobile),
                        initial_password_hash=password_hash,
                        consent_version=session.consent_version,
                        consent_at=session.consent_at,
                        signed_at=now,
                        terminal_id=self.ctx.terminal,
                        lang=session.lang,
                        roster_match=roster_match(session.contact, student.id, name),
                        submitted_at=now,
                    )
                )
            actor = contact_actor(session.contact.digest)
            for row in rows:
                self.ctx.audit.record(
                    actor,
                    "application.submitted",
                    row.number,
                    relationship=row.relationship,
                    roster_match=row.roster_match,
                )
            sms = session.contact.channel == Channel.SMS
            self.ctx.outbox.notify(
                session.contact.channel,
                session.contact.value,
                "application_received_sms" if sms else "application_received",
                session.lang,
                count=len(rows),
                numbers=join_list((r.number for r in rows), session.lang),
                # Issue 16: the guardians' papers only where someone must bring them.
                papers=t("mail.papers_reminder.body", session.lang)
                if any(required_documents(r.relationship) for r in rows) else "",
            )
        approved = self._auto_approve(rows)
        cards = {c.card.student_id: c.card for c in session.students}
        submitted = [
            Submitted(
                number=r.number,
                student_name_masked=cards[r.student_id].name_masked,
                school_name=cards[r.student_id].school_name,
                classroom_name=cards[r.student_id].classroom_name,
                relationship=r.relationship,
                status=Status.APPROVED if r.number in approved else Status.PENDING,
                roster_match=r.roster_match,
                required_documents=required_documents(r.relationship),
                submitted_at=r.submitted_at,
                relationship_note=r.relationship_note,
                school_name_en=cards[r.student_id].school_name_en,
            )
            for r in rows
        ]
        after = replace(session, students=(), consent_version=None, consent_at=None)
        return SessionAnswer(after, submitted)

    def _insert(self, **fields: object) -> Application:
        """A taken number is drawn again (R31); the other unique constraint, one pending
        application per pair, is a refusal (R15)."""

        def build(number: str) -> Application:
            app = Application(number=number, **fields)
            app.content_sha256 = content_sha256(app)
            return app

        try:
            return insert_numbered(self.ctx.db, build)
        except IntegrityError:
            raise RuleRefused("errors.application.already_pending", field="parent_id") from None

    def _auto_approve(self, rows: list[Application]) -> set[str]:
        """R28's switch. Each approval is its own transaction after the submission committed;
        one that a rule refuses simply stays pending for the teacher."""
        if not self.ctx.settings.auto_approve_roster_match:
            return set()
        done = set()
        for row in [r for r in rows if r.roster_match]:
            try:
                if self.approver.approve_automatically(row):
                    done.add(row.number)
            except QinziError:
                continue
        return done
