"""Issue 15, R20 for staff: wrong passwords slow down the terminal they are typed on, and do not
lock the teacher out everywhere (NIST SP 800-63B §5.2.2: throttle, do not hand an attacker a
lock-out). Staff e-mails follow a pattern (heping.301@…), so anyone at a kiosk could otherwise
keep a teacher out of the review terminal for good, five guesses every fifteen minutes.

On one terminal, after `login_failures_before_wait` failures in a row (5) each further try waits
1, 2, 4 … minutes, at most `login_wait_minutes` (15); a right password, or school IT lifting the
wait, starts the count again. Other terminals are not slowed. Only an attack from many terminals
at once, HARD_LIMIT failures in a row on the account, makes the account itself wait — for IT.

A login nobody has is slowed in exactly the same way under its keyed pseudonym (R4, R20), so
the waits do not tell a stranger which e-mails belong to staff. The counts are read from the
audit trail (each failure is an event with its terminal): no table of their own, and the same
for every host sharing the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from peewee import Expression

from app.models import AuditEvent
from app.services.audit import teacher_actor

HARD_LIMIT = 100  # failures in a row on all terminals together: then the account waits for IT
HARD_WAIT = timedelta(days=1)
WINDOW = timedelta(days=1)  # failures older than this no longer count

Run = tuple[int, "datetime | None"]  # failures in a row, and when the newest was


def of_teacher(teacher_id: int) -> Expression:
    """A teacher's login events, and IT lifting their wait (which ends a run of failures)."""
    mine = (AuditEvent.actor == teacher_actor(teacher_id)) & AuditEvent.action.in_(
        ("login", "login.failed")
    )
    lifted = (AuditEvent.action == "staff.wait_lifted") & (AuditEvent.target == str(teacher_id))
    return mine | lifted


def of_unknown(pseudonym: str) -> Expression:
    """The failures of a login nobody has, under its keyed pseudonym."""
    return (AuditEvent.target == pseudonym) & (AuditEvent.action == "login.failed")


def wait_until(
    failures: int, last: datetime | None, now: datetime, *, free: int, longest_minutes: int
) -> datetime | None:
    """When a terminal with `failures` in a row, the newest at `last`, may try again."""
    if failures < free or last is None:
        return None
    doublings = min(failures - free, 16)  # long past the longest wait already
    wait = min(timedelta(minutes=2**doublings), timedelta(minutes=longest_minutes))
    until = last + wait
    return until if until > now else None


def any_terminal_waiting(teacher_id: int, now: datetime, *, free: int) -> bool:
    """Whether some terminal is slowed for the teacher now (for IT's "lift the wait")."""
    terminals = (
        AuditEvent.select(AuditEvent.terminal)
        .where(
            (AuditEvent.actor == teacher_actor(teacher_id))
            & (AuditEvent.action == "login.failed")
            & (AuditEvent.at > now - WINDOW)
        )
        .distinct()
    )
    events = of_teacher(teacher_id)
    return any(failures_in_a_row(events, now, t.terminal)[0] >= free for t in terminals)


def failures_in_a_row(
    events: Expression, now: datetime, terminal: str | None = None
) -> Run:
    """Failures (on `terminal`, or anywhere) since the last success or lift, and the newest."""
    where = events & (AuditEvent.at > now - WINDOW)
    if terminal is not None:
        where &= (AuditEvent.terminal == terminal) | (AuditEvent.action == "staff.wait_lifted")
    rows = (
        AuditEvent.select(AuditEvent.action, AuditEvent.at)
        .where(where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(HARD_LIMIT)
    )
    failures, last = 0, None
    for action, at in rows.tuples():  # up to HARD_LIMIT rows at every login: no model objects
        if action != "login.failed":
            break
        failures += 1
        last = last or at
    return failures, last
