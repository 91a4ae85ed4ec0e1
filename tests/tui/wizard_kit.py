"""Pilot helpers for the binding wizard: reading what a parent sees beside each field, filling
step 2 and step 4, reading the statement of step 3, and opening a step through the flow with the
steps before it done through the services."""

from __future__ import annotations

from textual.widgets import Input, RadioButton, Select, Static

from screens.widgets.field import Field
from tests.tui.conftest import last_code, settle, start_session, type_into


def field_error(app, name: str) -> str:
    """The refusal shown beside a field, as the parent reads it ('' when none)."""
    field = app.screen.query_one(f"#field-{name}", Field)
    return str(field.query_one(".field-error", Static).render()) if field.error else ""


def error_key(app, name: str) -> str | None:
    field = app.screen.query_one(f"#field-{name}", Field)
    return field.error.key if field.error else None


def value(app, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_text(app, selector: str) -> str:
    return " ".join(str(s.render()) for s in app.screen.query(selector))


async def press(pilot, selector: str) -> None:
    """Press a button as a click or Enter would, wherever the body is scrolled."""
    pilot.app.screen.query_one(selector).press()
    await settle(pilot)


async def pass_step1(pilot, services, contact: str = "father@home.example") -> None:
    """Step 1 by hand from the welcome screen: 親子綁定, the contact, Enter, its code, Enter."""
    await pilot.click("#bind")
    await type_into(pilot, "#contact", contact)
    await pilot.press("enter")
    await settle(pilot)
    await type_into(pilot, "#code", last_code(services))
    await pilot.press("enter")
    await settle(pilot)


async def open_step2(pilot, services) -> None:
    start_session(pilot.app, services)
    await pilot.app.flow.show("student")
    await settle(pilot)


async def fill_student(
    pilot, roster, short: str, relationship: str = "father", note: str | None = None, **kw
) -> None:
    """Relationship, level, ID and school for one roster student (a wrong school with `school=`)."""
    screen = pilot.app.screen
    kind = "legal" if relationship in ("father", "mother") else "guardian"
    screen.query_one(f"#kind-{kind}", RadioButton).value = True
    await pilot.pause()
    screen.query_one(f"#rel-{relationship}", RadioButton).value = True
    await pilot.pause()
    if note is not None:
        await type_into(pilot, "#relationship-note", note)
    school = roster.student(short).school
    screen.query_one(f"#level-{school.level}", RadioButton).value = True
    await settle(pilot)
    await type_into(pilot, "#student-id", kw.get("student_id", roster.ids[short]))
    screen.query_one("#school", Select).value = kw.get("school", school.code)
    await pilot.pause()


async def find_and_add(pilot, roster, short: str, relationship: str = "father", **kw) -> None:
    await fill_student(pilot, roster, short, relationship, **kw)
    await press(pilot, "#lookup")
    await press(pilot, "#add")


def prepare_session(app, services, roster, students=("wu",), relationship="father"):
    """Steps 2 and 3 done through the services, for tests of step 4."""
    session = start_session(app, services)
    apps = services.applications
    for short in students:
        student = roster.student(short)
        found = apps.lookup_student(session, student.school.level, student.school.code,
                                    roster.ids[short])  # fmt: skip
        session = apps.choose_student(found.session, found.value, relationship)
    app.visit.session = apps.give_consent(session, scrolled_to_end=True)
    return app.visit.session


async def open_step4(pilot, services, roster, **kw) -> None:
    prepare_session(pilot.app, services, roster, **kw)
    await pilot.app.flow.show("parent")
    await settle(pilot)


async def fill_parent(pilot, roster, parent="father", name="吳志明", email="father@home.example",
                      mobile="0911222333", signature=None) -> None:  # fmt: skip
    await type_into(pilot, "#parent-id", roster.parent_ids[parent])
    await press(pilot, "#check-parent")
    await type_into(pilot, "#name", name)
    await type_into(pilot, "#email", email)
    await type_into(pilot, "#mobile", mobile)
    await type_into(pilot, "#signature", name if signature is None else signature)


async def read_statement(pilot) -> None:
    pilot.app.screen.query_one("#statement").focus()
    await pilot.press("end")
    await pilot.wait_for_scheduled_animations()
    await settle(pilot)


async def send_step4(pilot) -> None:
    """送出資料, then 確認送出 on the summary that asks first (issue 16)."""
    from screens.widgets.confirm import Confirm

    await press(pilot, "#submit")
    if isinstance(pilot.app.screen, Confirm):
        pilot.app.screen.query_one("#yes").press()
        await settle(pilot)
