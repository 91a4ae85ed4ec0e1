"""The one language seam: the languages Qinzi speaks, the default, and their message catalogs.

Texts live in data/i18n/<lang>/*.toml, one file per domain; nested tables become dotted keys
(`[errors.code]` + `expired = "…"` is `errors.code.expired`). Both languages carry every key,
which a test checks (STYLE habit 3, SPEC R26). Long texts (privacy statement, FAQ) are files
`data/<stem>_<lang>.md`. Nothing else names a language: a new one is a folder of catalogs, its
long texts and an entry in LANGUAGES.

A message that counts something is a table of CLDR plural forms (`[errors.code.wrong]` with
`one = "…"` and `other = "…"`; Chinese needs only `other`), chosen by the `count` parameter with
the language's own CLDR rule from Babel, so no language's plural rules are written here."""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from app.resources import data_file

LANGUAGES = ("zh-TW", "en")
DEFAULT_LANGUAGE = "zh-TW"
#: CLDR's plural categories: a table whose keys are only these, `other` among them, is one
#: message in its plural forms, not a group of messages.
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})


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


def _is_plural(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "other" in value
        and set(value) <= PLURAL_FORMS
        and all(isinstance(v, str) for v in value.values())
    )


def _flatten(
    prefix: str, table: dict[str, Any], out: dict[str, str], plural: set[str], origin: str
) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if _is_plural(value):
            plural.add(key)
        if isinstance(value, dict):
            _flatten(key, value, out, plural, origin)
        else:
            if key in out:
                raise ValueError(f"message key {key} is defined twice ({origin})")
            out[key] = str(value)


def _parse(paths: list[Path]) -> tuple[dict[str, str], frozenset[str]]:
    import tomllib  # only when no compiled catalog is current

    out: dict[str, str] = {}
    plural: set[str] = set()
    for path in paths:
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), out, plural, path.name)
    return out, frozenset(plural)


# Start-up (issue 13): parsing the TOML catalogs took a tenth of the first frame's own time, so
# `compile_catalogs` (run by the Makefile with the bytecode) keeps each language's flattened
# catalog as JSON beside them, stamped with its sources' names, sizes and times, the way Python
# checks a .pyc: a catalog whose sources changed since is ignored and the TOML read instead.
def _sources(lang: str) -> list[Path]:
    return sorted(data_file("i18n", lang).glob("*.toml"))


def _compiled_path(lang: str) -> Path:
    return data_file("i18n", "__compiled__", f"{lang}.json")


def _stamp(paths: list[Path]) -> list[list[Any]]:
    return [[p.name, s.st_size, s.st_mtime_ns] for p in paths for s in [p.stat()]]


@cache
def _load(lang: str) -> tuple[dict[str, str], frozenset[str]]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    paths = _sources(lang)
    try:
        compiled = json.loads(_compiled_path(lang).read_bytes())
        if compiled["sources"] == _stamp(paths):
            return compiled["messages"], frozenset(compiled["plural"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return _parse(paths)


def compile_catalogs() -> list[Path]:
    """Write every language's compiled catalog (see _load); returns the files written."""
    written = []
    for lang in LANGUAGES:
        paths = _sources(lang)
        messages, plural = _parse(paths)
        target = _compiled_path(lang)
        target.parent.mkdir(exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_text(json.dumps({"sources": _stamp(paths), "messages": messages,
                                       "plural": sorted(plural)}, ensure_ascii=False),
                           encoding="utf-8")  # fmt: skip
        partial.replace(target)  # another process reads the old catalog or the new, never half
        written.append(target)
    return written


def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, keyed by dotted name; a plural message's forms are
    `key.one`, `key.other` …"""
    return _load(lang)[0]


def plural_keys(lang: str) -> frozenset[str]:
    """The keys of `lang`'s messages that come in plural forms (without the form's name)."""
    return _load(lang)[1]


@cache
def _plural_rule(lang: str) -> Any:
    from babel import Locale  # only once a text counts something

    return Locale.parse(lang.replace("-", "_")).plural_form


def plural_form(count: Any, lang: str) -> str:
    """The CLDR plural category of `count` in `lang` (`one`, `other` …); `other` for a count
    that is not a number."""
    try:
        return str(_plural_rule(supported(lang))(count))
    except (TypeError, ValueError):
        return "other"


def plural_forms_needed(lang: str) -> frozenset[str]:
    """The plural forms a counted message of `lang` must have: every category its rule can give."""
    return frozenset(_plural_rule(supported(lang)).tags) | {"other"}


def template(key: str, lang: str = DEFAULT_LANGUAGE, count: Any = None) -> str | None:
    """The unfilled text of `key` in `lang` (the default language's where `lang` lacks it); for
    a plural message, the form `count` asks for, or `other` without a count."""
    for language in dict.fromkeys((supported(lang), DEFAULT_LANGUAGE)):
        messages = catalog(language)
        if key in plural_keys(language):
            form = "other" if count is None else plural_form(count, language)
            return messages.get(f"{key}.{form}") or messages[f"{key}.other"]
        if messages.get(key):
            return messages[key]
    return None


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The message `key` in `lang`, with `{name}` placeholders filled from params. A plural
    message takes the form that the `count` parameter asks for."""
    text = template(key, lang, params.get("count"))
    if text is None:
        return key
    try:
        return text.format_map(params)
    except (KeyError, IndexError, ValueError):
        return text


def tn(key: str, count: Any, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The plural message `key` for `count` things in `lang`: "You have 1 try left", "… 4 tries
    left". `count` also fills a `{count}` placeholder."""
    return t(key, lang, count=count, **params)


if __name__ == "__main__":  # `python -m app.i18n`: compile the catalogs (the Makefile does)
    for written in compile_catalogs():
        print(written)
