"""Issue 18, every parent can use it — seen clearly, beyond the colours (test_contrast.py): a
state said in shapes, not colour alone (WCAG 1.4.1)."""

from __future__ import annotations

from textual.widgets import Checkbox, Input

from screens.widgets.choices import Choices
from tests.tui.conftest import settle
from tests.tui.wizard_kit import open_step2, prepare_session, read_statement
from tests.whole_text import screen_cells

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
