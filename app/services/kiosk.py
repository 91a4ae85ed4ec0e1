"""What the kiosk wizard (SPEC "The parent flow", steps 1–5) holds between screens, and the small
frozen shapes the application service hands back to them.

The session lives only in the kiosk's memory and is immutable: the UI keeps the current one, a
service called on a worker thread reads it and answers with the next one (`SessionAnswer`, or a
refusal whose `session` carries it), so the UI thread never sees a session change under it.
Wiping it (logout, idle, 不同意並退出, SessionEnded) forgets everything typed (R22, R36)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from app.codes import Relationship
from app.i18n import DEFAULT_LANGUAGE

if TYPE_CHECKING:  # the screens import this module: it loads no database driver (issue 7)
    from app.models import Application
    from app.services.contacts import VerifiedContact

# R27. Which papers the school must see before approving, by relationship. Fathers and mothers
# are the legal representatives (法定代理人) and need none. Grandparents are the relatives the Civil
# Code (art. 1094) makes a child's guardian when no parent can exercise custody, so for them we ask
# for the official proof of guardianship (a court ruling, or a household registration transcript
# that records them as 監護人); the catalog text adds that a grandparent who only cares for the
# child while a parent keeps custody brings a parent's delegation letter instead. Anyone else
# (其他) is treated as a caregiver: a 委託證明書 signed by a parent, or a court ruling if a court
# appointed them.
GUARDIANSHIP_PROOF = "documents.guardianship_proof"
DELEGATION_LETTER = "documents.delegation_letter"
_DOCUMENTS: dict[Relationship, tuple[str, ...]] = {
    Relationship.FATHER: (),
    Relationship.MOTHER: (),
    Relationship.GRANDFATHER: (GUARDIANSHIP_PROOF,),
    Relationship.GRANDMOTHER: (GUARDIANSHIP_PROOF,),
    Relationship.MATERNAL_GRANDFATHER: (GUARDIANSHIP_PROOF,),
    Relationship.MATERNAL_GRANDMOTHER: (GUARDIANSHIP_PROOF,),
    Relationship.OTHER: (DELEGATION_LETTER,),
}


# R5. The two groups the parent chooses from first, as the seed shows them: 法定代理人 (the legal
# representatives) and 監護人 (guardians and other caregivers).
RELATIONSHIP_GROUPS: dict[str, tuple[Relationship, ...]] = {
    "legal": (Relationship.FATHER, Relationship.MOTHER),
    "guardian": (
        Relationship.GRANDFATHER,
        Relationship.GRANDMOTHER,
        Relationship.MATERNAL_GRANDFATHER,
        Relationship.MATERNAL_GRANDMOTHER,
        Relationship.OTHER,
    ),
}
# Every relationship, in the order the groups list them.
RELATIONSHIPS = tuple(code for group in RELATIONSHIP_GROUPS.values() for code in group)

T = TypeVar("T")


def required_documents(relationship: str) -> tuple[str, ...]:
    """Catalog keys of the papers a guardian (監護人) application needs (R27); empty for parents."""
    return _DOCUMENTS[Relationship(relationship)]


def english_name_in(lang: str, name_en: str | None) -> str | None:
    """Issue 18: a school's English name (when the roster gives one) is for a parent reading
    any language but zh-TW."""
    return name_en if lang != DEFAULT_LANGUAGE else None


def school_name_in(lang: str, name: str, name_en: str | None) -> str:
    """A school as a parent reading `lang` knows it: its English name, else its Chinese one."""
    return english_name_in(lang, name_en) or name


@dataclass(frozen=True)
class SchoolOption:
    code: str
    name: str
    name_en: str | None = None  # issue 18: from the roster's school_name_en column

    def english_in(self, lang: str) -> str | None:
        return english_name_in(lang, self.name_en)


@dataclass(frozen=True)
class StudentCard:
    """The student a lookup found, as the kiosk may show it: the name masked (R9)."""

    student_id: int
    name_masked: str
    school_code: str
    school_name: str
    classroom_name: str
    level: str
    school_name_en: str | None = None

    def school_in(self, lang: str) -> str:
        return school_name_in(lang, self.school_name, self.school_name_en)


@dataclass(frozen=True)
class ChosenStudent:
    card: StudentCard
    relationship: Relationship
    note: str | None = None

    @property
    def required_documents(self) -> tuple[str, ...]:
        return required_documents(self.relationship)


@dataclass(frozen=True)
class KioskSession:
    """One parent at one kiosk, from the verified contact (step 1) to logout. Frozen: a service
    returns the next session instead of changing this one, which the UI thread may be reading."""

    contact: VerifiedContact
    lang: str = DEFAULT_LANGUAGE
    failed_lookups: int = 0
    students: tuple[ChosenStudent, ...] = ()
    consent_version: str | None = None
    consent_at: datetime | None = None
    ended: bool = False
    # Students this session found by a successful lookup; only they can be chosen.
    found_student_ids: frozenset[int] = field(default=frozenset(), repr=False)
    # Digests of the parent IDs step 4 checked: a few tell a typo, many an enumeration.
    parent_ids_tried: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def has_consent(self) -> bool:
        return self.consent_version is not None and self.consent_at is not None


@dataclass(frozen=True)
class SessionAnswer(Generic[T]):
    """A service's answer that also moves the kiosk session on; the UI keeps `session`."""

    session: KioskSession
    value: T


