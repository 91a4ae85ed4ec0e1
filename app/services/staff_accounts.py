"""Staff accounts (R32): how a teacher or a school-IT person comes to have a password, and how IT
keeps its school's staff.

The first IT account of a school is made from the command line; a roster import makes the
teachers. Neither has a password: each gets an invitation, a one-time code by e-mail valid 72
hours, kept and checked by the VerificationService like every other code (R1, R4), which the
staff login screen takes to set a first password (R20's rules). IT can also give a temporary
password that must be changed at the first login. A reset takes the password away, ends every
open session (`session_epoch`) and invites again. Until a password is set, a login fails like a
wrong password (accounts.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from app.errors import Forbidden, InvalidInput, NotFound, QinziError, RuleRefused
from app.i18n import DEFAULT_LANGUAGE
from app.models import Channel, Classroom, School, Teacher, TeacherClassroom, VerificationCode
from app.services import staff_throttle
from app.services.audit import SYSTEM, teacher_actor
from app.services.contacts import contact_digest, normalize_email
from app.services.context import Context
from app.services.passwords import (
    FIELD,
    check_common_rules,
    check_entries_match,
    hash_password,
    verify_hash,
)
from app.services.roles import ROLE_IT, ROLES
from app.services.staff import StaffIdentity, current
from app.services.verification import PURPOSE_STAFF_INVITE, CodeSent, VerificationService

INVITATION_HOURS = 72
STATE_NO_PASSWORD = "no-password"
STATE_INVITED = "invited"
STATE_ACTIVE = "active"
STATE_LOCKED = "locked"
STATE_INACTIVE = "inactive"
STATES = (STATE_NO_PASSWORD, STATE_INVITED, STATE_ACTIVE, STATE_LOCKED, STATE_INACTIVE)
MAX_NAME = 50


@dataclass(frozen=True)
class StaffRow:
    """One staff member as `qinzi staff list` and IT's staff screen show them."""

    email: str
    name: str
    role: str
    classes: tuple[str, ...]
    state: str
    must_change: bool = False

    def as_dict(self) -> dict[str, object]:
        row = asdict(self)
        row["classes"] = list(self.classes)
        return row


@dataclass(frozen=True)
class Invited:
    """Who was sent an invitation, and who of the school was left out (already invited)."""

    emails: tuple[str, ...]
    already_invited: int = 0


