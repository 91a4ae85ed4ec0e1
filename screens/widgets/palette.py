"""The staff terminal's command palette in the terminal's language (R22: a kiosk has none, and
parents' screens have none either). Textual's own commands are English ("Quit", "Screenshot",
"Theme", "Maximize") and some are not for a school office: its theme picker lists Textual's
dozens of themes instead of our two, its key panel explains Textual's widgets in English, and
its screenshot writes whatever personal data is on the screen to a file. What stays: the
language and colour switches (F2, F3), maximizing the focused table or restoring it, and quit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from textual.app import SystemCommand
from textual.command import CommandPalette
from textual.screen import Screen


class StaffTerminal(Protocol):
    """What the palette needs of the app (app/tui.py, which imports this module when asked)."""

    tr: Callable[..., str]
    action_toggle_language: Callable[[], Any]
    action_toggle_theme: Callable[[], Any]
    action_quit: Callable[[], Any]


def staff_commands(app: StaffTerminal, screen: Screen) -> Iterator[SystemCommand]:
    tr = app.tr
    yield SystemCommand(
        tr("palette.language"), tr("palette.language_help"), app.action_toggle_language
    )
    yield SystemCommand(tr("palette.theme"), tr("palette.theme_help"), app.action_toggle_theme)
    if screen.maximized is not None:
        yield SystemCommand(
            tr("palette.minimize"), tr("palette.minimize_help"), screen.action_minimize
        )
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand(
            tr("palette.maximize"), tr("palette.maximize_help"), screen.action_maximize
        )
    yield SystemCommand(tr("palette.quit"), tr("palette.quit_help"), app.action_quit)


def command_palette(app: StaffTerminal) -> CommandPalette:
    """Textual's palette, its search field asking in the terminal's language."""
    return CommandPalette(id="--command-palette", placeholder=app.tr("palette.placeholder"))
