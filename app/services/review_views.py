"""What the review screens show: frozen rows and details, never Peewee rows (R9 masking applied
where a list shows people the teacher may not need to know by name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.services import eligibility
from app.services.paging import Page


@dataclass(frozen=True)
class QueueRow:
    number: str
    student_name_masked: str
    classroom_name: str
    parent_name_masked: str
    relationship: str
    status: str
    roster_match: bool
    needs_documents: bool
    paper_received: bool
    submitted_at: datetime
    documents_checked: bool = False  # R27: a guardian's papers were seen (bulk may approve it)
    # The name as this staff member's list shows it: full for the class's homeroom teacher,
    # masked for everyone else (staff.sees_full_names).
    student_name_shown: str = ""

    @property
    def bulk_approvable(self) -> bool:
        """What the queue lets a teacher pick for bulk approval (R28, R27)."""
        return eligibility.bulk_approvable(
            status=self.status,
            roster_match=self.roster_match,
            needs_documents=self.needs_documents,
            documents_checked=self.documents_checked,
        )


@dataclass(frozen=True)
class QueuePage(Page[QueueRow]):
    """A page of the queue, with how many applications of each status the filter finds."""

    counts_by_status: dict[str, int]


@dataclass(frozen=True)
class GuardianOnFile:
    """A guardian the roster holds for the student, and what of the application matches (R28)."""

    name: str
    mobile: str | None
    name_matches: bool
    mobile_matches: bool


@dataclass(frozen=True)
class RosterRecord:
    """The student as the roster holds them today, beside what the application says: a
    re-import may have moved the student since the parent applied."""

    student_name: str
    student_id_masked: str
    school_name: str
    classroom_name: str
    level: str
    active: bool
    school_matches: bool
    classroom_matches: bool
    level_matches: bool


@dataclass(frozen=True)
class ApplicationDetail:
    number: str
    status: str
    decided: bool
    student_name: str
    student_id_masked: str
    school_name: str
    classroom_name: str
    level: str
    relationship: str
    relationship_note: str | None
    parent_name: str
    parent_id_masked: str
    email: str
    mobile: str
    roster_match: bool
    signed_name: str | None  # the name signed with, where not the account's own (issue 16)
    guardians: tuple[GuardianOnFile, ...]
    required_documents: tuple[str, ...]
    documents_checked: bool
    paper_received_at: datetime | None
    consent_version: str
    consent_at: datetime
    signed_at: datetime
    terminal_id: str
    content_intact: bool
    submitted_at: datetime
    decided_at: datetime | None
    decided_by: str | None  # the teacher's name; None when undecided or decided by the system
    decided_automatically: bool
    reject_reason: str | None
    roster: RosterRecord | None = None
    paper_required: bool = False  # the school's `require_paper_form`: no approval without it
    binding: BindingState | None = None  # an approved application's binding, live or ended (R35)
    may_decide: bool = True  # R33: false for school IT where teachers alone decide


@dataclass(frozen=True)
class BindingState:
    """The binding an approval made, as staff see it: live, or ended by whom, when and why."""

    binding_id: int
    active: bool
    ended_at: datetime | None = None
    ended_by: str | None = None  # the staff member's name; None for a parent's own unbinding
    end_reason: str | None = None  # an END_REASONS code (R35), or "left" (R34)


@dataclass(frozen=True)
class UnbindRow:
    request_id: int
    student_name: str
    classroom_name: str
    parent_name_masked: str
    email_masked: str
    bound_since: datetime
    requested_at: datetime
    student_name_masked: str  # for list rows (R9); the full name is for the request's page
    status: str
    student_name_shown: str = ""  # as this staff member's list shows it (staff.sees_full_names)
