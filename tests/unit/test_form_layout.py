"""R26 on paper: the printed documents lay out any language from its own strings. The label
columns, the stamp and the date of the signature line follow the page's text as measured in the
font, never a language's name, so a new language needs no layout code; and the modules that
used to name a language no longer do."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from app.i18n import LANGUAGES
from app.services.forms import layout
from app.services.forms.application_form import (
    CAPTIONED_DATE,
    DENSITIES,
    INLINE_DATE,
    LABEL_MAX,
    LABEL_MIN,
    _date_style,
    _label_width,
    form_page,
)
from app.services.forms.stamp import _label_size

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 9, 1, 8, 0)
NO_LANGUAGE_NAMES = [
    "app/config.py",
    "app/models.py",
    "app/errors.py",
    "app/services/roster_csv.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app/services/forms").glob("*.py")),
]


@pytest.mark.parametrize("module", NO_LANGUAGE_NAMES)
def test_r26_these_modules_name_no_language(module):
    """app/i18n.py is the one place that knows which languages there are."""
    names = "|".join(re.escape(lang) for lang in LANGUAGES)
    literal = re.compile(rf"""(["'])({names})\1""")
    source = (ROOT / module).read_text(encoding="utf-8")
    assert [m.group() for m in literal.finditer(source)] == []


def page(lang: str, relationship: str = "grandmother"):
    app = NS(number="QZ-7K3M-9PXA", lang=lang, relationship=relationship,
             relationship_note=None, student=NS(name="陳曉明", id_masked="B120******"),
             school=NS(name="臺北市大安區和平國小"), level="elementary", classroom=NS(name="302"),
             parent_name="陳林秀英", parent_id_masked="B200******", mobile="+886922333444",
             email="grandma@home.example", consent_version="2026-09", consent_at=AT,
             signed_at=AT, terminal_id="kiosk-1", content_sha256="c3fb" * 16,
             submitted_at=AT, decided_at=AT, status="pending", documents_checked=False,
             reject_reason=None)  # fmt: skip
    return form_page(app, 1, 1, AT)


def relabelled(p, label: str):
    sections = tuple(
        dataclasses.replace(s, rows=tuple(tuple((label, v) for _, v in row) for row in s.rows))
        for s in p.sections
    )
    return dataclasses.replace(p, sections=sections)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_r26_the_label_column_fits_the_pages_own_labels(lang):
    """Every label of the page fits its column on one line, unless it is wider than the widest
    column, where it wraps (Relationship to the student)."""
    p = page(lang)
    with layout.document(layout.strings_of(p), AT) as pdf:
        pdf.add_page()
        for d in DENSITIES:
            width = _label_width(pdf, p, d)
            assert LABEL_MIN <= width <= LABEL_MAX
            for label in (label for s in p.sections for row in s.rows for label, _ in row):
                with pdf.local_context(font_size_pt=d.label):
                    w = max(pdf.get_string_width(x) for x in label.split("\n")) + 2 * d.pad
                assert w < width or w > LABEL_MAX - 1, label


def test_r26_a_longer_label_widens_the_column_up_to_its_limit():
    p = page(LANGUAGES[0])
    labels = ["W" * n for n in range(1, 16)]
    with layout.document(labels, AT) as pdf:
        pdf.add_page()
        widths = [_label_width(pdf, relabelled(p, label), DENSITIES[0]) for label in labels]
    assert widths[0] == LABEL_MIN and widths[-1] == LABEL_MIN  # one W; too wide: wraps
    grown = [w for w in widths if w > LABEL_MIN]
    assert grown and grown == sorted(grown) and max(grown) <= LABEL_MAX


def test_r26_date_units_of_one_character_follow_their_blanks_and_words_go_under():
    p = page(LANGUAGES[0])
    assert _date_style(dataclasses.replace(p, date_units=("年", "月", "日"))) is INLINE_DATE
    assert _date_style(dataclasses.replace(p, date_units=("년", "월", "일"))) is INLINE_DATE
    words = dataclasses.replace(p, date_units=("year", "month", "day"))
    assert _date_style(words) is CAPTIONED_DATE
    assert CAPTIONED_DATE.below > INLINE_DATE.below  # room for the captions


def test_r26_the_stamp_label_is_as_large_as_its_box_allows():
    texts = ["已認證", "Approved", "Genehmigt und geprüft"]
    with layout.document(texts, AT) as pdf:
        pdf.add_page()
        sizes = [_label_size(pdf, text, 44.0) for text in texts]
    assert sizes[0] == 22 and 12 < sizes[1] < 22 and sizes[2] < sizes[1]
