"""R44: no wide character is blanked where one widget lies over another.

Textual 8.2.8 (upstream issue Textualize/textual#6357, open) composes each screen line from
pieces cut at the edge of *every* widget on that line, including the widgets hidden under a toast,
a dropdown or a dialog. When such an edge falls inside a double-width character of the widget on
top, `Strip.divide` replaces both halves with spaces: a notice crossing the outbox pane lost
"已驗", the open school list showed "臺北市大  區". The characters are gone from the frame, not
just from a screenshot.

The repair: when one widget paints several neighbouring pieces of a line that nothing above it
has painted yet, it paints them as one piece, so only the edges where the painter really changes
cut its text. The pieces it now paints through get an empty piece, so the widgets underneath do
not paint there either. Both the full and the partial screen update accept a piece wider than its
slot (they write pieces in order and move the cursor to each slot's start).

`tests/tui/test_whole_cells.py` keeps a minimal reproduction against Textual's own method, so an
upgrade that fixes it upstream shows up as a failing test and this module can go."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip

TEXTUAL_RENDER_CHOPS = Compositor._render_chops
_PAINTED_THROUGH = Strip([], 0)


def render_chops_whole(
    self: Compositor, crop: Region, is_rendered_line: Callable[[int], bool]
) -> Sequence[Mapping[int, Strip | None]]:
    """Textual's line pieces, with a widget's neighbouring free pieces painted as one."""
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(line[:-1]) for line in cuts]
    for region, clip, strips in self._get_renders(crop):  # front to back
        painted = region.intersection(clip)
        first, last = painted.column_span
        for y, strip in zip(painted.line_range, strips, strict=False):
            if not is_rendered_line(y):
                continue
            line = chops[y]
            edges = [cut for cut in cuts[y] if first <= cut <= last]
            _paint(line, edges, strip, painted.x)
    return chops


def _paint(line: dict[int, Strip | None], edges: list[int], strip: Strip, x: int) -> None:
    """Fill the free slots between `edges` with `strip`, one piece per run of free slots."""
    slots = edges[:-1]
    free = [line.get(cut, _PAINTED_THROUGH) is None for cut in slots]
    # Cut only where a run of free slots starts or ends.
    divisions = [
        edges[i + 1] - x for i in range(len(slots)) if i + 1 == len(slots) or free[i] != free[i + 1]
    ]
    pieces = iter(strip.divide(divisions))
    run_start: int | None = None
    for i, cut in enumerate(slots):
        if free[i] and run_start is None:
            run_start = cut
            line[cut] = next(pieces, _PAINTED_THROUGH)
        elif free[i]:
            line[cut] = _PAINTED_THROUGH
        if i + 1 == len(slots) or free[i] != free[i + 1]:
            if not free[i]:
                next(pieces, None)  # the piece under a slot someone above has painted
            run_start = None


def install() -> None:
    """Use the repaired composition for every screen (idempotent)."""
    Compositor._render_chops = render_chops_whole  # type: ignore[method-assign]
