"""Check boxes and radio buttons that say their state in shapes, not colour alone (issue 18, WCAG
1.4.1): [✓] or [ ], (●) or ( ), and a › before the one the keyboard is on. Textual draws both
states the same (▐X▌, ▐●▌) in two colours, its unticked box dark on dark (1.4:1) and looking
ticked; the marks here are drawn in the text's colour, single cells in any terminal font."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.content import Content
from textual.geometry import Size


class Marked:
    """Mixed into a Checkbox or a RadioButton, before it: `MARKS` (off, on) of one width."""

    MARKS: ClassVar[tuple[str, str]] = ("[ ]", "[✓]")
    CURSOR: ClassVar[str] = "›"

    if TYPE_CHECKING:  # what the toggle button it is mixed into has
        from textual.visual import VisualStyle

        value: bool
        label: Content
        has_focus: bool

        def get_visual_style(self, *names: str) -> VisualStyle: ...

    def has_cursor(self) -> bool:
        """Whether the keyboard is on this one (a check box: it has focus)."""
        return self.has_focus

    def mark(self) -> str:
        return self.MARKS[1] if self.value else self.MARKS[0]

    def render(self) -> Content:
        cursor = f"{self.CURSOR} " if self.has_cursor() else "  "
        mark = Content.styled(self.mark(), self.get_visual_style("toggle--button"))
        label = self.label.pad(1, 1).stylize_before(self.get_visual_style("toggle--label"))
        return Content.assemble((cursor, "bold"), mark, label)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        label = self.label.cell_length
        return 2 + Content(self.MARKS[0]).cell_length + (label + 2 if label else 0)
