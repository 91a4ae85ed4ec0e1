"""Issue 18 and R26: a parent who reads English finds no Chinese in the English texts: not a
Chinese button name ("Press 取得驗證碼"), not a Chinese bracket or comma, not a seed message
quoted in Chinese. Checked in every English message and in the English FAQ and privacy
statement.

The convention: Chinese may appear in English only
- inside a `{placeholder}` (a school's or a child's name is data, not our wording);
- inside 「…」 in one of the few keys of QUOTED_CHINESE, where the reader must type or match
  the Chinese words exactly;
- as the whole text of LANGUAGE_NAMES, which name a language in its own script."""

from __future__ import annotations

import re
import string

import pytest

from app.i18n import catalog
from app.resources import data_file

# Han (with extensions and compatibility ideographs), CJK radicals and strokes, CJK symbols and
# punctuation (、。「」), bopomofo, enclosed CJK, vertical and compatibility forms (︰﹁), and the
# full-width forms a Chinese input method types (（），：Ａ１).
CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3100-\u312f\u3190-\u31ef\u3200-\u33ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\ufe10-\ufe1f\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003134f]"
)
QUOTE = re.compile("「[^「」]*」")

# The roster file's level column takes these Chinese words (or the English codes): IT staff
# must type them exactly as written, so the message quotes them.
QUOTED_CHINESE = {"errors.roster.level_invalid"}
# The language button names the other language in that language, so that someone who cannot
# read the current one still finds it.
LANGUAGE_NAMES = {"label.switch_language"}


def literal_text(text: str) -> str:
    """`text` without its `{placeholders}`: what we wrote, not what fills it."""
    try:
        return "".join(literal for literal, *_ in string.Formatter().parse(text))
    except ValueError:  # not a format string (a Markdown file may hold a lone brace)
        return text


def chinese_in(key: str, text: str) -> list[str]:
    """The Chinese characters of `text` that the convention does not allow, with some context."""
    if key in LANGUAGE_NAMES:
        return []
    own = literal_text(text)
    if key in QUOTED_CHINESE:
        own = QUOTE.sub("", own)
    return [own[max(0, m.start() - 12) : m.end() + 12] for m in CJK.finditer(own)]


def test_issue_18_r26_english_messages_hold_no_chinese():
    found = {key: chinese_in(key, text) for key, text in catalog("en").items()}
    assert {key: bits for key, bits in found.items() if bits} == {}


@pytest.mark.parametrize("stem", ["faq", "privacy"])
def test_issue_18_r26_english_faq_and_privacy_statement_hold_no_chinese(stem):
    text = data_file(f"{stem}_en.md").read_text(encoding="utf-8")
    assert chinese_in(f"{stem}_en.md", text) == []


def test_issue_18_the_allowed_exceptions_stay_few_and_in_use():
    """Each exception is a real key whose English text still needs it."""
    en = catalog("en")
    for key in QUOTED_CHINESE | LANGUAGE_NAMES:
        assert CJK.search(en[key]), f"{key} no longer needs its exception"
    assert len(QUOTED_CHINESE | LANGUAGE_NAMES) <= 3


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("errors.code.none", "Press 取得驗證碼 (Get code) first."),
        ("errors.code.none", "Press Get code（first）."),
        ("errors.code.none", "Press 「取得驗證碼」 first."),  # quotes are no pass outside the list
        ("label.consent_step.agree", "本人已詳閱並同意 (I agree)"),
        ("errors.roster.level_invalid", "The level must be 國小 or 「國中」."),
        ("label.x", "Tick the box\u3000below."),  # an ideographic space
        ("label.x", "ㄅㄆㄇ"),
    ],
)
def test_issue_18_the_check_finds_chinese_where_it_does_not_belong(key, text):
    assert chinese_in(key, text)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("label.progress_student", "{name}  {school}, class {classroom}"),
        ("errors.roster.level_invalid", "The level must be 「國小」 or 「國中」."),
        ("label.switch_language", "中文"),
        ("errors.code.wrong.other", "You have {remaining} tries left – check it."),
    ],
)
def test_issue_18_the_check_lets_the_convention_through(key, text):
    assert chinese_in(key, text) == []
