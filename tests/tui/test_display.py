"""Issue 18, every parent can use it — seen clearly, beyond the colours (test_contrast.py): a
state said in shapes, not colour alone (WCAG 1.4.1); F3 and the colours in use named in the key
bar, and every key's description translated in Textual's keys panel too (R26); the configured
theme from the first frame; and the large-text layout, in which a terminal with a big font
(60x20 cells) still shows every field and button of the parent's steps."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Checkbox, Input, KeyPanel
from textual.widgets._key_panel import BindingsTable  # Textual 8.2: the panel's table

from app.factory import make_app
from screens.widgets.choices import Choices
from screens.widgets.field import Field
from screens.widgets.keybar import KeyBar
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - screens only: SQLite
from tests.tui.colour_kit import name, owner
from tests.tui.conftest import settle
from tests.tui.test_contrast import PLACES
from tests.tui.wizard_kit import open_step2, prepare_session, read_statement
from tests.whole_text import screen_cells, whole_text_faults

SIZE = (80, 24)
TALL = (100, 40)  # the whole of step 2 at once, whatever has focus


MARKS = ("( ) ", "(●) ", "[ ] ", "[✓] ")


def choice_line(app, label: str) -> str:
    """What a parent reads for one choice or check box: cursor, mark and label, as the
    terminal draws them."""
    rows = ["".join(r) for r in screen_cells(app)]
    found = [r for r in rows if any(mark + label in r for mark in MARKS)]
    assert found, f"no choice {label!r} on the screen:\n" + "\n".join(rows)
    row = found[0]
    return row[: row.index(label) + len(label)].strip(" ▊▎█")


# --- state by shape (WCAG 1.4.1) ----------------------------------------------------------------


async def test_issue18_a_choice_says_chosen_highlighted_or_neither_in_text(kiosk_app):
    """The level list (R6): highlighted but not chosen is "› ( )", chosen is "(●)", the rest
    "( )" — the error "please choose a level" beside a 國小 that looked chosen was the bug."""
    app = kiosk_app()
    async with app.run_test(size=TALL) as pilot:
        await open_step2(pilot, app.services)
        levels = app.screen.query_one("#level", Choices)
        levels.focus()
        await pilot.pause()
        assert levels.pressed_button is None
        assert choice_line(app, "國小") == "› ( ) 國小"  # the cursor, nothing chosen
        assert choice_line(app, "國中") == "( ) 國中"
        await pilot.press("down")  # an arrow chooses as it moves (issue 16)
        await settle(pilot)
        assert choice_line(app, "國小") == "( ) 國小"
        assert choice_line(app, "國中") == "› (●) 國中"
        app.screen.query_one("#student-id", Input).focus()
        await pilot.pause()
        assert choice_line(app, "國中") == "(●) 國中"  # no cursor without focus
        assert choice_line(app, "國小") == "( ) 國小"


async def test_issue18_a_check_box_says_ticked_or_not_in_text(kiosk_app, roster):
    """R10's consent box: [ ] unticked (Textual's ▐X▌ looked ticked), [✓] ticked."""
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        prepare_session(app, app.services, roster)
        await app.flow.show("consent")
        await settle(pilot)
        await read_statement(pilot)
        agree = app.screen.query_one("#agree", Checkbox)
        agree.value = False
        agree.focus()
        await pilot.pause()
        assert choice_line(app, "本人已詳閱").startswith("› [ ] 本人已詳閱")
        await pilot.press("space")
        await pilot.pause()
        assert agree.value  # and focus went on to 下一步 (issue 16)
        assert choice_line(app, "本人已詳閱").startswith("[✓] 本人已詳閱")


# --- the keys ----------------------------------------------------------------------------------


def key_bar_text(app) -> str:
    bar = app.screen.query_one(KeyBar)
    rows = screen_cells(app)[bar.region.y : bar.region.bottom]
    return " ".join("".join(r) for r in rows)


async def test_issue18_the_key_bar_shows_f3_with_the_colours_in_use_in_the_parents_language(
    kiosk_app,
):
    """F3 was hidden: a parent could not find the light theme. It says which colours are on,
    in the language on the screen, and cycles dark → light → high contrast; on a locked kiosk
    too (R22 lets it through)."""
    app = kiosk_app(kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "f3 配色：深色" in key_bar_text(app)
        shown = []
        for _ in range(3):
            await pilot.press("f3")
            await settle(pilot)
            shown.append((app.theme, key_bar_text(app)))
        assert [theme for theme, _ in shown] == [
            "qinzi-light", "qinzi-high-contrast", "qinzi-dark"]  # fmt: skip
        assert "配色：淺色" in shown[0][1] and "配色：高對比" in shown[1][1]
        await pilot.press("f2")
        await settle(pilot)
        assert "f3 Colours: dark" in key_bar_text(app)
        assert "label." not in key_bar_text(app)


async def test_issue18_r36_the_next_visit_starts_in_the_configured_colours(
    demo_services, kiosk_app
):
    """F3 is for one visit, like F2: the next person finds the kiosk as the school set it."""
    demo_services.settings.display_theme = "light"
    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "qinzi-light"
        assert app.has_class("-light-mode") and not app.has_class("-dark-mode")
        await app.flow.show("contact")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert app.theme == "qinzi-high-contrast"
        await pilot.press("f10")
        await settle(pilot)
        assert app.theme == "qinzi-light"


async def test_issue18_textuals_keys_panel_shows_every_description_translated(demo_services):
    """The staff desk's keys panel (command palette → Keys) showed `label.key_theme` and
    `label.key_outbox` in both languages: it reads the same translated bindings as the key bar."""
    app = make_app(demo_services, mode="review")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.action_show_help_panel()
        await settle(pilot)

        def panel_text() -> str:
            """The panel's whole table (it scrolls), drawn as the panel draws it."""
            table = app.screen.query_one(KeyPanel).query_one(BindingsTable)
            console = Console(width=80, record=True, file=io.StringIO())
            console.print(table.render_bindings_table())
            return console.export_text()

        text = panel_text()
        assert "label." not in text and "配色：深色" in text and "寄件匣" in text
        app.lang = "en"
        await settle(pilot)
        text = panel_text()
        assert "label." not in text and "Colours: dark" in text and "Outbox" in text


