"""Lists for school IT staff and scripts (`qinzi applications`). They may be pasted into a ticket
or a spreadsheet, so every row is masked as R9 asks of list rows: the student's name is masked and
neither ID numbers nor a parent's contacts appear at all."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from app.errors import InvalidInput
from app.i18n import LANGUAGES, t
from app.identity import mask_name
from app.models import Application, Classroom, School, Status, Student

# Taiwan has kept UTC+8 without daylight saving since 1979: no tz database needed.
TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")


def local_time(value: datetime) -> str:
    """A stored naive-UTC time as Taipei wall-clock time, to the minute."""
    return value.replace(tzinfo=UTC).astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ApplicationRow:
    number: str
    student_masked: str
    school: str
    classroom: str
    relationship: str  # a Relationship code
    status: str  # a Status code
    submitted_at: datetime  # naive UTC
    submitted_local: str  # Asia/Taipei, for display

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["submitted_at"] = self.submitted_at.isoformat(timespec="seconds") + "Z"
        return data


def parse_status(value: str | None) -> Status | None:
    """A status code (pending …) or its word in any catalog language: the seed's 申請 / 認證 /
    不通過, as the queue and the table show them, are accepted as typed."""
    if value is None or value == "":
        return None
    text = value.strip().lower()
    words = {t(f"cli.status.{s}", lang).lower(): s for s in Status for lang in LANGUAGES}
    try:
        return words.get(text) or Status(text)
    except ValueError:
        raise InvalidInput(
            "errors.reports.unknown_status",
            field="status",
            status=value,
            choices=", ".join(s.value for s in Status),
        ) from None


def list_applications(status: str | None = None, limit: int | None = None) -> list[ApplicationRow]:
    """R9: applications newest first, optionally of one status, masked for any reader."""
    wanted = parse_status(status)
    if limit is not None and limit < 1:
        raise InvalidInput("errors.reports.bad_limit", field="limit")
    query = (
        Application.select(
            Application.number,
            Student.name,
            School.name,
            Classroom.name,
            Application.relationship,
            Application.status,
            Application.submitted_at,
        )
        .join(Student, on=Application.student == Student.id)
        .switch(Application)
        .join(School, on=Application.school == School.id)
        .switch(Application)
        .join(Classroom, on=Application.classroom == Classroom.id)
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    )
    if wanted is not None:
        query = query.where(Application.status == wanted.value)
    if limit is not None:
        query = query.limit(limit)
    return [
        ApplicationRow(
            number=number,
            student_masked=mask_name(student),
            school=school,
            classroom=classroom,
            relationship=relationship,
            status=state,
            submitted_at=submitted,
            submitted_local=local_time(submitted),
        )
        for number, student, school, classroom, relationship, state, submitted in query.tuples()
    ]
