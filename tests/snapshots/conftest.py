"""Snapshots need a still world: a frozen clock, numbered applications drawn in order, and no
outbox polling racing the screenshot."""

from __future__ import annotations

import itertools

import pytest

import app.services.numbers as numbers


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    """Snapshots run once, on SQLite: the screens do not depend on the backend."""
    return str(tmp_path / "qinzi.db")


@pytest.fixture(autouse=True)
def _predictable_numbers(monkeypatch):
    counter = itertools.count(1)

    def next_number() -> str:
        return numbers.format_number(f"{next(counter):08d}".replace("0", "A"))

    monkeypatch.setattr(numbers, "new_number", next_number)


@pytest.fixture(autouse=True)
def _predictable_codes(monkeypatch):
    import app.services.verification as verification

    monkeypatch.setattr(verification.secrets, "randbelow", lambda n: 123456 % n)


@pytest.fixture
def snap_compare(snap_compare):
    """The plugin's snap_compare, whose `run_before` starts as soon as Textual is ready: the
    app's first screen is composed just after that (QinziApp.get_default_screen), so it is
    waited for first, as `run_test` does and as a person's first key is (QinziApp.on_event)."""

    def compare(app, *, run_before=None, **options):
        async def first_screen_then(pilot):
            await pilot.pause()
            if run_before is not None:
                await run_before(pilot)

        return snap_compare(app, run_before=first_screen_then, **options)

    return compare


@pytest.fixture
def svg_snapshot(snapshot, request):
    """Compare an SVG the test took itself (`App.export_screenshot`) with the stored snapshot
    `name` of this test, as snap_compare compares the one it takes: the same files, updated by
    `--snapshot-update`, and a difference written for the plugin's HTML report. For a test that
    takes several pictures of one app (test_every_screen walks to each screen once per language
    and pictures its 4 looks)."""
    from pytest_textual_snapshot import SVGImageExtension

    stored = snapshot.use_extension(SVGImageExtension)

    def compare(svg: str, name: str) -> bool:
        same = stored(name=name) == svg
        if not same:
            _report_difference(request.node, name, stored, svg)
        return same

    return compare


def _report_difference(node, name: str, stored, svg: str) -> None:
    """The record pytest-textual-snapshot's report is drawn from (one per test: the first
    difference), as its snap_compare writes it."""
    import inspect
    import pickle

    from pytest_textual_snapshot import PseudoApp, PseudoConsole, node_to_report_path
    from rich.console import Console

    report = node_to_report_path(node)
    if report.exists():
        return
    console = Console(legacy_windows=False, force_terminal=True)
    path, line, test = node.reportinfo()
    index = stored._execution_name_index.get(name, stored.num_executions - 1)
    execution = stored.executions.get(index)
    exists = bool(execution and execution.final_data is not None)
    report.write_bytes(pickle.dumps((
        False, str(stored), svg, PseudoApp(PseudoConsole(console.legacy_windows, console.size)),
        path, line, f"{test} [{name}]", inspect.getdoc(node.function) or "", "", exists,
    )))  # fmt: skip


async def hold_still(pilot) -> None:
    """The same picture whatever the timing: the outbox pane holds every message sent so far
    (not a poll's), the cursor does not blink, and the body is scrolled home whatever focus
    scrolled to."""
    from textual.widgets import Input

    from tests.tui.conftest import settle

    pilot.app.refresh_outbox()
    for _ in range(2):
        await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for body in pilot.app.screen.query("#body"):
        body.scroll_home(animate=False)
    await pilot.pause()
