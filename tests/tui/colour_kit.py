"""Colours as the terminal gets them (issue 18): the frame's cells with their foreground and
background, the widget that drew each, and the colour of a widget's edge as its resolved CSS
gives it. The contrast tests measure these, not the theme's constants, so a style sheet that
undoes a theme (a `tall $background` edge, a dim hint) fails them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.cells import cell_len
from textual.app import App
from textual.color import Color
from textual.errors import NoWidget
from textual.widget import Widget

from app.themes import contrast

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    char: str
    fg: RGB
    bg: RGB
    dim: bool


def frame(app: App) -> Iterator[Cell]:
    """Every cell of the screen that shows a character (not a space), as the terminal draws it."""
    strips = app.screen._compositor.render_strips()  # the frame the terminal gets
    for y, strip in enumerate(strips):
        x = 0
        for segment in strip:
            if segment.control:
                continue
            style = segment.style
            for ch in segment.text:
                width = cell_len(ch)
                if not ch.isspace() and style is not None and style.color and style.bgcolor:
                    fg = tuple(style.color.get_truecolor())
                    bg = tuple(style.bgcolor.get_truecolor())
                    if style.reverse:
                        fg, bg = bg, fg
                    yield Cell(x, y, ch, fg, bg, bool(style.dim))  # type: ignore[arg-type]
                x += width


def backgrounds(app: App, region) -> Iterator[RGB]:  # type: ignore[no-untyped-def]
    """The background of every cell of `region`, spaces included."""
    strips = app.screen._compositor.render_strips()
    for y in range(region.y, min(region.bottom, len(strips))):
        x = 0
        for segment in strips[y]:
            if segment.control:
                continue
            for ch in segment.text:
                if region.x <= x < region.right and segment.style and segment.style.bgcolor:
                    yield tuple(segment.style.bgcolor.get_truecolor())  # type: ignore[misc]
                x += cell_len(ch)


def owner(app: App, x: int, y: int) -> Widget | None:
    try:
        return app.screen.get_widget_at(x, y)[0]
    except NoWidget:
        return None


def inactive(widget: Widget) -> bool:
    """Disabled (WCAG asks nothing of an inactive control's text)."""
    return any(getattr(node, "disabled", False) for node in widget.ancestors_with_self)


def is_graphic(ch: str) -> bool:
    """Box drawing and block elements: edges and scroll bars, measured as edges."""
    return "\u2500" <= ch <= "\u259f"


def page_of(widget: Widget) -> Color:
    """The colour around a widget: what its edge is seen against."""
    return widget.background_colors[0]


def edge_of(widget: Widget) -> tuple[str, Color]:
    """The widget's left edge, its type and its colour over the page (an edge with alpha is
    blended as it is drawn)."""
    kind, colour = widget.styles.border_left
    return kind, page_of(widget) + colour


def rgb(colour: Color) -> RGB:
    return colour.rgb


def ratio(a: Color | RGB, b: Color | RGB) -> float:
    return contrast(a.rgb if isinstance(a, Color) else a, b.rgb if isinstance(b, Color) else b)


def name(widget: Widget) -> str:
    return f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__
