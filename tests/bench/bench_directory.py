"""`make bench --only directory` (R39): one approval with the city directory on beside the same
approval with it off (the write happens after the commit, on a worker: target ≤ 1.2×), and 200
approvals in a row with the directory on until the directory holds every entry (target ≤ 10 s).
The directory is a real slapd on loopback (tests/ldap_server.py); without it the part is skipped.
Reported, never asserted."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

BULK = 200
DESK_PAUSE = 0.05  # s between two single approvals, in both runs: the worker's thread at rest


def _pending(services, count: int, prefix: str) -> list[str]:
    """`count` pending applications of different parents for different students of one class,
    straight through the models (the wizard is not what is measured)."""
    from app.identity import id_digest, mask_id, with_check_digit
    from app.models import Application, Classroom, School, Student, Teacher, TeacherClassroom
    from app.services.numbers import new_number

    ctx, now = services.ctx, services.ctx.clock()
    school = School.create(code=f"B{prefix}", name="臺北市大安區和平國小", level="elementary")
    room = Classroom.create(school=school, name="301")
    teacher = Teacher.create(email=f"lee{prefix}@school.example", name="李老師", school=school)
    TeacherClassroom.create(teacher=teacher, classroom=room)
    initial = ctx.hasher.hash("000000")
    numbers = []
    with ctx.db.atomic():
        for i in range(count):
            pupil_id = with_check_digit(f"A1{prefix}{i:06d}")
            parent_id = with_check_digit(f"B2{prefix}{i:06d}")
            pupil = Student.create(id_digest=id_digest(ctx.keyring, pupil_id),
                                   id_masked=mask_id(pupil_id), name="吳三寶", school=school,
                                   classroom=room)  # fmt: skip
            number = new_number()
            Application.create(
                number=number, contact_digest="0" * 64, student=pupil, school=school,
                classroom=room, level="elementary", relationship="father",
                parent_id_digest=id_digest(ctx.keyring, parent_id),
                parent_id_masked=mask_id(parent_id), parent_name="吳志明",
                email=f"p{prefix}{i}@home.example", mobile="+886911222333",
                initial_password_hash=initial, consent_version="2026-09", consent_at=now,
                signed_at=now, content_sha256="0" * 64, terminal_id="bench", submitted_at=now,
            )  # fmt: skip
            numbers.append(number)
    return numbers, teacher


def _services(folder: Path, slapd=None):
    from app.clock import utcnow
    from app.config import Settings
    from app.keys import Keyring
    from app.services import build_services
    from tests.ldap_server import ADMIN_DN, ADMIN_PASSWORD, PARENTS_DN

    settings = Settings(data_dir=folder, db=str(folder / "qinzi.db"), terminal_id="bench",
                        argon2_time_cost=1, argon2_memory_kib=1024,
                        argon2_parallelism=1)  # fmt: skip
    if slapd is not None:
        settings = settings.replace(
            directory_url=slapd.url, directory_bind_dn=ADMIN_DN,
            directory_bind_password=ADMIN_PASSWORD, directory_base_dn=PARENTS_DN,
            directory_ppolicy=True,
        )  # fmt: skip
    return build_services(settings, clock=utcnow, keyring=Keyring(b"d" * 32))


def _approvals(services, runs: int, prefix: str) -> tuple[list[float], list[float]]:
    """ms per approval with the directory off and on, interleaved on one database so that a busy
    moment of the machine hits both alike; "off" is the provisioner without a directory, as when
    `[directory]` is not configured (nothing queued). One at a time, the worker done before the
    next, as at a teacher's desk where seconds pass between two decisions."""
    from app.services.staff import StaffIdentity

    numbers, teacher = _pending(services, 2 * runs, prefix)
    staff, provisioner = StaffIdentity.of(teacher), services.directory
    directory, times = provisioner.directory, {False: [], True: []}
    for i, number in enumerate(numbers):
        on = i % 2 == 1
        provisioner.directory = directory if on else None
        start = time.perf_counter()
        services.review.approve(staff, number)
        times[on].append((time.perf_counter() - start) * 1000)
        provisioner.wait_idle()
        time.sleep(DESK_PAUSE)
    provisioner.directory = directory
    return times[False], times[True]


def quartile(times: list[float]) -> float:
    return statistics.quantiles(times, n=4)[0]


def directory_rows(runs: int) -> list[dict]:
    from tests import ldap_server
    from tests.bench.bench_scale import _row

    why = ldap_server.missing()
    if why:
        return [_row("directory (R39)", value=None, note=f"skipped: {why}")]
    from app.models import DirectoryChange
    from app.services.staff import StaffIdentity

    count = max(runs * 12, 60)
    with tempfile.TemporaryDirectory(prefix="qinzi-bench-directory-") as tmp:
        root = Path(tmp)
        slapd = ldap_server.start_slapd(root / "slapd", ppolicy=True)
        try:
            services = _services(root, slapd)
            off, on = _approvals(services, count, "1")
            numbers, teacher = _pending(services, BULK, "3")
            staff = StaffIdentity.of(teacher)
            start = time.perf_counter()
            for number in numbers:
                services.review.approve(staff, number)
            approved = time.perf_counter() - start
            services.directory.wait_idle(120)
            written = time.perf_counter() - start
            sent = DirectoryChange.select().where(DirectoryChange.status == "sent").count()
            services.close()
        finally:
            slapd.stop()
    ratio = statistics.median(on) / statistics.median(off)
    # A shared machine's busy moments make the times bimodal; the lower quartiles compare the
    # approvals that ran while it was at rest.
    quiet = quartile(on) / quartile(off)
    return [
        _row("approval, directory off", off),
        _row("approval, directory on", on, note="the LDAP write after commit, on a worker"),
        _row("approval ratio on/off (medians)", value=round(ratio, 2), unit="×", target="≤ 1.2",
             ok=ratio <= 1.2),
        _row("approval ratio on/off (lower quartiles)", value=round(quiet, 2), unit="×",
             target="≤ 1.2", ok=quiet <= 1.2, note="the machine at rest"),
        _row(f"{BULK} approvals, directory on", value=round(approved, 2), unit="s"),
        _row(f"{BULK} approvals: directory written", value=round(written, 2), unit="s",
             target="≤ 10", ok=written <= 10,
             note=f"{sent - len(on)} of {BULK} entries written, from the first approval"),
    ]  # fmt: skip
