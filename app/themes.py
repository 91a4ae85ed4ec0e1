"""The kiosk's colours (issue 18): three palettes a school can choose (`[display] theme`), as
plain data, and the WCAG 2.2 arithmetic that holds them to AA. app/tui.py makes Textual themes of
them; this module imports no Textual, so the palettes can be checked and listed anywhere.

Each palette names, beside Textual's base colours, the three a form needs to be seen at all:
`muted` (hints and placeholders: text, so 4.5:1), `edge` (the outline of an input, a button, a
list of choices: 3:1 against the page, WCAG 1.4.11) and `focus` (where the keyboard is: 3:1, and a
different shape too, since focus and edge may be close in lightness)."""

from __future__ import annotations

from dataclasses import dataclass

# WCAG 2.2 AA: 1.4.3 for text, 1.4.11 for the edges of controls and the focus indicator.
TEXT_CONTRAST = 4.5
EDGE_CONTRAST = 3.0


@dataclass(frozen=True, eq=False, repr=False)  # three of them, compared by identity or name
class Palette:
    setting: str  # the config value: [display] theme = "dark"
    dark: bool
    background: str  # the page
    foreground: str  # text
    surface: str  # inside inputs, buttons, lists, the outbox pane
    panel: str  # the header, the step bar, the key bar
    primary: str
    secondary: str
    accent: str
    warning: str
    error: str
    success: str
    muted: str  # hints, placeholders, the outbox's times
    edge: str  # the outline of a control without focus
    focus: str  # the outline and fill of the control with focus
    on_focus: str  # text on the focus fill
    on_colour: str  # text on a coloured button (primary, success, warning, error)

    @property
    def name(self) -> str:
        """The Textual theme's name: qinzi-dark, qinzi-light, qinzi-high-contrast."""
        return "qinzi-" + self.setting.replace("_", "-")

    def variables(self) -> dict[str, str]:
        """Textual's own variables set from the palette: every stock widget (Input, Button,
        RadioSet, Select, OptionList, DataTable …) draws its edge with $border-blurred, its focus
        with $border and its cursor with $block-cursor-*, so no widget is left with Textual's
        derived colours (a 1.1:1 edge, a 38 % placeholder)."""
        return {
            "text-muted": self.muted,
            "foreground-muted": self.muted,
            "border-blurred": self.edge,
            "border": self.focus,
            "block-cursor-background": self.focus,
            "block-cursor-foreground": self.on_focus,
            "block-cursor-text-style": "bold",
            "button-focus-text-style": "bold",
            "button-foreground": self.foreground,
            "button-color-foreground": self.on_colour,
            "footer-background": self.panel,
            "footer-foreground": self.foreground,
            "footer-description-foreground": self.foreground,
            "footer-key-foreground": self.accent,
            "scrollbar": self.edge,
            "scrollbar-hover": self.muted,
            "scrollbar-active": self.focus,
            "scrollbar-background": self.background,
            "scrollbar-background-hover": self.background,
            "scrollbar-background-active": self.background,
            "scrollbar-corner-color": self.background,
            "input-cursor-background": self.foreground,
            "input-cursor-foreground": self.background,
        }


DARK = Palette(
    setting="dark", dark=True,
    background="#101418", foreground="#f2f2f2", surface="#182028", panel="#2a2f36",
    primary="#5fa8ff", secondary="#7bd389", accent="#ffb347", warning="#ffb347",
    error="#ff6b6b", success="#7bd389",
    muted="#b4bcc4", edge="#8a96a3", focus="#ffd75f", on_focus="#101418", on_colour="#000000",
)  # fmt: skip
LIGHT = Palette(
    setting="light", dark=False,
    background="#fafafa", foreground="#111111", surface="#ffffff", panel="#e6ecf2",
    primary="#0b5cad", secondary="#2e7d32", accent="#9a4a00", warning="#9a4a00",
    error="#b91c1c", success="#15803d",
    muted="#4a5560", edge="#66727f", focus="#9a4a00", on_focus="#ffffff", on_colour="#ffffff",
)  # fmt: skip
# For low vision and glare: black and white, the focus in yellow, nothing in between.
HIGH_CONTRAST = Palette(
    setting="high_contrast", dark=True,
    background="#000000", foreground="#ffffff", surface="#000000", panel="#1f1f1f",
    primary="#66ccff", secondary="#66ff99", accent="#ffff00", warning="#ffcc00",
    error="#ff7070", success="#66ff99",
    muted="#e0e0e0", edge="#ffffff", focus="#ffff00", on_focus="#000000", on_colour="#000000",
)  # fmt: skip

PALETTES: tuple[Palette, ...] = (DARK, LIGHT, HIGH_CONTRAST)  # F3's order
THEME_SETTINGS: tuple[str, ...] = tuple(p.setting for p in PALETTES)


def palette(setting_or_name: str) -> Palette:
    """The palette of a config value ("dark") or a theme name ("qinzi-dark"); dark by default."""
    for p in PALETTES:
        if setting_or_name in (p.setting, p.name):
            return p
    return DARK


def next_palette(name: str) -> Palette:
    """The palette F3 goes to from the theme `name`."""
    index = PALETTES.index(palette(name))
    return PALETTES[(index + 1) % len(PALETTES)]


# --- WCAG 2.2 -------------------------------------------------------------------------------


def _rgb(colour: str | tuple[int, int, int]) -> tuple[int, int, int]:
    if isinstance(colour, tuple):
        return colour
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def luminance(colour: str | tuple[int, int, int]) -> float:
    """WCAG's relative luminance of an sRGB colour ("#rrggbb" or (r, g, b))."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str | tuple[int, int, int], b: str | tuple[int, int, int]) -> float:
    """WCAG's contrast ratio of two colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
