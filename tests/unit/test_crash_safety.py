"""Crash safety (issue 9, point 4; SPEC "Data at scale", R15, R16, R17, R18, R19, R24).

A kiosk or a staff desk can lose power or be killed at any instant. Hundreds of times over, a
terminal process (tests/crash_worker.py, forked so a round costs milliseconds) submits, approves,
rejects and cancels through the real services on one SQLite file and is SIGKILLed at a random
moment: before it opened the file, in Argon2, in a commit, on the way to the screen, and (its
bombs) inside SQLite with a transaction half done or just after a COMMIT, before the outbox
delivery. Sometimes two terminals work at once and only one dies first. Then the file is opened
again, which recovers the WAL the dead process left, and must pass

* `PRAGMA integrity_check` and the consistency check (`qinzi check`: R15, R19, R24);
* everything the terminal confirmed on screen: each application number shown is stored once with
  what the parent typed and an intact signature hash (R16), its audit event (R24) and the
  e-mail or SMS that says it was received, handed to the transport; each approval, rejection
  and cancellation shown sticks, with its e-mail;
* no half-written transaction anywhere, confirmed or not: an application without its audit event
  or its receipt, a decision without its audit event or its e-mail, an account without its binding
  or created twice (R19), a code without its audit, a wrong entry counted on the code but not on
  the contact's day (R3, R4).

About one round in three is not checked: the next terminal opens the dead one's WAL itself and
carries on. `QINZI_CRASH_ROUNDS` sets the number of rounds (200 in CI), `QINZI_CRASH_SEED` replays
a run; the seed is in every failure message."""

from __future__ import annotations

import functools
import json
import os
import random
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app import cli, factory
from app.clock import utcnow
from app.db import open_database
from app.identity import id_digest, mask_id
from app.keys import Keyring
from app.models import (
    Account,
    Application,
    AuditEvent,
    Binding,
    OutboxMessage,
    Status,
    VerificationCode,
    VerificationFailure,
    database,
)
from app.services.consistency import check_consistency
from app.services.contacts import contact_digest, normalize_phone
from app.services.kiosk import content_sha256
from app.services.outbox import OWN_TURN, DeliveryReport
from tests import crash_worker as cw

ROUNDS = int(os.environ.get("QINZI_CRASH_ROUNDS", "200"))
SEED = int(os.environ.get("QINZI_CRASH_SEED") or random.randrange(2**32))
STUDENTS = 3000
EARLY_MS = 6  # about the time a new terminal needs to open the database
LATE_MS = 120  # a dozen or so operations
UNCHECKED = 1 / 3  # rounds after which the next terminal, not the checker, opens the WAL
PAIRED = 1 / 4  # rounds with two terminals at once
# Terminals that kill themselves (crash_worker.arm_bomb), and how far in: progress calls inside
# transactions, or COMMITs; either is a few operations' worth.
BOMBS = {None: 2, "statement": 1, "commit": 1}
BOMB_TICKS = {"statement": 120, "commit": 8}
NUMBER = re.compile(r"QZ-[0-9A-Z]{4}-[0-9A-Z]{4}")
APPROVAL_MAILS = ("application_approved", "application_approved_random", "binding_approved")


def kill_delay(rng: random.Random, job: cw.Job) -> float:
    """Seconds after the fork: sometimes before the database is even open, mostly mid-work. A
    terminal with a bomb gets a longer leash, so that on a busy machine it still reaches it."""
    if job.bomb:
        return 4 * LATE_MS / 1000
    limit = EARLY_MS if rng.random() < 0.1 else LATE_MS
    return rng.uniform(0, limit) / 1000


@dataclass
class Tally:
    """Where the kills landed and what the checks saw; printed, and asserted for coverage."""

    kills: int = 0
    clean_exits: int = 0
    sites: Counter = field(default_factory=Counter)
    checks: int = 0
    checks_with_wal: int = 0
    starts_with_wal: int = 0
    recovered_confirmations: int = 0  # confirmations read back from a dead terminal's WAL
    confirmed_submissions: int = 0
    confirmed_numbers: int = 0
    unconfirmed_numbers: int = 0  # committed, but the terminal died before showing them
    # Committed in the business transaction but never handed to the transport: the terminal died
    # between COMMIT and delivery. `deliver_due` hands them over later (checked at the end).
    stranded_messages: int = 0
    seconds: float = 0.0
    check_seconds: float = 0.0


