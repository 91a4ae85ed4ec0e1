"""The keys the screen answers to, at the bottom: each key and what it does in the current
language, on as many rows as they need (at most three), so that no key is cut off at 80
columns and no wide character is split between rows. A click on a key presses it.

Textual's Footer cannot translate a binding's description nor wrap, and changing either needs
its private FooterKey; this bar reads the public `Screen.active_bindings` instead, which every
Qinzi screen gives in its language (`KeysInLanguage`), as it does to Textual's own keys panel."""

from __future__ import annotations

from dataclasses import replace

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import ActiveBinding
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

from screens.widgets.typed import OnQinzi

MAX_ROWS = 3


class KeysInLanguage(OnQinzi):
    """Mixed into every screen and dialog (before Screen): the bindings' descriptions, catalog
    keys in the code, read in the current language (QinziApp.key_text) wherever they are shown —
    the key bar, and Textual's keys panel on the staff desk, which showed `label.key_theme`
    (issue 18). A language or theme change calls `refresh_bindings`, which redraws both."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        text = self.app.key_text
        return {
            key: active._replace(binding=replace(active.binding,
                                                 description=text(active.binding.description)))
            for key, active in super().active_bindings.items()  # type: ignore[misc]
        }  # fmt: skip


class KeyBar(OnQinzi, Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom; height: auto; max-height: 3; width: 100%;
        background: $footer-background; color: $footer-foreground;
    }
    KeyBar > .keybar--key { color: $footer-key-foreground; text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground; }
    KeyBar > .keybar--disabled { text-style: dim; }
    """
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}

    def __init__(self) -> None:
        super().__init__()
        self._spots: list[tuple[int, int, int, str]] = []  # row, first column, end column, key
        self._keys: list[tuple[str, str, str, bool]] | None = None  # until the bindings change

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.watch(self.app, "lang", lambda _: self._bindings_changed(self.screen))

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self._keys = None
            self.refresh(layout=True)

    def keys(self) -> list[tuple[str, str, str, bool]]:
        """(key, what is shown for it, its description, enabled) for each key to show; read
        from the screen's bindings once per change, not at every frame."""
        if self._keys is None:
            self._keys = self._read_keys()
        return self._keys

    def _read_keys(self) -> list[tuple[str, str, str, bool]]:
        shown = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show:
                continue
            shown.append((binding.key, self.app.get_key_display(binding), binding.description,
                          active.enabled))  # fmt: skip
        return shown

    def _rows(self, width: int) -> list[list[tuple[str, str, str, bool]]]:
        """The keys laid out in rows of `width` cells; a key never breaks across rows."""
        rows: list[list[tuple[str, str, str, bool]]] = [[]]
        used = 0
        for item in self.keys():
            need = cell_len(item[1]) + cell_len(item[2]) + 4  # " key description " and a gap
            if rows[-1] and used + need - 1 > width and len(rows) < MAX_ROWS:
                rows.append([])
                used = 0
            rows[-1].append(item)
            used += need
        return rows

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows(width or self.app.size.width))

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        dim = self.get_component_rich_style("keybar--disabled")
        out = Text(no_wrap=True, overflow="crop")
        self._spots = []
        for y, row in enumerate(self._rows(self.size.width)):
            if y:
                out.append("\n")
            x = 0
            for key, display, description, enabled in row:
                start = x
                out.append(f" {display} ", key_style + (dim if not enabled else key_style))
                out.append(f"{description} ", text_style + (dim if not enabled else text_style))
                x += cell_len(display) + cell_len(description) + 3
                self._spots.append((y, start, x, key))
                out.append(" ")
                x += 1
        return out

    def on_click(self, event: events.Click) -> None:
        for y, start, end, key in self._spots:
            if event.y == y and start <= event.x < end:
                self.app.simulate_key(key)
                return
