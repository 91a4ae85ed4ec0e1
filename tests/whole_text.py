"""R44 for tests: is every wide character on the screen whole?

Two checks, both on what the terminal would show:

- *composition*: every cell the screen shows for a widget is the cell that widget drew itself.
  A wide character cut where a toast, a dropdown or the outbox pane overlaps it, or where a
  container clips it, shows as a blank on screen and differs from the widget's own cell.
- *rendering*: a widget that shows a text draws every character of it (whitespace aside), in
  order: a wrapped line that loses its last wide character, or a label with a blanked one, fails.

Both report the widget and the text, so a failure reads as what a parent would miss."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

from rich.cells import cell_len
from textual.app import App
from textual.errors import NoWidget
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Input, Static
from textual.widgets._toast import Toast  # Textual 8.2: a Toast has no public text accessor

Cells = list[list[str]]


def cells_of(strips: Iterable[Strip], width: int) -> Cells:
    """Strips as rows of cells; the right half of a wide character is ""."""
    rows: Cells = []
    for strip in strips:
        row: list[str] = []
        for segment in strip:
            if segment.control:
                continue
            for ch in segment.text:
                size = cell_len(ch)
                if size == 0 and row:
                    row[-1] += ch  # a combining mark stays with its base
                    continue
                row.append(ch)
                if size == 2:
                    row.append("")
        rows.append((row + [" "] * width)[:width])
    return rows


def screen_cells(app: App) -> Cells:
    strips = app.screen._compositor.render_strips()  # the frame the terminal gets
    return cells_of(strips, app.size.width)


class Frame:
    """One look at the screen for every check: the frame the terminal gets, the widgets shown,
    which widget is on top of each cell, and each widget's own drawing, each worked out once."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.cells = screen_cells(app)
        self.widgets = _visible_widgets(app)
        self._drawn: dict[Widget, Cells] = {}
        self._owned: dict[Widget, list[tuple[int, int]]] | None = None

    def drawn(self, widget: Widget) -> Cells:
        """What the widget draws itself, over its whole outer size."""
        if widget not in self._drawn:
            width, height = widget.outer_size
            self._drawn[widget] = cells_of(widget.render_lines(Region(0, 0, width, height)), width)
        return self._drawn[widget]

    def owned(self, widget: Widget) -> list[tuple[int, int]]:
        """The cells where `widget` is on top. Between two neighbouring cuts of a line (every
        edge of every widget there) the same widget is on top, so it is asked once a piece."""
        if self._owned is None:
            self._owned = {}
            screen = self.app.screen
            for y, cuts in enumerate(screen._compositor.cuts):
                for start, end in pairwise(cuts):
                    try:
                        top, _ = screen.get_widget_at(start, y)
                    except NoWidget:
                        continue
                    self._owned.setdefault(top, []).extend((x, y) for x in range(start, end))
        return self._owned.get(widget, [])


def composition_faults(frame: Frame) -> list[str]:
    """Cells where the screen shows something other than what the widget on top drew there."""
    screen = frame.cells
    faults: list[str] = []
    for widget in frame.widgets:
        owned = frame.owned(widget)
        if not owned:
            continue
        own = frame.drawn(widget)
        for x, y in owned:
            lx, ly = x - widget.region.x, y - widget.region.y
            if ly >= len(own) or y >= len(screen):
                continue
            mine, shown = own[ly][lx], screen[y][x]
            if mine.strip() and mine != shown:
                row = "".join(screen[y]).rstrip()
                faults.append(f"{_name(widget)} at ({x},{y}) draws {mine!r}, screen shows "
                              f"{shown!r}: {row!r}")
                break
    return faults


def source_text(widget: Widget) -> str | None:
    """The text a widget is meant to show, where it has one."""
    if isinstance(widget, Toast):
        return str(widget._notification.message)
    if isinstance(widget, Button):
        return str(widget.label)
    if isinstance(widget, Input):
        return widget.value or widget.placeholder
    if isinstance(widget, Static):
        visual = widget.visual
        return getattr(visual, "plain", None)
    return None