class ScreenReader:
    """What the terminals showed, read back from their append-only file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.lines: list[dict] = []

    def read(self) -> list[dict]:
        """The lines added since the last read (a line is written whole or not at all)."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()[self.offset :]
        whole = data[: data.rfind(b"\n") + 1]
        self.offset += len(whole)
        new = [json.loads(line) for line in whole.decode().splitlines()]
        self.lines += new
        return new

    def last_line_of(self, who: str) -> dict:
        """Where a terminal was when it died: its last line."""
        return next((line for line in reversed(self.lines) if line["w"] == who), {"op": "none"})


class Checker:
    """Opens the file as the next terminal would, then holds it to what the screens showed."""

    def __init__(self, url: str, screen: ScreenReader, tally: Tally) -> None:
        self.url = url
        self.screen = screen
        self.tally = tally
        self.keyring = Keyring(cw.KEY)
        self.id_digest = functools.cache(lambda plain: id_digest(self.keyring, plain))
        self.contact_digest = functools.cache(lambda value: contact_digest(self.keyring, value))
        self.settings = cw.settings_for(url, "", "checker")
        self.bodies: dict[int, tuple[str, ...]] = {}  # message id -> the numbers its body names
        # (what was shown, number) -> whether its message left the outbox for the transport
        self.handed_over: dict[tuple[str, str], bool] = {}

    def wal_size(self) -> int:
        wal = Path(f"{self.url}-wal")
        return wal.stat().st_size if wal.exists() else 0

    def check(self, new_lines: list[dict]) -> list[str]:
        self.tally.checks += 1
        began = time.perf_counter()
        wal = self.wal_size()
        self.tally.checks_with_wal += wal > 0
        db = open_database(self.url, migrate=False)
        try:
            problems = [f"integrity: {row}" for row in self._integrity(db)]
            problems += [f"consistency: {p}" for p in check_consistency(db)]
            apps = {a.number: a for a in Application.select()}
            problems += self._half_written(apps)
            problems += self._confirmed(apps)
            problems += self._initial_password(apps, new_lines)
        finally:
            db.close()
        if wal and any(line["op"] == "submitted" for line in new_lines):
            self.tally.recovered_confirmations += 1
        self.tally.check_seconds = round(self.tally.check_seconds + time.perf_counter() - began, 2)
        return problems

    @staticmethod
    def _integrity(db) -> list[str]:
        rows = [row[0] for row in db.execute_sql("PRAGMA integrity_check").fetchall()]
        return [] if rows == ["ok"] else rows

    # --- every row, confirmed or not ----------------------------------------------------------

    def _messages(self) -> list[tuple[int, str, str, str, tuple[str, ...]]]:
        rows = []
        query = OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.purpose,
            OutboxMessage.recipient,
            OutboxMessage.status,
            OutboxMessage.body_sealed,
        ).tuples()
        for id_, purpose, recipient, status, sealed in query:
            if id_ not in self.bodies:
                body = self.keyring.unseal(sealed) or ""
                self.bodies[id_] = tuple(NUMBER.findall(body))
            rows.append((id_, purpose, recipient, status, self.bodies[id_]))
        return rows

    def _half_written(self, apps: dict[str, Application]) -> list[str]:
        problems: list[str] = []
        audits = Counter(AuditEvent.select(AuditEvent.action, AuditEvent.target).tuples())
        created_by = {
            target: json.loads(detail or "{}").get("account_created")
            for target, detail in AuditEvent.select(AuditEvent.target, AuditEvent.detail)
            .where(AuditEvent.action == "application.approved")
            .tuples()
        }
        received, told = Counter(), Counter()
        receipt_to: dict[str, str] = {}
        stranded = 0
        self.handed_over = {}
        for _, purpose, recipient, status, numbers in self._messages():
            if status not in ("queued", "stored"):
                problems.append(f"message to {purpose} has status {status}")
            stranded += status == "queued"
            if purpose.startswith("application_received"):
                received.update(numbers)
                receipt_to.update(dict.fromkeys(numbers, recipient))
                self.handed_over.update({("submitted", n): status != "queued" for n in numbers})
            elif purpose in APPROVAL_MAILS or purpose == "application_rejected":
                told.update((purpose, n) for n in numbers)
                kind = "rejected" if purpose == "application_rejected" else "approved"
                self.handed_over.update({(kind, n): status != "queued" for n in numbers})
        self.tally.stranded_messages = stranded
        for number in set(received) | {t for (a, t) in audits if a.startswith("application.")}:
            if number not in apps:
                problems.append(f"{number}: receipt or audit event without its application")
        for number, app in apps.items():
            problems += self._application_whole(app, audits, received, told, created_by)
            recipient = receipt_to.get(number)
            if recipient and self.contact_digest(recipient) != app.contact_digest:
                problems.append(f"{number}: receipt sent to another contact")
        bound = {a for (a,) in Binding.select(Binding.account).where(Binding.removed_at.is_null())
                 .tuples()}  # fmt: skip
        creators: dict[int, list[Application]] = {}
        for app in apps.values():
            if app.account_id is not None and created_by.get(app.number) is True:
                creators.setdefault(app.account_id, []).append(app)
        for account in Account.select():
            if account.id not in bound:
                problems.append(f"account#{account.id} without a binding (R19)")
            made = creators.get(account.id, [])
            if len(made) != 1:
                problems.append(f"account#{account.id} created by {len(made)} approvals (R19)")
                continue
            app = made[0]
            if (account.email, account.id_digest, account.name, account.password_hash) != (
                app.email, app.parent_id_digest, app.parent_name, app.initial_password_hash
            ):  # fmt: skip
                problems.append(f"account#{account.id} differs from {app.number} (R19)")
        problems += self._codes(audits)
        return problems

    @staticmethod
    def _application_whole(app, audits, received, told, created_by) -> list[str]:
        n, status = app.number, app.status
        problems = []
        if content_sha256(app) != app.content_sha256:
            problems.append(f"{n}: signature hash does not match the stored content (R16)")
        if not (app.initial_password_hash or "").startswith("$argon2id$"):
            problems.append(f"{n}: no Argon2id initial password hash (R19)")
        if audits[("application.submitted", n)] != 1:
            problems.append(f"{n}: {audits[('application.submitted', n)]} submit events (R24)")
        if received[n] != 1:
            problems.append(f"{n}: named in {received[n]} receipts")
        expected = {
            "application.approved": status == Status.APPROVED,
            "application.rejected": status == Status.REJECTED
            or (status == Status.VOIDED and app.reject_reason is not None),
            "application.cancelled": status == Status.CANCELLED,
            "application.voided": status == Status.VOIDED,
        }
        for action, wanted in expected.items():
            if audits[(action, n)] != int(wanted):
                problems.append(f"{n} ({status}): {audits[(action, n)]} {action} events (R24)")
        approval_mails = sum(told[(p, n)] for p in APPROVAL_MAILS)
        if approval_mails != int(status == Status.APPROVED):
            problems.append(f"{n} ({status}): {approval_mails} approval e-mails (R19)")
        if told[("application_rejected", n)] != int(expected["application.rejected"]):
            problems.append(f"{n} ({status}): rejection e-mail count wrong (R18)")
        decided = status == Status.APPROVED or expected["application.rejected"]
        if (app.decided_at is not None) != decided:
            problems.append(f"{n} ({status}): decided_at is {app.decided_at}")
        if (app.account_id is not None) != (status == Status.APPROVED):
            problems.append(f"{n} ({status}): account is {app.account_id}")
        if status == Status.APPROVED and created_by.get(n) is None:
            problems.append(f"{n}: approval event without account_created")
        closed = status in (Status.CANCELLED, Status.VOIDED)
        if (app.closed_at is not None) != closed:
            problems.append(f"{n} ({status}): closed_at is {app.closed_at}")
        return problems

    @staticmethod
    def _codes(audits: Counter) -> list[str]:
        """R1–R4: a code is sent, checked and counted in the same transaction as its audit."""
        problems = []
        failed = 0
        codes = VerificationCode.select(
            VerificationCode.id, VerificationCode.used_at, VerificationCode.attempts
        ).tuples()
        for id_, used_at, attempts in codes:
            target = str(id_)
            if audits[("code.sent", target)] != 1:
                problems.append(f"code#{id_}: {audits[('code.sent', target)]} code.sent events")
            if audits[("code.verified", target)] != int(used_at is not None):
                problems.append(f"code#{id_}: used_at {used_at} but verified events differ")
            if audits[("code.failed", target)] != attempts:
                problems.append(f"code#{id_}: {attempts} attempts, other count of failed events")
            failed += attempts
        if VerificationFailure.select().count() != failed:
            problems.append("wrong entries counted on codes and on contacts differ (R3, R4)")
        messages = OutboxMessage.select().where(OutboxMessage.purpose.startswith("code_")).count()
        if messages != VerificationCode.select().count():
            problems.append(f"{messages} code messages for {len(codes)} codes")
        return problems

    # --- what the screens showed --------------------------------------------------------------

    def _confirmed(self, apps: dict[str, Application]) -> list[str]:
        problems: list[str] = []
        shown: Counter = Counter()
        outcome: dict[str, str] = {}
        submitted = 0
        for line in self.screen.lines:
            op = line["op"]
            if op == "submitted":
                submitted += 1
                for item in line["apps"]:
                    shown[item["number"]] += 1
                    problems += self._as_submitted(apps.get(item["number"]), line, item)
                    if not self.handed_over.get(("submitted", item["number"]), True):
                        problems.append(f"{item['number']}: shown, its receipt never handed over")
            elif op in ("approved", "rejected", "cancelled"):
                number = line["number"]
                if number in outcome:
                    problems.append(f"{number}: shown {outcome[number]}, then {op}")
                outcome[number] = op
                app = apps.get(number)
                allowed = {
                    "approved": (Status.APPROVED,),
                    "rejected": (Status.REJECTED, Status.VOIDED),
                    "cancelled": (Status.CANCELLED,),
                }[op]
                if app is None or app.status not in allowed:
                    problems.append(f"{number}: shown {op}, stored {app and app.status}")
                elif op == "rejected" and app.reject_reason != line["reason"]:
                    problems.append(f"{number}: the reason shown is not the one stored")
                if not self.handed_over.get((op, number), True):
                    problems.append(f"{number}: shown {op}, its e-mail never handed over")
        problems += [f"{n}: one number shown {c} times (R31)" for n, c in shown.items() if c > 1]
        self.tally.confirmed_submissions = submitted
        self.tally.confirmed_numbers = len(shown)
        self.tally.unconfirmed_numbers = len(set(apps) - set(shown))
        return problems

    def _as_submitted(self, app: Application | None, line: dict, item: dict) -> list[str]:
        number, k = item["number"], line["parent"]
        if app is None:
            return [f"{number}: shown on the completion page, not stored"]
        plain = cw.parent_plain(k)
        want = {
            "student_id": item["student"],
            "relationship": item["relationship"],
            "contact_digest": line["contact"],
            "parent_id_digest": self.id_digest(plain),
            "parent_id_masked": mask_id(plain),
            "parent_name": cw.parent_name(k),
            "email": cw.parent_email(k),
            "mobile": normalize_phone(cw.parent_mobile(k)),
            "terminal_id": line["terminal"],
            "consent_version": self.settings.privacy_statement_version,
            "submitted_at": datetime.fromisoformat(item["submitted_at"]),
            "signed_at": datetime.fromisoformat(item["submitted_at"]),
        }
        problems = [
            f"{number}: {name} is {getattr(app, name)!r}, the parent gave {value!r}"
            for name, value in want.items()
            if getattr(app, name) != value
        ]
        return problems

    def _initial_password(self, apps: dict[str, Application], new_lines: list[dict]) -> list[str]:
        """R19: the hash stored at submission opens the account with the ID's last six
        characters. Argon2 is slow, so one new confirmation per check is enough."""
        for line in new_lines:
            if line["op"] == "submitted" and line["apps"][0]["number"] in apps:
                app = apps[line["apps"][0]["number"]]
                try:
                    PasswordHasher().verify(
                        app.initial_password_hash, cw.parent_plain(line["parent"])[-6:]
                    )
                except (VerificationError, InvalidHashError):
                    return [f"{app.number}: the initial password hash does not verify (R19)"]
                return []
        return []


