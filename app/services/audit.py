"""The audit trail (R24): actor, action, target, time and terminal for every state change.

Targets and details hold record numbers and statuses, never names, IDs or contacts, so the trail
can outlive the retention purge (R30)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import Clock
from app.models import AuditEvent

SYSTEM = "system"


def contact_actor(contact_digest: str) -> str:
    """A pseudonym for a kiosk user known only by a verified contact."""
    return f"contact:{contact_digest[:12]}"


def teacher_actor(teacher_id: int) -> str:
    return f"staff:{teacher_id}"


def account_actor(account_id: int) -> str:
    return f"account:{account_id}"


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    target: str
    terminal: str
    detail: dict[str, Any]


class AuditService:
    def __init__(self, clock: Clock, terminal: str) -> None:
        self._clock = clock
        self._terminal = terminal

    def record(self, actor: str, action: str, target: str = "", **detail: Any) -> AuditEvent:
        """Write one event; call it inside the transaction of the change it describes."""
        return AuditEvent.create(
            at=self._clock(),
            actor=actor,
            action=action,
            target=str(target),
            terminal=self._terminal,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
        )

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
