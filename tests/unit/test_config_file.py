"""The configuration file: `qinzi config --example` prints a documented file that loads back,
the environment overrides the file and flags override both, and a bad value stops start-up
naming the key, the value and what is allowed (SPEC R26: in the user's language). Also the
browser mode's flags: loopback by default, a warning otherwise (R22: a kiosk is not for the
whole network)."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import pytest

from app import cli, console, web
from app.config import Settings, load_settings
from app.errors import ConfigError
from app.i18n import t


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_r26_the_example_prints_and_loads_back_with_every_setting(capsys, tmp_path):
    """R26: the example names every setting (each with its default) and is valid TOML that
    load_settings accepts."""
    code, out, _ = run(capsys, "config", "--example")
    assert code == 0
    assert out.startswith("# Qinzi")
    path = tmp_path / "config.toml"
    path.write_text(out, encoding="utf-8")
    loaded, default = load_settings(path, env={}), Settings()
    for f in fields(Settings):
        if f.name != "data_dir":
            assert getattr(loaded, f.name) == getattr(default, f.name), f.name
    flat = out.replace("[smtp]\n", "").replace(" ", "")
    for f in fields(Settings):
        short = f.name.split("_", 1)[-1]
        assert f.name in out or f"\n{short}=" in flat or f"#{f.name}" in flat, f.name


def test_r26_the_environment_overrides_the_file_and_flags_override_both(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('terminal_id = "from-file"\nmode = "demo"\nlanguage = "en"\n')
    env = {"QINZI_TERMINAL": "from-env", "QINZI_LANG": "zh-TW"}
    settings = load_settings(path, env=env, terminal_id="from-flag")
    shown = (settings.terminal_id, settings.language, settings.mode)
    assert shown == ("from-flag", "zh-TW", "demo")


@pytest.mark.parametrize(
    ("text", "key", "value", "allowed"),
    [('mode = "prod"', "mode", "prod", "production, demo"),
     ('language = "zh-CN"', "language", "zh-CN", "zh-TW, en"),
     ('mail_transport = "sendmail"', "mail_transport", "sendmail", "outbox, smtp"),
     ('initial_password = "123456"', "initial_password", "123456", "id_last6, random"),
     ("[smtp]\nport = 70000", "smtp_port", "70000", "1 … 65535"),
     ("[smtp]\nstarttls = \"ture\"", "smtp_starttls", "ture", "true, false"),
     ("code_ttl_minutes = 0", "code_ttl_minutes", "0", "≥ 1"),
     ("idle_seconds = -5", "idle_seconds", "-5", "≥ 1"),
     ("retention_days = 1.5", "retention_days", "1.5", "≥ 1"),
     ('code_max_attempts = "five"', "code_max_attempts", "five", "≥ 1"),
     ("login_wait_minutes = -1", "login_wait_minutes", "-1", "≥ 0")],
)  # fmt: skip
def test_r26_a_bad_value_stops_start_up_with_key_value_and_what_is_allowed(
    tmp_path, capsys, text, key, value, allowed
):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(path, env={})
    assert refused.value.key == "errors.config.bad_value"
    assert refused.value.params == {"key": key, "value": value, "allowed": allowed}
    code, out, err = run(capsys, "--config", str(path), "config")
    assert code == console.EXIT_REFUSED and out == ""
    assert f"「{key}」" in err and f"「{value}」" in err and allowed in err
    code, _, err = run(capsys, "--lang", "en", "--config", str(path), "kiosk")
    assert code == console.EXIT_REFUSED
    assert err.strip() == t("errors.config.bad_value", "en", key=key, value=value,
                            allowed=allowed)  # fmt: skip


def test_r26_a_bad_value_from_the_environment_is_named_too():
    with pytest.raises(ConfigError) as refused:
        load_settings(env={"QINZI_MODE": "live"})
    assert refused.value.params == {"key": "mode", "value": "live", "allowed": "production, demo"}


def test_r26_good_values_of_every_kind_still_load(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('mode = "demo"\nsmtp_starttls = "yes"\nlogin_wait_minutes = 0\n'
                    "[smtp]\nport = 587\ntimeout = 2.5\n")  # fmt: skip
    s = load_settings(path, env={})
    assert (s.mode, s.smtp_starttls, s.login_wait_minutes, s.smtp_port, s.smtp_timeout) == (
        "demo", True, 0, 587, 2.5)  # fmt: skip


def test_config_shows_the_settings_in_force_without_secrets(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text('staff_pin = "864321"\n[smtp]\npassword = "s3cret"\nport = 587\n')
    code, out, _ = run(capsys, "--lang", "en", "--config", str(path), "config")
    assert code == 0
    assert "smtp_port = 587" in out
    assert "864321" not in out and "s3cret" not in out
    assert out.count(t("config.hidden", "en")) == 2


class _FakeServer:
    served = False

    def serve(self) -> None:
        _FakeServer.served = True


@pytest.fixture
def fake_server(monkeypatch):
    made: dict[str, object] = {}

    def make(command, **kwargs):
        made.update(kwargs, command=command)
        return _FakeServer()

    monkeypatch.setattr(web, "make_server", make)
    return made


def test_r22_serve_binds_to_loopback_and_warns_otherwise(
    tmp_path, capsys, fake_server, monkeypatch
):
    """R22: browser mode listens on 127.0.0.1 unless told; any other address is warned about
    in the user's language, since every browser that reaches it gets a kiosk."""
    db = ["--db", str(tmp_path / "q.db"), "--data-dir", str(tmp_path / "data")]
    # What serve forwards to its tabs (QINZI_DB, QINZI_DATA_DIR …) goes with the test.
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items()
                                        if not k.startswith("QINZI_")})  # fmt: skip
    code, _, err = run(capsys, "serve", *db)
    assert code == 0 and err == "" and _FakeServer.served
    assert (fake_server["host"], fake_server["port"]) == ("127.0.0.1", 8000)
    assert str(fake_server["command"]).endswith(" -m app.web kiosk")
    assert "q.db" not in str(fake_server["command"])  # R40: in the environment, not in `ps`
    assert os.environ["QINZI_DB"] == str(tmp_path / "q.db")
    assert os.environ["QINZI_DATA_DIR"] == str((tmp_path / "data").resolve())

    code, _, err = run(capsys, "serve", "review", "--host", "0.0.0.0", "--port", "9000", *db)
    assert code == 0
    assert err.strip() == t("web.warn_public", "zh-TW", host="0.0.0.0")
    assert str(fake_server["command"]).endswith(" -m app.web review")
    code, _, err = run(capsys, "--lang", "en", "serve", "--host", "localhost", *db)
    assert err == ""
    code, _, err = run(capsys, "serve", "--port", "70000", *db)
    assert code == console.EXIT_USAGE


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("192.168.1.20", False), ("::", False),
     ("kiosk.school.example", False)],
)  # fmt: skip
def test_r22_what_counts_as_loopback(host, loopback):
    assert web.is_loopback(host) is loopback


