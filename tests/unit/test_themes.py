"""Issue 18: the kiosk's themes as data (app/themes.py): the WCAG 2.2 arithmetic, each palette
at AA on its own (the running app, which may only make it worse, is measured in
tests/tui/test_contrast.py), their names in both catalogs, and F3's order."""

from __future__ import annotations

import pytest

from app.i18n import LANGUAGES, t
from app.themes import (
    EDGE_CONTRAST,
    PALETTES,
    TEXT_CONTRAST,
    THEME_SETTINGS,
    contrast,
    next_palette,
    palette,
)


def test_issue18_each_setting_names_a_palette_and_f3_visits_them_all_in_turn():
    assert THEME_SETTINGS == ("dark", "light", "high_contrast")
    assert [palette(s).name for s in THEME_SETTINGS] == [
        "qinzi-dark", "qinzi-light", "qinzi-high-contrast"]  # fmt: skip
    seen, name = [], "qinzi-dark"
    for _ in PALETTES:
        name = next_palette(name).name
        seen.append(name)
    assert seen == ["qinzi-light", "qinzi-high-contrast", "qinzi-dark"]


def test_the_wcag_arithmetic_gives_the_known_ratios():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast("#123456", "#123456") == 1.0


@pytest.mark.parametrize("colours", PALETTES, ids=[p.setting for p in PALETTES])
def test_issue18_each_palette_meets_aa_as_data(colours):
    """The palette alone (the app may only make it worse; tests/tui/test_contrast.py measures
    what it draws): every text colour on the page, the panel and the surface; the muted one
    too; text on the focus fill and on coloured buttons; edges and focus against the page."""
    grounds = (colours.background, colours.surface, colours.panel)
    texts = (colours.foreground, colours.muted)
    for ground in grounds:
        for text in texts:
            assert contrast(text, ground) >= TEXT_CONTRAST, (text, ground)
    for text in (colours.primary, colours.secondary, colours.accent, colours.warning,
                 colours.error, colours.success):  # fmt: skip
        assert contrast(text, colours.background) >= TEXT_CONTRAST, text
    assert contrast(colours.on_focus, colours.focus) >= TEXT_CONTRAST
    for fill in (colours.primary, colours.success, colours.warning, colours.error):
        assert contrast(colours.on_colour, fill) >= TEXT_CONTRAST, fill
    for ground in (colours.background, colours.surface):
        assert contrast(colours.edge, ground) >= EDGE_CONTRAST
        assert contrast(colours.focus, ground) >= EDGE_CONTRAST


def test_issue18_the_theme_names_are_in_both_catalogs():
    for lang in LANGUAGES:
        for setting in THEME_SETTINGS:
            assert t(f"label.theme.{setting}", lang) != f"label.theme.{setting}"