# --- large text --------------------------------------------------------------------------------

LARGE = (60, 20)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
async def test_issue18_large_text_at_60x20_shows_every_field_and_button(
    demo_services, kiosk_app, roster, lang
):
    """`[display] large_text`: the terminal's font is big, so it has few cells. On each step a
    parent goes through, Tab reaches every control, and the one with focus is whole on the
    screen, with its field's label, under nothing; nothing is cut at the right edge; no wide
    character is cut (R44)."""
    demo_services.settings.display_large_text = True
    app = kiosk_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        assert app.has_class("-large-text") and not app.outbox_shown
        for where, walk in PLACES.items():
            app.flow.leave()
            await settle(pilot)
            app.lang = lang
            await walk(pilot, app.services, roster)
            for _ in range(2):
                await settle(pilot)
            assert whole_text_faults(app) == [], where
            body = app.screen.query_one("#body")
            controls = [w for w in app.screen.focus_chain]
            reached = set()
            for _ in range(len(controls) + 1):
                await pilot.press("tab")
                await pilot.pause()
                widget = app.focused
                assert widget is not None, where
                reached.add(widget)
                region = widget.region
                assert body.region.contains_region(region), f"{where}: {name(widget)} cut off"
                corners = [(region.x, region.y), (region.right - 1, region.bottom - 1)]
                for x, y in corners:
                    top = owner(app, x, y)
                    assert top is widget or widget in top.ancestors, (
                        f"{where}: {name(widget)} is under {name(top)}"
                    )
                label = next((f.query_one(".field-label") for f in widget.ancestors
                              if isinstance(f, Field)), None)  # fmt: skip
                if label is not None:
                    assert body.region.contains_region(label.region), (
                        f"{where}: the label of {name(widget)} is off the screen"
                    )
            assert reached == set(controls), where
