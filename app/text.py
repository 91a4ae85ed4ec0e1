"""Free text as people type it: what may be stored or looked up.

Control characters (NUL, BEL, ESC, DEL, the C1 set) have no place in a name, a reason, a school
code or a setting: PostgreSQL refuses NUL in any text, and an escape sequence stored in a name
would run in the terminal of whoever lists it later (`qinzi applications`, a log). Tabs and line
breaks count as spaces in fields that collapse runs of spaces, so those fields may keep them."""

from __future__ import annotations

import unicodedata

from app.errors import InvalidInput

CONTROL_KEY = "errors.text.control"
UNREADABLE_KEY = "errors.text.unreadable"
# Combining marks in a row that any script's name needs (Vietnamese stacks two, some Indic
# clusters three); 49 of them paint over the lines above and below (issue 15).
MAX_COMBINING_RUN = 3


def has_control(value: str | None, *, allow_space: bool = True) -> bool:
    """True when `value` holds a control character; with `allow_space`, whitespace ones
    (tab, line breaks) do not count."""
    return any(
        unicodedata.category(ch) == "Cc" and not (allow_space and ch.isspace())
        for ch in value or ""
    )


def refuse_control(value: str, field: str, *, allow_space: bool = True) -> str:
    if has_control(value, allow_space=allow_space):
        raise InvalidInput(CONTROL_KEY, field=field)
    return value


def unreadable(value: str | None) -> bool:
    """R42: a name a person could not read or tell apart as shown: format characters
    (right-to-left overrides such as U+202E, zero-width spaces and joiners), more than
    MAX_COMBINING_RUN combining marks on one letter, or nothing visible at all."""
    text = value or ""
    run = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf":
            return True
        run = run + 1 if category in ("Mn", "Me") else 0
        if run > MAX_COMBINING_RUN:
            return True
    return bool(text) and not any(
        not ch.isspace() and unicodedata.category(ch)[0] not in "MC" for ch in text
    )


def refuse_unreadable(value: str, field: str) -> str:
    """`value`, or InvalidInput beside `field` for control characters (R22) or an unreadable
    name (R42)."""
    refuse_control(value, field)
    if unreadable(value):
        raise InvalidInput(UNREADABLE_KEY, field=field)
    return value


def printable(value: str) -> str:
    """`value` with each control character shown as �, for echoing it in a message."""
    return "".join("\ufffd" if unicodedata.category(ch) == "Cc" else ch for ch in value)


def drop_control(value: str | None) -> str:
    """`value` without its control characters, for lenient boxes such as a search."""
    return "".join(ch for ch in value or "" if unicodedata.category(ch) != "Cc" or ch.isspace())


def lookup_key(value: str | None) -> str:
    """`value` stripped, for comparing with a stored key (a school code, a class name). No
    stored key holds a control character and PostgreSQL refuses NUL even in a query, so such a
    value becomes "", which names nothing."""
    text = (value or "").strip()
    return "" if has_control(text, allow_space=False) else text


# OWASP's CSV injection rule: a cell a spreadsheet would read as a formula (or as a command, after
# a tab or a line break) starts with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """R42: a CSV cell that a spreadsheet would run as a formula is prefixed with ' (text)."""
    return "'" + value if value.startswith(FORMULA_START) else value