def test_the_session_command_runs_this_python():
    """R45: a tab's command line is this Python, the module and the role, and nothing more
    (its settings come in the environment, its database URL among them, R40)."""
    command = web.session_command("demo")
    assert command.split()[1:] == ["-m", "app.web", "demo"]
    assert Path(command.split()[0].strip("'")).name.startswith("python")


def test_a_tab_refuses_a_command_line_the_server_did_not_write(capsys):
    """R45: `python -m app.web` takes one role; anything else is a usage line and exit 2."""
    for argv in ([], ["admin"], ["kiosk", "--db", "x.db"]):
        assert web.session_main(argv) == 2
        assert "usage: python -m app.web {kiosk,review,demo}" in capsys.readouterr().err


def test_every_setting_can_come_from_the_environment(tmp_path):
    """Issue 8 point 4: QINZI_<NAME> overrides the file for any setting; flags override both."""
    from app.config import load_settings

    cfg = tmp_path / "config.toml"
    cfg.write_text('staff_pin = "111111"\n[smtp]\nhost = "from-file"\nport = 25\n')
    env = {"QINZI_STAFF_PIN": "246802", "QINZI_SMTP_HOST": "relay.example",
           "QINZI_SMTP_PORT": "587", "QINZI_CODE_TTL_MINUTES": "10",
           "QINZI_AUTO_APPROVE_ROSTER_MATCH": "true"}  # fmt: skip
    s = load_settings(cfg, env=env)
    assert (s.staff_pin, s.smtp_host, s.smtp_port) == ("246802", "relay.example", 587)
    assert s.code_ttl_minutes == 10 and s.auto_approve_roster_match is True
    assert load_settings(cfg, env=env, smtp_host="flag.example").smtp_host == "flag.example"


def test_r41_the_db_table_names_the_url_and_the_give_up_time(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[db]\nurl = "/srv/qinzi/q.db"\ngive_up_after_minutes = 3\n')
    settings = load_settings(path, env={})
    assert (settings.db, settings.db_give_up_after_minutes) == ("/srv/qinzi/q.db", 3.0)
