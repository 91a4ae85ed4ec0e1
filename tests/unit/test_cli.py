"""The `qinzi` command, run in-process through main(argv) and once as a real process: R7 import
validation, R9 masked listing, R23 no plain ID in the file, R24 audit, R30 purge, and the mistakes
an IT person makes (bad rows, Big5, a wrong --db, an unknown status) ending in a message."""

from __future__ import annotations

import csv
import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli, console, factory
from app.clock import FrozenClock
from app.config import Settings
from app.db import open_database
from app.identity import with_check_digit
from app.models import AuditEvent, School, Student
from app.resources import data_file
from app.services.demo.seed import demo_setup

ROOT = Path(__file__).resolve().parents[2]
# The cheapest Argon2id that OWASP allows (app/config.py refuses less from a config file).
CHEAP_ARGON2 = "argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"
HEADER = "school_code,school_name,level,class,student_id,student_name,teacher_email,teacher_name"


@pytest.fixture
def base(tmp_path, db_url) -> list[str]:
    """Global options naming a fresh (empty) database, a data folder and cheap Argon2 settings."""
    open_database(db_url).close()  # R40: only import, seed and demo create a database
    config = tmp_path / "config.toml"
    config.write_text(CHEAP_ARGON2)
    return ["--db", db_url, "--data-dir", str(tmp_path / "data"), "--config", str(config)]