@dataclass(frozen=True)
class Statement:
    """The privacy statement (個資使用聲明) of step 3 and the version consent is given to."""

    version: str
    text: str


@dataclass(frozen=True)
class Prefill:
    """Step 4 after 驗證: when the parent already has an account, the application uses its name,
    e-mail and mobile; all three are masked, since anyone may have typed the ID."""

    parent_id_masked: str
    account_exists: bool
    name: str | None = None
    email_masked: str | None = None
    mobile_masked: str | None = None


@dataclass(frozen=True)
class ParentDetails:
    """What step 4 collects. With an existing account, e-mail and mobile may be left empty."""

    raw_id: str
    name: str
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True)
class Submitted:
    """One application as the completion page lists it."""

    number: str
    student_name_masked: str
    school_name: str
    classroom_name: str
    relationship: str
    status: str
    roster_match: bool
    required_documents: tuple[str, ...]
    submitted_at: datetime
    relationship_note: str | None = None  # 其他: who, in the parent's words
    school_name_en: str | None = None

    def school_in(self, lang: str) -> str:
        return school_name_in(lang, self.school_name, self.school_name_en)


@dataclass(frozen=True)
class ProgressRow:
    """One row of 目前申請進度."""

    number: str
    student_name_masked: str
    school_name: str
    classroom_name: str
    status: str
    reject_reason: str | None
    submitted_at: datetime
    cancellable: bool


def canonical_content(app: Application) -> bytes:
    """R16: the bytes the signature's SHA-256 covers. Sorted-key compact JSON (UTF-8) of what the
    parent signed: the number, the student and school, the relationship, the parent's details
    (ID only as digest and mask), the consent, and the signature's own time and terminal. The
    status and the school's decision are left out: they change after signing."""
    doc = {
        "format": "qinzi-application/1",
        "number": app.number,
        "student": app.student_id,
        "school": app.school_id,
        "classroom": app.classroom_id,
        "level": str(app.level),
        "relationship": str(app.relationship),
        "relationship_note": app.relationship_note,
        "parent_id_digest": app.parent_id_digest,
        "parent_id_masked": app.parent_id_masked,
        "parent_name": app.parent_name,
        "signature": app.signed_name or app.parent_name,
        "email": app.email,
        "mobile": app.mobile,
        "contact_digest": app.contact_digest,
        "consent_version": app.consent_version,
        "consent_at": _iso(app.consent_at),
        "signed_at": _iso(app.signed_at),
        "terminal_id": app.terminal_id,
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_sha256(app: Application) -> str:
    return hashlib.sha256(canonical_content(app)).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
