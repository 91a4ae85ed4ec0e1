"""R39: approved accounts, their bindings and every later change, written to the city directory.

A change is queued as a DirectoryChange in the transaction that approved, reset, re-contacted or
unbound (Context.transaction), and carried out after the commit by services/queue.py's claim,
back-off and give-up — on a worker thread, so an approval never waits for the directory. A
change does not carry values: the entry is written from the account as it is when the change is
carried out, so a late, repeated or reordered change writes the same entry and none is lost.

The password goes as the Argon2id hash Qinzi already holds, in the `{ARGON2}` scheme that
OpenLDAP's argon2 module checks: the directory never sees it in plain text (R9, R23). Students
are named by the roster's student_key, or else by their keyed digest, never by ID number."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, fields
from typing import Protocol

from peewee import JOIN

from app.clock import Clock
from app.identity import mask_email
from app.models import Account, Application, Binding, DirectoryChange, Student
from app.services.bulk import chunks
from app.services.queue import OWN_TURN, RETRYABLE, RetryQueue

log = logging.getLogger("qinzi.directory")

ARGON2_SCHEME = "{ARGON2}"
# What each kind of change is expected to alter; a difference elsewhere was made by hand.
EVERYTHING = frozenset(
    {"entry", "uid", "cn", "sn", "given_name", "mail", "mobile", "password", "must_change",
     "bindings"}
)  # fmt: skip
EXPECTED = {
    "approved": EVERYTHING,
    "password": frozenset({"password", "must_change"}),
    "contact": frozenset({"uid", "mail", "mobile"}),
    "binding": frozenset({"bindings"}),
    "closed": frozenset({"entry"}),
}
WORKER_IDLE_SECONDS = 5.0
RECHECKS = 3
# A change handed over alone waits this long, so that the approval (or the screen) that queued it
# has returned before the worker competes with it for the interpreter.
HANDOFF_PAUSE = 0.02


class DirectoryError(Exception):
    """The directory could not be reached or refused a write; the message is one clear line for
    the log and `qinzi check` (it never holds the bind password)."""


@dataclass(frozen=True)
class Entry:
    """A parent's entry as Qinzi wants it (or as the directory has it)."""

    uid: str  # the login e-mail
    cn: str
    sn: str
    given_name: str
    mail: str
    mobile: str | None
    password: str  # {ARGON2}$argon2id$…
    must_change: bool | None  # pwdReset where the directory has ppolicy; None: not compared
    bindings: frozenset[str]  # "<student key>#<relationship>"


class Directory(Protocol):
    """The seam: an ldap3 directory (services/directory_ldap.py), or a fake one in tests."""

    def read(self, uid: str) -> Entry | None: ...

    def write(self, current: Entry | None, desired: Entry) -> None: ...

    def remove(self, uid: str) -> None: ...

    def close(self) -> None: ...


def split_name(name: str) -> tuple[str, str]:
    """(sn, givenName): "Mary Chen" → ("Chen", "Mary"); 吳三寶 → ("吳", "三寶"). A two-character
    Chinese surname (歐陽) cannot be told from the name alone; cn keeps the whole name."""
    name = name.strip()
    if " " in name:
        given, _, family = name.rpartition(" ")
        return family, given.strip()
    return (name[:1], name[1:]) if len(name) > 1 else (name, name)


def binding_value(student_key: str, relationship: str | None) -> str:
    return f"{student_key}#{relationship or 'other'}"


def desired_entry(account: Account, ppolicy: bool) -> Entry:
    rows = (
        Binding.select(Student.directory_key, Student.id_digest, Application.relationship)
        .join(Student)
        .switch(Binding)
        .join(Application, JOIN.LEFT_OUTER)
        .where(Binding.account == account.id, Binding.removed_at.is_null())
        .tuples()
    )
    sn, given = split_name(account.name)
    return Entry(
        uid=account.email,
        cn=account.name,
        sn=sn,
        given_name=given,
        mail=account.email,
        mobile=account.mobile,
        password=ARGON2_SCHEME + account.password_hash,
        must_change=account.must_change_password if ppolicy else None,
        bindings=frozenset(binding_value(key or digest, rel) for key, digest, rel in rows),
    )


def differences(current: Entry | None, desired: Entry | None) -> tuple[str, ...]:
    """The names of what differs; ("entry",) when one side is missing."""
    if current is None or desired is None:
        return () if current is desired else ("entry",)
    out = []
    for f in fields(Entry):
        want, have = getattr(desired, f.name), getattr(current, f.name)
        if f.name == "must_change" and want is None:
            continue
        if f.name == "must_change":
            have = bool(have)
        if want != have:
            out.append(f.name)
    return tuple(out)


@dataclass(frozen=True)
class EntryDifference:
    """One account whose entry is missing or differs (`qinzi check`, `directory sync`)."""

    account_id: int
    uid_masked: str
    fields: tuple[str, ...]


