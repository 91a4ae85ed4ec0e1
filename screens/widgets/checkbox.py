"""A check box whose label follows the app's language and says its state in shapes (issue 18).
Not in i18n.py with T and TButton: the welcome screen's first frame then loads no Checkbox."""

from __future__ import annotations

from typing import Any

from textual.widgets import Checkbox

from screens.widgets.marks import Marked
from screens.widgets.typed import OnQinzi


class TCheckbox(OnQinzi, Marked, Checkbox):
    """A translated check box, ticked [✓] or not [ ] (issue 18)."""

    def __init__(self, key: str, *, id: str | None = None, **kw: Any):
        super().__init__("", id=id, **kw)
        self.key = key

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._render_text)

    def _render_text(self, lang: str | None = None) -> None:
        self.label = self.app.tr(self.key)
