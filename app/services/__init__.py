"""The service layer: every rule of SPEC.md as plain Python, with no Textual import.

`build_services` is the one place that wires them; cli.py calls it, and so do the tests. Each
service module is imported and built the first time it is used, so a kiosk draws its first frame
before the review, roster or forms code (and what they import) is loaded (issue 7's start-up)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING

from app.clock import Clock, utcnow
from app.config import Settings

if TYPE_CHECKING:
    from app.keys import Keyring
    from app.services.accounts import AccountService
    from app.services.applications import ApplicationService
    from app.services.audit import AuditService
    from app.services.audit_log import AuditLogService
    from app.services.contact_change import ContactChangeService
    from app.services.context import Context
    from app.services.directory import Directory, DirectoryProvisioner
    from app.services.forms import FormService
    from app.services.kiosk_lock import KioskLock
    from app.services.outbox import OutboxService
    from app.services.progress import ProgressService
    from app.services.retention import RetentionService
    from app.services.review import ReviewService
    from app.services.roster import RosterService
    from app.services.staff import StaffService
    from app.services.staff_accounts import StaffAccountService
    from app.services.transports import Transport
    from app.services.unbinding import UnbindingService
    from app.services.unbound import UnboundService
    from app.services.verification import VerificationService


class Services:
    """Every service on one context. Built lazily and once; cached_property is not locked, so
    the cheap services are built eagerly by `warm()` from the thread that owns the app. The
    context itself (database, keyring, outbox) may be lazy too: `qinzi demo` opens its new
    database behind the first frame, where its set-up runs (issue 7)."""

    def __init__(self, settings: Settings, clock: Clock, build_ctx: Callable[[], Context]) -> None:
        self.settings = settings
        self.clock = clock
        self._build_ctx = build_ctx
        self._ctx: Context | None = None
        self._ctx_lock = threading.Lock()

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            with self._ctx_lock:
                if self._ctx is None:
                    self._ctx = self._build_ctx()
        return self._ctx

    @cached_property
    def verification(self) -> VerificationService:
        from app.services.verification import VerificationService

        return VerificationService(self.ctx)

    @cached_property
    def review(self) -> ReviewService:
        from app.services.review import ReviewService

        return ReviewService(self.ctx)

    @cached_property
    def staff(self) -> StaffService:
        from app.services.staff import StaffService

        return StaffService(self.ctx)

    @cached_property
    def staff_accounts(self) -> StaffAccountService:
        from app.services.staff_accounts import StaffAccountService

        return StaffAccountService(self.ctx, self.verification)

    @cached_property
    def unbinding(self) -> UnbindingService:
        from app.services.unbinding import UnbindingService

        return UnbindingService(self.ctx)

    @cached_property
    def unbound(self) -> UnboundService:
        from app.services.unbound import UnboundService

        return UnboundService(self.ctx)

    @cached_property
    def audit_log(self) -> AuditLogService:
        from app.services.audit_log import AuditLogService

        return AuditLogService(self.ctx)

    @cached_property
    def applications(self) -> ApplicationService:
        from app.services.applications import ApplicationService

        return ApplicationService(self.ctx)

    @cached_property
    def progress(self) -> ProgressService:
        from app.services.progress import ProgressService

        return ProgressService(self.ctx)

    @cached_property
    def accounts(self) -> AccountService:
        from app.services.accounts import AccountService

        return AccountService(self.ctx, self.verification)

    @cached_property
    def contact_change(self) -> ContactChangeService:
        from app.services.contact_change import ContactChangeService

        return ContactChangeService(self.ctx, self.verification)

    @cached_property
    def kiosk_lock(self) -> KioskLock:
        from app.services.kiosk_lock import KioskLock

        return KioskLock(self.ctx)

    @cached_property
    def roster(self) -> RosterService:
        from app.services.roster import RosterService

        return RosterService(self.ctx)

    @cached_property
    def retention(self) -> RetentionService:
        from app.services.retention import RetentionService

        return RetentionService(self.ctx)

    @cached_property
    def forms(self) -> FormService:
        from app.services.forms import FormService

        return FormService(self.ctx)

    def warm(self, names: Iterable[str] = ()) -> None:
        """Build these services now (every one by default), imports included: called behind the
        first frame with what the terminal's screens use, so that the first keystroke that needs
        one does not wait for its import, and what they never use is never loaded (R45)."""
        for name in names or SERVICE_NAMES:
            getattr(self, name)

    @property
    def outbox(self) -> OutboxService:
        return self.ctx.outbox

    @property
    def audit(self) -> AuditService:
        return self.ctx.audit

    @property
    def directory(self) -> DirectoryProvisioner:
        return self.ctx.provisioner

    def close(self) -> None:
        """What was handed to the directory's worker is carried out first (a bounded wait: what
        is left is claimed again by a later `deliver_due`)."""
        if self._ctx is not None and self._ctx.provisioner.enabled:
            self._ctx.provisioner.wait_idle(self.settings.directory_timeout * 3)
            self._ctx.provisioner.directory.close()  # type: ignore[union-attr]
        if self._ctx is not None and not self._ctx.db.is_closed():
            self._ctx.db.close()


SERVICE_NAMES = (
    "verification", "review", "staff", "unbinding", "audit_log", "applications", "progress",
    "accounts", "contact_change", "kiosk_lock", "roster", "retention", "forms", "staff_accounts",
    "unbound",
)  # fmt: skip


def _database_key(db: object, settings: Settings, env_secret: str | None) -> Keyring:
    """R40: the key this database belongs to. A database that remembers a key refuses to open
    without it (nothing new is created) or with another one; a new database, or one from
    before the check, remembers the key it is opened with."""
    from app.db import advisory_lock
    from app.errors import ConfigError
    from app.keys import KEY_FILE, Keyring, key_present, load_or_create_key
    from app.models import KeyCheck

    stored = KeyCheck.select(KeyCheck.value).scalar()
    path = str(settings.data_dir / KEY_FILE)
    if stored is not None and not key_present(settings.data_dir, env_secret):
        raise ConfigError("errors.config.key.missing", path=path)
    keys = Keyring(load_or_create_key(settings.data_dir, env_secret))
    if stored is None:
        with db.atomic():  # type: ignore[attr-defined]
            advisory_lock(db, "qinzi-key-check")  # two hosts opening a new database at once
            if KeyCheck.select().count() == 0:
                KeyCheck.create(value=keys.check_value(), created_at=utcnow())
            stored = KeyCheck.select(KeyCheck.value).scalar()
    if stored != keys.check_value():
        raise ConfigError("errors.config.key.wrong", path=path)
    return keys


def build_services(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    mail: Transport | None = None,
    sms: Transport | None = None,
    keyring: Keyring | None = None,
    lazy: bool = False,
    create: bool = True,
    directory: Directory | None = None,
) -> Services:
    """Open the database named by the settings and wire every service to it; with `lazy`, at
    the first use of the context instead (database, keyring and outbox modules included)."""
    if not settings.terminal_id:
        from app.config import default_terminal

        settings = settings.replace(terminal_id=default_terminal(None))

    def build_ctx() -> Context:
        from app.db import open_database
        from app.services.audit import AuditService
        from app.services.context import Context
        from app.services.outbox import OutboxService
        from app.services.transports import mail_transport_for, sms_transport_for

        db = open_database(settings.database_url, create=create)
        keys = keyring or _database_key(db, settings, os.environ.get("QINZI_SECRET"))
        from app.services.progress import fill_step4_digests

        fill_step4_digests(keys)  # R37, for applications made before schema 7
        from app.services.directory import DirectoryProvisioner
        from app.services.directory_ldap import directory_for

        transport = mail or mail_transport_for(settings)
        outbox = OutboxService(keys, clock, transport, sms or sms_transport_for(settings))
        audit = AuditService(clock, settings.terminal_id)
        provisioner = DirectoryProvisioner(
            directory if directory is not None else directory_for(settings), clock,
            ppolicy=settings.directory_ppolicy,
        )  # fmt: skip
        return Context(settings, db, keys, clock, outbox, audit, provisioner)

    services = Services(settings, clock, build_ctx)
    if not lazy:
        services.ctx  # noqa: B018 - open the database now, so its errors surface here
    return services
