"""Operator safety (R40): a mistyped path or URL opens, creates or overwrites nothing and is
answered in one line; every file with personal data is its owner's only; a database URL's
password is never printed nor put in a process's arguments."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app import cli
from app.resources import data_file

CHEAP = "argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def options(tmp_path: Path, db: Path | str) -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text(CHEAP)
    return ["--db", str(db), "--data-dir", str(tmp_path / "data"), "--config", str(config)]


@pytest.mark.parametrize(
    "command",
    [["check"], ["applications"], ["purge"], ["outbox"],
     ["letters", "--school", "E001", "-o", "x.pdf"], ["form", "QZ-0000-0000", "-o", "x.pdf"]],
)  # fmt: skip
def test_r40_a_command_that_only_uses_a_database_refuses_a_missing_one(
    tmp_path, capsys, command
):
    """`--db /nonexistent/dir/q.db check` used to create the folder and an empty database and
    call it consistent."""
    missing = tmp_path / "nonexistent" / "dir" / "q.db"
    code, out, err = run(capsys, "--lang", "en", *options(tmp_path, missing), *command)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"There is no database at {missing}. Check --db and --data-dir. `qinzi import` creates"
        " a new one."
    ]
    assert not (tmp_path / "nonexistent").exists()
    assert not (tmp_path / "data" / "secret.key").exists()


def test_r40_import_creates_the_database_owner_only(tmp_path, capsys):
    db = tmp_path / "school" / "q.db"
    code, _, _ = run(capsys, *options(tmp_path, db), "import", str(data_file("demo_roster.csv")))
    assert code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    for other in db.parent.iterdir():  # -wal and -shm, if still there, follow the database
        assert stat.S_IMODE(other.stat().st_mode) & 0o077 == 0, other
    assert run(capsys, *options(tmp_path, db), "check")[0] == 0


@pytest.mark.parametrize(
    ("url", "zh", "en"),
    [("postgresql://", "沒有資料庫名稱", "does not name a database"),
     ("postgresql://u:hunter2@[::1", "主機名稱有誤", "broken host name"),
     ("postgresql://u@127.0.0.1:99999/test", "連接埠不在", "port number outside"),
     ("sqlite://relative.db", "三個斜線", "3 slashes")],
)  # fmt: skip
def test_r40_a_broken_database_url_is_one_line_and_creates_nothing(
    tmp_path, capsys, monkeypatch, url, zh, en
):
    monkeypatch.chdir(tmp_path)
    for lang, words in (("zh-TW", zh), ("en", en)):
        code, _, err = run(capsys, "--lang", lang, *options(tmp_path, url), "check")
        assert code == 1 and len(err.strip().splitlines()) == 1 and words in err
        assert "hunter2" not in err
    made = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert made <= {"config.toml", "data/logs/qinzi.log"}  # the log says what was refused


@pytest.fixture
def school_db(tmp_path, capsys) -> list[str]:
    opts = options(tmp_path, tmp_path / "data" / "q.db")
    assert run(capsys, *opts, "import", str(data_file("demo_roster.csv")))[0] == 0
    return opts


def test_r40_backup_never_writes_over_anything(tmp_path, capsys, school_db):
    """Over the secret key (it said "Backup written"), an older backup, a device, a link."""
    key = tmp_path / "data" / "secret.key"
    before = key.read_bytes()
    older = tmp_path / "older.db"
    older.write_bytes(b"yesterday")
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "elsewhere.db")
    for target in (key, older, Path("/dev/full"), link):
        code, out, err = run(capsys, "--lang", "en", *school_db, "backup", str(target))
        assert code == 1 and out == "" and "already exists" in err, target
    assert key.read_bytes() == before and older.read_bytes() == b"yesterday"
    assert not (tmp_path / "elsewhere.db").exists()
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    code, _, err = run(capsys, "--lang", "en", *school_db, "backup", "/proc/nope/x.db")
    assert code == 1 and err.strip().startswith("Cannot write the backup to /proc/nope/x.db")
    fresh = tmp_path / "backups" / "b.db"
    assert run(capsys, *school_db, "backup", str(fresh))[0] == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_r40_config_prints_the_database_url_without_its_password(tmp_path, capsys):
    url = "postgresql://qinzi:hunter2@db.school.example/qinzi"
    code, out, _ = run(capsys, "--db", url, "config")
    assert code == 0 and "hunter2" not in out
    assert 'db = "postgresql://qinzi:***@db.school.example/qinzi"' in out


def test_r40_a_database_refuses_another_secret_key(tmp_path, capsys, school_db, monkeypatch):
    """A wrong --data-dir silently made a new key, and an import then duplicated every student
    (206 → 412). Now: no key there → refused, nothing created; another key → refused."""
    db = school_db[1]
    config = school_db[-1]
    elsewhere = tmp_path / "elsewhere"
    wrong = ["--db", db, "--data-dir", str(elsewhere), "--config", config]
    roster = str(data_file("demo_roster.csv"))
    code, _, err = run(capsys, "--lang", "en", *wrong, "import", roster)
    assert code == 1 and "belongs to a secret key that is not here" in err
    assert not (elsewhere / "secret.key").exists()
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "secret.key").write_text(os.urandom(32).hex() + "\n")
    code, _, err = run(capsys, "--lang", "en", *wrong, "check")
    assert code == 1 and "belongs to a different secret key" in err
    monkeypatch.setenv("QINZI_SECRET", "x" * 40)
    code, _, err = run(capsys, *school_db, "check")
    assert code == 1 and "屬於另一把金鑰" in err
    monkeypatch.delenv("QINZI_SECRET")
    assert run(capsys, *school_db, "check")[0] == 0  # its own key still opens it


def test_r40_a_damaged_key_file_is_one_line(tmp_path, capsys, school_db):
    (tmp_path / "data" / "secret.key").write_bytes(os.urandom(40))
    code, out, err = run(capsys, "--lang", "en", *school_db, "check")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "secret.key" in err


@pytest.mark.parametrize(
    ("text", "key"),
    [('staff_pin = "1"\n', "staff_pin"),
     ('[staff]\npin_hash = "notahash"\n', "staff_pin_hash"),
     ('terminal_id = ["a", "b"]\n', "terminal_id"),
     ("[argon2]\nmemory_kib = 4194304\n", "argon2_memory_kib"),
     ("[argon2]\nparallelism = 100000\n", "argon2_parallelism")],
)  # fmt: skip
def test_r22_r20_config_refuses_values_that_would_fail_later(tmp_path, capsys, text, key):
    """Issue 15: each of these was accepted; each now stops every command with one line that
    names the setting (a PIN is never echoed)."""
    config = tmp_path / "c.toml"
    config.write_text(text)
    code, out, err = run(capsys, "--lang", "en", "--config", str(config), "config")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert f'"{key}"' in err and '"1"' not in err


def test_r9_the_log_masks_a_spaced_id_and_a_code_after_verification():
    from app.logs import redact

    assert redact("lookup A 123 456 789 failed") == "lookup A123****** failed"
    assert redact("verification 123456 sent") == "verification ****** sent"
    assert redact("邀請碼 459089") == "邀請碼 ******"
    assert redact("roster of 206 rows, order 123456") == "roster of 206 rows, order 123456"


def test_r40_a_huge_limit_is_a_usage_error_not_a_traceback(tmp_path, capsys, school_db):
    code, out, err = run(capsys, "--lang", "en", *school_db, "applications", "--limit",
                         "99999999999999999999")  # fmt: skip
    assert code == 2 and out == "" and "invalid number value" in err


def test_r40_a_full_disk_during_an_import_says_so_and_keeps_the_database(tmp_path, settings):
    """SQLite stops at a page limit just as at a full disk (SQLITE_FULL); the error that reaches
    the command line is "cannot rollback" or the like, with the full disk in its chain."""
    if not settings.database_url.endswith(".db"):
        pytest.skip("SQLite's page limit stands in for a full disk")
    from app.cli import _database_trouble
    from app.factory import database_errors
    from app.services import build_services

    services = build_services(settings)
    try:
        db = services.ctx.db
        (pages,) = db.execute_sql("PRAGMA page_count").fetchone()
        db.execute_sql(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(database_errors()) as err:
            services.roster.import_csv(data_file("demo_roster.csv"))
        assert _database_trouble(err.value) == "errors.cli.disk_full"
        db.execute_sql("PRAGMA max_page_count = 1073741823")
        (check,) = db.execute_sql("PRAGMA integrity_check").fetchone()
        assert check == "ok"
    finally:
        services.close()
    from app.i18n import t

    assert "full" in t("errors.cli.disk_full", "en") and "磁碟已滿" in t("errors.cli.disk_full")


def test_r24_a_review_desk_is_not_named_kiosk_1_in_the_audit_trail(tmp_path):
    """Issue 15: without a terminal_id the review desk recorded its decisions as `kiosk-1`.
    Unset, each program names itself by host and role; a configured name is kept."""
    import socket

    from app.factory import settings_from_args

    host = socket.gethostname().split(".")[0]
    for command, role in (("review", "review"), ("kiosk", "kiosk"), ("purge", "cli"),
                          (None, "kiosk")):  # fmt: skip
        args = cli.build_parser("en").parse_args(
            ["--data-dir", str(tmp_path), *([command] if command else [])]
        )
        assert settings_from_args(args).terminal_id == f"{host}-{role}"
    config = tmp_path / "c.toml"
    config.write_text('terminal_id = "office-desk"\n')
    args = cli.build_parser("en").parse_args(["--config", str(config), "review"])
    assert settings_from_args(args).terminal_id == "office-desk"
