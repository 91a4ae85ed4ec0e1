"""R44: no widget drops, blanks or cuts a wide character, at 80x24 and 100x30, in both languages,
with the demo outbox pane shown and hidden — checked cell by cell against what each widget drew
and against the text it was given (tests/whole_text.py)."""

from __future__ import annotations

import asyncio

import pytest
from textual._compositor import Compositor
from textual.app import App
from textual.widgets import RadioButton, Select, Static

from screens.widgets import whole_cells
from screens.widgets.paragraph import Paragraph
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - screens only: SQLite
from tests.tui.conftest import settle
from tests.tui.wizard_kit import (
    fill_parent,
    fill_student,
    open_step2,
    open_step4,
    prepare_session,
    send_step4,
)
from tests.whole_text import screen_cells, whole_text_faults

LONG_NOTICE = "畫面閒置過久，已自動登出。為保護學生個資，本次操作已結束，先前輸入的資料都已清除。"
SIZES = [(80, 24), (100, 30)]


class _PaneUnderToast(App):
    # The pane's edge at column 40 falls inside the toast's text (found by trying widths).
    CSS = "#pane { dock: right; width: 20; height: 100%; border-left: thick red; }"

    def compose(self):
        yield Static("", id="pane")


@pytest.mark.parametrize(
    "chops, whole",
    [(whole_cells.TEXTUAL_RENDER_CHOPS, False), (whole_cells.render_chops_whole, True)],
)
async def test_r44_textual_blanks_a_wide_character_a_widget_edge_under_a_toast_cuts(
    monkeypatch, chops, whole
):
    """Minimal reproduction, Textual 8.2.8 (Textualize/textual#6357): a toast over another
    widget's edge loses the wide characters around the edge; our composition keeps them. When
    the first case fails, Textual has fixed it and `screens/widgets/whole_cells.py` can go."""
    monkeypatch.setattr(Compositor, "_render_chops", chops)
    notice = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"
    async with (app := _PaneUnderToast()).run_test(size=(60, 12), notifications=True) as pilot:
        app.notify(notice, timeout=100)
        await pilot.pause(0.3)
        shown = "".join("".join(row) for row in screen_cells(app))
    assert all(ch in shown for ch in notice) is whole


async def _check(app, where: str, found: list[str]) -> None:
    """A fault that lasts: on a loaded machine a check can land between a text's update and the
    layout that gives it its height, so a fault is looked at again after the next frames."""
    faults = whole_text_faults(app)
    for _ in range(3):
        if not faults:
            break
        await app.workers.wait_for_complete()
        await asyncio.sleep(0.2)
        faults = whole_text_faults(app)
    found += [f"{where}: {fault}" for fault in faults]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("pane", [True, False], ids=["pane", "no-pane"])
async def test_r44_the_kiosk_shows_every_wide_character_whole(
    kiosk_app, demo_services, roster, size, lang, pane
):
    app = kiosk_app()
    found: list[str] = []
    async with app.run_test(size=size, notifications=True) as pilot:
        app.lang = lang
        app.outbox_shown = pane
        await settle(pilot)
        await _check(app, "welcome", found)
        await app.flow.show("contact")
        await settle(pilot)
        app.notify(LONG_NOTICE, timeout=100)
        await pilot.pause(0.3)
        await _check(app, "step 1 with a notice", found)
        app.clear_notifications()
        await open_step2(pilot, demo_services)
        await fill_student(pilot, roster, "wu")
        app.screen.query_one("#school", Select).expanded = True
        await pilot.pause(0.3)
        await _check(app, "step 2, school list open", found)
        app.screen.query_one("#school", Select).expanded = False
        app.screen.query_one("#kind-guardian", RadioButton).value = True
        await pilot.pause()
        app.screen.query_one("#rel-grandmother", RadioButton).value = True
        await pilot.pause(0.3)
        await _check(app, "step 2, a guardian and the papers to bring", found)
        app.screen.query_one("#relationship").scroll_visible(animate=False, top=True)
        await pilot.pause(0.3)
        await _check(app, "step 2, the guardians' choices", found)
        prepare_session(app, demo_services, roster)
        await app.flow.show("consent")
        await settle(pilot)
        await _check(app, "step 3", found)
        await open_step4(pilot, demo_services, roster)
        await _check(app, "step 4", found)
        await fill_parent(pilot, roster)
        await send_step4(pilot)
        await _check(app, "completion", found)
        await app.flow.show("progress")
        await settle(pilot)
        await _check(app, "progress", found)
        for name in ("faq", "login", "forgot"):
            await app.flow.show(name)
            await settle(pilot)
            await _check(app, name, found)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
@pytest.mark.parametrize("lang", ["zh-TW", "en"])
async def test_r44_the_parent_account_and_the_staff_terminal_show_every_wide_character_whole(
    kiosk_app, demo_services, roster, size, lang
):
    from tests.factories import make_account, submit_application
    from tests.tui.review_kit import log_in as staff_log_in
    from tests.tui.review_kit import review_app
    from tests.tui.test_account import NEW_PASSWORD, log_in

    found: list[str] = []
    make_account(demo_services, roster, "mother", email="mum@home.example", children=("chen",),
                 password=NEW_PASSWORD)  # fmt: skip
    [pending] = submit_application(demo_services, roster, ("wu",))
    app = kiosk_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        app.lang = lang
        await log_in(pilot, "mum@home.example", NEW_PASSWORD)
        await _check(app, "account home", found)
        for name in ("password", "contact-change"):
            await app.flow.show(name)
            await settle(pilot)
            await _check(app, name, found)
            await pilot.press("escape")
            await settle(pilot)
    staff = review_app(demo_services)
    async with staff.run_test(size=size, notifications=True) as pilot:
        staff.lang = lang
        await settle(pilot)
        await _check(staff, "staff login", found)
        await staff_log_in(pilot, "lee")
        await _check(staff, "queue", found)
        await staff.flow.show("detail", pending.number)
        await settle(pilot)
        await _check(staff, "detail", found)
        staff.screen.query_one("#reason-preset", Select).expanded = True
        await pilot.pause(0.3)
        await _check(staff, "detail, reasons open", found)
    assert not found, "\n".join(found)


class _OneParagraph(App):
    CSS = "Paragraph { width: 20; }"

    def compose(self):
        yield Paragraph("依個人資料保護法第 8 條，本表之個人資料僅供親子綁定使用。"
                        "您已送出 2 筆申請。")


async def test_r44_a_paragraph_on_screen_breaks_by_the_same_rules_as_print():
    async with (app := _OneParagraph()).run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        rows = ["".join(row).rstrip() for row in screen_cells(app)]
    assert rows[:4] == [
        "依個人資料保護法第", "8 條，本表之個人資料", "僅供親子綁定使用。您", "已送出 2 筆申請。"
    ]


async def test_r44_a_toast_breaks_its_lines_by_the_same_rules(kiosk_app):
    """Textual's toast wraps at spaces only; the app breaks its text by R44 first."""
    app = kiosk_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        text = "本表之個人資料依個人資料保護法第 8 條蒐集，僅供親子綁定使用，請放心。"
        app.notify(text, timeout=100)
        await pilot.pause(0.3)
        faults = whole_text_faults(app)
        lines = next(str(n.message) for n in app._notifications).split("\n")
    assert not faults, faults
    assert len(lines) > 1 and "".join(lines) == text  # nothing lost
    assert all(not line.startswith(("條", "，", "。")) for line in lines), lines
    assert any("8 條" in line for line in lines), lines
