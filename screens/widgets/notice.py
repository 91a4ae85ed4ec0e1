"""What happened, said where the parent is looking and left there (issue 16): the end of a visit
for too many lookups, where to collect a printout, a cancelled application. A toast vanished
after a few seconds and covered the screen; a notice stays in the layout until the next one or
until the screen changes, and says its kind in words and a mark, not by colour alone."""

from __future__ import annotations

from typing import Literal

from screens.widgets.paragraph import Paragraph
from screens.widgets.typed import OnQinzi

Severity = Literal["information", "warning", "error"]
MARKS: dict[str, str] = {"information": "✓ ", "warning": "⚠ ", "error": "⚠ "}


class Notice(OnQinzi, Paragraph):
    DEFAULT_CSS = """
    Notice {
        display: none; height: auto; margin: 0 0 1 0; padding: 0 1;
        border-left: thick $success; background: $boost;
    }
    Notice.-shown { display: block; }
    Notice.-warning { border-left: thick $warning; }
    Notice.-error { border-left: thick $error; }
    """

    def say(self, text: str, severity: Severity = "information") -> None:
        self.update(MARKS[severity] + text if text else "")
        self.set_class(bool(text), "-shown")
        self.set_class(severity == "warning", "-warning")
        self.set_class(severity == "error", "-error")
        if text:
            self.call_after_refresh(self.scroll_visible)

    def clear(self) -> None:
        self.say("")
