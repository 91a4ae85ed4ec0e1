"""Widgets whose text follows the app's language: give them a catalog key, not a string, and a
language switch mid-flow re-renders every label without touching what the parent typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Button, Static

from screens.widgets.paragraph import WrapsChinese
from screens.widgets.typed import OnQinzi


def relationship_text(tr: Callable[..., str], code: str, note: str | None) -> str:
    """父親, or 其他（姑姑） with the parent's own words (issue 16: the note was dropped)."""
    relationship = tr(f"relationship.{code}")
    if not note:
        return relationship
    return tr("format.relationship_with_note", relationship=relationship, note=note)


class T(OnQinzi, WrapsChinese, Static):
    """A translated text: `T("label.welcome_title")`."""

    def __init__(self, key: str, *, id: str | None = None, classes: str = "", **params: Any):
        super().__init__("", id=id, classes=classes)
        self.key = key
        self.params = params

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._render_text)

    def _render_text(self, lang: str | None = None) -> None:
        self.update(self.app.tr(self.key, **self.params))

    def set(self, key: str, **params: Any) -> None:
        self.key, self.params = key, params
        if self.is_mounted:
            self._render_text()


class TButton(OnQinzi, Button):
    """A translated button: `TButton("label.get_code", id="get-code", variant="primary")`.
    Without `tab_stop` it is for the pointer only: Enter in the field beside it does the same,
    and Tab does not stop on it on the way to the next field (issue 16: fewer keys)."""

    def __init__(self, key: str, *, id: str | None = None, variant: str = "default",
                 tab_stop: bool = True, **kw: Any):  # fmt: skip
        super().__init__("", id=id, variant=variant, **kw)
        self.key = key
        self.can_focus = tab_stop

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._render_text)

    def _render_text(self, lang: str | None = None) -> None:
        # Textual's Button repaints a new label in the width the old one was given: after F2 on
        # the login page, "Forgot password" showed as "Forgot" in the box of 忘記密碼 until
        # something else laid the screen out. A new label is laid out again, as Static.update is.
        self.label = self.app.tr(self.key)
        self.refresh(layout=True)
