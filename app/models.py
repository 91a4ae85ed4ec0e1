"""The Peewee models of Qinzi. Datetimes are naive UTC; ID numbers appear only as keyed digests
and masked forms (R23); codes and passwords only as hashes."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

# The stored codes, importable from here beside the tables that hold them.
from app.codes import Channel as Channel
from app.codes import Level as Level
from app.codes import Relationship as Relationship
from app.codes import Status as Status
from app.i18n import DEFAULT_LANGUAGE

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    applied_at = DateTimeField()


class School(BaseModel):
    code = CharField(max_length=16, unique=True)
    name = CharField(max_length=100)
    level = CharField(max_length=16, index=True)
    # Issue 18: the school's own English name (the roster's optional school_name_en column),
    # so a parent using English finds it by typing Latin letters; null when the school gave none.
    name_en = CharField(max_length=100, null=True)


class Classroom(BaseModel):
    school = ForeignKeyField(School, backref="classrooms", on_delete="CASCADE")
    name = CharField(max_length=32)

    class Meta:
        indexes = ((("school", "name"), True),)


class Student(BaseModel):
    id_digest = CharField(max_length=64, unique=True)
    id_masked = CharField(max_length=16)
    name = CharField(max_length=50)
    school = ForeignKeyField(School, backref="students", on_delete="CASCADE")
    classroom = ForeignKeyField(Classroom, backref="students", on_delete="CASCADE")
    email = CharField(max_length=254, null=True, index=True)  # the student's own account (R12)
    active = BooleanField(default=True)
    # R34: when a full roster import of the school no longer listed the student (never deleted);
    # null while on the roster. Their bindings end a grace period later.
    left_at = DateTimeField(null=True)
    # R39: the city directory's own identifier of the student (the roster's optional student_key
    # column); without one the directory names the student by `id_digest`.
    directory_key = CharField(max_length=64, null=True)


class Teacher(BaseModel):
    """Staff of a school: homeroom teachers (role teacher) and school IT (role it)."""

    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=50)
    school = ForeignKeyField(School, backref="teachers", on_delete="CASCADE")
    role = CharField(max_length=16, default="teacher")
    password_hash = CharField(max_length=255, null=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    active = BooleanField(default=True)
    # R32: a temporary password set by IT must be changed at the first login; an invitation
    # (a one-time code by e-mail, kept as a VerificationCode) was last sent at `invited_at`.
    must_change_password = BooleanField(default=False)
    invited_at = DateTimeField(null=True)
    session_epoch = IntegerField(default=0)  # bumped by a reset: every open session ends (R32)


class TeacherClassroom(BaseModel):
    teacher = ForeignKeyField(Teacher, backref="classrooms", on_delete="CASCADE")
    classroom = ForeignKeyField(Classroom, backref="teachers", on_delete="CASCADE")

    class Meta:
        indexes = ((("teacher", "classroom"), True),)


class RosterGuardian(BaseModel):
    """A guardian the school has on file for a student (R28)."""

    student = ForeignKeyField(Student, backref="guardians", on_delete="CASCADE")
    name = CharField(max_length=50)
    mobile = CharField(max_length=16, null=True)  # +8869XXXXXXXX


class Account(BaseModel):
    """A parent's single sign-on account; the login is the e-mail."""

    email = CharField(max_length=254, unique=True)
    mobile = CharField(max_length=16, null=True)
    name = CharField(max_length=50)
    id_digest = CharField(max_length=64, unique=True)
    id_masked = CharField(max_length=16)
    password_hash = CharField(max_length=255)
    must_change_password = BooleanField(default=True)
    password_expires_at = DateTimeField(null=True)  # the initial password's end (R19)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    session_epoch = IntegerField(default=0)  # bumped to end every other session
    lang = CharField(max_length=8, default=DEFAULT_LANGUAGE)
    created_at = DateTimeField()


