"""下載留存 from the completion page: the form is saved under forms/ and printed where a printer is
configured, in a worker, and the parent is told where it went (issue 4, point 4)."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from tests.factories import submit_application
from tests.tui.conftest import click, notice_of, settle, start_session
from tests.unit.test_forms import fake_lp  # noqa: F401 - the fixture


async def open_completion(pilot, services, roster):
    session = start_session(pilot.app, services, "father@home.example")
    submitted = submit_application(services, roster, ("wu", "chen"), session=session)
    await pilot.app.flow.show("completion", submitted)
    await settle(pilot)
    return submitted


async def test_r31_download_saves_one_pdf_with_a_page_per_application(kiosk_app, roster):
    app = kiosk_app()
    async with app.run_test(size=(100, 30)) as pilot:
        submitted = await open_completion(pilot, app.services, roster)
        await click(pilot, "#download")
        await settle(pilot)
        forms = list((app.services.settings.data_dir / "forms").glob("*.pdf"))
        assert len(forms) == 1
        assert len(PdfReader(forms[0]).pages) == len(submitted) == 2
        shown = notice_of(app)  # where to collect the paper, not the file's path (issue 16)
        assert "辦公室" in shown and str(forms[0]) not in shown and "/" not in shown


@pytest.mark.process
async def test_download_prints_on_the_configured_printer(kiosk_app, roster, fake_lp):  # noqa: F811
    app = kiosk_app()
    app.services.ctx.settings.printer = "office"
    async with app.run_test(size=(100, 30)) as pilot:
        await open_completion(pilot, app.services, roster)
        await click(pilot, "#download")
        await settle(pilot)
        assert "office" in fake_lp.read_text()
        assert "印表機（office）" in notice_of(app)
