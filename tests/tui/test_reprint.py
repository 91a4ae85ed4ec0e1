"""下載留存 wherever a parent sees an application (issue 16): the progress page and the account
home print the forms again, each as it stands (an approved or a rejected copy), with the same
button and notices as the completion page; the account home shows why an application was not
approved; a character that no font has is told on the screen (R43)."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from app.models import Application, Student
from app.services.staff import StaffIdentity
from screens.account.home import AccountHomeScreen
from screens.progress import ProgressScreen
from tests.factories import make_account, submit_application
from tests.tui.conftest import click, notice_of, settle, start_session
from tests.tui.test_account import log_in
from tests.unit.test_forms import no_font_character

REASON = "請改由法定代理人申請"
PASSWORD = "Harbour-Lantern-1987"


def reject(services, roster, number: str) -> None:
    services.review.reject(StaffIdentity.of(roster.teachers["lee"]), number, REASON)


def notices(app) -> str:
    return notice_of(app)


def saved_forms(app) -> list:
    return sorted((app.services.settings.data_dir / "forms").glob("*.pdf"))


def page_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


async def test_r17_progress_page_reprints_every_listed_form_as_it_stands(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        session = start_session(app, app.services, "father@home.example")
        pending, refused = submit_application(app.services, roster, ("wu", "wu2"),
                                              session=session)  # fmt: skip
        reject(app.services, roster, refused.number)
        await app.flow.show("progress")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        await click(pilot, "#download")
        await settle(pilot)
        [form] = saved_forms(app)
        texts = page_text(form)
        assert len(texts) == 2
        assert pending.number in texts[0] and "不通過" not in texts[0]
        assert refused.number in texts[1] and "不通過" in texts[1] and REASON in texts[1]
        assert "辦公室" in notices(app) and str(form) not in notices(app)  # not a path


async def test_r43_progress_page_tells_which_application_prints_a_code_point(kiosk_app, roster):
    ch = no_font_character()
    Student.update(name=f"吳{ch}寶").where(Student.id == roster.student("wu").id).execute()
    app = kiosk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        session = start_session(app, app.services, "father@home.example")
        [item] = submit_application(app.services, roster, ("wu",), session=session)
        await app.flow.show("progress")
        await settle(pilot)
        await click(pilot, "#download")
        await settle(pilot)
        assert app.screen.query_one("#notice").has_class("-warning")
        assert item.number in notices(app)
        assert ch not in notices(app)


async def test_r17_progress_page_download_waits_for_its_rows(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        start_session(app, app.services, "nobody@home.example")
        await app.flow.show("progress")
        await settle(pilot)
        assert app.screen.query_one("#download").disabled  # nothing to print


async def test_r18_account_home_shows_the_reason_and_reprints_the_rejected_copy(
    kiosk_app, roster
):
    app = kiosk_app()
    make_account(app.services, roster, email="dad@home.example", password=PASSWORD)
    [refused] = submit_application(app.services, roster, ("wu2",), email="dad@home.example")
    reject(app.services, roster, refused.number)
    # Someone else's application is never on this parent's page nor in the file.
    [other] = submit_application(app.services, roster, ("chen",), parent="mother", name="陳美",
                                 email="mother@home.example")  # fmt: skip
    async with app.run_test(size=(100, 40)) as pilot:
        await log_in(pilot, "dad@home.example", PASSWORD)
        assert isinstance(app.screen, AccountHomeScreen)
        reason = app.screen.query_one("#open .progress-reason")
        assert REASON in str(reason.render())
        await click(pilot, "#download")
        await settle(pilot)
        [form] = saved_forms(app)
        [text] = page_text(form)
        assert refused.number in text and "不通過" in text and REASON in text
        assert other.number not in text
        assert "辦公室" in notices(app) and str(form) not in notices(app)  # not a path


async def test_r9_account_home_prints_only_the_accounts_own_applications(kiosk_app, roster):
    """The account's page asks the service for its own numbers only; one of another parent's
    is "not found" there, even when asked for by number."""
    from app.errors import NotFound

    app = kiosk_app()
    account = make_account(app.services, roster, email="dad@home.example", password=PASSWORD)
    [other] = submit_application(app.services, roster, ("chen",), parent="mother", name="陳美",
                                 email="mother@home.example")  # fmt: skip
    assert Application.get(Application.number == other.number)
    with pytest.raises(NotFound):
        app.services.forms.save([other.number], account=account.id)