@pytest.fixture
def settings_of(base):
    def settings() -> Settings:
        args = cli.build_parser("en").parse_args(base)
        return factory.settings_from_args(args)

    return settings


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def roster_csv(path: Path, lines: list[str], encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(("\r\n".join([HEADER, *lines]) + "\r\n").encode(encoding))
    return path


def student_line(prefix: str, name: str = "吳三寶", cls: str = "301") -> str:
    return line(with_check_digit(prefix), name, cls)


def line(student_id: str, name: str = "吳三寶", cls: str = "301") -> str:
    return f"353601,臺北市大安區和平國小,國小,{cls},{student_id},{name},lee@s.example,李老師"


def count(settings_of, model) -> int:
    services = factory.make_services(settings_of())
    try:
        return model.select().count()
    finally:
        services.close()


# --- import ---------------------------------------------------------------------------------------


def wrong_check_digit(prefix: str) -> str:
    good = with_check_digit(prefix)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def test_r7_import_lists_every_bad_line_and_imports_nothing(capsys, base, tmp_path, settings_of):
    bad_id = wrong_check_digit("A12345002")
    path = roster_csv(
        tmp_path / "bad.csv",
        [
            student_line("A12345001"),
            line(bad_id, "吳大寶"),
            student_line("A12345003").replace(",國小,", ",大學,"),
            student_line("A12345004", name=""),
        ],
    )
    code, out, err = run(capsys, *base, "import", str(path))
    assert code == 1 and out == ""
    assert "3 列資料有誤，沒有匯入任何資料" in err
    assert "第 3 列（student_id）：號碼的檢查碼不對" in err
    assert "第 4 列（level）：學層應填" in err
    assert "第 5 列（student_name）：此欄不可空白" in err
    assert count(settings_of, School) == 0


def test_r7_the_errors_speak_english_when_asked(capsys, base, tmp_path):
    path = roster_csv(tmp_path / "bad.csv", [student_line("A12345001"), student_line("A12345001")])
    code, _, err = run(capsys, *base, "import", str(path), "--lang", "en")
    assert code == 1
    assert "Row 3 (student_id): This student's ID number is already in row 2" in err


def test_a_file_saved_by_excel_with_a_bom_imports(capsys, base, tmp_path, settings_of):
    path = roster_csv(tmp_path / "ok.csv", [student_line("A12345001"), student_line("A12345002")])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    code, out, _ = run(capsys, *base, "import", str(path))
    assert code == 0
    assert "名冊匯入完成：2 列，1 所學校、1 個班級；學生新增 2 位" in out
    assert count(settings_of, Student) == 2


def test_a_big5_file_is_refused_with_how_to_save_it(capsys, base, tmp_path, settings_of):
    path = roster_csv(tmp_path / "big5.csv", [student_line("A12345001")], encoding="big5")
    code, _, err = run(capsys, *base, "import", str(path))
    assert code == 1
    assert "CSV UTF-8" in err and "Big5" in err
    assert count(settings_of, Student) == 0


def test_a_missing_roster_file_is_named(capsys, base, tmp_path):
    code, _, err = run(capsys, *base, "--lang", "en", "import", str(tmp_path / "nope.csv"))
    assert code == 1 and "could not find the roster file" in err and "nope.csv" in err


def test_r23_no_plain_id_in_the_sqlite_file_after_import(capsys, base, tmp_path, db_url):
    if db_url.startswith("postgres"):
        pytest.skip("scans the bytes of a SQLite file")
    code, _, _ = run(capsys, *base, "import", str(data_file("demo_roster.csv")))
    assert code == 0
    with data_file("demo_roster.csv").open(encoding="utf-8-sig", newline="") as fh:
        ids = [r["student_id"] for r in csv.DictReader(fh)]
    raw = b"".join(p.read_bytes() for p in Path(db_url).parent.glob(Path(db_url).name + "*"))
    assert len(ids) > 150 and raw
    leaked = [i for i in ids if i.encode() in raw or i.encode("utf-16-le") in raw]
    assert leaked == []
    assert ids[0][:4].encode() + b"******" in raw  # the masked form is what is kept


def test_r24_import_and_purge_are_audited(capsys, base, settings_of):
    run(capsys, *base, "import", str(data_file("demo_roster.csv")))
    code, out, _ = run(capsys, *base, "purge")
    assert code == 0 and "申請 0 件" in out and "稽核紀錄全數保留" in out
    services = factory.make_services(settings_of())
    try:
        actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    finally:
        services.close()
    assert actions == ["roster.import", "retention.purge"]


def test_r26_many_bad_rows_show_twenty_and_a_count_and_the_rest_go_to_a_private_file(
    capsys, base, tmp_path, settings_of
):
    bad = [wrong_check_digit(f"A1234{n:04d}") for n in range(25)]
    path = roster_csv(tmp_path / "roster.csv", [line(i) for i in bad])
    code, out, err = run(capsys, *base, "import", str(path))
    assert code == 1 and out == ""
    shown = [x for x in err.splitlines() if x.startswith("第 ")]
    assert len(shown) == 20 and shown[-1].startswith("第 21 列（student_id）")
    assert "另有 5 項問題未列出，共 25 項" in err
    listing = tmp_path / "roster-problems.txt"
    assert str(listing) in err
    assert listing.stat().st_mode & 0o777 == 0o600
    text = listing.read_text(encoding="utf-8-sig")
    assert "第 26 列（student_id）" in text
    assert not [i for i in bad if i in text or i[-6:] in text]  # R9: no ID number in it
    assert count(settings_of, Student) == 0


def test_r34_dry_run_prints_what_would_change_and_writes_nothing(
    capsys, base, tmp_path, settings_of
):
    first = roster_csv(
        tmp_path / "a.csv",
        [student_line("A12345001"), student_line("A12345002", "吳大寶"), student_line("A12345003")],
    )
    assert run(capsys, *base, "import", str(first))[0] == 0
    events = count(settings_of, AuditEvent)
    second = roster_csv(
        tmp_path / "b.csv",
        [
            student_line("A12345001", cls="302").replace("lee@s.", "ho@s.").replace("李", "何"),
            student_line("A12345003"),
            student_line("A12345004", "林小美"),
        ],
    )
    code, out, _ = run(capsys, *base, "import", "--dry-run", str(second))
    assert code == 0
    assert "試算（--dry-run）" in out and "沒有寫入任何資料" in out
    assert "學生新增 1 位、更新 2 位（其中換班 1 位、重新回到名冊 0 位）、離校 1 位" in out
    masked = with_check_digit("A12345002")[:4] + "******"
    assert f"離校：吳*寶（{masked}）353601 301" in out
    assert "換班：吳*寶" in out and "301 → 302" in out
    assert with_check_digit("A12345002") not in out
    assert count(settings_of, Student) == 3 and count(settings_of, AuditEvent) == events
    services = factory.make_services(settings_of())
    try:
        assert Student.select().where(Student.left_at.is_null(False)).count() == 0
    finally:
        services.close()
    code, out, _ = run(capsys, *base, "--lang", "en", "import", str(second))
    assert code == 0 and "Moved class: 1. Back on the roster: 0. Left: 1." in out


def test_r26_a_dry_run_on_a_broken_file_is_one_line_and_changes_nothing(
    capsys, base, tmp_path, settings_of
):
    path = roster_csv(tmp_path / "big5.csv", [student_line("A12345001")], encoding="big5")
    code, out, err = run(capsys, *base, "import", "--dry-run", str(path))
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Big5" in err
    assert count(settings_of, Student) == 0


def test_r26_a_dry_run_with_many_bad_rows_writes_no_problem_file(capsys, base, tmp_path):
    bad = [wrong_check_digit(f"A1234{n:04d}") for n in range(22)]
    path = roster_csv(tmp_path / "roster.csv", [line(i) for i in bad])
    code, _, err = run(capsys, *base, "--lang", "en", "import", "--dry-run", str(path))
    assert code == 1 and "2 more not shown (22 problems in all)" in err and "dry run" in err
    assert not (tmp_path / "roster-problems.txt").exists()


def test_r26_unknown_columns_are_named_in_a_warning_and_the_rest_imports(
    capsys, base, tmp_path, settings_of
):
    path = tmp_path / "r.csv"
    path.write_text(f"{HEADER},座號,備註\r\n{student_line('A12345001')},7,\r\n", encoding="utf-8")
    code, out, err = run(capsys, *base, "import", str(path))
    assert code == 0 and "學生新增 1 位" in out
    assert "以下欄位不會匯入，已略過：座號、備註" in err
    assert count(settings_of, Student) == 1


def test_r34_purge_ends_the_bindings_of_students_who_left_and_says_so(
    capsys, base, tmp_path, settings_of
):
    from datetime import datetime

    from app.models import Account, Binding, OutboxMessage

    (tmp_path / "config.toml").write_text(CHEAP_ARGON2 + "[roster]\nleft_grace_days = 0\n")
    both = [student_line("A12345001"), student_line("A12345002", "吳大寶")]
    assert run(capsys, *base, "import", str(roster_csv(tmp_path / "a.csv", both)))[0] == 0
    services = factory.make_services(settings_of())
    try:
        account = Account.create(email="dad@home.example", name="吳志明", id_digest="d" * 64,
                                 id_masked="A123******", password_hash="x",
                                 created_at=datetime(2026, 1, 1))  # fmt: skip
        for student in Student.select():
            Binding.create(account=account, student=student, created_at=datetime(2026, 1, 1))
    finally:
        services.close()
    assert run(capsys, *base, "import", str(roster_csv(tmp_path / "b.csv", both[:1])))[0] == 0
    code, out, _ = run(capsys, *base, "purge")
    assert code == 0 and "已解除 1 筆離校學生的親子綁定" in out
    services = factory.make_services(settings_of())
    try:
        assert Binding.select().where(Binding.removed_at.is_null()).count() == 1
        purposes = [m.purpose for m in OutboxMessage.select()]
    finally:
        services.close()
    assert purposes == ["student_left_binding_ended"]


# --- listing ------------------------------------------------------------------------------------


@pytest.fixture
def demo_db(settings_of):
    services = factory.make_services(settings_of())
    try:
        demo_setup(services)
        names = [s.name for s in Student.select()]
    finally:
        services.close()
    return names


def test_r9_the_table_is_masked_and_aligned_by_display_width(capsys, base, demo_db):
    code, out, _ = run(capsys, *base, "applications")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 + 7
    assert not [n for n in demo_db if n in out]  # no full student name
    assert "*" in lines[2].split()[1]
    # Each column starts at the same display column on every line (CJK counts twice).
    column = console.display_width(lines[0][: lines[0].index("狀態")])
    for line in lines[2:]:
        status = next(s for s in ("申請", "認證", "不通過", "已取消") if s in line.split())
        assert console.display_width(line[: line.index(status)]) == column


def test_r9_json_rows_carry_masked_names_and_filter_by_status(capsys, base, demo_db):
    code, out, _ = run(capsys, *base, "applications", "--format", "json", "--status", "pending")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"pending"}
    assert set(rows[0]) == {
        "number",
        "student_masked",
        "school",
        "classroom",
        "relationship",
        "status",
        "submitted_at",
        "submitted_local",
    }
    assert not [n for n in demo_db if n in out]
    code, out, _ = run(capsys, *base, "applications", "--format", "json", "--limit", "2")
    assert len(json.loads(out)) == 2


