"""R22, issue 9 point 6: the staff PIN that leaves a kiosk, with guessing throttled — in the
service, on the frozen clock, on a real database file (and PostgreSQL), and the
`qinzi config --hash-pin` that keeps the PIN out of the config file."""

from __future__ import annotations

import io
import json
import os
import select
import sys
import time
import tomllib
from pathlib import Path

import pytest

from app import cli
from app.config import load_settings
from app.errors import ConfigError, InvalidInput, RateLimited, RuleRefused
from app.models import AuditEvent
from app.services import build_services
from app.services.audit import AuditFilter
from app.services.kiosk_lock import KIOSK, PIN_FAILED, PIN_LOCKED, UNLOCKED, KioskLock, hash_pin

PIN = "24681357"
WRONG = "13572468"
ROOT = Path(__file__).resolve().parents[2]
# The cheapest Argon2id that load_settings accepts (OWASP's pair for five passes).
CHEAP_ARGON2 = "argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"


@pytest.fixture
def lock(services) -> KioskLock:
    services.ctx.settings.staff_pin = PIN
    return services.kiosk_lock  # the one the staff PIN screen uses


def refusal(lock: KioskLock, typed: str):
    with pytest.raises((RuleRefused, RateLimited, ConfigError)) as refused:
        lock.unlock(typed)
    return refused.value


def events(action: str | None = None) -> list[AuditEvent]:
    query = AuditEvent.select().where(AuditEvent.actor == KIOSK).order_by(AuditEvent.id)
    return list(query.where(AuditEvent.action == action) if action else query)


def test_r22_five_wrong_pins_make_the_kiosk_wait_a_minute(lock, clock):
    """R22: four wrong PINs say how many tries are left; the fifth starts a one-minute wait in
    which even the right PIN is refused without being compared; after it the right PIN opens."""
    for left in (4, 3, 2, 1):
        error = refusal(lock, WRONG)
        assert isinstance(error, RuleRefused) and error.params["left"] == left
    error = refusal(lock, WRONG)
    assert isinstance(error, RateLimited)
    assert (error.key, error.params["minutes"], error.field) == ("errors.kiosk.pin_wait", 1, "pin")
    assert "1 minute" in error.message("en") and "1 分鐘" in error.message("zh-TW")
    clock.advance(seconds=59)
    assert refusal(lock, PIN).key == "errors.kiosk.pin_wait"
    assert len(events(PIN_FAILED)) == 5  # the refused try was not a guess: not compared
    clock.advance(seconds=1)
    lock.unlock(PIN)
    assert [e.action for e in events(UNLOCKED)] == [UNLOCKED]
    assert lock.state().failures == 0


def test_r22_each_further_wrong_pin_doubles_the_wait_up_to_15_minutes(lock, clock):
    for _ in range(4):
        refusal(lock, WRONG)
    waits = []
    for _ in range(7):
        error = refusal(lock, WRONG)
        waits.append(error.params["minutes"])
        clock.advance(minutes=error.params["minutes"])
    assert waits == [1, 2, 4, 8, 15, 15, 15]
    locked = events(PIN_LOCKED)
    assert [json.loads(e.detail)["minutes"] for e in locked] == waits


def test_r22_the_wait_survives_a_restart_and_belongs_to_its_terminal(settings, clock, keyring):
    """Restarting the app (new services on the same database, as a new process has) does not
    clear the wait; another kiosk, with its own terminal id, is not made to wait."""
    settings.staff_pin = PIN

    def kiosk(terminal: str = settings.terminal_id):
        return build_services(settings.replace(terminal_id=terminal), clock=clock, keyring=keyring)

    first = kiosk()
    for _ in range(5):
        refusal(first.kiosk_lock, WRONG)
    first.close()
    other = kiosk("kiosk-2")
    other.kiosk_lock.unlock(PIN)
    other.close()
    again = kiosk()
    try:
        assert refusal(again.kiosk_lock, PIN).key == "errors.kiosk.pin_wait"
    finally:
        again.close()


def test_r22_a_day_without_wrong_pins_starts_the_count_again(lock, clock):
    for _ in range(4):
        refusal(lock, WRONG)
    clock.advance(hours=24, seconds=1)
    for left in (4, 3, 2, 1):
        assert refusal(lock, WRONG).params["left"] == left


def test_r24_it_sees_every_wrong_pin_and_every_wait_never_the_pin(lock, services, clock):
    """R24: each wrong PIN and each wait is an audit event by actor "kiosk" with this terminal
    and time; the log holds neither the typed PIN nor the right one; IT finds them by actor."""
    for _ in range(5):
        refusal(lock, WRONG)
    clock.advance(minutes=1)
    lock.unlock(PIN)
    rows = events()
    assert [e.action for e in rows] == [PIN_FAILED] * 5 + [PIN_LOCKED, UNLOCKED]
    assert {e.terminal for e in rows} == {"test-kiosk"}
    assert [json.loads(e.detail)["failures"] for e in rows[:5]] == [1, 2, 3, 4, 5]
    text = " ".join(f"{e.target} {e.detail}" for e in rows)
    assert WRONG not in text and PIN not in text
    page = services.audit.page(AuditFilter(actor="kiosk"))
    assert page.total == 7


