"""Settings: defaults, then the config file, then QINZI_* environment variables, then flags.

One typed object (`Settings`) that the factory in cli.py hands to every service."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from app.errors import ConfigError
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES
from app.text import has_control, printable
from app.themes import THEME_SETTINGS

APP_NAME = "qinzi"


# The role a command plays, as the audit trail's terminal names it when none is configured.
_ROLES = {None: "kiosk", "kiosk": "kiosk", "review": "review", "serve": "browser", "demo": "demo"}


def default_terminal(command: str | None) -> str:
    """This computer's name and the program's role, e.g. `office-pc-review`: without one set, a
    review desk no longer records its decisions as `kiosk-1` (issue 15)."""
    import socket

    host = socket.gethostname().split(".")[0][:40] or "host"
    return f"{host}-{_ROLES.get(command, 'cli')}"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


# No generated repr (it would print the SMTP, SMS and directory passwords wherever a Settings is
# shown, R9), no generated == (nothing compares settings) and no generated __init__: compiling
# those for about 80 fields took 3 ms of every start-up. __init__ below reads the fields instead.
@dataclass(init=False, repr=False, eq=False)
class Settings:
    # Where things are kept.
    data_dir: Path = field(default_factory=default_data_dir)
    db: str = ""  # a path, sqlite:///…, or postgresql://…; empty: <data_dir>/qinzi.db
    # R41: a terminal that has waited this long for its database exits non-zero, so that its
    # service manager starts it again (`[db] give_up_after_minutes`; `[db] url` is `db`).
    db_give_up_after_minutes: float = 10.0
    terminal_id: str = ""  # empty: this computer's name and the program's role (default_terminal)
    mode: str = "production"  # or "demo": the outbox pane shows bodies and codes (R25)
    language: str = DEFAULT_LANGUAGE

    # Verification codes (R1–R4).
    code_ttl_minutes: int = 60
    sms_codes_per_hour: int = 2
    email_codes_per_hour: int = 5
    code_max_attempts: int = 5
    contact_failures_per_day: int = 20

    # Binding (R8, R10, R28).
    lookup_failures_per_session: int = 5
    privacy_statement_version: str = "2026-09"
    auto_approve_roster_match: bool = False
    # The seed asks for the signed paper form: with this on, no application is approved before
    # its paper was marked received (a config file's `[review] require_paper_form = true`).
    review_require_paper_form: bool = False

    # Review (R33): the schools (their codes, or "*" for all) where school IT may decide
    # applications as well as the homeroom teacher; `[review] it_may_decide = true` is "*".
    review_it_may_decide: tuple[str, ...] = ()

    # Accounts (R19, R20).
    initial_password: str = "id_last6"  # or "random": sent in the approval e-mail (NIST)
    initial_password_days: int = 14
    login_failures_before_wait: int = 5
    login_wait_minutes: int = 15
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4

    # Retention (R30).
    retention_days: int = 180
    # Roster lifecycle (R34): days after a student left the roster before their bindings end
    # (`qinzi purge`); 0 ends them at the next purge.
    roster_left_grace_days: int = 30

    # Outgoing messages.
    mail_transport: str = "outbox"  # or "smtp"
    mail_from: str = "qinzi@school.example"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 10.0
    smtp_cafile: str = ""  # a school's own CA for its mail relay; empty: the system's
    # SMS (R38): "outbox" stores them only (a production kiosk then offers no mobile choice),
    # "kannel" sends through Kannel's sendsms, "mitake" through 三竹's SmSend (`[sms]` table).
    sms_transport: str = "outbox"
    sms_url: str = ""  # kannel: http://host:13013/cgi-bin/sendsms; mitake: empty is its SmSend
    sms_username: str = ""
    sms_password: str = ""
    sms_sender: str = ""  # Kannel's `from`; empty: the smsbox group's `global-sender`
    sms_timeout: float = 10.0

    # The city directory (R39, `[directory]`): approved accounts and their bindings are written
    # to it over LDAP. Off while `url` is empty: then nothing is queued for it.
    directory_url: str = ""  # ldap://host or ldaps://host[:port]
    directory_bind_dn: str = ""
    directory_bind_password: str = ""  # a secret: `qinzi config` never prints it
    directory_base_dn: str = ""  # where the parents' entries live: uid=<e-mail>,<base_dn>
    directory_starttls: bool = False  # upgrade ldap:// with StartTLS (ldaps:// is TLS already)
    directory_cafile: str = ""  # the directory's own CA; empty: the system's
    directory_timeout: float = 10.0
    directory_ppolicy: bool = False  # the directory has the ppolicy overlay: set pwdReset
    directory_object_classes: str = "inetOrgPerson qinziParent"
    # The attribute mapping: which directory attribute holds what (deploy/qinzi.ldif has the last).
    directory_attr_uid: str = "uid"
    directory_attr_mail: str = "mail"
    directory_attr_mobile: str = "mobile"
    directory_attr_binding: str = "qinziBinding"

    # Kiosk (R22) and printing.
    idle_seconds: int = 120
    idle_countdown_seconds: int = 15
    staff_idle_seconds: int = 900
    staff_pin: str = ""
    staff_pin_hash: str = ""  # Argon2id of the PIN (qinzi config --hash-pin); wins over staff_pin
    printer: str = ""

    # Browser mode (R45): at most this many tabs at once, each a process of about 50 MB.
    serve_max_sessions: int = 8

    # What a parent sees (issue 18, `[display]`): the colours (app/themes.py; F3 switches them
    # for the visit), a layout for a terminal with a big font (fewer cells: no decorative
    # margins, the outbox pane hidden until F4) and, in browser mode, the page's font size in
    # pixels (0: 16, or 24 with large_text; a page's ?fontsize= still wins).
    display_theme: str = "dark"
    display_large_text: bool = False
    display_font_size: int = 0

    # The log file for school IT (app/logs.py): masked data only (R9).
    log_level: str = "info"  # debug, info, warning, error, or off
    log_dir: str = ""  # empty: <data_dir>/logs

    @property
    def database_url(self) -> str:
        return self.db or str(self.data_dir / "qinzi.db")

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    @property
    def sms_offered(self) -> bool:
        """R38: the mobile choice is offered where an SMS can reach someone — a configured
        gateway — or in the demo, whose simulated outbox shows it."""
        return self.demo or self.sms_transport != "outbox"

    def __init__(self, **values: Any) -> None:
        """Each field from `values` (by name), else its default."""
        for f in _FIELDS:
            if f.name in values:
                setattr(self, f.name, values.pop(f.name))
            elif f.default_factory is not dataclasses.MISSING:
                setattr(self, f.name, f.default_factory())
            else:
                setattr(self, f.name, f.default)
        if values:
            raise TypeError(f"Settings has no field {sorted(values)[0]!r}")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_FIELDS = fields(Settings)


# Short names kept for the settings people set most; every setting also answers to
# QINZI_<NAME> (QINZI_SMTP_HOST, QINZI_STAFF_PIN, QINZI_CODE_TTL_MINUTES …).
_ENV = {
    "QINZI_DB": "db",
    "QINZI_DATA_DIR": "data_dir",
    "QINZI_TERMINAL": "terminal_id",
    "QINZI_MODE": "mode",
    "QINZI_LANG": "language",
}


def _env_names() -> dict[str, str]:
    names = {f"QINZI_{f.name.upper()}": f.name for f in fields(Settings)}
    names.update(_ENV)
    return names


FONT_SIZE_MIN, FONT_SIZE_MAX = 8, 48  # browser mode's font, pixels; 0 is the default

# What start-up accepts beyond the type: a wrong value stops the program with the key, the value
# and this description of what is allowed (written without words, so that both languages read it).
_CHOICES: dict[str, tuple[str, ...]] = {
    "mode": ("production", "demo"),
    "language": LANGUAGES,
    "initial_password": ("id_last6", "random"),
    "mail_transport": ("outbox", "smtp"),
    "sms_transport": ("outbox", "kannel", "mitake"),
    "log_level": ("debug", "info", "warning", "error", "off"),
    "display_theme": THEME_SETTINGS,
}
_RANGES: dict[str, tuple[float, float | None]] = {
    "login_wait_minutes": (0, None),
    # Beyond these a password check takes seconds or the kiosk's memory (issue 15: 4 GiB and a
    # parallelism of 100000 were accepted).
    "argon2_time_cost": (1, 20),
    "argon2_parallelism": (1, 64),
    "roster_left_grace_days": (0, None),
    "smtp_port": (1, 65535),
    "argon2_memory_kib": (8, None),
    "smtp_timeout": (0.1, None),
    "sms_timeout": (0.1, 300),
    "db_give_up_after_minutes": (0.01, None),
    "serve_max_sessions": (1, 1000),
    "directory_timeout": (0.1, None),
    "display_font_size": (0, FONT_SIZE_MAX),
}
# Beyond this no count, duration or size makes sense, and larger ones overflow the date
# arithmetic that uses them (a retention of 10**6 days reaches before year 1).
NUMBER_MAX = 100_000
_BIG_RANGES = {"argon2_memory_kib": 1024 * 1024}  # 1 GiB
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _allowed(name: str, kind: str) -> str:
    if name == "display_font_size":
        return f"0, {FONT_SIZE_MIN} … {FONT_SIZE_MAX}"
    if name in _CHOICES:
        return ", ".join(_CHOICES[name])
    if kind == "bool":
        return "true, false"
    if kind == "tuple[str, ...]":
        return 'true, false, ["300001", …]'
    if kind in ("int", "float"):
        low, high = _RANGES.get(name, (1, None))
        return f"{low:g} … {high:g}" if high is not None else f"≥ {low:g}"
    return "text"


def _coerce(name: str, value: Any) -> Any:
    kinds = {f.name: f.type for f in fields(Settings)}
    if name not in kinds:
        raise ConfigError("errors.config.unknown_key", key=name)
    kind = kinds[name]

    def bad() -> ConfigError:
        return ConfigError(
            "errors.config.bad_value",
            key=name,
            value=printable(str(value)),
            allowed=_allowed(name, kind),
        )

    if kind == "tuple[str, ...]":
        return _school_codes(value, bad)
    if kind in ("Path", "str") and isinstance(value, list | dict):
        raise bad()  # terminal_id = ["a", "b"] is no name
    if kind in ("Path", "str") and has_control(str(value), allow_space=False):
        raise bad()  # a NUL in a path or in terminal_id would fail later, far from the cause
    try:
        if kind == "Path":
            return Path(value).expanduser()
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in _TRUE | _FALSE:
                raise bad()
            return text in _TRUE
        if kind in ("int", "float"):
            if isinstance(value, bool) or (kind == "int" and isinstance(value, float)):
                raise bad()
            number = int(value) if kind == "int" else float(value)
            low, high = _RANGES.get(name, (1, None))
            if not math.isfinite(number) or number < low or (high is not None and number > high):
                raise bad()
            maximum = _BIG_RANGES.get(name, NUMBER_MAX)
            if number > maximum:
                raise ConfigError(
                    "errors.config.too_large", key=name, value=str(value), maximum=maximum
                )
            return number
        text = str(value)
        if name in _CHOICES and text not in _CHOICES[name]:
            raise bad()
        return text
    except (TypeError, ValueError) as exc:
        raise bad() from exc


def _school_codes(value: Any, bad: Any) -> tuple[str, ...]:
    """true / false, a list of school codes, or (from the environment) "true", "false" or the
    codes separated by commas."""
    if isinstance(value, bool):
        return ("*",) if value else ()
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE - {""} or text == "*":
            return ("*",)
        if text in _FALSE:
            return ()
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        raise bad()
    codes = tuple(c.strip() for c in value if c.strip())
    if any(has_control(c, allow_space=False) or len(c) > 16 for c in codes):
        raise bad()
    return codes


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}_"))
        else:
            out[name] = value
    return out


def load_settings(
    config_file: Path | None = None,
    env: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from the config file (TOML; `[smtp] host = …` is `smtp_host`), the environment
    and explicit overrides (command-line flags), later ones winning."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    path = config_file or (Path(env["QINZI_CONFIG"]) if env.get("QINZI_CONFIG") else None)
    if path is None and default_config_file().is_file():
        path = default_config_file()
    if path is not None:
        import tomllib  # only with a config file: a demo's start-up reads none (issue 13)

        try:
            with Path(path).open("rb") as fh:
                values.update(_flatten(tomllib.load(fh)))
        except FileNotFoundError as exc:
            raise ConfigError("errors.config.missing_file", path=str(path)) from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("errors.config.bad_file", path=str(path), reason=str(exc)) from exc
    if "db_url" in values:  # `[db] url = "…"` beside `[db] give_up_after_minutes`
        values.setdefault("db", values.pop("db_url"))
    for var, name in _env_names().items():
        if env.get(var):
            values[name] = env[var]
    # Every value of the file and the environment is checked, also one a flag then overrides
    # (`--lang en` does not hide a misspelt `language` from IT).
    checked = {name: _coerce(name, value) for name, value in values.items()}
    checked.update({k: _coerce(k, v) for k, v in overrides.items() if v is not None})
    settings = Settings(**checked)
    _check_password_hashing(settings)
    _check_staff_pin(settings)
    _check_directory(settings)
    _check_sms(settings)
    _check_display(settings)
    return settings


def _check_display(settings: Settings) -> None:
    """Issue 18: a font size is the default (0) or one within what the page accepts from
    ?fontsize= (8 to 48 pixels): 3 would pass the range check and show a page nobody reads."""
    size = settings.display_font_size
    if size and size < FONT_SIZE_MIN:
        raise ConfigError(
            "errors.config.bad_value", key="display_font_size", value=str(size),
            allowed=_allowed("display_font_size", "int"),
        )  # fmt: skip


DIRECTORY_SCHEMES = ("ldap://", "ldaps://")


def _check_directory(settings: Settings) -> None:
    """R39: a directory URL is ldap:// or ldaps:// and comes with the base DN of the parents'
    entries; StartTLS on an ldaps:// URL would be TLS twice."""
    url = settings.directory_url
    if not url:
        return
    if not url.lower().startswith(DIRECTORY_SCHEMES):
        raise ConfigError(
            "errors.config.bad_value", key="directory_url", value=printable(url[:60]),
            allowed="ldap://…, ldaps://…",
        )  # fmt: skip
    if not settings.directory_base_dn.strip():
        raise ConfigError("errors.config.directory_base_dn")
    if settings.directory_starttls and url.lower().startswith("ldaps://"):
        raise ConfigError(
            "errors.config.bad_value", key="directory_starttls", value="true",
            allowed="false (ldaps://)",
        )  # fmt: skip


