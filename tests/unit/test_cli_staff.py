"""`qinzi staff` (R32), run in-process through main(argv) on a fresh database: the walk-through
of the README's "For school IT" section from `qinzi import` to a teacher's first login, and the
mistakes an IT person makes, each one line in the user's language, a non-zero exit and nothing
changed."""

from __future__ import annotations

import json
import re

import pytest

from app import cli, factory
from app.errors import QinziError
from app.models import OutboxMessage, Teacher
from app.resources import data_file
from tests.unit.test_cli import CHEAP_ARGON2, run

GOOD = "lantern orchard velvet"
SCHOOL = "990101"  # 臺北市大安區和平國小 in the shipped demo roster
IT = "it@heping.example"
TEACHER = "heping.301@school.example"


@pytest.fixture
def base(tmp_path, db_url) -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text(CHEAP_ARGON2)
    return ["--db", db_url, "--data-dir", str(tmp_path / "data"), "--config", str(config)]


@pytest.fixture
def services_of(base):
    """The services a terminal on the same database and data folder would have."""
    opened = []

    def make():
        services = factory.make_services(factory.settings_from_args(
            cli.build_parser("en").parse_args(base)))  # fmt: skip
        opened.append(services)
        return services

    yield make
    for services in opened:
        services.close()


def code_sent_to(services, email: str) -> str:
    message = (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    return re.search(r"\b(\d{6})\b", services.outbox.body_of(message)).group(1)


def listed(capsys, base) -> dict[str, dict]:
    code, out, _ = run(capsys, *base, "staff", "list", "--school", SCHOOL, "--format", "json")
    assert code == 0
    return {row["email"]: row for row in json.loads(out)}


def test_r32_from_a_fresh_database_to_a_teachers_first_login(capsys, base, services_of):
    """The README's walk-through: import, the first IT account, IT's first password from the
    invitation, IT invites the teachers, a teacher sets a password and logs in. No seed, no demo,
    no hand-made rows."""
    assert run(capsys, *base, "import", str(data_file("demo_roster.csv")))[0] == 0
    assert {r["state"] for r in listed(capsys, base).values()} == {"no-password"}
    code, out, _ = run(capsys, *base, "staff", "add", "--school", SCHOOL, "--role", "it", IT,
                       "--name", "資訊組 王", "--lang", "en")  # fmt: skip
    assert code == 0 and f"Staff account {IT} created at 臺北市大安區和平國小" in out

    services = services_of()
    it = services.staff_accounts.accept_invitation(IT, code_sent_to(services, IT), GOOD, GOOD)
    assert it.is_it
    services.close()

    code, out, _ = run(capsys, *base, "staff", "invite", "--school", SCHOOL)
    assert code == 0 and "已寄出邀請：3 位" in out and TEACHER in out
    rows = listed(capsys, base)
    assert rows[IT]["state"] == "active" and rows[IT]["role"] == "it"
    assert rows[TEACHER]["state"] == "invited" and rows[TEACHER]["classes"] == ["301"]

    services = services_of()
    code = code_sent_to(services, TEACHER)
    services.staff_accounts.accept_invitation(TEACHER, code, "copper meadow whistle",
                                              "copper meadow whistle")  # fmt: skip
    teacher = services.accounts.staff_login(TEACHER, "copper meadow whistle")
    assert teacher.role == "teacher" and teacher.classroom_ids
    services.close()
    assert listed(capsys, base)[TEACHER]["state"] == "active"

    code, out, _ = run(capsys, *base, "staff", "list", "--school", SCHOOL, "--lang", "en")
    assert code == 0
    header, _, *lines = out.splitlines()
    assert header.split() == ["Email", "Name", "Role", "Classes", "State"]
    assert any(IT in line and "school IT" in line and "active" in line for line in lines)


def test_r32_reset_from_the_command_line_ends_the_password(capsys, base, services_of):
    assert run(capsys, *base, "import", str(data_file("demo_roster.csv")))[0] == 0
    run(capsys, *base, "staff", "add", "--school", SCHOOL, IT)
    services = services_of()
    services.staff_accounts.accept_invitation(IT, code_sent_to(services, IT), GOOD, GOOD)
    services.close()
    code, out, _ = run(capsys, *base, "staff", "reset", IT, "--lang", "en")
    assert code == 0 and "all their sessions have ended" in out
    assert listed(capsys, base)[IT]["state"] == "invited"


def test_r20_unlock_from_the_command_line_lifts_the_wait(capsys, base, services_of):
    """Issue 15: `qinzi staff unlock EMAIL` lets a teacher kept out by wrong passwords in."""
    assert run(capsys, *base, "import", str(data_file("demo_roster.csv")))[0] == 0
    teacher = "heping.301@school.example"
    services = services_of()
    try:
        for _ in range(5):
            with pytest.raises(QinziError):
                services.accounts.staff_login(teacher, "wrong password")
    finally:
        services.close()
    assert listed(capsys, base)[teacher]["state"] == "locked"
    code, out, _ = run(capsys, *base, "staff", "unlock", teacher, "--lang", "en")
    assert code == 0 and "can log in again straight away" in out
    assert listed(capsys, base)[teacher]["state"] == "no-password"
    code, out, _ = run(capsys, *base, "staff", "unlock", teacher)
    assert code == 0 and "目前不須等待" in out


def state(services_of) -> tuple:
    services = services_of()
    try:
        return (sorted((t.email, t.password_hash, t.active) for t in Teacher.select()),
                OutboxMessage.select().count())  # fmt: skip
    finally:
        services.close()


@pytest.mark.parametrize(
    ("argv", "zh", "en"),
    [
        (["add", "--school", "X999", IT], "找不到學校代碼 X999", "no school with the code X999"),
        (["add", "--school", SCHOOL, "it@jingmei.example"], "其他學校", "another school"),
        (["invite", "--school", "X999"], "找不到學校代碼", "no school with the code"),
        (["invite", "--school", SCHOOL, "it@jingmei.example"], "其他學校", "another school"),
        (["invite", IT], "已設定密碼，不需要邀請", "already has a password"),
        (["invite", "nobody@heping.example"], "不是本系統的教職員帳號", "not a staff account"),
        (["invite"], "請指定學校", "Name the school"),
        (["reset", "nobody@heping.example"], "不是本系統的教職員帳號", "not a staff account"),
        (["list", "--school", "X999"], "找不到學校代碼", "no school with the code"),
    ],
)
def test_r32_bad_input_is_one_line_in_the_users_language_and_changes_nothing(
    capsys, base, services_of, argv, zh, en
):
    assert run(capsys, *base, "import", str(data_file("demo_roster.csv")))[0] == 0
    other = "it@jingmei.example"
    assert run(capsys, *base, "staff", "add", "--school", "990102", other)[0] == 0
    run(capsys, *base, "staff", "add", "--school", SCHOOL, IT)
    services = services_of()
    services.staff_accounts.accept_invitation(IT, code_sent_to(services, IT), GOOD, GOOD)
    services.close()
    before = state(services_of)
    for lang, expected in (("zh-TW", zh), ("en", en)):
        code, out, err = run(capsys, *base, "staff", *argv, "--lang", lang)
        assert code == 1 and out == ""
        assert expected in err and len(err.strip().splitlines()) == 1
    assert state(services_of) == before


def test_r32_staff_without_an_action_is_a_usage_error(capsys, base):
    code, _, err = run(capsys, *base, "staff", "--lang", "en")
    assert code == 2 and "ACTION" in err
