"""Issue 16: the wizard's steps as a parent meets them, kept as SVG snapshots for a person to
review — at 80x24 in Chinese with the demo outbox pane shown, and at 100x30 in English without
it. Whole wide characters everywhere are checked cell by cell in tests/tui/test_whole_text.py;
these keep the look (`pytest tests/snapshots --snapshot-update` after an intended change)."""

from __future__ import annotations

import pytest

from app.factory import make_app
from tests.snapshots.conftest import hold_still
from tests.tui.conftest import settle, start_session
from tests.tui.wizard_kit import fill_parent, fill_student, prepare_session

LOOKS = {
    "80x24-zh-pane": ((80, 24), "zh-TW", True),
    "100x30-en": ((100, 30), "en", False),
}


async def step2(pilot, services, roster) -> None:
    start_session(pilot.app, services)
    await pilot.app.flow.show("student")
    await settle(pilot)
    await fill_student(pilot, roster, "wu")
    await settle(pilot)


async def step4(pilot, services, roster) -> None:
    prepare_session(pilot.app, services, roster)
    await pilot.app.flow.show("parent")
    await settle(pilot)
    await fill_parent(pilot, roster)
    await settle(pilot)


async def summary(pilot, services, roster) -> None:
    await step4(pilot, services, roster)
    pilot.app.screen.query_one("#submit").press()
    await settle(pilot)


@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("step", [step2, step4, summary], ids=["step2", "step4", "summary"])
def test_issue16_the_wizard_as_a_parent_meets_it(snap_compare, services, roster, look, step):
    size, lang, pane = LOOKS[look]
    services.ctx.settings.mode = "demo"
    app = make_app(services)

    async def run_before(pilot):
        await settle(pilot)  # the welcome screen is up (it ends any visit when it shows)
        pilot.app.lang = lang
        pilot.app.outbox_shown = pane
        await step(pilot, services, roster)
        await hold_still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
