"""`qinzi backup` / `qinzi restore` (SPEC "Data at scale": a backup taken while kiosks write
restores to a database that passes the consistency check; R24: the audit trail comes back whole;
R23: the files hold no plain ID numbers and are readable by their owner only)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from app.backup import backup, in_use, restore
from app.errors import QinziError
from app.i18n import t
from app.services.consistency import check_consistency
from app.services.demo.seed import demo_setup

ROOT = Path(__file__).resolve().parents[2]
# The cheapest Argon2id that OWASP allows (app/config.py refuses less from a config file).
CHEAP_ARGON2 = "argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"

# A kiosk in another process: asks for codes for new e-mail addresses until told to stop.
WRITER = """
import sys, pathlib
from app.config import load_settings
from app.services import build_services
config, db, data, stop = sys.argv[1:5]
services = build_services(load_settings(pathlib.Path(config), env={}, db=db, data_dir=data))
i = 0
while not pathlib.Path(stop).exists() or i < 20:
    services.verification.request_code("email", f"writer{i}@home.example")
    i += 1
    print(i, flush=True)
services.close()
"""


@pytest.fixture
def site(tmp_path):
    """A school's SQLite database with the demo roster and applications in every state."""
    config = tmp_path / "config.toml"
    config.write_text(CHEAP_ARGON2)
    argv = ["--config", str(config), "--db", str(tmp_path / "live.db"),
            "--data-dir", str(tmp_path / "data")]  # fmt: skip
    services = cli.make_services(cli.build_parser("en").parse_args(argv), create=True)
    try:
        demo_setup(services)
    finally:
        services.close()
    return tmp_path, config, argv


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--lang", "en", *argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.process
def test_r24_a_backup_taken_while_a_kiosk_writes_restores_consistent(site, capsys):
    """R24 and "Data at scale": `qinzi backup` runs while another process keeps writing; `qinzi
    restore` into a fresh data folder gives a database that passes PRAGMA integrity_check and
    the consistency check, with the audit trail and the codes written before the backup."""
    folder, config, argv = site
    stop = folder / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(config), str(folder / "live.db"),
         str(folder / "data"), str(stop)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(5):  # the writer is under way before the backup starts
            assert writer.stdout.readline(), "the writer stopped"
        code, out, _ = run(capsys, "backup", str(folder / "copy.db"), *argv)
        written_after = count(folder / "live.db", "verification_code")
    finally:
        stop.touch()
        writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert code == 0
    assert "Backup written" in out and "secret.key" in out
    assert (folder / "copy.db").stat().st_mode & 0o077 == 0  # R23: owner only

    fresh = folder / "fresh"
    code, out, err = run(
        capsys, "restore", str(folder / "copy.db"), "--config", str(config),
        "--db", str(fresh / "qinzi.db"), "--data-dir", str(fresh),
    )  # fmt: skip
    assert code == 0, err
    assert t("backup.consistent", "en") in out
    restored = fresh / "qinzi.db"
    with sqlite3.connect(restored) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    codes = count(restored, "verification_code")
    assert 5 <= codes <= count(folder / "live.db", "verification_code")
    assert written_after >= 5
    assert count(restored, "application") == count(folder / "live.db", "application") > 0
    assert count(restored, "audit_event") > 0
    from app.db import open_database

    db = open_database(str(restored))
    try:
        assert check_consistency(db) == []
    finally:
        db.close()


@pytest.mark.process
def test_r23_restore_refuses_to_replace_a_database_without_force(site):
    """R23: a restore never silently replaces records: an existing database needs --force, and
    one another process has open is named as in use."""
    folder, _, _ = site
    backup(str(folder / "live.db"), folder / "copy.db")
    with pytest.raises(QinziError) as refused:
        restore(folder / "copy.db", str(folder / "live.db"))
    assert refused.value.key == "errors.backup.exists"
    assert refused.value.field == "force"

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1]); "
         "c.execute('select count(*) from school').fetchall(); print('open', flush=True); "
         "sys.stdin.read()", str(folder / "live.db")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        assert in_use(folder / "live.db")
        with pytest.raises(QinziError) as refused:
            restore(folder / "copy.db", str(folder / "live.db"))
        assert refused.value.key == "errors.backup.in_use"
        report = restore(folder / "copy.db", str(folder / "live.db"), force=True)
        assert report.problems == 0
    finally:
        holder.communicate("", timeout=10)
    assert not in_use(folder / "live.db")


def test_r23_restore_refuses_a_file_that_is_not_a_sound_qinzi_backup(tmp_path, capsys):
    """R23: a damaged file, another program's database, a missing file and an empty target are
    refused with what is wrong, and the target is left untouched."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    target = str(tmp_path / "target.db")
    for file, key in [(junk, "errors.backup.damaged"), (other, "errors.backup.not_qinzi"),
                      (tmp_path / "none.db", "errors.backup.missing")]:  # fmt: skip
        with pytest.raises(QinziError) as refused:
            restore(file, target)
        assert refused.value.key == key
    assert not Path(target).exists()
    code, _, err = run(capsys, "restore", str(other), "--db", target)
    assert code == cli.EXIT_REFUSED
    assert t("errors.backup.not_qinzi", "en", path=str(other)) in err


def test_backup_names_what_it_cannot_do(tmp_path, capsys):
    """A missing database, the same file as target, and PostgreSQL (pg_dump) are refused."""
    with pytest.raises(QinziError) as refused:
        backup(str(tmp_path / "nothing.db"), tmp_path / "copy.db")
    assert refused.value.key == "errors.backup.no_database"
    code, _, err = run(capsys, "backup", str(tmp_path / "c.db"), "--db", "postgresql://x@h/db")
    assert code == cli.EXIT_REFUSED
    assert "pg_dump" in err
    live = tmp_path / "live.db"
    sqlite3.connect(live).close()
    with pytest.raises(QinziError) as refused:
        backup(str(live), live)
    assert refused.value.key == "errors.backup.same_file"
    assert not list(tmp_path.glob("*.partial"))
