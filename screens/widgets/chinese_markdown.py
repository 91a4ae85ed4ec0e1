"""R44 for Markdown (the privacy statement, the FAQ): its paragraphs wrap as `Paragraph` does.
A module of its own, imported by the screens that show Markdown: Textual's Markdown widget takes
long to import, and no screen before the first frame needs it (issue 13, start-up)."""

from __future__ import annotations

from textual.widgets import Markdown

from screens.widgets.paragraph import WrapsChinese


class ChineseMarkdown(Markdown):
    """Markdown whose paragraphs (list items' included) wrap by R44: the privacy statement broke
    依個人資料保護法第 8 / 條 at 80 columns. Textual 8.2 names its paragraph class only in a
    private module, so the one it gives is extended here."""

    _paragraph: type | None = None

    def get_block_class(self, block_name: str):  # type: ignore[no-untyped-def]
        block = super().get_block_class(block_name)
        if block_name != "paragraph_open":
            return block
        if ChineseMarkdown._paragraph is None:
            ChineseMarkdown._paragraph = type("ChineseParagraph", (WrapsChinese, block), {})
        return ChineseMarkdown._paragraph