class Application(BaseModel):
    number = CharField(max_length=16, unique=True)  # QZ-7K3M-9PXA (R31)
    status = CharField(max_length=16, default=Status.PENDING)
    contact_digest = CharField(max_length=64, index=True)  # the verified contact of step 1
    student = ForeignKeyField(Student, backref="applications", on_delete="CASCADE")
    school = ForeignKeyField(School, on_delete="CASCADE")
    classroom = ForeignKeyField(Classroom, on_delete="CASCADE")
    level = CharField(max_length=16)
    relationship = CharField(max_length=32)
    relationship_note = CharField(max_length=50, null=True)
    parent_id_digest = CharField(max_length=64, index=True)
    parent_id_masked = CharField(max_length=16)
    parent_name = CharField(max_length=50)
    email = CharField(max_length=254, index=True)
    mobile = CharField(max_length=16)
    # R37: the step-4 e-mail and mobile as contact digests, so that either opens the progress page.
    email_digest = CharField(max_length=64, null=True, index=True)
    mobile_digest = CharField(max_length=64, null=True, index=True)
    # Issue 16: a parent with an account signs with the name as they type it; kept when it is
    # not the account's own name, for the teacher to see.
    signed_name = CharField(max_length=50, null=True)
    initial_password_hash = CharField(max_length=255, null=True)
    consent_version = CharField(max_length=32)
    consent_at = DateTimeField()
    signed_at = DateTimeField()
    content_sha256 = CharField(max_length=64)
    terminal_id = CharField(max_length=64)
    lang = CharField(max_length=8, default=DEFAULT_LANGUAGE)
    roster_match = BooleanField(default=False)
    documents_checked = BooleanField(default=False)
    paper_received_at = DateTimeField(null=True)
    submitted_at = DateTimeField()
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(Teacher, null=True, on_delete="SET NULL")
    reject_reason = CharField(max_length=200, null=True)
    closed_at = DateTimeField(null=True)  # cancelled or voided
    account = ForeignKeyField(Account, null=True, backref="applications", on_delete="SET NULL")

    class Meta:
        indexes = ((("classroom", "status", "submitted_at"), False),)


# R15: one pending application per parent–student pair, also under concurrent submissions.
Application.add_index(
    Application.index(Application.parent_id_digest, Application.student, unique=True).where(
        Application.status == Status.PENDING
    )
)
# R18 at scale: school IT's queue (newest first, paged) and its counts by status stay index-driven
# when one school holds 100,000 applications.
Application.add_index(Application.school, Application.submitted_at)
Application.add_index(Application.school, Application.status, Application.submitted_at)


class VerificationCode(BaseModel):
    contact_digest = CharField(max_length=64)
    channel = CharField(max_length=8)
    purpose = CharField(max_length=24)
    code_hash = CharField(max_length=64)
    created_at = DateTimeField()
    expires_at = DateTimeField()
    attempts = IntegerField(default=0)
    used_at = DateTimeField(null=True)
    voided_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("contact_digest", "created_at"), False),)


class VerificationFailure(BaseModel):
    """One wrong code entry; 20 within 24 hours block the contact for a day (R4)."""

    contact_digest = CharField(max_length=64)
    at = DateTimeField()

    class Meta:
        indexes = ((("contact_digest", "at"), False),)


class Binding(BaseModel):
    account = ForeignKeyField(Account, backref="bindings", on_delete="CASCADE")
    student = ForeignKeyField(Student, backref="bindings", on_delete="CASCADE")
    application = ForeignKeyField(Application, null=True, on_delete="SET NULL")
    created_at = DateTimeField()
    removed_at = DateTimeField(null=True)
    # R35 / R34: a binding ended by staff (who and why) or by the roster lifecycle (ended_by null,
    # end_reason "left"); a parent's own unbinding leaves both null.
    ended_by = ForeignKeyField(Teacher, null=True, on_delete="SET NULL")
    end_reason = CharField(max_length=200, null=True)