def test_r22_no_pin_configured_is_said_and_counts_nothing(services):
    lock = services.kiosk_lock
    assert refusal(lock, "").key == "errors.kiosk.pin_not_set"
    assert refusal(lock, PIN).key == "errors.kiosk.pin_not_set"
    assert events() == []


def test_r22_the_pin_may_be_typed_full_width_and_empty_is_wrong(lock):
    lock.unlock("２４６８１３５７")  # a Chinese input method's digits
    assert refusal(lock, "").key == "errors.kiosk.pin_wrong"
    assert refusal(lock, PIN + "0").key == "errors.kiosk.pin_wrong"
    assert refusal(lock, PIN[:-1]).key == "errors.kiosk.pin_wrong"


def test_r22_an_argon2id_hash_opens_the_kiosk_and_wins_over_the_plain_pin(services):
    settings = services.ctx.settings
    stored = hash_pin(settings, "97531246")
    assert stored.startswith("$argon2id$")
    settings.staff_pin, settings.staff_pin_hash = PIN, stored
    lock = services.kiosk_lock
    assert refusal(lock, PIN).key == "errors.kiosk.pin_wrong"
    lock.unlock("97531246")
    for damaged in ("$argon2id$not-a-hash", "97531246"):
        settings.staff_pin_hash = damaged  # a damaged hash; the PIN itself pasted in by mistake
        assert refusal(lock, "97531246").key == "errors.kiosk.pin_hash_invalid"
    assert len(events(PIN_FAILED)) == 1  # a broken configuration is not a guess
    with pytest.raises(InvalidInput):
        hash_pin(settings, "12345")  # too short to be worth hashing


# --- qinzi config --hash-pin --------------------------------------------------------------------


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CHEAP_ARGON2)
    return path


def test_r22_hash_pin_prints_a_line_the_config_file_accepts(config_file, capsys, monkeypatch,
                                                            services):  # fmt: skip
    """The printed line, put at the top of the config file, loads as staff_pin_hash and opens
    the kiosk; `qinzi config` hides it like the plain PIN."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("97531246\n"))
    code = cli.main(["--config", str(config_file), "--lang", "en", "config", "--hash-pin"])
    out = capsys.readouterr()
    assert code == 0 and "97531246" not in out.out + out.err
    assert "[staff]" in out.err  # where to put it
    config_file.write_text(out.out + CHEAP_ARGON2)
    loaded = load_settings(config_file, env={})
    assert tomllib.loads(out.out)["staff_pin_hash"] == loaded.staff_pin_hash
    services.ctx.settings.staff_pin_hash = loaded.staff_pin_hash
    services.kiosk_lock.unlock("97531246")
    assert cli.main(["--config", str(config_file), "config"]) == 0
    assert loaded.staff_pin_hash not in capsys.readouterr().out


def test_r22_hash_pin_refuses_a_short_pin(config_file, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("1234\n"))
    code = cli.main(["--config", str(config_file), "--lang", "en", "config", "--hash-pin"])
    out = capsys.readouterr()
    assert code == 1 and out.out == "" and "at least 6" in out.err


@pytest.mark.process
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_r22_hash_pin_on_a_terminal_asks_twice_and_never_shows_the_pin(config_file, tmp_path):
    """On a real terminal the PIN is asked twice without echo (getpass): what the terminal shows
    holds the prompts and the hash, never the PIN; two different entries make no hash."""
    import pty

    env = {k: v for k, v in os.environ.items() if not k.startswith("QINZI_")}
    env.update(QINZI_CONFIG=str(config_file), QINZI_DATA_DIR=str(tmp_path / "data"))
    argv = [sys.executable, "-m", "app.cli", "--lang", "en", "config", "--hash-pin"]

    def run(first: str, second: str) -> tuple[int, bytes]:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its terminal
            try:
                os.chdir(ROOT)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        shown = b""
        try:
            for answer in (first, second):
                shown += read_until(fd, b": ", 10)
                os.write(fd, answer.encode() + b"\r")
            while True:
                more = read_until(fd, b"\x00never", 5)
                shown += more
                if not more:
                    break
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        return os.waitstatus_to_exitcode(status), shown

    code, shown = run("86420975", "86420975")
    assert code == 0, shown
    assert b'staff_pin_hash = "$argon2id$' in shown and b"86420975" not in shown
    code, shown = run("86420975", "86420976")
    assert code == 1 and b"differ" in shown and b"$argon2id$" not in shown


def read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    seen = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end and wanted not in seen:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen
