"""The service layer: every rule of SPEC.md as plain Python, with no Textual import.

`build_services` is the one place that wires them; cli.py calls it, and so do the tests."""

from __future__ import annotations

import os
from dataclasses import dataclass

from app.clock import Clock, utcnow
from app.config import Settings
from app.db import open_database
from app.keys import Keyring, load_or_create_key
from app.services.accounts import AccountService
from app.services.applications import ApplicationService
from app.services.audit import AuditService
from app.services.context import Context
from app.services.forms import FormService
from app.services.outbox import OutboxService
from app.services.retention import RetentionService
from app.services.review import ReviewService
from app.services.roster import RosterService
from app.services.transports import StoreOnly, Transport, mail_transport_for
from app.services.verification import VerificationService


@dataclass
class Services:
    ctx: Context
    verification: VerificationService
    applications: ApplicationService
    review: ReviewService
    accounts: AccountService
    roster: RosterService
    retention: RetentionService
    forms: FormService

    @property
    def outbox(self) -> OutboxService:
        return self.ctx.outbox

    @property
    def audit(self) -> AuditService:
        return self.ctx.audit

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def close(self) -> None:
        if not self.ctx.db.is_closed():
            self.ctx.db.close()


def build_services(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    mail: Transport | None = None,
    sms: Transport | None = None,
    keyring: Keyring | None = None,
) -> Services:
    """Open the database named by the settings and wire every service to it."""
    db = open_database(settings.database_url)
    keyring = keyring or Keyring(
        load_or_create_key(settings.data_dir, os.environ.get("QINZI_SECRET"))
    )
    outbox = OutboxService(keyring, clock, mail or mail_transport_for(settings), sms or StoreOnly())
    ctx = Context(settings, db, keyring, clock, outbox, AuditService(clock, settings.terminal_id))
    verification = VerificationService(ctx)
    review = ReviewService(ctx)
    return Services(
        ctx=ctx,
        verification=verification,
        applications=ApplicationService(ctx, review),
        review=review,
        accounts=AccountService(ctx, verification),
        roster=RosterService(ctx),
        retention=RetentionService(ctx),
        forms=FormService(ctx),
    )