def kill_at(deadlines: dict[int, float]) -> dict[int, int]:
    """SIGKILL each child at its deadline unless it died first (a bomb); their wait statuses."""
    statuses: dict[int, int] = {}
    while len(statuses) < len(deadlines):
        for pid, deadline in deadlines.items():
            if pid in statuses:
                continue
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done and time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
                done, status = os.waitpid(pid, 0)
            if done:
                statuses[pid] = status
        time.sleep(0.0005)
    return statuses


def run_rounds(tmp_path: Path, rounds: int, seed: int) -> tuple[Tally, list[str]]:
    url, data = str(tmp_path / "qinzi.db"), str(tmp_path / "data")
    cw.warm_up(str(tmp_path / "warm"))
    cw.prepare(url, data, STUDENTS)
    database.close()
    screen = ScreenReader(tmp_path / "screen.jsonl")
    tally = Tally()
    checker = Checker(url, screen, tally)
    rng = random.Random(seed)
    failures: list[str] = []
    unchecked: list[dict] = []
    start = time.perf_counter()
    for r in range(rounds):
        jobs = []
        for w in range(2 if rng.random() < PAIRED else 1):
            [bomb] = rng.choices(list(BOMBS), list(BOMBS.values()))
            ticks = rng.randint(1, BOMB_TICKS[bomb]) if bomb else 0
            seed = rng.randrange(2**32)
            jobs.append(cw.Job(url, data, str(screen.path), r, w, seed, STUDENTS, bomb, ticks))
        tally.starts_with_wal += checker.wal_size() > 0
        assert database.is_closed()  # never carry a SQLite connection across fork
        delays = [kill_delay(rng, job) for job in jobs]
        began = time.monotonic()
        pids = [cw.fork(job) for job in jobs]
        deadlines = {pid: began + delay for pid, delay in zip(pids, delays, strict=True)}
        for status in kill_at(deadlines).values():
            code = os.waitstatus_to_exitcode(status)
            tally.kills += code == -signal.SIGKILL
            tally.clean_exits += code == 0
            if code not in (0, -signal.SIGKILL):
                failures.append(f"round {r}: a terminal ended with {code}")
        new = screen.read()
        unchecked += new
        for line in new:
            if line["op"] == "error":
                failures.append(f"round {r}: {line['trace']}")
        for job in jobs:
            last = screen.last_line_of(f"{r}.{job.worker}")
            site = {"begin": last.get("what"), "bomb": f"bomb:{last.get('kind')}"}
            tally.sites[site.get(last["op"], last["op"])] += 1
        if r == rounds - 1 or rng.random() >= UNCHECKED:
            problems = checker.check(unchecked)
            unchecked = []
            failures += [f"round {r}: {p}" for p in problems[:20]]
        if failures:
            break
    tally.seconds = round(time.perf_counter() - start, 1)
    return tally, failures
