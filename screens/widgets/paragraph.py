"""R44 on screen: wrapped text breaks where a Chinese reader expects (`app.linebreak`).

Textual 8.2 wraps a text only at spaces and folds what is left, so "依個人資料保護法第 8" ended
a line with "條" on the next, and a lone "。" could start one. `Broken` lays a text out with the
R44 breaker for the width it is given and lets Textual draw the lines as they are; a widget
shows its text this way by mixing in `WrapsChinese` (the translated `T` does). Markdown that
wraps the same way is in `chinese_markdown`, apart: Textual's Markdown takes long to import,
and the welcome screen, which every start waits for, has none."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import Static

from app.linebreak import line_spans, wrap


class Broken(Visual):
    """A text whose lines break by R44 at whatever width it is drawn."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._lines: tuple[int, Content] | None = None

    def __str__(self) -> str:
        return str(self.content)

    def lines_at(self, width: int) -> Content:
        """The text with a "\\n" at each R44 break for `width` cells."""
        if self._lines is not None and self._lines[0] == width:
            return self._lines[1]
        plain = self.content.plain
        pieces: list[Content] = []
        offset = 0
        for paragraph in plain.split("\n"):
            for start, end in line_spans(paragraph, max(width, 2), cell_len):
                pieces.append(self.content[offset + start:offset + end])
            offset += len(paragraph) + 1
        broken = Content("\n").join(pieces)
        self._lines = (width, broken)
        return broken

    def _laid_out(self, rules: RulesMap, width: int) -> Content:
        if rules.get("text_wrap", "wrap") == "nowrap":
            return self.content
        return self.lines_at(width - rules.get("line_pad", 0) * 2)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self._laid_out(options.rules, width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        """The widest piece no line may break inside (a word, a number with its measure)."""
        plain = self.content.plain
        pieces = wrap(plain, 1, cell_len) if plain.strip() else [""]
        return max(map(cell_len, pieces)) + rules.get("line_pad", 0) * 2

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._laid_out(rules, width).get_height(rules, width)


class WrapsChinese:
    """Mix into a Static: its text wraps by R44."""

    def render(self):  # type: ignore[no-untyped-def]
        visual = super().render()  # type: ignore[misc]
        if not isinstance(visual, Content):
            return visual
        cached = getattr(self, "_broken", None)
        if cached is None or cached.content is not visual:
            cached = self._broken = Broken(visual)
        return cached


class Paragraph(WrapsChinese, Static):
    """A Static whose text wraps by R44: use it for any text that may take more than a line."""

