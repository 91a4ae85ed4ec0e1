"""The terminal that tests/unit/test_crash_safety.py kills: a kiosk and a staff desk in one process,
working through the real services on a SQLite file until a SIGKILL stops it.

What the parent may hold it to is what a person saw: after every call that returned (the moment
the kiosk shows the completion page, or the desk shows "approved"), one JSON line goes to an
append-only "screen" file with a single write(2). The kernel keeps a written line across a
SIGKILL of the writer, so a line in the file is a promise the database must keep; a change that
committed but whose line never got written is one the person did not see, and is free either way.

The parent's random timer lands mostly between transactions, where most of the time goes. So some
processes also carry a bomb (`arm_bomb`) that makes sure many deaths land where it matters: from
inside SQLite with a write transaction half done, or just after a COMMIT, before the outbox
delivery, the next transaction of the same operation or the screen."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from peewee import fn

from app.clock import FrozenClock
from app.config import Settings
from app.errors import QinziError
from app.identity import with_check_digit
from app.keys import Keyring
from app.models import Application, OutboxMessage, Status, Teacher
from app.services import Services, build_services
from app.services.contacts import normalize_contact
from app.services.kiosk import KioskSession, ParentDetails
from app.services.staff import StaffIdentity
from app.services.transports import StoreOnly
from tests.bench import stress

KEY = stress.KEY
SCHOOL = stress.SCHOOL
LEVEL = "elementary"
IT_EMAIL = "it0@stress.example"
# Argon2 slow enough (a few ms) that a random kill sometimes lands inside the hash of a submission.
ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 4096, "argon2_parallelism": 1}
BASE_TIME = datetime(2026, 9, 1, 0, 0)
MAX_OPS = 400  # a safety stop; the parent's timer always fires long before
PROGRESS_STEP = 20  # SQLite virtual-machine steps between two calls of the bomb's handler
REASON = "紙本申請書尚未繳回。"
OPERATIONS = {"submit": 6, "approve": 3, "reject": 1, "cancel": 1, "void": 0.2}


@dataclass(frozen=True)
class Job:
    url: str
    data_dir: str
    screen: str  # the append-only file of what was confirmed on screen
    round: int
    worker: int
    seed: int
    students: int
    bomb: str | None = None  # "statement" or "commit": see arm_bomb
    ticks: int = 0

    @property
    def terminal(self) -> str:
        return f"crash-{self.round}-{self.worker}"


def parent_plain(k: int) -> str:
    return with_check_digit(f"C1{k:07d}")


def parent_name(k: int) -> str:
    return f"家長{k}"


def parent_email(k: int) -> str:
    return f"p{k}@crash.example"


def parent_mobile(k: int) -> str:
    return f"09{k % 10**8:08d}"


def parent_of(email: str) -> int:
    return int(re.fullmatch(r"p(\d+)@crash\.example", email).group(1))


def settings_for(url: str, data_dir: str, terminal: str) -> Settings:
    """A production terminal with an SMS gateway (R38: else no SMS codes); the terminals keep
    what they send in the outbox (StoreOnly)."""
    return Settings(
        data_dir=Path(data_dir), db=url, terminal_id=terminal, mail_transport="outbox",
        sms_transport="kannel", sms_url="http://127.0.0.1:9/cgi-bin/sendsms",
        sms_username="crash", **ARGON2,
    )  # fmt: skip


def prepare(url: str, data_dir: str, students: int) -> None:
    """One school with `students` pupils and one school-IT desk, through stress.py's roster."""
    plan = stress.Plan(url, data_dir, 1, students, 1, ARGON2)
    stress.prepare(plan)


class Screen:
    """Append-only confirmations: one os.write per line, so a line is whole or absent."""

    def __init__(self, path: str, job: Job) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.who = f"{job.round}.{job.worker}"

    def show(self, op: str, **fields: Any) -> None:
        line = {"w": self.who, "op": op, "t": time.monotonic(), **fields}
        os.write(self.fd, (json.dumps(line, ensure_ascii=False) + "\n").encode())


def arm_bomb(services: Services, kind: str, ticks: int, screen: Screen) -> None:
    """Two kinds. "statement": SIGKILL from inside SQLite after `ticks` progress calls inside
    transactions, so the transaction is half done. "commit": SIGKILL just after the `ticks`-th
    COMMIT returned, so the change is stored but nothing after it ran (the outbox delivery, a
    second transaction, the screen)."""
    db = services.ctx.db
    count = 0

    def boom() -> None:
        screen.show("bomb", kind=kind)
        os.kill(os.getpid(), signal.SIGKILL)

    if kind == "statement":
        conn = db.connection()

        def tick() -> int:
            nonlocal count
            if conn.in_transaction:
                count += 1
                if count >= ticks:
                    boom()
            return 0

        conn.set_progress_handler(tick, PROGRESS_STEP)
    else:
        commit = db.commit

        def commit_then_die() -> None:
            nonlocal count
            commit()
            count += 1
            if count >= ticks:
                boom()

        db.commit = commit_then_die


