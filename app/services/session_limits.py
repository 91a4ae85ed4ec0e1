"""How much one kiosk session, and one contact, may ask (R8 and issue 9): the roster answers a
few lookups per session and a day's budget per contact, and step 4's 驗證 a few parent IDs per
session. Then the session ends.

Each limit takes the session and gives back the next one, or raises a refusal that carries it
(`error.session`): a count once moved is never lost with the refusal, and the session passed in
is never changed (issue 13)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

from app.errors import NotFound, QinziError, SessionEnded
from app.models import AuditEvent
from app.services.audit import contact_actor
from app.services.context import Context
from app.services.kiosk import KioskSession

DAY = timedelta(hours=24)
# Different parent IDs one session may check in step 4 (issue 9: no walking the parents).
PARENT_IDS_PER_SESSION = 3


def refuse_if_ended(session: KioskSession) -> None:
    if session.ended:
        raise SessionEnded("errors.application.session_ended").with_session(session)


def count_miss(ctx: Context, session: KioskSession) -> QinziError:
    """R8: a lookup that found nobody. Returns the refusal to raise, carrying the session with
    the miss counted, and ended at the configured number of misses."""
    session = replace(session, failed_lookups=session.failed_lookups + 1)
    actor = contact_actor(session.contact.digest)
    with ctx.transaction():
        ctx.audit.record(actor, "application.lookup_failed", failures=session.failed_lookups)
    remaining = ctx.settings.lookup_failures_per_session - session.failed_lookups
    if remaining > 0:
        return NotFound(
            "errors.application.lookup_failed", field="student_id", left=remaining,
            count=remaining,
        ).with_session(session)  # fmt: skip
    session = replace(session, ended=True)
    with ctx.transaction():
        ctx.audit.record(actor, "application.lookup_limit", failures=session.failed_lookups)
    refuse_if_contact_spent(ctx, session)
    return SessionEnded("errors.application.lookup_limit").with_session(session)


def refuse_if_contact_spent(ctx: Context, session: KioskSession) -> None:
    """R8 across sessions: a new session costs a new code (R2, R3) or a login, but neither
    may buy unlimited guesses. A contact's failed lookups of the last 24 hours stop at the
    day's budget of R4 (`contact_failures_per_day`), however many sessions it opened."""
    now = ctx.clock()
    budget = ctx.settings.contact_failures_per_day
    times = [
        at
        for (at,) in AuditEvent.select(AuditEvent.at)
        .where(
            (AuditEvent.actor == contact_actor(session.contact.digest))
            & (AuditEvent.action == "application.lookup_failed")
            & (AuditEvent.at > now - DAY)
        )
        .order_by(AuditEvent.at)
        .tuples()
    ]
    if len(times) < budget:
        return
    reopens = times[len(times) - budget] + DAY
    hours = max(1, math.ceil((reopens - now).total_seconds() / 3600))
    raise SessionEnded(
        "errors.application.lookup_day_limit", hours=hours, count=hours, retry_at=reopens
    ).with_session(replace(session, ended=True))


def note_parent_id(ctx: Context, session: KioskSession, digest: str) -> KioskSession:
    """Issue 9: 驗證 in step 4 tells whether an ID has an account (and its masked name), so
    one session may check only a few different IDs — a parent's own and a typo or two —
    not walk the city's parents. Then the session ends, as R8 ends a walk of the roster."""
    session = replace(session, parent_ids_tried=session.parent_ids_tried | {digest})
    if len(session.parent_ids_tried) <= PARENT_IDS_PER_SESSION:
        return session
    session = replace(session, ended=True)
    with ctx.transaction():
        ctx.audit.record(contact_actor(session.contact.digest), "application.parent_id_limit")
    raise SessionEnded("errors.application.parent_id_limit").with_session(session)