class StaffAccountService:
    def __init__(self, ctx: Context, verification: VerificationService) -> None:
        self.ctx = ctx
        self.verification = verification

    # --- finding ---------------------------------------------------------------------------------

    def school(self, code: str) -> School:
        school = School.get_or_none(School.code == (code or "").strip())
        if school is None:
            raise NotFound("errors.staff_accounts.unknown_school", field="school", code=code)
        return school

    def _teacher(self, raw_email: str, school: School | None = None) -> Teacher:
        """A staff member by e-mail; with `school`, only one of that school (R33's scope)."""
        email = normalize_email(raw_email, field="email")
        teacher = Teacher.get_or_none(Teacher.email == email)
        if teacher is None:
            raise NotFound("errors.staff_accounts.unknown_staff", field="email", email=email)
        if school is not None and teacher.school_id != school.id:
            raise Forbidden("errors.staff_accounts.other_school", field="email", email=email)
        return teacher

    def _managed(self, by: StaffIdentity, raw_email: str) -> Teacher:
        """R32, R33: school IT manages the staff of its own school, nobody else's."""
        if not by.is_it:
            raise Forbidden("errors.staff_accounts.it_only")
        return self._teacher(raw_email, School.get_by_id(by.school_id))

    def _live_invitations(self, emails: Iterable[str]) -> set[str]:
        """The e-mails that hold an invitation code still usable now."""
        by_digest = {contact_digest(self.ctx.keyring, e): e for e in emails}
        if not by_digest:
            return set()
        now = self.ctx.clock()
        rows = VerificationCode.select(VerificationCode.contact_digest).where(
            VerificationCode.contact_digest.in_(list(by_digest))
            & (VerificationCode.purpose == PURPOSE_STAFF_INVITE)
            & VerificationCode.used_at.is_null()
            & VerificationCode.voided_at.is_null()
            & (VerificationCode.expires_at > now)
        )
        return {by_digest[row.contact_digest] for row in rows}

    # --- the list ------------------------------------------------------------------------------

    def members(
        self, school_code: str | None = None, by: StaffIdentity | None = None
    ) -> list[StaffRow]:
        """One row per staff member of a school, IT first, then by e-mail, with the state R32 names:
        no password, invited (a code still valid), active, locked (R20's wait), inactive."""
        if by is not None:
            if not by.is_it:
                raise Forbidden("errors.staff_accounts.it_only")
            school = School.get_by_id(by.school_id)
        else:
            school = self.school(school_code or "")
        teachers = list(
            Teacher.select()
            .where(Teacher.school == school)
            .order_by(Teacher.role, Teacher.email)
        )
        rooms: dict[int, list[str]] = {}
        links = (
            TeacherClassroom.select(TeacherClassroom.teacher, Classroom.name)
            .join(Classroom)
            .where(Classroom.school == school)
            .order_by(Classroom.name)
        )
        for link in links:
            rooms.setdefault(link.teacher_id, []).append(link.classroom.name)
        invited = self._live_invitations(t.email for t in teachers if not t.password_hash)
        now = self.ctx.clock()
        return [
            StaffRow(
                email=t.email,
                name=t.name,
                role=t.role,
                classes=tuple(rooms.get(t.id, ())),
                state=self._state(t, t.email in invited, now, self._slowed(t, now)),
                must_change=t.must_change_password,
            )
            for t in teachers
        ]

    def _slowed(self, teacher: Teacher, now: datetime) -> bool:
        """Some terminal waits for this teacher's password (issue 15); read only for those whose
        last tries failed."""
        free = self.ctx.settings.login_failures_before_wait
        return teacher.failed_logins >= free and staff_throttle.any_terminal_waiting(
            teacher.id, now, free=free
        )

    @staticmethod
    def _state(teacher: Teacher, invited: bool, now: datetime, slowed: bool = False) -> str:
        if not teacher.active:
            return STATE_INACTIVE
        if slowed or (teacher.locked_until is not None and now < teacher.locked_until):
            return STATE_LOCKED
        if teacher.password_hash:
            return STATE_ACTIVE
        return STATE_INVITED if invited else STATE_NO_PASSWORD

    # --- the command line: the first IT account, invitations, resets ----------------------------

    def add(
        self,
        school_code: str,
        raw_email: str,
        role: str = ROLE_IT,
        name: str | None = None,
        lang: str = DEFAULT_LANGUAGE,
    ) -> CodeSent:
        """R32: a staff account made from the command line (the first school IT of a school),
        with no password and an invitation on its way. An e-mail already in use is refused,
        whichever school it belongs to; nothing is written then."""
        school = self.school(school_code)
        if role not in ROLES:
            raise InvalidInput("errors.staff_accounts.unknown_role", field="role", role=role)
        email = normalize_email(raw_email, field="email")
        shown = (name or "").strip() or email.partition("@")[0]
        if len(shown) > MAX_NAME:
            raise InvalidInput("errors.staff_accounts.name_too_long", field="name",
                               maximum=MAX_NAME)  # fmt: skip
        with self.ctx.transaction(f"staff-email:{email}"):
            existing = Teacher.get_or_none(Teacher.email == email)
            if existing is not None and existing.school_id != school.id:
                raise Forbidden("errors.staff_accounts.other_school", field="email", email=email)
            if existing is not None:
                raise RuleRefused("errors.staff_accounts.exists", field="email", email=email)
            teacher = Teacher.create(email=email, name=shown, school=school, role=role)
            self.ctx.audit.record(SYSTEM, "staff.added", teacher.id, role=role)
        return self._send_invitation(teacher, lang, SYSTEM)

    def invite(
        self,
        emails: Sequence[str] = (),
        school_code: str | None = None,
        lang: str = DEFAULT_LANGUAGE,
        by: StaffIdentity | None = None,
    ) -> Invited:
        """R32: invitations to staff without a password. Named e-mails are each checked first
        (known, of the school when one is given, not deactivated, no password yet) and invited
        again if they already were: a new code replaces the old (R3). A whole school invites
        those who have neither a password nor an invitation still valid."""
        school = School.get_by_id(by.school_id) if by is not None else None
        if by is not None and not by.is_it:
            raise Forbidden("errors.staff_accounts.it_only")
        if school_code is not None and school is None:
            school = self.school(school_code)
        if emails:
            targets = [self._teacher(e, school) for e in emails]
            for teacher in targets:
                self._refuse_if_not_invitable(teacher)
            skipped = 0
        elif school is not None:
            waiting = list(
                Teacher.select()
                .where(
                    (Teacher.school == school) & Teacher.active & Teacher.password_hash.is_null()
                )
                .order_by(Teacher.email)
            )
            invited = self._live_invitations(t.email for t in waiting)
            targets = [t for t in waiting if t.email not in invited]
            skipped = len(waiting) - len(targets)
        else:
            raise InvalidInput("errors.staff_accounts.invite_whom", field="email")
        actor = teacher_actor(by.teacher_id) if by is not None else SYSTEM
        for teacher in dict.fromkeys(targets):
            self._send_invitation(teacher, lang, actor)
        return Invited(tuple(t.email for t in dict.fromkeys(targets)), skipped)

    def _refuse_if_not_invitable(self, teacher: Teacher) -> None:
        if not teacher.active:
            raise RuleRefused("errors.staff_accounts.inactive", field="email", email=teacher.email)
        if teacher.password_hash:
            raise RuleRefused("errors.staff_accounts.already_active", field="email",
                              email=teacher.email)  # fmt: skip

    def reset(
        self, raw_email: str, lang: str = DEFAULT_LANGUAGE, by: StaffIdentity | None = None
    ) -> CodeSent:
        """R32: the password ends, so does every open session (a new epoch), and a new
        invitation goes out. For a forgotten password or a suspected leak."""
        teacher = self._managed(by, raw_email) if by is not None else self._teacher(raw_email)
        if not teacher.active:
            raise RuleRefused("errors.staff_accounts.inactive", field="email", email=teacher.email)
        actor = teacher_actor(by.teacher_id) if by is not None else SYSTEM
        with self.ctx.transaction(f"staff:{teacher.id}"):
            teacher = Teacher.get_by_id(teacher.id)
            teacher.password_hash = None
            teacher.must_change_password = False
            teacher.failed_logins, teacher.locked_until = 0, None
            teacher.session_epoch += 1
            teacher.save()
            self.ctx.audit.record(actor, "staff.reset", teacher.id)
        return self._send_invitation(teacher, lang, actor)

    def _send_invitation(self, teacher: Teacher, lang: str, actor: str) -> CodeSent:
        """The code goes through the outbox like every code (sealed, delivered after commit)."""
        school = School.get_by_id(teacher.school_id)
        sent = self.verification.request_code(
            Channel.EMAIL,
            teacher.email,
            PURPOSE_STAFF_INVITE,
            lang,
            ttl_minutes=INVITATION_HOURS * 60,
            hours=INVITATION_HOURS,
            name=teacher.name,
            school=school.name,
            login=teacher.email,
        )
        with self.ctx.transaction(f"staff:{teacher.id}"):
            Teacher.update(invited_at=self.ctx.clock()).where(Teacher.id == teacher.id).execute()
            self.ctx.audit.record(actor, "staff.invited", teacher.id)
        return sent

    # --- the staff member's side: the invitation, the temporary password ------------------------

    def accept_invitation(
        self, raw_email: str, code: str, new: str, new_again: str
    ) -> StaffIdentity:
        """R32: the invitation code sets the first password (R20's rules) and logs the person
        in. The code is checked first, then the password, and only then used up, so a refused
        password does not cost a new invitation."""
        email = normalize_email(raw_email, field="email")
        check_entries_match(new, new_again)
        try:
            self.verification.verify_code(
                Channel.EMAIL, email, code, PURPOSE_STAFF_INVITE, consume=False
            )
        except RuleRefused as error:
            raise self._invitation_wording(error) from error
        teacher = Teacher.get_or_none(Teacher.email == email)
        if teacher is None or not teacher.active or teacher.password_hash:
            raise RuleRefused("errors.staff_accounts.invitation_unavailable", field="code")
        check_common_rules(new, email)
        self.verification.verify_code(Channel.EMAIL, email, code, PURPOSE_STAFF_INVITE)
        with self.ctx.transaction(f"staff:{teacher.id}"):
            teacher = Teacher.get_by_id(teacher.id)
            self._set_password(teacher, new, must_change=False)
            teacher.save()
            self.ctx.audit.record(teacher_actor(teacher.id), "staff.invitation_accepted",
                                  teacher.id)  # fmt: skip
        return StaffIdentity.of(teacher)

    @staticmethod
    def _invitation_wording(error: RuleRefused) -> QinziError:
        """The code's refusals, in an invitation's words: it lasts hours, and the person asks
        school IT for a new one rather than pressing 取得驗證碼."""
        keys = {
            "errors.code.expired": "errors.staff_accounts.invitation_expired",
            "errors.code.none": "errors.staff_accounts.invitation_none",
            "errors.code.used": "errors.staff_accounts.invitation_none",
            "errors.code.too_many": "errors.staff_accounts.invitation_too_many",
        }
        key = keys.get(error.key)
        if key is None:
            return error
        return RuleRefused(key, field="code", hours=INVITATION_HOURS, **{
            k: v for k, v in error.params.items() if k != "minutes"})  # fmt: skip

    def _set_password(self, teacher: Teacher, new: str, *, must_change: bool) -> None:
        teacher.password_hash = hash_password(self.ctx.hasher, new)
        teacher.must_change_password = must_change
        teacher.failed_logins, teacher.locked_until = 0, None
        teacher.invited_at = None

    def _void_invitations(self, teacher: Teacher) -> None:
        VerificationCode.update(voided_at=self.ctx.clock()).where(
            (VerificationCode.contact_digest == contact_digest(self.ctx.keyring, teacher.email))
            & (VerificationCode.purpose == PURPOSE_STAFF_INVITE)
            & VerificationCode.used_at.is_null()
            & VerificationCode.voided_at.is_null()
        ).execute()

    def set_temporary_password(self, by: StaffIdentity, raw_email: str, password: str) -> None:
        """R32: IT gives a password to tell in person; it must be changed at the first login.
        Open sessions end and any invitation still out stops working."""
        teacher = self._managed(by, raw_email)
        if not teacher.active:
            raise RuleRefused("errors.staff_accounts.inactive", field="email", email=teacher.email)
        check_common_rules(password, teacher.email)
        with self.ctx.transaction(f"staff:{teacher.id}"):
            teacher = Teacher.get_by_id(teacher.id)
            self._set_password(teacher, password, must_change=True)
            teacher.session_epoch += 1
            teacher.save()
            self._void_invitations(teacher)
            self.ctx.audit.record(teacher_actor(by.teacher_id), "staff.temporary_password",
                                  teacher.id)  # fmt: skip

    def change_temporary_password(
        self, staff: StaffIdentity, new: str, new_again: str
    ) -> StaffIdentity:
        """R32, R20: the forced change after a temporary password; the temporary one cannot be
        kept."""
        self.check_session(staff)
        check_entries_match(new, new_again)
        teacher = Teacher.get_by_id(staff.teacher_id)
        check_common_rules(new, teacher.email)
        if verify_hash(self.ctx.hasher, teacher.password_hash, new):
            raise RuleRefused("errors.staff_accounts.same_as_temporary", field=FIELD)
        with self.ctx.transaction(f"staff:{teacher.id}"):
            teacher = Teacher.get_by_id(teacher.id)
            self._set_password(teacher, new, must_change=False)
            teacher.save()
            self.ctx.audit.record(teacher_actor(teacher.id), "password.changed", teacher.id,
                                  kind="staff", forced=True)  # fmt: skip
        return StaffIdentity.of(teacher)

    def lift_wait(self, raw_email: str, by: StaffIdentity | None = None) -> bool:
        """Issue 15: wrong passwords slow the terminal they were typed on (staff_throttle), and
        an attack from everywhere pauses the account; school IT (on the terminal, for its own
        school) or the command line lifts either at once. True when there was one."""
        teacher = self._managed(by, raw_email) if by is not None else self._teacher(raw_email)
        actor = teacher_actor(by.teacher_id) if by is not None else SYSTEM
        with self.ctx.transaction(f"staff:{teacher.id}"):
            teacher = Teacher.get_by_id(teacher.id)
            now = self.ctx.clock()
            free = self.ctx.settings.login_failures_before_wait
            waiting = (teacher.locked_until is not None and teacher.locked_until > now) or \
                staff_throttle.any_terminal_waiting(teacher.id, now, free=free)
            teacher.failed_logins, teacher.locked_until = 0, None
            teacher.save(only=[Teacher.failed_logins, Teacher.locked_until])
            self.ctx.audit.record(actor, "staff.wait_lifted", teacher.id, was_waiting=waiting)
        return waiting

    def deactivate(self, by: StaffIdentity, raw_email: str) -> None:
        """R32, R33: IT ends a staff member's access; their open session ends at the next action."""
        teacher = self._managed(by, raw_email)
        if teacher.id == by.teacher_id:
            raise RuleRefused("errors.staff_accounts.not_yourself", field="email")
        with self.ctx.transaction(f"staff:{teacher.id}"):
            teacher = Teacher.get_by_id(teacher.id)
            teacher.active = False
            teacher.session_epoch += 1
            teacher.save()
            self._void_invitations(teacher)
            self.ctx.audit.record(teacher_actor(by.teacher_id), "staff.deactivated", teacher.id)

    # --- the session ----------------------------------------------------------------------------

    def check_session(self, staff: StaffIdentity) -> None:
        """R32/R33: a reset, a temporary password or a deactivation since the login ends the
        session at the next action (like Account.session_epoch for parents): staff.current."""
        current(staff)
