"""One settings object from file, environment and flags; the secret key kept outside the DB
(R23)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.config import Settings, load_settings
from app.errors import ConfigError
from app.keys import Keyring, load_or_create_key


def test_defaults_put_the_database_in_the_user_data_folder(tmp_path):
    s = load_settings(env={"XDG_DATA_HOME": str(tmp_path)})
    assert s.database_url.endswith("qinzi.db")
    assert s.code_ttl_minutes == 60  # R1, as the seed says
    assert s.sms_codes_per_hour == 2  # R2
    assert s.retention_days == 180  # R30


def test_file_then_environment_then_flags(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        'db = "/srv/from-file.db"\nterminal_id = "office-2"\ncode_ttl_minutes = 10\n'
        '[smtp]\nhost = "relay.school.example"\nport = 587\nstarttls = true\n'
    )
    s = load_settings(cfg, env={"QINZI_DB": "/srv/from-env.db"})
    assert (s.db, s.terminal_id, s.code_ttl_minutes) == ("/srv/from-env.db", "office-2", 10)
    assert (s.smtp_host, s.smtp_port, s.smtp_starttls) == ("relay.school.example", 587, True)
    s = load_settings(cfg, env={"QINZI_DB": "/srv/from-env.db"}, db="postgresql://x@h/db")
    assert s.db == "postgresql://x@h/db"


@pytest.mark.parametrize(
    ("text", "key"),
    [("nonsense = 1\n", "errors.config.unknown_key"),
     ("code_ttl_minutes = \"an hour\"\n", "errors.config.bad_value"),
     ("db = \n", "errors.config.bad_file")],
)  # fmt: skip
def test_a_bad_config_file_is_named_clearly(tmp_path, text, key):
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert err.value.key == key


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "nope.toml", env={})
    assert err.value.key == "errors.config.missing_file"


def test_r23_key_file_created_once_with_mode_0600(tmp_path):
    key = load_or_create_key(tmp_path)
    path = tmp_path / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path) == key
    assert len(key) == 32


def test_r23_qinzi_secret_overrides_the_file_and_must_be_long(tmp_path):
    assert load_or_create_key(tmp_path, "x" * 40) != load_or_create_key(tmp_path, "y" * 40)
    assert not (tmp_path / "secret.key").exists()
    with pytest.raises(ConfigError):
        load_or_create_key(tmp_path, "short")


def test_r23_a_damaged_key_file_is_refused(tmp_path):
    Path(tmp_path / "secret.key").write_text("not hex at all")
    with pytest.raises(ConfigError) as err:
        load_or_create_key(tmp_path)
    assert err.value.key == "errors.config.bad_key_file"


def test_sealed_text_opens_only_under_its_key():
    one, other = Keyring(b"1" * 32), Keyring(b"2" * 32)
    token = one.seal("驗證碼 123456")
    assert "123456" not in token
    assert one.unseal(token) == "驗證碼 123456"
    assert other.unseal(token) is None
    assert one.seal("same") != one.seal("same")  # a fresh nonce each time


def test_settings_replace_keeps_the_rest():
    s = Settings().replace(mode="demo")
    assert s.demo and s.code_ttl_minutes == 60