def test_an_unknown_status_is_refused_with_the_choices(capsys, base):
    code, out, err = run(capsys, *base, "--lang", "en", "applications", "--status", "done")
    assert code == 1 and out == ""
    assert 'no application status "done"' in err and "pending, approved" in err


def test_an_empty_list_says_so(capsys, base):
    code, out, _ = run(capsys, *base, "applications")
    assert code == 0 and "沒有符合條件的申請" in out


# --- configuration and arguments ------------------------------------------------------------------


def test_a_database_we_do_not_support_is_refused(capsys, tmp_path):
    code, _, err = run(
        capsys, "--db", "mysql://u:pw@host/db", "--data-dir", str(tmp_path), "applications"
    )
    assert code == 1 and "不支援 mysql 資料庫" in err


def test_a_file_that_is_not_a_database_is_refused(capsys, tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("these are my notes, not a database\n" * 100)
    code, _, err = run(
        capsys, "--lang", "en", "--db", str(notes), "--data-dir", str(tmp_path), "purge"
    )
    assert code == 1 and "Cannot open the database" in err and str(notes) in err


def test_an_unreachable_postgresql_server_is_named_without_its_password(capsys, tmp_path):
    url = "postgresql://qinzi:hunter2@127.0.0.1:1/qinzi"
    code, _, err = run(capsys, "--db", url, "--data-dir", str(tmp_path), "applications")
    assert code == 1 and "無法開啟資料庫" in err
    assert "hunter2" not in err and "qinzi:***@127.0.0.1:1" in err


def test_a_missing_config_file_is_named(capsys, tmp_path):
    code, _, err = run(capsys, "--config", str(tmp_path / "none.toml"), "purge")
    assert code == 1 and "找不到設定檔" in err


def test_bad_arguments_get_a_usage_message(capsys, base):
    code, _, err = run(capsys, *base, "frobnicate")
    assert code == 2 and "指令有誤" in err and "qinzi --help" in err
    code, _, err = run(capsys, *base, "--lang", "en", "seed", "--students", "-5")
    assert code == 2 and "The command is not right" in err


# --- seed, demo, kiosk --------------------------------------------------------------------------


def test_seed_prints_counts_and_time_and_keeps_out_of_a_used_database(capsys, base):
    args = ("seed", "--schools", "6", "--students", "120", "--applications", "50")
    code, out, _ = run(capsys, *base, *args)
    assert code == 0
    assert "6 所學校" in out and "120 位學生" in out and "申請 50 件" in out and "秒" in out
    code, _, err = run(capsys, *base, *args)
    assert code == 1 and "--force" in err
    code, _, _ = run(capsys, *base, *args, "--force", "--rng-seed", "9")
    assert code == 0


class FakeApp:
    runs: list[tuple[str, str, bool]] = []
    collector_running: list[bool] = []  # gc.isenabled() as each run started

    def __init__(self, services, kiosk, prepare=None):
        self.services, self.kiosk, self.prepare = services, kiosk, prepare
        self.demo_info, self.return_code = None, 0

    def run(self):
        """Like the real app: the demo's set-up runs once the first frame is up."""
        s = self.services.settings
        FakeApp.runs.append((s.mode, s.database_url, self.kiosk))
        FakeApp.collector_running.append(gc.isenabled())
        if self.prepare is not None:
            self.demo_info = self.prepare()


@pytest.fixture
def fake_app(monkeypatch):
    FakeApp.runs, FakeApp.collector_running = [], []

    def make_app(services, *, kiosk=False, prepare=None, **_):
        return FakeApp(services, kiosk, prepare)

    monkeypatch.setattr(cli, "make_app", make_app)
    monkeypatch.setattr(factory, "make_app", make_app)  # the demo's, in the factory
    return FakeApp.runs


def test_demo_builds_a_fresh_database_runs_the_app_then_prints_the_logins(
    capsys, base, tmp_path, fake_app
):
    """Issue 7: the set-up runs inside the app (behind its first frame); the logins it made are
    printed when the app ends, for the salesperson's next run."""
    folder = tmp_path / "demo"
    code, out, _ = run(capsys, *base, "demo", "--dir", str(folder))
    assert code == 0
    assert fake_app == [("demo", str(folder / "qinzi.db"), False)]
    assert str(folder) in out and "heping.301@school.example" in out and "qinzi-demo-2026" in out
    assert "特教" in out and "名冊家長" in out


def test_kiosk_and_the_bare_command_run_the_app_on_the_configured_database(
    capsys, base, db_url, fake_app
):
    assert run(capsys, *base, "kiosk")[0] == 0
    assert run(capsys, *base)[0] == 0
    assert fake_app == [("production", db_url, True), ("production", db_url, False)]


def test_start_up_the_app_starts_with_the_collector_paused_and_never_leaves_it_paused(
    capsys, base, tmp_path, fake_app, monkeypatch
):
    """Issue 13 (start-up): the app commands build and start the app with Python's garbage
    collector paused (the app resumes it behind its first frame); the command never returns
    with it paused, however it ends. Other commands do not pause it."""
    assert run(capsys, *base, "kiosk")[0] == 0
    assert run(capsys, *base, "demo", "--dir", str(tmp_path / "demo"))[0] == 0
    assert FakeApp.collector_running == [False, False] and gc.isenabled()

    def broken(*_, **__):
        raise RuntimeError("the app failed before its first frame")

    monkeypatch.setattr(cli, "make_app", broken)
    with pytest.raises(RuntimeError):
        cli.main([*base, "review"])
    assert gc.isenabled()
    assert run(capsys, *base, "check")[0] == 0 and gc.isenabled()


def test_without_the_terminal_screens_the_app_commands_explain(capsys, base, monkeypatch):
    monkeypatch.setitem(sys.modules, "app.tui", None)
    code, _, err = run(capsys, *base, "--lang", "en", "kiosk")
    assert code == 1 and "no terminal screens" in err


def test_the_factory_wires_the_given_clock(settings_of):
    clock = FrozenClock()
    services = factory.make_services(settings_of(), clock=clock)
    try:
        assert services.ctx.clock() == clock.now
    finally:
        services.close()


def test_display_width_counts_cjk_twice():
    assert console.display_width("吳*寶") == 5
    assert console.display_width("ＡB") == 3
    table = console.format_table(["學生", "x"], [["吳*寶", "1"], ["Al", "2"]])
    assert table.splitlines() == ["學生   x", "-----  -", "吳*寶  1", "Al     2"]


# --- a real process -------------------------------------------------------------------------------


@pytest.mark.process
def test_r7_import_in_a_real_process_without_loading_textual(base):
    code = (
        "import sys\n"
        "from app.cli import main\n"
        f"rc = main({[*base, '--lang', 'en', 'import', str(data_file('demo_roster.csv'))]!r})\n"
        "print('textual loaded' if 'textual' in sys.modules else 'textual not loaded')\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"Roster imported\. Rows: \d{3}\.", done.stdout)
    assert "textual not loaded" in done.stdout


@pytest.mark.process
def test_bad_rows_exit_1_from_python_m_app_cli(base, tmp_path):
    path = roster_csv(tmp_path / "bad.csv", [student_line("A12345001"), line("A1234500")])
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *base, "import", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 1
    assert "第 3 列（student_id）" in done.stderr and "Traceback" not in done.stderr


def test_outbox_command_delivers_stranded_mail_and_check_names_what_was_given_up(
    capsys, base, settings_of
):
    """Issue 9: `qinzi outbox` (cron) hands over what a crashed terminal left queued; a message
    given up after its last attempt makes `qinzi check` fail with its number, not its contents."""
    from datetime import timedelta

    from app.models import Channel, OutboxMessage

    services = factory.make_services(settings_of())
    with services.ctx.transaction():
        services.outbox.enqueue(Channel.EMAIL, "dad@home.example", "approved", "主旨", "內容")
        services.outbox.discard_pending()  # killed between COMMIT and delivery
    message = OutboxMessage.get()
    message.next_attempt_at = message.created_at - timedelta(minutes=5)  # its turn has passed
    message.save()
    services.close()
    code, out, _ = run(capsys, *base, "--lang", "en", "outbox")
    assert code == 0 and "Sent: 1." in out
    code, out, _ = run(capsys, *base, "--lang", "en", "outbox")
    assert code == 0 and "Sent: 0." in out  # exactly once

    services = factory.make_services(settings_of())
    OutboxMessage.update(status="undeliverable").execute()
    services.close()
    code, _, err = run(capsys, *base, "--lang", "en", "check")
    assert code == 1 and "given up" in err and "#1" in err and "dad@" not in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_r26_lang_switches_the_app_as_well_as_the_messages(tmp_path, where, monkeypatch):
    """Issue 18 (R26): `--lang en`, documented as a global option, sets the terminal's language
    (the app opens in English), before or after the command, over QINZI_LANG; a browser tab's
    own process is given it too."""
    from app import web

    argv = ["--lang", "en", "kiosk"] if where == "before" else ["kiosk", "--lang", "en"]
    args = cli.build_parser("zh-TW").parse_args([*argv, "--data-dir", str(tmp_path)])
    assert factory.settings_from_args(args).language == "en"
    plain = cli.build_parser("zh-TW").parse_args(["kiosk", "--data-dir", str(tmp_path)])
    assert factory.settings_from_args(plain).language == "zh-TW"
    monkeypatch.setattr(os, "environ", {})  # what forward_options sets goes with the test
    web.forward_options(args)
    assert os.environ["QINZI_LANG"] == "en"
    assert os.environ["QINZI_DATA_DIR"] == str(tmp_path.resolve())
    os.environ.clear()
    web.forward_options(plain)
    assert "QINZI_LANG" not in os.environ


@pytest.mark.parametrize("argv", [
    ["demo"], ["demo", "--dir", "/tmp/x"], ["--lang", "en", "kiosk"], ["--db", "demo", "check"],
    ["--db=x.db", "review"], [], ["staff", "add", "--school", "1", "a@school.example"],
    ["directory", "sync", "--dry-run"], ["applications", "--limit", "5", "--db", "q.db"],
    ["serve", "demo", "--port", "8080"], ["backup", "b.db"],
])  # fmt: skip
def test_a_start_reads_its_command_line_as_the_full_parser_does(argv):
    """Issue 13 (start-up): a start builds only its own command's parser; what it reads from
    the command line is what the full parser reads."""

    def read(args):
        values = vars(args)
        return {**values, "handler": values["handler"].__qualname__}

    assert read(cli._parse(argv, "en")) == read(cli.build_parser("en").parse_args(argv))


@pytest.mark.parametrize("argv", [["bogus"], ["demo", "--nope"], ["applications", "--limit", "x"],
                                  ["staff"], ["--lang"]])  # fmt: skip
def test_a_mistaken_command_line_gets_the_full_parsers_words(argv):
    """Issue 13: an unknown command or a bad option is reported as before the one-command
    parser, naming every command where the full parser would."""
    with pytest.raises(cli.UsageError) as full:
        cli.build_parser("en").parse_args(argv)
    with pytest.raises(cli.UsageError) as one:
        cli._parse(argv, "en")
    assert str(one.value) == str(full.value)


def test_help_lists_every_command(capsys):
    """Issue 13: `--help` is built by the full parser, every command listed."""
    with pytest.raises(SystemExit):
        cli._parse(["--help"], "en")
    out = capsys.readouterr().out
    for command in ("import", "seed", "demo", "kiosk", "review", "serve", "staff", "directory"):
        assert command in out
