"""The log file school IT reads: `<data_dir>/logs/qinzi.log` (or `log_dir`), rotated at 5 MiB with
five old files kept, mode 0600.

What goes in: start and stop of every command that opens the database (terminal, mode, database
backend), every audit event as it is stored (pseudonymous actor, action, record number), each
message delivery or failure (recipient masked), and errors. What never goes in: ID numbers, codes,
passwords, message bodies, names or contacts in full (R9, R23). The code that logs writes only
masked values; `Redactor` is the safety net on the handler for text we do not write ourselves
(an exception's message, a library's warning). It masks:

- ID numbers: anything shaped like a national ID or resident certificate number (letter, 1/2/8/9
  or A-D, eight digits; any case, full-width forms too), standing alone. A number with a wrong
  check digit is masked as well: a mistyped ID is as personal as a right one.
- codes and passwords: a run of exactly six digits only when the line speaks of a code or a
  password (code, PIN, 驗證碼, 密碼 …); six digits elsewhere are counts, ports or times, and
  hiding those would make the log useless. `password=…`, `pin: …` and the like lose their value.
- e-mail addresses and Taiwanese mobile numbers, masked as the screens mask them (not the
  role of a database, `postgresql qinzi@db.example:5432/qinzi`).

Several processes (kiosks, review desks, browser sessions) append to the one file; whichever finds
it full rotates it under a lock, and the others reopen the new file."""

from __future__ import annotations

import fcntl
import logging
import os
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from app.errors import ConfigError
from app.identity import check_id, mask_email, mask_id, mask_mobile, normalize_id

LOGGER = "qinzi"
LOG_FILE = "qinzi.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip
OFF = "off"

log = logging.getLogger(LOGGER)

# --- redaction ------------------------------------------------------------------------------------

_ALNUM = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
# An ID as typed: A123456789, or with spaces or dashes between its groups (A 123 456 789).
_ID_LIKE = re.compile(
    rf"(?<![{_ALNUM}])[A-Za-zＡ-Ｚａ-ｚ][ -]?[0-9A-Za-zＡ-Ｚａ-ｚ０-９](?:[ -]?[0-9０-９]){{8}}"
    rf"(?![{_ALNUM}])"
)
_SIX_DIGITS = re.compile(r"(?<![0-9０-９])[0-9０-９]{6}(?![0-9０-９])")
_SECRET_CONTEXT = re.compile(
    r"code|otp|pin\b|passw|secret|verif|invit|token|驗證|認證碼|密碼|邀請", re.IGNORECASE
)
_KEY_VALUE = re.compile(r"(?i)\b(password|passwd|pwd|pin|secret|token)(\s*[=:]\s*)[^\s,;'\"]+")
# A database role before host:port/ is not an address: the log names the database it used.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?![A-Za-z0-9.-]*:\d+/)")
_MOBILE = re.compile(r"(?<![0-9])(?:\+886[ -]?|0)9[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{3}(?![0-9])")


def _mask_id_like(match: re.Match[str]) -> str:
    normalized = normalize_id(re.sub(r"[ -]", "", match.group()))
    return mask_id(normalized) if check_id(normalized).reason != "format" else match.group()


def redact(text: str) -> str:
    """The text with ID numbers, codes, passwords and contacts masked (see the module doc)."""
    if not text:
        return text
    text = _ID_LIKE.sub(_mask_id_like, text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    if _SECRET_CONTEXT.search(text):
        text = _SIX_DIGITS.sub("******", text)
    text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    return _MOBILE.sub(lambda m: mask_mobile(re.sub(r"[ -]", "", m.group())), text)


class Redactor(logging.Filter):
    """Applied to every record the file receives, including exception text and stack info."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call must not stop the program
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# --- the file -------------------------------------------------------------------------------------


class SharedRotatingFile(RotatingFileHandler):
    """A rotating file several processes append to: created 0600, rotated under a lock file by
    the first process that finds it full, reopened by the others when it was moved away."""

    def _open(self):  # type: ignore[override]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def _moved(self) -> bool:
        if self.stream is None:
            return False
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            return True
        mine = os.fstat(self.stream.fileno())
        return (on_disk.st_dev, on_disk.st_ino) != (mine.st_dev, mine.st_ino)

    def emit(self, record: logging.LogRecord) -> None:
        if self._moved():
            self.stream.close()
            self.stream = self._open()
        super().emit(record)

    def doRollover(self) -> None:
        with open(self.baseFilename + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._moved():  # another process rotated it first
                self.stream.close()
                self.stream = self._open()
                return
            super().doRollover()


def log_path(settings: Any) -> Path:
    folder = Path(settings.log_dir).expanduser() if settings.log_dir else settings.data_dir / "logs"
    return folder / LOG_FILE


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "qinzi", False)]


def setup_logging(settings: Any) -> Path | None:
    """Send this process's log to the file the settings name (nowhere with `log_level = "off"`).
    Called by the command-line factory; calling it again replaces the previous set-up."""
    close_logging()
    level_name = settings.log_level
    root = logging.getLogger()
    if level_name == OFF:
        handler: logging.Handler = logging.NullHandler()  # keeps Python's stderr fallback away
        path = None
        log.setLevel(logging.CRITICAL + 1)
    else:
        path = log_path(settings)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handler = SharedRotatingFile(
                path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
            )
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(
                "errors.config.log_unwritable", path=str(path), reason=reason
            ) from exc
        terminal = str(settings.terminal_id).replace("%", "%%")
        handler.setFormatter(
            logging.Formatter(
                f"%(asctime)s {terminal} [%(process)d] %(levelname)s %(name)s: %(message)s",
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
        handler.addFilter(Redactor())
        level = LEVELS[level_name]
        handler.setLevel(level)
        log.setLevel(level)
    handler.qinzi = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return path


def close_logging() -> None:
    """Detach and close the file set up by `setup_logging` (the process's session is over)."""
    root = logging.getLogger()
    for handler in _ours():
        root.removeHandler(handler)
        handler.close()


def active() -> bool:
    return bool(_ours())


# --- what every command logs ------------------------------------------------------------------


def log_start(settings: Any, command: str | None) -> None:
    from app import __version__
    from app.dburl import describe

    log.info(
        "start %s: version %s, terminal %s, mode %s, database %s, mail %s, sms %s",
        command or "app",
        __version__,
        settings.terminal_id,
        settings.mode,
        describe(settings.database_url),
        settings.mail_transport,
        _sms_gateway(settings),
    )


def _sms_gateway(settings: Any) -> str:
    """R38: which gateway, by host only; or why the kiosk offers no mobile choice."""
    if settings.sms_transport == "outbox":
        return "outbox" if settings.demo else "outbox (no gateway: codes by e-mail only)"
    from urllib.parse import urlsplit

    host = urlsplit(settings.sms_url).hostname if settings.sms_url else None
    return f"{settings.sms_transport} {host or 'default URL'}"


def end_logging(exit_code: int | None = None) -> None:
    """The command is over: say so, then detach the file."""
    if active():
        log.info("stop" if exit_code is None else f"stop: exit {exit_code}")
    close_logging()
