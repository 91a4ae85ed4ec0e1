"""What the fuzz tests (issue 9, point 3) type into Qinzi, and how they judge the answer.

Text reaches Qinzi from a terminal (Textual decodes UTF-8), a roster CSV (read as strict UTF-8)
and a TOML file or the environment, so lone surrogates cannot arrive and `st.text()` rightly
leaves them out. Everything else is in: control characters and NUL, 100,000-character strings,
mixed scripts, full-width forms from a Chinese input method, combining marks, bidi and
zero-width characters, emoji, SQL and LIKE fragments, Rich/Textual markup, and well-formed values
(IDs, contacts, numbers) with all of that mixed in, so that the fuzzing reaches past the first
check to the database writes behind it.

Examples per test: small by default, so both fuzz files stay within CI's budget;
QINZI_FUZZ_EXAMPLES=2000 runs that many per test to hunt for bugs locally."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.errors import QinziError
from app.i18n import LANGUAGES, catalog, placeholders, plural_keys, template

HUGE = 100_000

FRAGMENTS: tuple[str, ...] = (
    # control characters: NUL (PostgreSQL refuses it), bell, escape sequences, DEL, C1, breaks
    "\x00", "\x07", "\x08", "\x1b", "\x1b[2J", "\x1b]0;pwned\x07", "\x7f", "\x85", "\x9b",
    "\r\n", "\n", "\t", "\x0b", "\x1f", "\u2028",
    # full-width forms and other compatibility characters NFKC folds
    "Ａ１２３４５６７８９", "ａ", "０９１２３４５６７８", "＠", "．", "－", "＋８８６", "　",
    "ﾃｽﾄ", "㌀", "ﬁ", "Ⅻ", "①", "ℌ", "İ", "ß", "ǅ",
    # combining marks, bidi marks and overrides, zero-width characters, BOM
    "e\u0301", "\u0301", "\u0e49", "\u20dd", "\u200e", "\u200f", "\u202e", "\u2066", "\u2069",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",
    # emoji, including joined sequences and flags
    "😀", "👨\u200d👩\u200d👧", "🇹🇼", "👍🏽", "\ufe0f",
    # mixed scripts and rare planes
    "吳三寶", "臺北市", "أحمد", "עברית", "Ελληνικά", "Кирилл", "हिन्दी", "ไทย", "𠀋", "𝔘",
    # SQL, LIKE and format-string fragments
    "'; DROP TABLE application;--", "' OR '1'='1", '"', "\\", "%", "_", "%_%", "--", "/*",
    "{0}", "{name}", "%s", "${x}",
    # Rich / Textual markup
    "[b]", "[/]", "[/b]", "[@click=app.quit]", "[link=https://x.example]", "[red on blue]",
    ":smile:", "\\[b]",
    # pieces of real values
    "A123456789", "a123456789", "0912345678", "+886912345678", "father@home.example", "@",
    ".", "-", " ", "QZ-7K3M-9PXA", "國小", "elementary", "other",
)  # fmt: skip


def examples(default: int) -> int:
    """QINZI_FUZZ_EXAMPLES overrides every test's own (small) number of examples; the fast
    tier (`make check`) draws a third of them, `make test` and CI all."""
    if os.environ.get("QINZI_FUZZ_EXAMPLES"):
        return int(os.environ["QINZI_FUZZ_EXAMPLES"])
    return max(5, default // 3) if os.environ.get("QINZI_FAST_TIER") else default


def fuzz_settings(default: int) -> settings:
    """Function-scoped fixtures are shared by the examples of one test on purpose: each test
    builds what an example needs so that what earlier examples left behind cannot break it."""
    return settings(
        max_examples=examples(default),
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


def fullwidth(text: str) -> str:
    """What a Chinese input method types for ASCII: Ａ１２３…"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


