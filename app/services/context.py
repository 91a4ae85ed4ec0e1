"""What every service shares: settings, database, clock, keyring, outbox, audit and the
password hasher. Services are plain Python; the clock and the transports come in from outside,
so every rule is testable without a terminal or a network."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from peewee import Database

from app.clock import Clock
from app.config import Settings
from app.db import advisory_lock
from app.keys import Keyring
from app.services.audit import AuditService
from app.services.directory import DirectoryProvisioner
from app.services.outbox import OutboxService
from app.services.passwords import argon2_hasher

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@dataclass
class Context:
    settings: Settings
    db: Database
    keyring: Keyring
    clock: Clock
    outbox: OutboxService
    audit: AuditService
    # R39: the city directory's changes; a disabled one (queues nothing) when not configured.
    directory: DirectoryProvisioner | None = None

    def __post_init__(self) -> None:
        if self.directory is None:
            self.directory = DirectoryProvisioner(None, self.clock)

    @cached_property
    def hasher(self) -> PasswordHasher:
        """The password hasher, made when the first password is hashed or checked: a kiosk that
        nobody has logged in at loads no Argon2 (R45). Two threads may each make one; they are
        equal and hold no state."""
        return argon2_hasher(self.settings)

    @property
    def provisioner(self) -> DirectoryProvisioner:
        assert self.directory is not None  # set in __post_init__
        return self.directory

    def now(self) -> datetime:
        return self.clock()

    @property
    def terminal(self) -> str:
        """This terminal's name, as its audit events carry it."""
        return self.audit.terminal

    @contextmanager
    def transaction(self, *lock_keys: str) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE on SQLite). Messages enqueued inside it are
        delivered (and its audit events logged) only after it commits, so a failing transport
        never undoes the business change and a rolled-back change never sends a message."""
        try:
            with self.db.atomic():
                for key in lock_keys:
                    advisory_lock(self.db, key)
                yield
        except BaseException:
            self.outbox.discard_pending()
            self.provisioner.discard_pending()
            self.audit.discard_log()
            raise
        self.audit.flush_log()
        self.outbox.flush()
        self.provisioner.flush()