def _check_sms(settings: Settings) -> None:
    """R38: a gateway is named by an http(s) URL (Kannel has no default) and a user, so that a
    kiosk does not offer SMS codes that its first message shows can never leave."""
    from urllib.parse import urlsplit

    if settings.sms_transport == "outbox":
        return
    url = settings.sms_url
    if settings.sms_transport == "kannel" or url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                "errors.config.bad_value", key="sms_url", value=printable(url.split("?")[0]),
                allowed=f"http://… or https://… (sms_transport = {settings.sms_transport})",
            )  # fmt: skip
    if not settings.sms_username:
        raise ConfigError(
            "errors.config.bad_value", key="sms_username", value="",
            allowed=f"text (sms_transport = {settings.sms_transport})",
        )  # fmt: skip


# OWASP's Password Storage Cheat Sheet: Argon2id pairs of equal strength, memory (KiB) by time
# cost; five passes or more need 7 MiB. The floor holds wherever settings are loaded (every
# command, the kiosk, the browser sessions); tests that build Settings directly may go lower.
OWASP_ARGON2ID_MIN_KIB = {1: 47104, 2: 19456, 3: 12288, 4: 9216, 5: 7168}


def argon2_floor_kib(time_cost: int) -> int:
    return OWASP_ARGON2ID_MIN_KIB[min(max(time_cost, 1), max(OWASP_ARGON2ID_MIN_KIB))]


