"""The staff terminal's door (R20, R22): a teacher logs in to the queue of the own class; an unknown
e-mail and a wrong password read the same; five failures make the account wait; leaving the
terminal idle, or F10, logs out and forgets who was there."""

from __future__ import annotations

from textual.widgets import Input

from app.models import AuditEvent
from screens.review.login import StaffLoginScreen
from screens.review.queue import QueueScreen
from screens.widgets.idle import IdleCountdown
from tests.factories import submit_application
from tests.tui.conftest import settle
from tests.tui.review_kit import field_error, log_in, numbers, review_app


async def test_r18_r20_a_teacher_logs_in_to_the_queue_of_the_own_class(services, roster):
    [wu] = submit_application(services, roster, ("wu",))
    [chen] = submit_application(services, roster, ("chen",), "mother", relationship="mother",
                                name="林美華", email="mother@home.example")  # fmt: skip
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, StaffLoginScreen)
        await log_in(pilot, "lee")
        assert isinstance(app.screen, QueueScreen)
        assert app.visit.staff is not None and app.visit.staff.name == "李老師"
        assert numbers(app) == [wu.number]
        assert chen.number not in numbers(app)
        assert "李老師" in app.screen.sub_title and "301" in app.screen.sub_title
        login = app.screen_stack[-2]
        assert login.query_one("#password", Input).value == ""  # not left under the queue
    assert AuditEvent.select().where(AuditEvent.action == "login").count() == 1


async def test_r20_an_unknown_email_and_a_wrong_password_read_the_same(services, roster):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "nobody@school.example", "teach-demo-2026")
        unknown = field_error(app, "password")
        assert app.screen.query_one("#email", Input).value == "nobody@school.example"
        assert app.screen.query_one("#password", Input).value == ""
        await log_in(pilot, "lee", "wrong-password")
        wrong = field_error(app, "password")
        assert unknown == wrong and "資訊組長" in wrong  # staff words, not the parents'
        assert isinstance(app.screen, StaffLoginScreen) and app.visit.staff is None


async def test_r20_five_failures_in_a_row_make_this_terminal_wait(services, roster, clock):
    """Issue 15: this terminal waits (1 minute after five, doubling), and says others do not."""
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(5):
            await log_in(pilot, "lee", "wrong-password")
        assert "1 分鐘" in field_error(app, "password")
        assert "其他機器不受影響" in field_error(app, "password")
        await log_in(pilot, "lee")  # the right password, but this terminal waits
        assert "分鐘後再試" in field_error(app, "password")
        assert isinstance(app.screen, StaffLoginScreen)
        clock.advance(minutes=1)
        app.last_input = clock()  # the teacher is back at the keys: no idle countdown first
        await log_in(pilot, "lee")
        assert isinstance(app.screen, QueueScreen)


async def test_r26_an_empty_password_is_explained_beside_it(services, roster):
    app = review_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "lee", "")
        assert field_error(app, "password") == "請輸入密碼。"
        await pilot.press("f2")
        assert field_error(app, "password") == "Enter your password."


async def test_r22_an_idle_staff_terminal_logs_out(services, roster, clock, settings):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        clock.advance(seconds=settings.idle_seconds + 1)  # a kiosk would time out; staff not
        app.tick()
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        clock.advance(seconds=settings.staff_idle_seconds)
        app.tick()
        await pilot.pause()
        assert isinstance(app.screen, IdleCountdown)
        clock.advance(seconds=settings.idle_countdown_seconds)
        app.screen.tick()
        await settle(pilot)
        assert isinstance(app.screen, StaffLoginScreen)
        assert app.visit.staff is None and app.screen.query_one("#email", Input).value == ""


async def test_r22_f10_logs_out_and_forgets_the_teacher(services, roster):
    app = review_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "lee")
        await pilot.press("escape")  # the queue is the staff's home: Escape does not leave it
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, StaffLoginScreen) and app.visit.staff is None
        assert len(app.screen_stack) == 1


def test_the_review_command_starts_the_staff_terminal(monkeypatch, tmp_path):
    from app import cli
    from app.db import open_database

    started = []

    class FakeApp:
        def run(self) -> None:
            started.append(True)

    def fake_make_app(services, *, kiosk, mode="kiosk", **kw):
        started.append((kiosk, mode))
        return FakeApp()

    monkeypatch.setattr(cli, "make_app", fake_make_app)
    db = str(tmp_path / "q.db")
    assert cli.main(["--db", db, "--data-dir", str(tmp_path), "review"]) == 1  # R40: none yet
    assert started == []
    open_database(db).close()
    assert cli.main(["--db", db, "--data-dir", str(tmp_path), "review"]) == 0
    assert started == [(False, "review"), True]
    parser = cli.build_parser("en")
    assert "review" in parser.format_help()
