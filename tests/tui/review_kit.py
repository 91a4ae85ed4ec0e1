"""Helpers for the staff terminal's Pilot tests: the app in the review role on the real services,
logging in through the login screen, and reading what the queue and the detail show."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from app.factory import make_app
from app.models import OutboxMessage
from app.tui import QinziApp
from screens.widgets.field import Field
from tests.factories import TEACHER_PASSWORD
from tests.tui.conftest import settle, type_into

EMAILS = {"lee": "lee@school.example", "ho": "ho@school.example", "kao": "kao@school.example",
          "it": "it@school.example"}  # fmt: skip


def review_app(services) -> QinziApp:
    return make_app(services, mode="review")


async def log_in(pilot, who: str = "lee", password: str = TEACHER_PASSWORD) -> None:
    """Type the e-mail and the password and press Enter, as a teacher would."""
    await type_into(pilot, "#email", EMAILS.get(who, who))
    await type_into(pilot, "#password", password)
    await pilot.press("enter")
    await settle(pilot)


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def cell(app, number: str, column: str) -> str:
    """What the queue's row of `number` shows in `column` (a column key: "status", "paper" …)."""
    return str(app.screen.query_one(DataTable).get_cell(number, column))


def numbers(app) -> list[str]:
    return [row[1] for row in rows(app)]


async def wait_for_numbers(pilot, expected: list[str], tries: int = 20) -> list[str]:
    """The table as it settles: a busy machine can deliver a query's page a frame later."""
    from tests.tui.conftest import settle

    for _ in range(tries):
        await settle(pilot)
        if numbers(pilot.app) == expected:
            break
    return numbers(pilot.app)


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def field_error(app, name: str) -> str:
    field = app.screen.query_one(f"#field-{name}", Field)
    return field.error.message(app.lang) if field.error else ""


def tab_labels(app) -> list[str]:
    from textual.widgets import Tab

    return [str(tab.label) for tab in app.screen.query(Tab)]


def mails(services, purpose: str | None = None) -> list[tuple[str, str, str]]:
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    return [(m.recipient, m.purpose, services.outbox.body_of(m)) for m in query]


async def go_to(pilot, number: str) -> None:
    """Move the queue's cursor to the row of `number`."""
    table = pilot.app.screen.query_one(DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(number))
    await pilot.pause()


def notices(app) -> list[str]:
    return [str(n.message).replace("\n", "") for n in app._notifications]  # as one text


ROSTER_MOBILE = "0912345678"  # 吳志明 is on file for 吳三寶 (wu)


def apply_all(services, roster, clock) -> dict[str, str]:
    """wu (by the roster guardian's mobile: a match), wu2, ali of 李老師's 301, chen of 何老師's
    302, and lin (a grandmother: papers to see) of 高老師 at another school; a minute apart.
    Returns their numbers by student."""
    from tests.factories import submit_application

    out = {}
    [done] = submit_application(services, roster, ("wu",), contact=ROSTER_MOBILE)
    out["wu"] = done.number
    for short in ["wu2", "ali"]:
        clock.advance(minutes=1)
        [done] = submit_application(services, roster, (short,))
        out[short] = done.number
    clock.advance(minutes=1)
    [done] = submit_application(services, roster, ("chen",), "mother", relationship="mother",
                                name="林美華", email="mother@home.example")  # fmt: skip
    out["chen"] = done.number
    clock.advance(minutes=1)
    [done] = submit_application(services, roster, ("lin",), "grandma", relationship="grandmother",
                                name="林阿嬤", email="grandma@home.example")  # fmt: skip
    out["lin"] = done.number
    return out
