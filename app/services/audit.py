"""The audit trail (R24): actor, action, target, time and terminal for every state change.

Targets and details hold record numbers and statuses, never names, IDs or contacts, so the trail
can outlive the retention purge (R30)."""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from peewee import fn

from app.clock import TAIPEI, Clock, to_local
from app.errors import InvalidInput
from app.models import Application, AuditEvent, Binding, Student, Teacher
from app.services.numbers import PREFIX
from app.services.paging import Page, page_bounds
from app.text import refuse_control, safe_cell

SYSTEM = "system"
log = logging.getLogger("qinzi.audit")


def contact_actor(contact_digest: str) -> str:
    """A pseudonym for a kiosk user known only by a verified contact."""
    return f"contact:{contact_digest[:12]}"


def teacher_actor(teacher_id: int) -> str:
    return f"staff:{teacher_id}"


def account_actor(account_id: int) -> str:
    return f"account:{account_id}"


_BINDING = re.compile(r"^binding:(\d+)$")
_STAFF = re.compile(r"^staff:(\d+)$")


def school_of(actor: str, target: str) -> int | None:
    """R33: the school an event belongs to: its application's, its binding's student's, or the
    acting staff member's."""
    if target.startswith(f"{PREFIX}-"):
        found = Application.select(Application.school).where(Application.number == target)
        if (school := found.scalar()) is not None:
            return school
    if match := _BINDING.match(target):
        found = (
            Student.select(Student.school)
            .join(Binding)
            .where(Binding.id == int(match.group(1)))
        )
        if (school := found.scalar()) is not None:
            return school
    if match := _STAFF.match(actor):
        return Teacher.select(Teacher.school).where(Teacher.id == int(match.group(1))).scalar()
    return None


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    target: str
    terminal: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditFilter:
    """What school IT narrows the log to. Days are Taipei calendar days as people type them
    (2026-09-01, 2026/9/1, 20260901); `until` includes its whole day. `actor` is an actor as
    stored (staff:12), its kind alone (staff, account, contact, system) or a staff e-mail."""

    actor: str = ""
    action: str = ""
    since: str = ""
    until: str = ""


@dataclass(frozen=True)
class AuditPage(Page[AuditRow]):
    names: dict[str, str]  # staff actors on this page -> the staff member's name


CSV_COLUMNS = ("at_utc", "at_taipei", "actor", "actor_name", "action", "target", "terminal",
               "detail")  # fmt: skip
_DAY = re.compile(r"^(\d{4})\D?(\d{1,2})\D?(\d{1,2})$")