class DirectoryProvisioner(RetryQueue):
    model = DirectoryChange
    failures = (DirectoryError,)
    log = log

    def __init__(self, directory: Directory | None, clock: Clock, *, ppolicy: bool = False):
        super().__init__(clock)
        self.directory = directory
        self.ppolicy = ppolicy
        self._work: queue.Queue[int] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    # --- queueing, inside the business transaction ----------------------------------------

    def queue(self, account: Account | int, kind: str, uid: str | None = None) -> None:
        """`uid`: where the entry is now, if not under the account's e-mail (an e-mail change
        queues the old one)."""
        if self.directory is None:
            return
        row = account if isinstance(account, Account) else Account.get_by_id(account)
        now = self._clock()
        change = DirectoryChange.create(
            account_id=row.id, uid=uid or row.email, kind=kind, created_at=now,
            next_attempt_at=now + OWN_TURN,
        )  # fmt: skip
        self._track(change.id)

    def flush(self) -> None:
        """After the commit: hand the changes to the worker thread, so the caller goes on."""
        pending, self._local.pending = list(self._pending()), []
        if not pending:
            return
        with self._worker_lock:
            for change_id in pending:
                self._work.put(change_id)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="qinzi-directory", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        while True:
            try:
                change_id = self._work.get(timeout=WORKER_IDLE_SECONDS)
            except queue.Empty:
                with self._worker_lock:
                    if self._work.empty():
                        self._worker = None
                        self._close_thread_connection()
                        return
                continue
            if self._work.empty():
                time.sleep(HANDOFF_PAUSE)  # the committing thread returns first (one GIL)
            try:
                change = self._claim(change_id, attempts=0)
                if change is not None:
                    self._deliver(change)
            except Exception:  # the database itself failed: the change stays for deliver_due
                log.exception("directory change %s left for a later attempt", change_id)
            finally:
                self._work.task_done()

    def _close_thread_connection(self) -> None:
        db = DirectoryChange._meta.database
        if db.obj is not None and not db.is_closed():
            db.close()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until the worker has carried out what was handed to it (tests, the CLI's exit)."""
        deadline = time.monotonic() + timeout
        while self._work.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    # --- carrying a change out -----------------------------------------------------------

    def _about(self, change: DirectoryChange) -> str:
        return (f"directory change {change.id} ({change.kind}) of account {change.account_id} "
                f"({mask_email(change.uid)})")  # fmt: skip

    def _skip(self, change_id: int) -> bool:
        """An older change of the same account goes first (it may rename the entry)."""
        change = DirectoryChange.get_by_id(change_id)
        return (
            DirectoryChange.select()
            .where(
                DirectoryChange.account_id == change.account_id,
                DirectoryChange.id < change_id,
                DirectoryChange.status.in_(RETRYABLE),
            )
            .exists()
        )

    def _desired(self, account_id: int) -> Entry | None:
        account = Account.get_or_none(Account.id == account_id)
        return None if account is None else desired_entry(account, self.ppolicy)

    def _current(self, uids: list[str]) -> Entry | None:
        assert self.directory is not None
        for uid in dict.fromkeys(uids):
            entry = self.directory.read(uid)
            if entry is not None:
                return entry
        return None

    def _attempt(self, change: DirectoryChange) -> str:
        assert self.directory is not None
        desired = self._desired(change.account_id)
        current = self._current([change.uid] + ([desired.uid] if desired else []))
        diff = differences(current, desired)
        by_hand = [d for d in diff if d not in EXPECTED.get(change.kind, EVERYTHING)]
        if current is not None and by_hand:
            log.warning("directory entry of account %s (%s) was changed outside Qinzi (%s): "
                        "Qinzi's record is written over it", change.account_id,
                        mask_email(current.uid), ", ".join(by_hand))  # fmt: skip
        self._apply(current, desired)
        # Another terminal may have changed the account while this one wrote: write again what
        # it now holds, so that a slower writer never leaves an older entry behind.
        for _ in range(RECHECKS):
            now_desired = self._desired(change.account_id)
            if now_desired == desired:
                break
            current, desired = (self._current([desired.uid]) if desired else None), now_desired
            if current is None and desired is not None and desired.uid != change.uid:
                current = self._current([change.uid])
            self._apply(current, desired)
        return "sent"

    def _apply(self, current: Entry | None, desired: Entry | None) -> None:
        assert self.directory is not None
        if desired is None:
            if current is not None:
                self.directory.remove(current.uid)
        elif differences(current, desired):
            self.directory.write(current, desired)

    # --- reconciling every account (qinzi directory sync, qinzi check) ---------------------

    def compare(self, *, repair: bool = False) -> list[EntryDifference]:
        """Every account against its entry; with `repair`, what differs is written."""
        assert self.directory is not None
        found = []
        for account in Account.select().order_by(Account.id).iterator():
            desired = desired_entry(account, self.ppolicy)
            current = self.directory.read(desired.uid)
            diff = differences(current, desired)
            if diff:
                found.append(EntryDifference(account.id, mask_email(account.email), diff))
                if repair:
                    self._apply(current, desired)
                    log.info("directory entry of account %s (%s) written by sync: %s",
                             account.id, mask_email(account.email), ", ".join(diff))  # fmt: skip
        if repair:  # every entry is now as Qinzi holds it: what was given up is settled
            DirectoryChange.update(status="synced", next_attempt_at=None).where(
                DirectoryChange.status == "undeliverable"
            ).execute()
        return found

    def students_renamed(self, keys: dict[str, str | None]) -> None:
        """A roster import gave students (by digest) these directory keys: the parents bound to
        one whose key changed get their entry rewritten. Called before the students are."""
        if self.directory is None or not keys:
            return
        digests = list(keys)
        changed: list[str] = []
        for batch in chunks(digests):
            query = Student.select(Student.id_digest, Student.directory_key)
            for digest, key in query.where(Student.id_digest.in_(list(batch))).tuples():
                if key != keys[digest]:
                    changed.append(digest)
        for batch in chunks(changed):
            accounts = (
                Account.select()
                .join(Binding)
                .join(Student)
                .where(Student.id_digest.in_(list(batch)), Binding.removed_at.is_null())
                .distinct()
            )
            for account in accounts:
                self.queue(account, "binding")

    def given_up(self) -> list[DirectoryChange]:
        return list(
            DirectoryChange.select()
            .where(DirectoryChange.status == "undeliverable")
            .order_by(DirectoryChange.id)
        )

