"""Free text as people type it: what may be stored or looked up.

Control characters (NUL, BEL, ESC, DEL, the C1 set) have no place in a name, a reason, a school
code or a setting: PostgreSQL refuses NUL in any text, and an escape sequence stored in a name
would run in the terminal of whoever lists it later (`qinzi applications`, a log). Tabs and line
breaks count as spaces in fields that collapse runs of spaces, so those fields may keep them."""

from __future__ import annotations

import unicodedata

from app.errors import InvalidInput

CONTROL_KEY = "errors.text.control"


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
