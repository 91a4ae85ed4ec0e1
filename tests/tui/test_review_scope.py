"""School scope on the review terminal (R33): school IT sees an application of its school but,
where teachers decide, is told so instead of being offered approve and reject; a teacher
deactivated while logged in is sent back to the login at the next action, with the reason."""

from __future__ import annotations

import pytest

from app.models import Application, Status, Teacher
from screens.review.detail import DetailScreen
from screens.review.login import StaffLoginScreen
from tests.tui.conftest import settle
from tests.tui.review_kit import apply_all, go_to, log_in, notices, review_app


@pytest.fixture
def applied(services, roster, clock):
    return apply_all(services, roster, clock)


async def test_r33_school_it_is_told_the_teacher_decides(services, applied):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "it")
        await go_to(pilot, applied["wu"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.query_one("#it-may-not-decide").display
        assert not app.screen.query_one("#decision").display
        await pilot.press("a")  # the approve key does nothing here
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "由導師審核" in str(app.screen.query_one("#it-may-not-decide").render())
    assert Application.get(Application.number == applied["wu"]).status == Status.PENDING


async def test_r33_a_deactivated_teacher_goes_back_to_the_login_at_the_next_action(
    services, roster, applied
):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        Teacher.update(active=False).where(Teacher.id == roster.teachers["lee"].id).execute()
        await go_to(pilot, applied["wu"])
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, StaffLoginScreen)
        assert any("帳號已被重設、更換密碼、停用" in n for n in notices(app))