def rendering_faults(frame: Frame) -> list[str]:
    """Widgets whose own drawing lacks a character of their text (wrapped, cut or blanked); a
    button's label in any script (after F2, "Forgot password" once showed as "Forgot")."""
    faults: list[str] = []
    for widget in frame.widgets:
        text = source_text(widget)
        if not text or not (_has_wide(text) or isinstance(widget, Button)):
            continue
        shown = _letters("".join("".join(row) for row in frame.drawn(widget)))
        wanted = _letters(text)
        if shown == wanted or (_clipped(widget) and not isinstance(widget, Button)
                               and wanted.startswith(shown)):  # fmt: skip
            continue
        if isinstance(widget, Input) and wanted.startswith(shown):
            continue  # an input scrolls its text; the part shown must still be whole
        if shown.endswith("…") and wanted.startswith(shown[:-1]):
            continue  # shortened where it says so (a long title at 80 columns), nothing blanked
        faults.append(f"{_name(widget)} shows {shown!r} for {wanted!r}")
    return faults


def line_start_faults(frame: Frame) -> list[str]:
    """R44's 禁則 as drawn: no line of a wrapped text starts with closing punctuation."""
    from app.linebreak import NO_START

    faults: list[str] = []
    for widget in frame.widgets:
        if not isinstance(widget, Static) or not _has_wide(source_text(widget) or ""):
            continue
        rows = ["".join(r).strip(" ▊▎▔▁│╭╮╰╯─") for r in frame.drawn(widget)]
        for before, row in pairwise(rows):
            if before and row and row[0] in NO_START:
                faults.append(f"{_name(widget)} starts a line with {row[0]!r}: {row!r}")
    return faults


_KEY_LIKE = re.compile(r"(?<![@\w.])([a-z_]+)(?:\.[a-z0-9_]+)+")


def untranslated_faults(frame: Frame) -> list[str]:
    """R26: no catalog key shows instead of its text, whether or not the key exists (a button
    once read "label.next"): a dotted name under one of the catalog's top-level names."""
    from app.i18n import DEFAULT_LANGUAGE, catalog

    tops = {key.split(".")[0] for key in catalog(DEFAULT_LANGUAGE)}
    faults = []
    for y, row in enumerate(frame.cells):
        for found in _KEY_LIKE.finditer("".join(row)):
            if found.group(1) in tops:
                faults.append(f"row {y} shows the catalog key {found.group(0)!r}")
    return faults


def cut_label_faults(frame: Frame) -> list[str]:
    """A label Textual had to shorten shows "…" where its end should be (issue 18: "Grandfather
    (father's fathe…" beside the outbox pane): none may, unless a text itself holds one."""
    if any("…" in (source_text(w) or "") for w in frame.widgets):
        return []
    return [f"row {y} shows a cut label: {''.join(row).strip()!r}"
            for y, row in enumerate(frame.cells) if "…" in "".join(row)]  # fmt: skip


def whole_text_faults(app: App) -> list[str]:
    frame = Frame(app)
    return (composition_faults(frame) + rendering_faults(frame) + line_start_faults(frame)
            + untranslated_faults(frame) + cut_label_faults(frame))  # fmt: skip


def _visible_widgets(app: App) -> list[Widget]:
    out = []
    for widget in app.screen.walk_children(with_self=False):
        if widget.display and widget.visible and widget.size.area and widget.region.area:
            out.append(widget)
    return out


def _letters(text: str) -> str:
    """What a reader reads: every character but whitespace, box drawing and the scroll bar."""
    return "".join(
        ch for ch in unicodedata.normalize("NFC", text)
        if not ch.isspace() and not ("\u2500" <= ch <= "\u259f")
    )


def _has_wide(text: str) -> bool:
    return any(cell_len(ch) == 2 for ch in text)


def _clipped(widget: Widget) -> bool:
    """A widget whose content is taller than it is (it scrolls or hides the rest)."""
    return widget.virtual_size.height > widget.size.height or (widget.styles.height is not None \
        and not widget.styles.height.is_auto)


def _name(widget: Widget) -> str:
    return f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__
