"""Issue 18: the kiosk's themes as data (app/themes.py): the WCAG 2.2 arithmetic, each palette
at AA on its own (the running app, which may only make it worse, is measured in
tests/tui/test_contrast.py), their names in both catalogs, and F3's order."""

from __future__ import annotations

import pytest
from rich.color import Color, ColorSystem

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


def as_256(colour: str) -> str:
    """The colour a 256-colour terminal shows (tmux, screen, xterm-256color), as Rich, which
    Textual writes through, picks it."""
    shown = Color.parse(colour).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
    return f"#{shown.red:02x}{shown.green:02x}{shown.blue:02x}"


def as_is(colour: str) -> str:
    return colour


@pytest.mark.parametrize("terminal", [as_is, as_256], ids=["truecolor", "256 colours"])
@pytest.mark.parametrize("colours", PALETTES, ids=[p.setting for p in PALETTES])
def test_issue18_each_palette_meets_aa_as_data(colours, terminal):
    """The palette alone (the app may only make it worse; tests/tui/test_contrast.py measures
    what it draws), in a truecolor terminal and in one of 256 colours, where a blue-grey panel
    became teal (3.5:1 under the hints): every text colour on the page, the panel and the
    surface, the muted one too; the key bar's keys; text on the focus fill and on coloured
    buttons; edges and focus against the page and the inside of a control."""
    c = {name: terminal(value) for name, value in vars(colours).items() if str(value)[:1] == "#"}
    for ground in ("background", "surface", "panel"):
        for text in ("foreground", "muted"):
            assert contrast(c[text], c[ground]) >= TEXT_CONTRAST, (text, ground)
    for text in ("primary", "secondary", "accent", "warning", "error", "success"):
        assert contrast(c[text], c["background"]) >= TEXT_CONTRAST, text
    assert contrast(c["accent"], c["panel"]) >= TEXT_CONTRAST  # the key bar's keys
    assert contrast(c["on_focus"], c["focus"]) >= TEXT_CONTRAST
    for fill in ("primary", "success", "warning", "error"):
        assert contrast(c["on_colour"], c[fill]) >= TEXT_CONTRAST, fill
    for ground in ("background", "surface"):
        assert contrast(c["edge"], c[ground]) >= EDGE_CONTRAST, ground
        assert contrast(c["focus"], c[ground]) >= EDGE_CONTRAST, ground


def test_issue18_the_theme_names_are_in_both_catalogs():
    for lang in LANGUAGES:
        for setting in THEME_SETTINGS:
            assert t(f"label.theme.{setting}", lang) != f"label.theme.{setting}"