@pytest.mark.crash


def test_r19_sigkill_at_random_points_loses_nothing_confirmed(tmp_path, capsys):
    """R15, R16, R19, R24: hundreds of terminals SIGKILLed mid-submission and mid-approval; the
    file always passes integrity_check and `qinzi check`, every confirmed submission and decision
    is there whole, and no transaction is ever half written."""
    tally, failures = run_rounds(tmp_path, ROUNDS, SEED)
    context = f"seed {SEED} (QINZI_CRASH_SEED), {tally}"
    assert failures == [], f"{context}\n" + "\n".join(failures)
    if "QINZI_CRASH_ROUNDS" in os.environ:  # a long run by hand: say what it covered
        with capsys.disabled():
            print(f"\ncrash safety: {ROUNDS} rounds, {context}")
    # The CLI a school's IT runs after a power cut agrees.
    url, data = str(tmp_path / "qinzi.db"), str(tmp_path / "data")
    assert cli.main(["--lang", "en", "check", "--db", url, "--data-dir", data]) == 0
    # Mail the dead terminals left queued is delivered once its own turn has passed, each once.
    args = cli.build_parser("en").parse_args(["--db", url, "--data-dir", data])
    services = factory.make_services(args, clock=lambda: utcnow() + OWN_TURN + timedelta(minutes=1))
    try:
        delivered = services.outbox.deliver_due(limit=100_000)
        left = OutboxMessage.select().where(OutboxMessage.status == "queued").count()
        again = services.outbox.deliver_due(limit=100_000)
    finally:
        services.close()
    assert delivered == DeliveryReport(delivered=tally.stranded_messages), context
    assert left == 0 and again == DeliveryReport(), context
    # The run did what it claims: deaths in every place that matters, and WALs left behind.
    assert tally.kills + tally.clean_exits >= ROUNDS
    assert tally.confirmed_submissions >= ROUNDS // 10, context
    if ROUNDS >= 100:  # loose bounds: on a busy machine a terminal gets less done before its kill
        assert tally.sites["submit"] >= ROUNDS // 20, context  # mid-submission
        assert tally.sites["approve"] >= 1, context  # mid-approval
        assert tally.sites["bomb:statement"] >= ROUNDS // 20, context  # inside a transaction
        assert tally.sites["bomb:commit"] >= ROUNDS // 20, context  # just after a commit
        assert tally.sites["start"] + tally.sites["none"] >= 1, context  # before any work
        assert tally.checks_with_wal >= tally.checks // 4, context
        assert tally.recovered_confirmations >= tally.checks // 10, context
        assert tally.starts_with_wal >= ROUNDS // 20, context
        assert tally.stranded_messages >= 1, context  # mail left between COMMIT and delivery