STAFF_PIN_MIN_DIGITS = 6


def _check_staff_pin(settings: Settings) -> None:
    """R22: the PIN that leaves a kiosk is at least six digits, and its hash is an Argon2id
    hash (`qinzi config --hash-pin` makes one), not text that no PIN ever matches."""
    pin = settings.staff_pin
    if pin and (not pin.isascii() or not pin.isdigit() or len(pin) < STAFF_PIN_MIN_DIGITS):
        raise ConfigError(
            "errors.config.bad_value", key="staff_pin", value="***",
            allowed=f"≥ {STAFF_PIN_MIN_DIGITS} digits",
        )  # fmt: skip
    hashed = settings.staff_pin_hash
    if hashed and not hashed.startswith("$argon2id$"):
        raise ConfigError(
            "errors.config.bad_value", key="staff_pin_hash", value=printable(hashed[:20]),
            allowed="$argon2id$… (qinzi config --hash-pin)",
        )  # fmt: skip


def _check_password_hashing(settings: Settings) -> None:
    """R20: a password file leaked from a kiosk must cost an attacker at least what OWASP asks
    of Argon2id; more passes may stand in for memory, as OWASP's pairs allow."""
    floor = argon2_floor_kib(settings.argon2_time_cost)
    if settings.argon2_memory_kib < floor:
        raise ConfigError(
            "errors.config.bad_value",
            key="argon2_memory_kib",
            value=str(settings.argon2_memory_kib),
            allowed=f"≥ {floor} (argon2_time_cost = {settings.argon2_time_cost})",
        )
