"""Many terminals on one database (issue 7): N kiosk processes and T teacher processes work through
the real services at the same time — request a code, read it, verify it, find the student, give
consent, submit, and now and then cancel; the teachers approve and reject from the queue — and
then the database is checked: nothing lost, nothing duplicated, no "database is locked", and the
consistency check (app/services/consistency.py, with PRAGMA integrity_check on SQLite) clean.

The baseline is the same N processes doing only a submission's CPU-bound work (its Argon2 hash)
with no database; the throughput ratio is the cost the database adds.

    .venv/bin/python tests/bench/stress.py [--db URL] [--workers 8] [--submissions 250]
        [--teachers 1] [--argon2 real|cheap] [--json FILE]

Without --db it uses a new SQLite file in a temporary folder. Used by tests/unit/test_stress.py
at a small size and by tests/bench/bench_scale.py at full size."""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.identity import id_digest, mask_id, with_check_digit  # noqa: E402
from app.keys import Keyring  # noqa: E402

KEY = b"s" * 32
CANCEL_EVERY = 10  # every tenth submission is cancelled by its kiosk (R17)
REJECT_EVERY = 7  # every seventh decision is a rejection
CHEAP = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
REAL: dict[str, int] = {}  # the shipped defaults (app/config.py)
SCHOOL = "S001"
CLASS_SIZE = 27
_CTX = mp.get_context("spawn")  # a fresh interpreter per terminal, as on a real host


@dataclass(frozen=True)
class Plan:
    url: str
    data_dir: str
    workers: int
    submissions: int
    teachers: int
    argon2: dict[str, int]


@dataclass
class StressResult:
    backend: str
    workers: int
    teachers: int
    submissions_planned: int
    submitted: int = 0
    cancelled: int = 0
    approved: int = 0
    rejected: int = 0
    decided: int = 0
    lost: int = 0
    duplicated: int = 0
    unacknowledged: int = 0  # stored, but the parent saw an error instead of a number
    locked: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    throughput: float = 0.0  # submissions per second, all kiosks together
    baseline_throughput: float | None = None
    ratio: float | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.unacknowledged
            or self.locked
            or self.errors
            or self.problems
        )


def settings_for(plan: Plan, terminal: str) -> Settings:
    return Settings(
        data_dir=Path(plan.data_dir),
        db=plan.url,
        terminal_id=terminal,
        mail_transport="outbox",
        review_it_may_decide=("*",),  # the staff terminal is school IT's (R33: allowed to decide)
        **plan.argon2,
    )


def services_for(plan: Plan, terminal: str):
    from app.services import build_services
    from app.services.transports import StoreOnly

    return build_services(
        settings_for(plan, terminal), keyring=Keyring(KEY), mail=StoreOnly(), sms=StoreOnly()
    )


def student_plain(n: int) -> str:
    return with_check_digit(f"A1{n:07d}")


def parent_plain(worker: int, n: int) -> str:
    return with_check_digit(f"B{1 + n % 2}{worker:02d}{n:05d}")