fragments = st.sampled_from(FRAGMENTS)
pieces = st.one_of(fragments, st.text(max_size=8))
mixed = st.lists(pieces, max_size=6).map("".join)
huge = st.tuples(st.sampled_from((*FRAGMENTS, "A", "吳", "1")), st.text(max_size=2)).map(
    lambda p: (p[0] + p[1]) * (HUGE // len(p[0] + p[1]) + 1)
)


CONTROLS = tuple(f for f in FRAGMENTS if any(unicodedata.category(ch) == "Cc" for ch in f))
with_control = st.tuples(mixed, st.integers(0, 64), st.sampled_from(CONTROLS)).map(
    lambda p: p[0][: p[1]] + p[2] + p[0][p[1] :]
)


def _weighted(choice: int) -> st.SearchStrategy[str]:
    if choice == 0:
        return huge
    if choice < 3:
        return st.text(max_size=40)
    if choice < 5:
        return with_control
    return mixed


def user_text() -> st.SearchStrategy[str]:
    """Arbitrary text: mostly fragments mixed with random text, often with a control character
    (the classic break of PostgreSQL and terminals), sometimes plain random text, now and then
    a string of at least 100,000 characters."""
    return st.integers(0, 9).flatmap(_weighted)


def _typed_as(value: str, how: int) -> str:
    return (value, value.lower(), fullwidth(value), f" {value}\u3000", value.upper(),
            "-".join(value))[how]  # fmt: skip


def variants(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values drawn from `base` as people really type them (lower case, full width, padded,
    dashed), some with a fragment slipped in somewhere."""
    typed = st.builds(_typed_as, base, st.integers(0, 5))
    slipped = st.tuples(typed, st.integers(0, 64), pieces).map(
        lambda p: p[0][: p[1]] + p[2] + p[0][p[1] :]
    )
    return st.one_of(base, typed, slipped)


def around(*valid: str) -> st.SearchStrategy[str]:
    """Variants of well-formed values, and arbitrary text besides."""
    return st.one_of(variants(st.sampled_from(valid)), user_text())


def _no_control(text: str) -> bool:
    return not any(unicodedata.category(ch) == "Cc" for ch in text)


def printable_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text a field accepts: every fragment and character except control characters, so that
    the fuzzing reaches what is done with an accepted value (stored, hashed, printed)."""
    letters = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=8)
    parts = st.one_of(st.sampled_from([f for f in FRAGMENTS if _no_control(f)]), letters)
    return st.lists(parts, min_size=1, max_size=5).map(lambda p: "".join(p)[:max_size])


def one_fuzzed(
    data: st.DataObject,
    valid: dict[str, st.SearchStrategy[Any]],
    fuzzed: dict[str, st.SearchStrategy[Any]],
) -> dict[str, Any]:
    """The arguments of one call: all well-formed but one (now and then none or all of them)
    drawn from its fuzz strategy. Fuzzing every argument at once mostly stops at the first check;
    this reaches what each later check, and the write behind them, does with odd text."""
    target = data.draw(st.sampled_from(["none", *fuzzed, "all"]), label="fuzzed")
    drawn = {}
    for name, how in valid.items():
        if target in (name, "all") and name in fuzzed:
            how = fuzzed[name]
        drawn[name] = data.draw(how, label=name)
    return drawn


# --- judging an answer ---------------------------------------------------------------------


def assert_renders(key: str, params: dict[str, Any]) -> None:
    """A refusal the screen can show: its key is in both catalogs, every placeholder of the
    text has a parameter, and the message is not the bare key."""
    for lang in LANGUAGES:
        known = key in catalog(lang) or key in plural_keys(lang)
        assert known, f"{key} is missing from the {lang} catalog"
        text = template(key, lang, params.get("count"))
        assert text is not None
        missing = placeholders(text) - set(params)
        assert not missing, f"{key} ({lang}) lacks parameters {sorted(missing)}"
        assert text.format_map(params)


def assert_typed(error: BaseException) -> QinziError:
    """Only the app's own refusals may come out of a validator or a service."""
    assert isinstance(error, QinziError), f"untyped {type(error).__name__}: {error!r}"
    assert_renders(error.key, error.params)
    return error


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, QinziError | None]:
    """(result, None) or (None, refusal); any other exception propagates and fails the test."""
    try:
        return fn(*args, **kwargs), None
    except QinziError as error:
        return None, assert_typed(error)