Binding.add_index(
    Binding.index(Binding.account, Binding.student, unique=True).where(Binding.removed_at.is_null())
)


class UnbindRequest(BaseModel):
    """A parent's request to remove a binding, confirmed by the teacher or school IT (R29)."""

    binding = ForeignKeyField(Binding, backref="unbind_requests", on_delete="CASCADE")
    requested_at = DateTimeField()
    status = CharField(max_length=16, default=Status.PENDING)
    decided_by = ForeignKeyField(Teacher, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)


class RetriedWork(BaseModel):
    """The columns of work carried out after its transaction commits (services/queue.py): the
    outbox's messages and the directory's changes. Never a table of its own."""

    status = CharField(max_length=16, default="queued")
    attempts = IntegerField(default=0)
    error = CharField(max_length=500, null=True)
    sent_at = DateTimeField(null=True)
    # When any terminal may (re)try it: the enqueuing one's own turn, a claim's lease or a
    # failure's back-off; null once it is delivered or given up.
    next_attempt_at = DateTimeField(null=True, index=True)


class OutboxMessage(RetriedWork):
    """Every SMS and e-mail, sent or simulated. The body is sealed (it may hold a code)."""

    channel = CharField(max_length=8)
    recipient = CharField(max_length=254)
    purpose = CharField(max_length=32)
    subject = CharField(max_length=200)
    body_sealed = TextField()
    created_at = DateTimeField(index=True)
    # status: queued, stored (demo), sent, failed (retried), undeliverable (given up)


class DirectoryChange(RetriedWork):
    """R39: an account's entry in the city directory is to be brought up to date. Queued in the
    transaction that changed the account and carried out after it commits (services/queue.py);
    the entry is written from the account as it is then, so a change is never lost or applied
    twice. Holds no password, hash or ID number: only which account and why."""

    account_id = IntegerField(index=True)  # no foreign key: a closed account's entry is removed
    uid = CharField(max_length=254)  # the entry's login when queued (before an e-mail change)
    kind = CharField(max_length=16)  # approved, password, contact, binding, closed, sync
    created_at = DateTimeField(index=True)
    # status: queued, sent, failed (retried), undeliverable (given up), synced (by a later sync)


class AuditEvent(BaseModel):
    """Who did what to which record, when and where (R24). Never holds personal data."""

    at = DateTimeField(index=True)
    actor = CharField(max_length=80, index=True)
    action = CharField(max_length=40, index=True)
    target = CharField(max_length=80)
    terminal = CharField(max_length=64)
    detail = TextField(default="")
    # R33: the school the event belongs to, so school IT reads only its own; null for events of
    # no one school (a parent's login, a CLI command over the whole database).
    school = ForeignKeyField(School, null=True, on_delete="SET NULL", index=True)


class KeyCheck(BaseModel):
    """R40: which secret key this database belongs to, as a keyed check value (an HMAC of a fixed
    text under the key, never the key): a wrong --data-dir or QINZI_SECRET is refused before it
    can write digests no later lookup matches."""

    value = CharField(max_length=64)
    created_at = DateTimeField()


# Schema version 2: an application's history (the audit events about one record number) is looked
# up by target; without this index that reads every event of the city (app/db.py migrates v1).
AUDIT_TARGET_INDEX = AuditEvent.index(AuditEvent.target, name="auditevent_target")
AuditEvent.add_index(AUDIT_TARGET_INDEX)

ALL_MODELS: list[type[BaseModel]] = [
    SchemaVersion,
    School,
    Classroom,
    Student,
    Teacher,
    TeacherClassroom,
    RosterGuardian,
    Account,
    Application,
    VerificationCode,
    VerificationFailure,
    Binding,
    UnbindRequest,
    OutboxMessage,
    DirectoryChange,
    AuditEvent,
    KeyCheck,
]