def prepare(plan: Plan) -> None:
    """One school with a class per 27 students, one student per planned submission, and an IT
    account per teacher process (IT sees the whole school's queue, R18)."""
    from app.models import Classroom, School, Student, Teacher
    from app.services.bulk import bulk_insert

    services = services_for(plan, "stress-setup")
    keyring = services.ctx.keyring
    total = plan.workers * plan.submissions
    with services.ctx.transaction():
        school = School.create(code=SCHOOL, name="臺北市大安區壓力國小", level="elementary")
        rooms = [
            Classroom.create(school=school, name=f"{100 + i}")
            for i in range(total // CLASS_SIZE + 1)
        ]
        rows = []
        for n in range(total):
            plain = student_plain(n)
            room = rooms[n // CLASS_SIZE].id
            rows.append(
                (id_digest(keyring, plain), mask_id(plain), f"學生{n}", school.id, room, True)
            )
        bulk_insert(
            services.ctx.db,
            Student,
            [
                Student.id_digest,
                Student.id_masked,
                Student.name,
                Student.school,
                Student.classroom,
                Student.active,
            ],
            rows,
        )
        for t in range(plan.teachers):
            Teacher.create(email=f"it{t}@stress.example", name="資訊組長", school=school, role="it")
    services.close()


def _count(counter: Counter, exc: BaseException) -> None:
    key = getattr(exc, "key", None) or f"{type(exc).__name__}: {str(exc)[:80]}"
    counter[key] += 1


def kiosk(plan: Plan, worker: int, barrier, results) -> None:
    """One kiosk: `plan.submissions` parents in a row, each through steps 1–4."""
    from app.models import OutboxMessage
    from app.services.kiosk import KioskSession, ParentDetails

    out = {
        "role": "kiosk",
        "numbers": [],
        "cancelled": [],
        "errors": Counter(),
        "refusals": Counter(),
    }
    try:
        services = services_for(plan, f"kiosk-{worker}")
        apps, verification = services.applications, services.verification
        barrier.wait()
        for n in range(plan.submissions):
            serial = worker * plan.submissions + n
            email = f"p{worker}.{n}@stress.example"
            try:
                verification.request_code("email", email, lang="zh-TW")
                message = (
                    OutboxMessage.select()
                    .where(OutboxMessage.recipient == email)
                    .order_by(OutboxMessage.id.desc())
                    .get()
                )
                code = re.search(r"\b(\d{6})\b", services.outbox.body_of(message)).group(1)
                contact = verification.verify_code("email", email, code)
                session = KioskSession(contact=contact, lang="zh-TW")
                found = apps.lookup_student(session, "elementary", SCHOOL, student_plain(serial))
                relationship = "mother" if n % 2 else "father"
                session = apps.choose_student(found.session, found.value, relationship)
                session = apps.give_consent(session, scrolled_to_end=True)
                name = f"家長{worker}號{n}"
                details = ParentDetails(parent_plain(worker, n), name, email, "0911222333")
                [done] = apps.submit(session, details, signature=name).value
                out["numbers"].append(done.number)
                if n % CANCEL_EVERY == CANCEL_EVERY - 1:
                    try:
                        services.progress.cancel(contact.digest, done.number)
                        out["cancelled"].append(done.number)
                    except Exception as exc:  # decided first by a teacher: a fair refusal
                        _count(out["refusals"], exc)
            except Exception as exc:
                _count(out["errors"], exc)
        services.close()
    except Exception:
        out["errors"][traceback.format_exc(limit=3)[-300:]] += 1
    results.put(out)


def teacher(plan: Plan, index: int, barrier, done, results) -> None:
    """School IT at a staff terminal: decide the oldest pending page until the kiosks are done
    and the queue is empty."""
    from app.models import Teacher
    from app.services.staff import StaffIdentity

    out = {
        "role": "teacher",
        "approved": 0,
        "rejected": 0,
        "errors": Counter(),
        "refusals": Counter(),
    }
    try:
        services = services_for(plan, f"review-{index}")
        staff = StaffIdentity.of(Teacher.get(Teacher.email == f"it{index}@stress.example"))
        barrier.wait()
        decisions = 0
        while True:
            finished = done.is_set()
            page = services.review.queue(staff, status="pending", descending=False, page_size=20)
            rows = page.rows[index :: max(plan.teachers, 1)] or page.rows
            if not rows:
                if finished:
                    break
                time.sleep(0.05)
                continue
            progress = False
            for row in rows:
                decisions += 1
                try:
                    if decisions % REJECT_EVERY == 0:
                        services.review.reject(staff, row.number, "紙本申請書尚未繳回。")
                        out["rejected"] += 1
                    else:
                        services.review.approve(staff, row.number, documents_checked=True)
                        out["approved"] += 1
                    progress = True
                except Exception as exc:
                    # Cancelled by the kiosk or decided by another teacher first: a refusal.
                    bucket = "refusals" if getattr(exc, "key", None) else "errors"
                    _count(out[bucket], exc)
            if finished and not progress:
                break  # what is left cannot be decided here: counted above, never spun on
        services.close()
    except Exception:
        out["errors"][traceback.format_exc(limit=3)[-300:]] += 1
    results.put(out)


def _hash_only(plan: Plan, barrier, results) -> None:
    from argon2 import PasswordHasher, Type

    s = settings_for(plan, "baseline")
    hasher = PasswordHasher(
        time_cost=s.argon2_time_cost,
        memory_cost=s.argon2_memory_kib,
        parallelism=s.argon2_parallelism,
        type=Type.ID,
    )
    barrier.wait()
    for n in range(plan.submissions):
        hasher.hash(f"{n:06d}")
    results.put({"role": "baseline"})


def baseline(plan: Plan) -> float:
    """Submissions per second when the kiosks only hash (no database), in the same run."""
    barrier, results = _CTX.Barrier(plan.workers + 1), _CTX.Queue()
    procs = [
        _CTX.Process(target=_hash_only, args=(plan, barrier, results)) for _ in range(plan.workers)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    for _ in procs:
        results.get()
    seconds = time.perf_counter() - start
    for p in procs:
        p.join()
    return plan.workers * plan.submissions / seconds


def run(plan: Plan, *, with_baseline: bool = False) -> StressResult:
    """Prepare the roster, run the terminals, then count and check what the database holds."""
    prepare(plan)
    barrier = _CTX.Barrier(plan.workers + plan.teachers + 1)
    done, results = _CTX.Event(), _CTX.Queue()
    kiosks = [
        _CTX.Process(target=kiosk, args=(plan, w, barrier, results)) for w in range(plan.workers)
    ]
    desks = [
        _CTX.Process(target=teacher, args=(plan, t, barrier, done, results))
        for t in range(plan.teachers)
    ]
    for p in kiosks + desks:
        p.start()
    barrier.wait(timeout=300)
    start = time.perf_counter()
    outs = [results.get(timeout=3600) for _ in kiosks]
    seconds = time.perf_counter() - start
    done.set()
    outs += [results.get(timeout=3600) for _ in desks]
    for p in kiosks + desks:
        p.join()
    result = tally(plan, outs, seconds)
    if with_baseline:
        result.baseline_throughput = round(baseline(plan), 2)
        result.ratio = round(result.throughput / result.baseline_throughput, 3)
    return result


def tally(plan: Plan, outs: list[dict], seconds: float) -> StressResult:
    from app.backend import backend
    from app.models import Application, Status
    from app.services.consistency import check_consistency

    services = services_for(plan, "stress-check")
    result = StressResult(
        backend(services.ctx.db).name, plan.workers, plan.teachers, plan.workers * plan.submissions
    )
    errors, refusals = Counter(), Counter()
    acknowledged, cancelled = [], set()
    for out in outs:
        errors.update(out["errors"])
        refusals.update(out["refusals"])
        acknowledged += out.get("numbers", [])
        cancelled |= set(out.get("cancelled", []))
        result.approved += out.get("approved", 0)
        result.rejected += out.get("rejected", 0)
    stored = dict(Application.select(Application.number, Application.status).tuples())
    pairs = Counter(Application.select(Application.parent_id_digest, Application.student).tuples())
    result.submitted = len(acknowledged)
    result.cancelled = sum(1 for n in cancelled if stored.get(n) == Status.CANCELLED)
    result.decided = sum(1 for s in stored.values() if s in (Status.APPROVED, Status.REJECTED))
    # Lost: a parent was shown a number the database does not hold, or a cancellation or a
    # decision that did not stick. Duplicated: a submission stored twice.
    result.lost = sum(1 for n in acknowledged if n not in stored)
    result.lost += sum(1 for n in cancelled if stored.get(n) != Status.CANCELLED)
    result.lost += abs(result.approved + result.rejected - result.decided)
    result.duplicated = sum(c - 1 for c in pairs.values())
    result.duplicated += len(acknowledged) - len(set(acknowledged))
    result.unacknowledged = len(set(stored) - set(acknowledged))
    result.locked = sum(c for k, c in errors.items() if "locked" in k.lower())
    result.errors = dict(errors)
    result.refusals = dict(refusals)
    result.problems = [
        f"{p.kind} {p.target} {p.detail}".strip() for p in check_consistency(services.ctx.db)
    ]
    services.close()
    result.seconds = round(seconds, 2)
    result.throughput = round(result.submitted / seconds, 2) if seconds else 0.0
    return result


# --- the race of R14 and R15 --------------------------------------------------------------------


def _racer(plan: Plan, index: int, parent: str, email: str, barrier, results) -> None:
    from app.services.kiosk import KioskSession, ParentDetails
    from tests.factories import verified_contact

    services = services_for(plan, f"race-{index}")
    apps = services.applications
    session = KioskSession(contact=verified_contact(services, email), lang="zh-TW")
    found = apps.lookup_student(session, "elementary", SCHOOL, student_plain(0))
    session = apps.choose_student(found.session, found.value, "father")
    session = apps.give_consent(session, scrolled_to_end=True)
    name = f"家長{index}"
    details = ParentDetails(parent, name, email, "0911222333")
    barrier.wait()
    try:
        [done] = apps.submit(session, details, signature=name).value
        results.put(("won", done.number))
    except Exception as exc:
        results.put(("refused", getattr(exc, "key", repr(exc))))
    services.close()


def race(plan: Plan, kind: str) -> list[tuple[str, str]]:
    """Two kiosks press 送出 at the same instant. `kind` "email": two parents, one e-mail (R14);
    "pair": one parent, one student, two kiosks (R15). Returns both outcomes, sorted."""
    prepare(plan)
    if kind == "email":
        racers = [
            (parent_plain(0, 1), "same@stress.example"),
            (parent_plain(1, 2), "same@stress.example"),
        ]
    else:
        racers = [
            (parent_plain(0, 1), "a@stress.example"),
            (parent_plain(0, 1), "b@stress.example"),
        ]
    barrier, results = _CTX.Barrier(2), _CTX.Queue()
    procs = [
        _CTX.Process(target=_racer, args=(plan, i, parent, email, barrier, results))
        for i, (parent, email) in enumerate(racers)
    ]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join()
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", metavar="URL", help="database URL (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, default=8, help="kiosk processes")
    parser.add_argument("--submissions", type=int, default=250, help="submissions per kiosk")
    parser.add_argument("--teachers", type=int, default=1, help="staff terminal processes")
    parser.add_argument("--argon2", choices=("real", "cheap"), default="real")
    parser.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qinzi-stress-") as tmp:
        plan = Plan(
            url=args.db or str(Path(tmp) / "stress.db"),
            data_dir=str(Path(tmp) / "data"),
            workers=args.workers,
            submissions=args.submissions,
            teachers=args.teachers,
            argon2=REAL if args.argon2 == "real" else CHEAP,
        )
        result = run(plan, with_baseline=True)
    print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
