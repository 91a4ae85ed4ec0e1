"""Issue 16: every screen a parent meets, at 80x24 and 100x30, in both languages, with the demo
outbox pane shown and hidden — an SVG snapshot each for a person to review, and for each the R44
check that no wide character is dropped, blanked or cut (tests/whole_text.py), cell by cell.
`pytest tests/snapshots --snapshot-update` after an intended change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from app.factory import make_app
from tests.factories import make_account, submit_application
from tests.snapshots.conftest import hold_still
from tests.tui.conftest import settle, start_session
from tests.tui.wizard_kit import fill_parent, fill_student, prepare_session, send_step4
from tests.whole_text import whole_text_faults

PASSWORD = "Harbour-Lantern-1987"
LANGUAGES = ("zh-TW", "en")
LOOKS = {  # the terminal's size and the demo outbox pane, pictured for each screen and language
    f"{w}x{h}-{'pane' if pane else 'nopane'}": ((w, h), pane)
    for (w, h) in ((80, 24), (100, 30))
    for pane in (True, False)
}

Walk = Callable[..., Awaitable[None]]


async def welcome(pilot, services, roster) -> None:
    return None


async def step1(pilot, services, roster) -> None:
    await pilot.app.flow.show("contact")


async def step2(pilot, services, roster) -> None:
    start_session(pilot.app, services)
    await pilot.app.flow.show("student")
    await settle(pilot)
    await fill_student(pilot, roster, "wu")


async def step3(pilot, services, roster) -> None:
    prepare_session(pilot.app, services, roster)
    await pilot.app.flow.show("consent")


async def step4(pilot, services, roster) -> None:
    prepare_session(pilot.app, services, roster)
    await pilot.app.flow.show("parent")
    await settle(pilot)
    await fill_parent(pilot, roster)


async def completion(pilot, services, roster) -> None:
    await step4(pilot, services, roster)
    await send_step4(pilot)


async def progress(pilot, services, roster) -> None:
    submit_application(services, roster, ("wu",))
    start_session(pilot.app, services)
    await pilot.app.flow.show("progress")


async def faq(pilot, services, roster) -> None:
    await pilot.app.flow.show("faq")


async def login(pilot, services, roster) -> None:
    await pilot.app.flow.show("login")


async def forgot(pilot, services, roster) -> None:
    await pilot.app.flow.show("forgot")


async def account_home(pilot, services, roster) -> None:
    make_account(services, roster, "mother", email="mum@home.example", children=("chen",),
                 password=PASSWORD)  # fmt: skip
    await pilot.app.flow.show("login")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#login-email").value = "mum@home.example"
    screen.query_one("#login-password").value = PASSWORD
    screen.query_one("#login").press()


SCREENS: dict[str, Walk] = {
    "welcome": welcome, "step1": step1, "step2": step2, "step3": step3, "step4": step4,
    "completion": completion, "progress": progress, "faq": faq, "login": login,
    "forgot": forgot, "account_home": account_home,
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
async def test_issue16_r44_every_parent_screen_at_both_sizes_in_both_languages(
    svg_snapshot, services, roster, screen, lang
):
    """Each screen is walked to once per language, then pictured in its 4 looks (the terminal
    resized, the outbox pane shown and hidden), each settled and checked cell by cell: the same
    pictures as 4 fresh starts, for a quarter of the walking (this matrix was most of the fast
    tier's CPU). Then F2, as a parent would press it there: the other language must be whole too
    (R26, R44)."""
    services.ctx.settings.mode = "demo"
    app = make_app(services)
    title = app.title  # the window title every snapshot has shown: the app's, as it starts
    differ, faults = [], []
    async with app.run_test(size=next(iter(LOOKS.values()))[0]) as pilot:
        await settle(pilot)  # the welcome screen is up (it ends any visit when it shows)
        app.lang = lang
        await SCREENS[screen](pilot, services, roster)
        for look, (size, pane) in LOOKS.items():
            await pilot.resize_terminal(*size)
            app.outbox_shown = pane
            await settle(pilot)
            await hold_still(pilot)
            faults.extend(f"{look}: {fault}" for fault in whole_text_faults(app))
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            if not svg_snapshot(app.export_screenshot(title=title, simplify=True), look):
                differ.append(look)
        await pilot.press("f2")
        await hold_still(pilot)
        faults.extend(f"after F2: {fault}" for fault in whole_text_faults(app))
    assert not differ, f"differs from its snapshot in {differ} (see snapshot_report.html)"
    assert not faults, "\n".join(faults)


# --- issue 18: the rest of what a parent can meet, in English at 80x24 on a production kiosk ----


async def step1_kept(pilot, services, roster) -> None:
    """Back from step 2: the contact stays verified (R36), 下一步 goes on."""
    await step2(pilot, services, roster)
    await pilot.app.flow.show("contact")
    await settle(pilot)
    pilot.app.screen.keep_verified()


async def step2_guardian(pilot, services, roster) -> None:
    """A guardian is told at once which papers to bring (R27)."""
    start_session(pilot.app, services)
    await pilot.app.flow.show("student")
    await settle(pilot)
    await fill_student(pilot, roster, "wu", relationship="grandmother")


async def first_password(pilot, services, roster) -> None:
    make_account(services, roster, email="dad@home.example")
    login = services.accounts.parent_login("dad@home.example", roster.parent_ids["father"][-6:])
    pilot.app.visit.login = login
    await pilot.app.flow.show("first-password", forced=True)


async def password(pilot, services, roster) -> None:
    await account_home(pilot, services, roster)
    await settle(pilot)
    await pilot.app.flow.show("password")


async def contact_change(pilot, services, roster) -> None:
    await account_home(pilot, services, roster)
    await settle(pilot)
    await pilot.app.flow.show("contact-change")


async def idle(pilot, services, roster) -> None:
    await step1(pilot, services, roster)
    await settle(pilot)
    pilot.app.flow.idle()


async def staff_pin(pilot, services, roster) -> None:
    pilot.app.flow.ask_to_leave()


MORE_SCREENS: dict[str, Walk] = {
    "step1_kept": step1_kept, "step2_guardian": step2_guardian,
    "first_password": first_password, "password": password, "contact_change": contact_change,
    "idle": idle, "staff_pin": staff_pin,
}  # fmt: skip


@pytest.mark.parametrize("screen", MORE_SCREENS)
def test_issue18_every_other_kiosk_screen_in_english_at_80x24(
    snap_compare, services, roster, screen
):
    """Issue 18: with the 11 screens above, every screen and dialog a parent can meet on a
    production kiosk, in English at 80x24, each with the R44/R26 screen check."""
    faults: list[str] = []

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.lang = "en"
        await MORE_SCREENS[screen](pilot, services, roster)
        await settle(pilot)
        await hold_still(pilot)
        faults.extend(whole_text_faults(pilot.app))

    assert snap_compare(make_app(services), terminal_size=(80, 24), run_before=run_before)
    assert not faults, "\n".join(faults)