def parse_day(text: str, field: str) -> datetime | None:
    """The UTC start of a Taipei calendar day typed by a person, or None for an empty field."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not folded:
        return None
    match = _DAY.match(folded)
    try:
        if match is None:
            raise ValueError(folded)
        return datetime(*(int(part) for part in match.groups())) - TAIPEI
    except (ValueError, OverflowError):  # 0001-01-01 in Taipei began before year 1 in UTC
        raise InvalidInput("errors.staff.date_invalid", field=field) from None


class AuditService:
    def __init__(self, clock: Clock, terminal: str) -> None:
        self._clock = clock
        self.terminal = terminal
        self._local = threading.local()

    def record(
        self, actor: str, action: str, target: str = "", *, school: int | None = None,
        **detail: Any,
    ) -> AuditEvent:  # fmt: skip
        """Write one event; call it inside the transaction of the change it describes. Its
        school (R33) is `school`, else the one of the record it is about, else the staff
        member's who did it; none for what belongs to no one school (a parent's login)."""
        event = AuditEvent.create(
            at=self._clock(),
            actor=actor,
            action=action,
            target=str(target),
            terminal=self.terminal,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
            school=school if school is not None else school_of(actor, str(target)),
        )
        self._pending().append((event.action, event.actor, event.target, event.detail))
        return event

    # --- the log file (app/logs.py) --------------------------------------------------------------

    def _pending(self) -> list[tuple[str, str, str, str]]:
        if not hasattr(self._local, "pending"):
            self._local.pending = []
        return self._local.pending

    def flush_log(self) -> None:
        """Log the events of the transaction that just committed, as they are stored: a
        pseudonymous actor, record numbers, no personal data (R9). A rolled-back change is never
        logged as done."""
        pending, self._local.pending = list(self._pending()), []
        for action, actor, target, detail in pending:
            log.info("%s by %s on %s %s", action, actor, target or "-", detail or "{}")

    def discard_log(self) -> None:
        self._pending().clear()

    def events(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 500,
    ) -> list[AuditRow]:
        query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if actor:
            query = query.where(AuditEvent.actor == actor)
        if action:
            query = query.where(AuditEvent.action == action)
        if target:
            query = query.where(AuditEvent.target == target)
        if since:
            query = query.where(AuditEvent.at >= since)
        if until:
            query = query.where(AuditEvent.at < until)
        return [
            AuditRow(e.at, e.actor, e.action, e.target, e.terminal, json.loads(e.detail or "{}"))
            for e in query.limit(limit)
        ]

    # --- reading the log (school IT) ---------------------------------------------------------

    def _conditions(self, wanted: AuditFilter) -> list[Any]:
        since = parse_day(wanted.since, "since")
        until = parse_day(wanted.until, "until")
        if since and until and until < since:
            raise InvalidInput("errors.staff.date_order", field="until")
        conditions: list[Any] = []
        refuse_control(wanted.action or "", "action", allow_space=False)
        actor = " ".join(refuse_control(wanted.actor or "", "actor").split()).lower()
        if "@" in actor:
            teacher = Teacher.get_or_none(fn.LOWER(Teacher.email) == actor)
            conditions.append(AuditEvent.actor == (teacher_actor(teacher.id) if teacher else actor))
        elif ":" in actor or actor in (SYSTEM, "anonymous", "kiosk"):
            conditions.append(AuditEvent.actor == actor)
        elif len(actor) >= AuditEvent.actor.max_length:
            # No actor is that long, and SQLite refuses a LIKE pattern of 50,000 bytes.
            conditions.append(AuditEvent.id.is_null())
        elif actor:
            conditions.append(AuditEvent.actor.startswith(f"{actor}:"))
        if wanted.action:
            conditions.append(AuditEvent.action == wanted.action)
        if since:
            conditions.append(AuditEvent.at >= since)
        if until:
            conditions.append(AuditEvent.at < until + timedelta(days=1))
        return conditions

    def validate(self, wanted: AuditFilter) -> None:
        """Refuse a malformed filter before anything is written."""
        self._conditions(wanted)

    def _query(self, wanted: AuditFilter, school: int | None):
        """The filtered log; of one school only (R33) when `school` is given."""
        query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        conditions = self._conditions(wanted)
        if school is not None:
            conditions.append(AuditEvent.school == school)
        return query.where(*conditions) if conditions else query

    @staticmethod
    def _row(e: AuditEvent) -> AuditRow:
        return AuditRow(e.at, e.actor, e.action, e.target, e.terminal, json.loads(e.detail or "{}"))

    @staticmethod
    def staff_names(actors: set[str]) -> dict[str, str]:
        ids = [int(a.split(":", 1)[1]) for a in actors if re.fullmatch(r"staff:\d+", a)]
        if not ids:
            return {}
        rows = Teacher.select(Teacher.id, Teacher.name).where(Teacher.id.in_(ids)).tuples()
        return {teacher_actor(i): name for i, name in rows}

    def page(
        self, wanted: AuditFilter, page: int = 1, page_size: int = 50, school: int | None = None
    ) -> AuditPage:
        """One page of the log, newest first, paged by the query (the log only grows)."""
        page, page_size = page_bounds(page, page_size)
        query = self._query(wanted, school)
        total = query.count()
        rows = [self._row(e) for e in query.paginate(page, page_size)]
        names = self.staff_names({r.actor for r in rows})
        return AuditPage(rows=rows, total=total, page=page, page_size=page_size, names=names)

    def actions(self, school: int | None = None) -> list[str]:
        query = AuditEvent.select(AuditEvent.action).distinct().order_by(AuditEvent.action)
        if school is not None:
            query = query.where(AuditEvent.school == school)
        return [action for (action,) in query.tuples()]

    def write_csv(self, out: IO[str], wanted: AuditFilter, school: int | None = None) -> int:
        """Every matching event, streamed, so a year of log does not sit in memory."""
        import csv  # the export only; a kiosk never writes one

        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        count, names = 0, {}
        for e in self._query(wanted, school).iterator():
            if e.actor.startswith("staff:") and e.actor not in names:
                names.update(self.staff_names({e.actor}) or {e.actor: ""})
            writer.writerow([safe_cell(cell) for cell in (
                e.at.isoformat(timespec="seconds") + "Z",
                f"{to_local(e.at):%Y-%m-%d %H:%M:%S}",
                e.actor, names.get(e.actor, ""), e.action, e.target, e.terminal, e.detail,
            )])  # fmt: skip R42: a name or a reason is never a formula in IT's spreadsheet
            count += 1
        return count
