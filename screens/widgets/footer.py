"""The footer of key bindings, with descriptions from the catalog (a binding's description is a
catalog key such as "label.key_back"), so it follows the language switch."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class TFooter(Footer):
    def compose(self):
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description.startswith("label."):
                widget.description = self.app.tr(widget.description)
            yield widget
