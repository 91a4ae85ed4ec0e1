"""Issue 18, every parent can use it — seen clearly: WCAG 2.2 AA measured on the running app in
every theme it registers, on every step a parent goes through. Text and placeholders (hints)
4.5:1 (1.4.3); the edges of inputs, buttons, choices and lists 3:1 against the page (1.4.11);
and Tab from anything leaves something visibly focused, its indicator 3:1 (2.4.7, 1.4.11).

The colours are read from the frame the terminal gets and from the widgets' resolved CSS
(tests/tui/colour_kit.py), not from app/themes.py, so a style sheet that undoes a theme fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from textual.color import Color
from textual.widgets import Button, Checkbox, Input, RadioSet
from textual.widgets._select import SelectCurrent  # Textual 8.2: the box of a Select

from app.themes import EDGE_CONTRAST, PALETTES, TEXT_CONTRAST, Palette, contrast
from app.tui import QinziApp
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - screens only: SQLite
from tests.tui.colour_kit import (
    backgrounds,
    edge_of,
    frame,
    inactive,
    is_graphic,
    name,
    owner,
    page_of,
    ratio,
)
from tests.tui.conftest import settle, start_session, type_into
from tests.tui.wizard_kit import fill_parent, fill_student, prepare_session, press, read_statement

SIZE = (80, 24)
Walk = Callable[..., Awaitable[None]]


@dataclass
class Measures:
    """The least ratio found per kind of thing measured, and every one below what AA asks."""

    least: dict[str, tuple[float, str]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)

    def add(self, kind: str, value: float, need: float, where: str) -> None:
        if kind not in self.least or value < self.least[kind][0]:
            self.least[kind] = (value, where)
        if value < need:
            self.faults.append(f"{kind} {value:.2f}:1 < {need}:1 — {where}")


EDGES = {Input: "input edge", Button: "button edge", RadioSet: "choice edge",
         SelectCurrent: "list edge", Checkbox: "check box edge"}  # fmt: skip


def measure_text(app: QinziApp, m: Measures, where: str) -> None:
    """Every character on the screen against the cell behind it, but those of a disabled
    control (WCAG exempts them) and edges and scroll bars (measured as edges)."""
    for cell in frame(app):
        widget = owner(app, cell.x, cell.y)
        if widget is None or inactive(widget) or cell.dim or is_graphic(cell.char):
            continue  # a dim cell is a key the screen does not take now
        kind = "placeholder" if isinstance(widget, Input) and not widget.value else "text"
        m.add(kind, contrast(cell.fg, cell.bg), TEXT_CONTRAST,
              f"{where}: {cell.char!r} of {name(widget)}")  # fmt: skip


def measure_edges(app: QinziApp, m: Measures, where: str) -> None:
    """Each control without focus: its edge as its CSS resolves, against the page around it;
    a control drawn without an edge (compact) is seen by its fill."""
    focused = app.focused
    for kind_of, kind in EDGES.items():
        for widget in app.screen.query(kind_of):
            if not widget.display or not widget.region.area or inactive(widget):
                continue
            if focused is not None and (widget is focused or widget.parent is focused):
                continue
            border, colour = edge_of(widget)
            if border in ("", "none", "hidden", "blank"):
                if isinstance(widget, Checkbox):
                    continue  # its [ ] is text, measured as text
                colour = widget.background_colors[1]
            m.add(kind, ratio(colour, page_of(widget)), EDGE_CONTRAST, f"{where}: {name(widget)}")


def focus_cells(app: QinziApp, colours: Palette) -> list[tuple[int, int, int]]:
    """The colours in the focused widget's region that are the theme's focus colour (drawn
    as an edge, a fill or a cursor; a 5 % tint allowed)."""
    widget = app.focused
    assert widget is not None
    region = widget.region
    near = [c.fg for c in frame(app)
            if region.contains(c.x, c.y) and contrast(c.fg, colours.focus) < 1.2]  # fmt: skip
    near += [bg for bg in backgrounds(app, region) if contrast(bg, colours.focus) < 1.2]
    return near


async def pressed_effects_over(pilot) -> None:
    """A button pressed by the walk shows Textual's "-active" look for a moment (its own colours,
    not the ones at rest); on a loaded machine a measure could land in that moment."""
    for _ in range(50):
        if not any(b.has_class("-active") for b in pilot.app.screen.query(Button)):
            return
        await pilot.pause(0.05)


async def tab_around(pilot, m: Measures, where: str, colours: Palette) -> int:
    """Tab once more than there are places to go: each time something has focus, is on the
    screen, and shows it in the focus colour, 3:1 against the page."""
    app = pilot.app
    steps = len(app.screen.focus_chain) + 1
    for _ in range(steps):
        await pilot.press("tab")
        await pilot.pause()
        widget = app.focused
        assert widget is not None, f"{where}: Tab left nothing focused"
        top = owner(app, *widget.region.center) if widget.region.area else None
        assert top is not None and (top is widget or widget in top.ancestors), (
            f"{where}: {name(widget)} has focus off the screen or under something"
        )
        shown = focus_cells(app, colours)
        assert len(shown) >= 2, f"{where}: {name(widget)} has focus and does not show it"
        page = page_of(widget)
        m.add("focus indicator", min(ratio(c, page) for c in shown), EDGE_CONTRAST,
              f"{where}: {name(widget)}")  # fmt: skip
        measure_text(app, m, f"{where}, {name(widget)} focused")
    return steps


# --- where a parent looks --------------------------------------------------------------------


async def welcome(pilot, services, roster) -> None:
    return None


async def step1(pilot, services, roster) -> None:
    await pilot.app.flow.show("contact")


async def step1_code(pilot, services, roster) -> None:
    await pilot.app.flow.show("contact")
    await settle(pilot)
    await type_into(pilot, "#contact", "father@home.example")
    await press(pilot, "#get-code")


async def step2(pilot, services, roster) -> None:
    start_session(pilot.app, services)
    await pilot.app.flow.show("student")


async def step2_found(pilot, services, roster) -> None:
    await step2(pilot, services, roster)
    await settle(pilot)
    await fill_student(pilot, roster, "wu")
    await press(pilot, "#lookup")


async def step3(pilot, services, roster) -> None:
    prepare_session(pilot.app, services, roster)
    await pilot.app.flow.show("consent")
    await settle(pilot)
    await read_statement(pilot)


async def step4(pilot, services, roster) -> None:
    prepare_session(pilot.app, services, roster)
    await pilot.app.flow.show("parent")
    await settle(pilot)
    await fill_parent(pilot, roster)


PLACES: dict[str, Walk] = {
    "welcome": welcome, "step 1": step1, "step 1 with its code": step1_code, "step 2": step2,
    "step 2 with the student found": step2_found, "step 3": step3, "step 4": step4,
}  # fmt: skip


@pytest.mark.parametrize("colours", PALETTES, ids=[p.setting for p in PALETTES])
async def test_issue18_r26_every_theme_meets_wcag_aa_where_parents_look(
    demo_services, kiosk_app, roster, colours
):
    """Issue 18 (R26's "clear message" must be seen first): in each theme, on each step, the
    least contrast of text, placeholder, every edge and the focus indicator, all at AA."""
    demo_services.settings.display_theme = colours.setting  # the kiosk is configured so
    app = kiosk_app()
    services = app.services
    m = Measures()
    tabs = 0
    async with app.run_test(size=SIZE) as pilot:
        for where, walk in PLACES.items():
            app.flow.leave()  # each place from the welcome screen, in the configured colours
            await settle(pilot)
            await walk(pilot, services, roster)
            for _ in range(2):
                await settle(pilot)
            await pressed_effects_over(pilot)
            assert app.theme == colours.name
            measure_text(app, m, where)
            measure_edges(app, m, where)
            tabs += await tab_around(pilot, m, where, colours)
    figures = "\n  ".join(f"{kind} {value:.2f} ({where})"
                           for kind, (value, where) in sorted(m.least.items()))  # fmt: skip
    print(f"\n{colours.name}, {tabs} Tabs:\n  {figures}")
    assert m.faults == []
    kinds = {"text", "placeholder", "focus indicator", *EDGES.values()} - {"check box edge"}
    assert kinds <= set(m.least), f"nothing measured for {kinds - set(m.least)}"


async def test_issue18_a_refused_field_keeps_its_error_edge_and_shows_focus(kiosk_app, roster):
    """R26: a refused field's edge is the error colour, 3:1 too, and thicker with focus (the
    app's focus rule must not paint over it)."""
    from tests.tui.wizard_kit import open_step2

    app = kiosk_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_step2(pilot, app.services)
        await type_into(pilot, "#student-id", "A123")
        await press(pilot, "#check-id")
        field_input = app.screen.query_one("#student-id", Input)
        assert app.screen.query_one("#field-student_id").has_class("-invalid")
        error = Color.parse(app.current_theme.error)
        kind, colour = edge_of(field_input)
        assert kind == "thick" and ratio(colour, error) < 1.05
        app.screen.query_one("#level").focus()
        await pilot.pause()
        kind, colour = edge_of(field_input)
        assert kind == "tall" and ratio(colour, error) < 1.05
        assert ratio(colour, page_of(field_input)) >= EDGE_CONTRAST
