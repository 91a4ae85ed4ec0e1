"""Issue 16: how many keys a parent presses to bind one child, and two, at 80x24 — every key
counted, each character typed included, from the welcome screen to the completion page, by the
keyboard alone (Enter, Tab, arrows, typing; no mouse, no F-keys). The README's figures come from
here: `make test PYTEST_ARGS="-k keystrokes -s"` prints them."""

from __future__ import annotations

from screens.completion import CompletionScreen
from screens.consent import ConsentScreen
from screens.parent import ParentScreen
from screens.student import StudentScreen
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - screens only: SQLite
from tests.tui.conftest import last_code, settle

# The goal the issue set, typing included (the seed's service took about 110–130 for one child).
GOAL_ONE_CHILD = 80


class Keyboard:
    def __init__(self, pilot) -> None:
        self.pilot, self.count = pilot, 0

    async def press(self, *keys: str) -> None:
        for key in keys:
            await self.pilot.press(key)
            self.count += 1
        await settle(self.pilot)

    async def type(self, text: str, then: str = "enter") -> None:
        await self.press(*text, *([then] if then else []))


async def one_child(keys: Keyboard, app, roster, short: str) -> None:
    """Step 2 for one child: relationship, level, ID, school (searched by typing), 下一步 or
    新增綁定學生's form."""
    student = roster.student(short)
    await keys.press("enter", "enter")  # 法定代理人, 父親 (each Enter chooses and moves on)
    level_index = ("elementary", "junior", "senior").index(student.school.level)
    await keys.press(*(["down"] * level_index), "enter" if not level_index else "tab")
    await keys.type(student.school.name[3:6], then="enter")  # 大安區 finds 大安區和平國小
    await keys.type(roster.ids[short], then="")
    assert app.screen.card is not None, "the student is looked up as soon as the form is whole"


async def bind(app, pilot, roster, children: tuple[str, ...]) -> int:
    keys = Keyboard(pilot)
    await settle(pilot)
    # Typing on the welcome screen starts 親子綁定 with it: no key to find the button.
    await keys.type("father@home.example")
    await keys.type(last_code(app.services))
    assert isinstance(app.screen, StudentScreen)
    for index, short in enumerate(children):
        if index == 0:
            await one_child(keys, app, roster, short)
        else:  # a brother or sister: the relationship, level and school stay
            await keys.type(roster.ids[short], then="")
            assert app.screen.card is not None
        if index + 1 < len(children):
            await keys.press("tab", "enter")  # from the ID field to 加入
            await keys.press("shift+tab", "enter")  # from 下一步 to 新增綁定學生
            assert app.focused is app.screen.query_one("#student-id")
    await keys.press("enter")  # in the ID field: 下一步, adding the student shown
    assert isinstance(app.screen, ConsentScreen)
    await keys.press("end", "space", "enter")  # read to the end, agree, 下一步
    assert isinstance(app.screen, ParentScreen)
    await keys.type(roster.parent_ids["father"])
    await keys.type("吳志明")  # the e-mail of step 1 is filled in: Enter skips it
    await keys.type("0911222333")
    await keys.type("吳志明")  # the signature, then 確認送出 on the summary
    await keys.press("enter")
    assert isinstance(app.screen, CompletionScreen)
    assert len(app.screen.submitted) == len(children)
    return keys.count


async def test_issue16_one_child_takes_fewer_than_80_keys_typing_included(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        count = await bind(app, pilot, roster, ("wu",))
    print(f"keys for one child: {count}")
    assert count < GOAL_ONE_CHILD


async def test_issue16_two_children_by_keyboard_alone(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        count = await bind(app, pilot, roster, ("wu", "chen"))  # one school, two classes
    print(f"keys for two children: {count}")
    assert count < 2 * GOAL_ONE_CHILD
