"""The one language seam: the languages Qinzi speaks, the default, and their message catalogs.

Texts live in data/i18n/<lang>/*.toml, one file per domain; nested tables become dotted keys
(`[errors.code]` + `expired = "…"` is `errors.code.expired`). Both languages carry every key,
which a test checks (STYLE habit 3, SPEC R26). Long texts (privacy statement, FAQ) are files
`data/<stem>_<lang>.md`. Nothing else names a language: a new one is a folder of catalogs, its
long texts and an entry in LANGUAGES."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from app.resources import data_file

LANGUAGES = ("zh-TW", "en")
DEFAULT_LANGUAGE = "zh-TW"


def supported(lang: str | None) -> str:
    """`lang` if Qinzi speaks it, else the default."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def next_language(lang: str) -> str:
    """The language the switch (F2) goes to from `lang`."""
    return LANGUAGES[(LANGUAGES.index(supported(lang)) + 1) % len(LANGUAGES)]


def localized_file(stem: str, lang: str, suffix: str = ".md") -> Path:
    """`data/<stem>_<lang><suffix>`, or the default language's where `lang` has none."""
    path = data_file(f"{stem}_{supported(lang)}{suffix}")
    return path if path.is_file() else data_file(f"{stem}_{DEFAULT_LANGUAGE}{suffix}")


def join_list(items: Iterable[str], lang: str) -> str:
    """Items in a running text: 、 between them in Chinese, a comma in English."""
    return t("format.list_separator", lang).join(items)


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str], origin: str) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            _flatten(key, value, out, origin)
        else:
            if key in out:
                raise ValueError(f"message key {key} is defined twice ({origin})")
            out[key] = str(value)


@cache
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, keyed by dotted name."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    out: dict[str, str] = {}
    for path in sorted(data_file("i18n", lang).glob("*.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), out, path.name)
    return out


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The message `key` in `lang`, with `{name}` placeholders filled from params."""
    messages = catalog(supported(lang))
    text = messages.get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        return key
    try:
        return text.format_map(params)
    except (KeyError, IndexError, ValueError):
        return text
