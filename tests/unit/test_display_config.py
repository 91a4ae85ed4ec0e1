"""Issue 18: a kiosk set to a theme and a large-text layout (`[display]`), each value checked at
start-up with a one-line message in both languages (R26), and browser mode's font size from the
same table."""

from __future__ import annotations

import pytest

from app import web
from app.config import Settings, load_settings
from app.errors import ConfigError
from app.i18n import LANGUAGES


def load(tmp_path, text: str, env: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return load_settings(path, env=env or {})


def test_issue18_by_default_the_dark_theme_normal_text_and_a_16_pixel_page(tmp_path):
    s = load(tmp_path, "")
    assert (s.display_theme, s.display_large_text, s.display_font_size) == ("dark", False, 0)
    assert web.page_font_size(s) == web.FONT_SIZE == 16


def test_issue18_the_display_table_sets_theme_large_text_and_font_size(tmp_path):
    s = load(tmp_path, '[display]\ntheme = "high_contrast"\nlarge_text = true\nfont_size = 28')
    assert (s.display_theme, s.display_large_text, s.display_font_size) == (
        "high_contrast", True, 28)  # fmt: skip
    assert web.page_font_size(s) == 28
    assert web.page_font_size(s.replace(display_font_size=0)) == web.LARGE_FONT_SIZE


def test_issue18_the_environment_sets_them_too(tmp_path):
    s = load(tmp_path, "", env={"QINZI_DISPLAY_THEME": "light", "QINZI_DISPLAY_LARGE_TEXT": "yes"})
    assert (s.display_theme, s.display_large_text) == ("light", True)


@pytest.mark.parametrize(
    "text, key, value, allowed",
    [('[display]\ntheme = "blue"', "display_theme", "blue", "dark, light, high_contrast"),
     ('[display]\ntheme = "qinzi-dark"', "display_theme", "qinzi-dark",
      "dark, light, high_contrast"),
     ('[display]\nlarge_text = "big"', "display_large_text", "big", "true, false"),
     ("[display]\nfont_size = 3", "display_font_size", "3", "0, 8 … 48"),
     ("[display]\nfont_size = 100", "display_font_size", "100", "0, 8 … 48"),
     ("[display]\nfont_size = -1", "display_font_size", "-1", "0, 8 … 48"),
     ('[display]\nfont_size = "28px"', "display_font_size", "28px", "0, 8 … 48")],
)  # fmt: skip
def test_issue18_r26_a_bad_display_value_stops_start_up_in_one_line_in_each_language(
    tmp_path, text, key, value, allowed
):
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, text)
    assert refused.value.key == "errors.config.bad_value"
    assert refused.value.params == {"key": key, "value": value, "allowed": allowed}
    for lang in LANGUAGES:
        message = refused.value.message(lang)
        assert "\n" not in message and key in message and value in message and allowed in message


def test_issue18_a_page_asks_for_its_own_font_size_within_what_browsers_draw():
    assert web.requested_font_size(None, 24) == 24
    assert web.requested_font_size("28", 16) == 28
    assert web.requested_font_size("huge", 24) == 24
    assert (web.requested_font_size("200", 16), web.requested_font_size("2", 16)) == (48, 8)
