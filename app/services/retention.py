"""Retention (R30): what is no longer needed is deleted after `settings.retention_days`.

Closed applications (cancelled, voided, rejected) hold a parent's name, contacts and signature;
used, expired or voided codes, failed-entry records and sent messages hold contacts. They go once
they are older than the retention period. Pending and approved applications never go, and the
audit trail stays: it holds record numbers and counts, never personal data (R24).

The same run ends the bindings of students who left the roster longer ago than the grace period
(R34, roster_lifecycle), so the one daily `qinzi purge` keeps both promises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from app.models import (
    Application,
    DirectoryChange,
    OutboxMessage,
    Status,
    VerificationCode,
    VerificationFailure,
)
from app.services.audit import SYSTEM
from app.services.context import Context
from app.services.queue import RETRYABLE
from app.services.roster_lifecycle import RosterLifecycle

PURGED_STATUSES = (Status.CANCELLED.value, Status.VOIDED.value, Status.REJECTED.value)
ACTION_PURGE = "retention.purge"


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime  # naive UTC: records closed before it were deleted
    applications: int
    codes: int
    failures: int
    messages: int
    bindings_ended: int = 0  # R34: of students who left the roster, after the grace period
    directory_changes: int = 0  # R39: finished ones, older than the retention period

    @property
    def total(self) -> int:
        return self.applications + self.codes + self.failures + self.messages


class RetentionService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def purge(self, now: datetime | None = None, *, actor: str = SYSTEM) -> PurgeReport:
        """R30: delete what has been closed for longer than the retention period, in one
        transaction with its audit event."""
        now = now or self.ctx.clock()
        ended = RosterLifecycle(self.ctx).end_left_bindings(now, actor)
        cutoff = now - timedelta(days=self.ctx.settings.retention_days)
        # A closed application's age counts from when it was closed or decided.
        closed = fn.COALESCE(
            Application.closed_at, Application.decided_at, Application.submitted_at
        )
        with self.ctx.transaction("retention-purge"):
            applications = (
                Application.delete()
                .where(Application.status.in_(PURGED_STATUSES) & (closed < cutoff))
                .execute()
            )
            finished = (
                VerificationCode.used_at.is_null(False)
                | VerificationCode.voided_at.is_null(False)
                | (VerificationCode.expires_at < now)
            )
            codes = (
                VerificationCode.delete()
                .where(finished & (VerificationCode.created_at < cutoff))
                .execute()
            )
            failures = VerificationFailure.delete().where(VerificationFailure.at < cutoff).execute()
            messages = OutboxMessage.delete().where(OutboxMessage.created_at < cutoff).execute()
            # R39: a carried-out or given-up directory change names a login e-mail; it goes too
            directory = (
                DirectoryChange.delete()
                .where(
                    DirectoryChange.status.not_in(RETRYABLE), DirectoryChange.created_at < cutoff
                )
                .execute()
            )
            report = PurgeReport(cutoff, applications, codes, failures, messages, ended, directory)
            self.ctx.audit.record(
                actor,
                ACTION_PURGE,
                "",
                days=self.ctx.settings.retention_days,
                applications=applications,
                codes=codes,
                failures=failures,
                messages=messages,
                directory_changes=directory,
            )
        return report
