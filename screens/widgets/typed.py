"""For type checkers: a widget's `app` is the QinziApp, with its services, visit and `tr`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.tui import QinziApp


class OnQinzi:
    """Mixed in first: `class T(OnQinzi, Static)`. Adds nothing at run time."""

    if TYPE_CHECKING:

        @property
        def app(self) -> QinziApp: ...