class Terminal:
    def __init__(self, job: Job, services: Services, clock: FrozenClock, screen: Screen) -> None:
        self.job, self.services, self.clock, self.screen = job, services, clock, screen
        self.rng = random.Random(job.seed)
        self.staff = StaffIdentity.of(Teacher.get(Teacher.email == IT_EMAIL))
        self.fresh = 0

    # --- choosing -----------------------------------------------------------------------------

    def _parent(self) -> int:
        """A new parent most of the time; sometimes one who applied before (maybe approved)."""
        if self.rng.random() < 0.3:
            row = Application.select(Application.email).order_by(fn.Random()).first()
            if row is not None:
                return parent_of(row.email)
        self.fresh += 1
        return (self.job.round * 2 + self.job.worker) * 1000 + self.fresh

    def _pending(self) -> Application | None:
        return (
            Application.select()
            .where(Application.status == Status.PENDING)
            .order_by(fn.Random())
            .first()
        )

    # --- the operations -----------------------------------------------------------------------

    def submit(self) -> None:
        """Steps 1–4 of the kiosk, with a wrong code typed now and then."""
        rng, verification, apps = self.rng, self.services.verification, self.services.applications
        k = self._parent()
        channel = rng.choice(["email", "sms"])
        raw = parent_email(k) if channel == "email" else parent_mobile(k)
        verification.request_code(channel, raw)
        value = normalize_contact(channel, raw)
        message = (
            OutboxMessage.select()
            .where(OutboxMessage.recipient == value)
            .order_by(OutboxMessage.id.desc())
            .first()
        )
        code = re.search(r"\b(\d{6})\b", self.services.outbox.body_of(message)).group(1)
        if rng.random() < 0.15:
            wrong = f"{(int(code) + 1) % 10**6:06d}"
            with contextlib.suppress(QinziError):
                verification.verify_code(channel, raw, wrong)
        contact = verification.verify_code(channel, raw, code)
        session = KioskSession(contact=contact, lang=rng.choice(["zh-TW", "en"]))
        picked = rng.sample(range(self.job.students), rng.choice([1, 1, 1, 2, 3]))
        for n in picked:
            found = apps.lookup_student(session, LEVEL, SCHOOL, stress.student_plain(n))
            relationship = rng.choices(["father", "mother", "grandmother", "other"], [4, 4, 1, 1])
            note = "阿姨" if relationship[0] == "other" else None
            session = apps.choose_student(found.session, found.value, relationship[0], note)
        session = apps.give_consent(session, scrolled_to_end=True)
        students = [c.card.student_id for c in session.students]
        details = ParentDetails(parent_plain(k), parent_name(k), parent_email(k), parent_mobile(k))
        done = apps.submit(session, details, signature=parent_name(k)).value
        self.screen.show(
            "submitted",
            parent=k,
            contact=contact.digest,
            terminal=self.job.terminal,
            apps=[
                {
                    "number": d.number,
                    "student": student,
                    "relationship": str(d.relationship),
                    "submitted_at": d.submitted_at.isoformat(),
                }
                for d, student in zip(done, students, strict=True)
            ],
        )

    def approve(self) -> None:
        app = self._pending()
        if app is not None:
            decision = self.services.review.approve(self.staff, app.number, documents_checked=True)
            self.screen.show("approved", number=decision.number)

    def reject(self) -> None:
        app = self._pending()
        if app is not None:
            decision = self.services.review.reject(self.staff, app.number, REASON)
            self.screen.show("rejected", number=decision.number, reason=REASON)

    def cancel(self) -> None:
        app = self._pending()
        if app is not None:
            self.services.progress.cancel(app.contact_digest, app.number)
            self.screen.show("cancelled", number=app.number)

    def void(self) -> None:
        app = Application.select().order_by(fn.Random()).first()
        if app is not None:
            count = self.services.progress.void_all(app.contact_digest)
            self.screen.show("voided", contact=app.contact_digest, count=count)

    def run(self) -> None:
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        for _ in range(MAX_OPS):
            self.clock.advance(minutes=1)
            [name] = self.rng.choices(names, weights)
            self.screen.show("begin", what=name)
            try:
                getattr(self, name)()
            except QinziError as exc:
                self.screen.show("refused", what=name, key=exc.key)


def warm_up(folder: str) -> None:
    """Every operation once on a scratch database, in the parent, before any fork: the lazy
    imports and caches (e-mail validation, message catalogs) are then inherited, not paid for
    again by each short-lived terminal."""
    url = str(Path(folder) / "warm.db")
    prepare(url, folder, 100)
    job = Job(url, folder, str(Path(folder) / "warm.jsonl"), 0, 0, 0, 100)
    clock = FrozenClock(BASE_TIME)
    services = build_services(
        settings_for(url, folder, "warm"), clock=clock, keyring=Keyring(KEY), mail=StoreOnly(),
        sms=StoreOnly(),
    )  # fmt: skip
    terminal = Terminal(job, services, clock, Screen(job.screen, job))
    for name in ["submit", "submit", "submit", "approve", "reject", "cancel", "void"]:
        with contextlib.suppress(QinziError):
            getattr(terminal, name)()
    services.close()


def fork(job: Job) -> int:
    """Start a terminal in a child of this process and return its pid. Forked, not spawned: the
    imports are already done, so a round costs milliseconds. The caller must hold no open SQLite
    connection (SQLite forbids carrying one across fork); the child opens its own."""
    pid = os.fork()
    if pid == 0:
        try:
            main(job)
        finally:
            os._exit(4)
    return pid


def main(job: Job) -> None:
    """The child's whole life; it ends by SIGKILL (or, if the timer never fired, a clean exit)."""
    screen = Screen(job.screen, job)
    screen.show("start", job=asdict(job))
    try:
        clock = FrozenClock(BASE_TIME + timedelta(hours=job.round))
        services = build_services(
            settings_for(job.url, job.data_dir, job.terminal),
            clock=clock,
            keyring=Keyring(KEY),
            mail=StoreOnly(),
            sms=StoreOnly(),
        )
        if job.bomb is not None:
            arm_bomb(services, job.bomb, job.ticks, screen)
        screen.show("ready")
        Terminal(job, services, clock, screen).run()
        services.close()
    except BaseException:
        screen.show("error", trace=traceback.format_exc()[-2000:])
        os._exit(3)
    os._exit(0)
