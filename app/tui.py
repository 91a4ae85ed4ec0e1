"""The Textual application: the terminal's two modes (the parents' kiosk, the staff's review
desk), themes, the language, the visit of the person at the terminal, the idle timer and the
kiosk lock (R22). The only app/ module that imports Textual.

It knows no screen: the flow (screens/flow.py), which the factory hands in, names each mode's
first screen, hears what every screen reports (a `FlowMessage`) and decides what comes next."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.markup import escape as escape_markup
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Input

from app.errors import QinziError
from app.i18n import DEFAULT_LANGUAGE, next_language, supported, t
from app.logs import end_logging, log, redact
from app.resources import shipped
from app.themes import PALETTES, Palette, next_palette, palette
from screens.widgets import whole_cells

if TYPE_CHECKING:  # the kiosk's first frame needs none of these modules (issue 7's start-up)
    from app.services import Services
    from app.services.accounts import ParentLogin
    from app.services.kiosk import KioskSession
    from app.services.outbox import OutboxView
    from app.services.staff import StaffIdentity

# R22: the only app actions a kiosk runs. Textual's others (toggle, pop_screen, push_screen,
# change_theme's palette, simulate_key, show_help_panel …) and any a new Textual adds are refused.
KIOSK_ACTIONS = frozenset({"toggle_language", "toggle_theme", "toggle_outbox", "logout", "quit",
                           "focus_next", "focus_previous"})  # fmt: skip


def textual_theme(colours: Palette) -> Theme:
    """A palette of app/themes.py as a Textual theme (issue 18: each one held to WCAG AA)."""
    return Theme(
        name=colours.name, dark=colours.dark, primary=colours.primary,
        secondary=colours.secondary, accent=colours.accent, warning=colours.warning,
        error=colours.error, success=colours.success, foreground=colours.foreground,
        background=colours.background, surface=colours.surface, panel=colours.panel,
        variables=colours.variables(),
    )  # fmt: skip


THEMES = tuple(textual_theme(p) for p in PALETTES)

# Issue 16: Textual's own widgets bring bindings described in English ("esc Dismiss menu" while a
# dropdown is open, in the Chinese kiosk); shown in the terminal's language instead. Textual 8.2.
TEXTUAL_WORDS = {
    "Dismiss menu": "label.keybar.dismiss_menu",
    "Show menu": "label.keybar.show_menu",
    "palette": "label.keybar.palette",
    "Quit": "label.keybar.quit",
}


class Visit:
    """What one person leaves on the terminal: the kiosk session (a verified contact and the
    students chosen), a parent's or a staff member's login, and the drafts of the forms they
    typed, by the name of the step. The flow replaces the whole visit when it ends (R36), so a
    screen or an answer that outlives it can only write into a visit nobody reads any more.
    A plain class: never printed (it holds personal data, R9) nor compared, and a dataclass
    cost half a millisecond of every start-up."""

    def __init__(self) -> None:
        self.session: KioskSession | None = None
        self.login: ParentLogin | None = None
        self.staff: StaffIdentity | None = None
        self.drafts: dict[str, dict[str, str]] = {}
        # One service call at a time moves the session on (screens/base.py, SESSION): two quick
        # clicks must not both start from the same session and lose a count (R8).
        self.session_lock = threading.Lock()

    def draft(self, name: str) -> dict[str, str]:
        return self.drafts.setdefault(name, {})

    @property
    def holds_data(self) -> bool:
        someone = any(x is not None for x in (self.session, self.login, self.staff))
        return someone or any(any(d.values()) for d in self.drafts.values())


class FlowMessage(Message):
    """What a screen reports for the flow: what the person did, never where to go next."""


class Flow(Protocol):
    """What the app asks of its flow (screens/flow.py)."""

    def attach(self, app: QinziApp) -> None: ...

    def modes(self) -> Mapping[str, Callable[[], Screen[Any]]]: ...

    def services_of(self, mode: str) -> tuple[str, ...]: ...

    def route(self, message: FlowMessage) -> None: ...

    def leave(self, notice: str | None = None) -> None: ...

    def idle(self) -> None: ...

    def ask_to_leave(self) -> None: ...


# A parent's steps need 42 columns (the welcome's buttons and the body's padding) beside the
# demo's outbox pane (36): at 80x24 both fit.
NARROW_WIDTH = 80
COLLECTOR_PAUSE = 0.25  # seconds after Ready: the first frame is written by then
TOAST_WIDTH, TOAST_GUTTER = 60, 4  # Textual 8.2's Toast: its width, its edge and padding


def focus_first(screen: Screen[Any], *, scroll_visible: bool = True) -> None:
    """Focus goes where the screen starts: the first focusable widget its AUTO_FOCUS names (the
    app's, "*", when it names none), as Textual chooses it for a screen that comes up."""
    selector = screen.AUTO_FOCUS if screen.AUTO_FOCUS is not None else screen.app.AUTO_FOCUS
    if selector:
        first = next((w for w in screen.query(selector) if w.focusable), None)
        if first is not None:
            screen.set_focus(first, scroll_visible=scroll_visible)


def terminal_of(app: App[Any]) -> int | None:
    """The terminal the app draws on and reads from, or None (a browser tab reads a pipe, a
    test runs headless)."""
    stream = sys.__stdin__
    if app.is_headless or stream is None:
        return None
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


class QinziApp(App[None]):
    # The welcome screen's styles; the other sheets come with the screens that use them
    # (KioskScreen.CSS_PATH), so the first frame parses a third of the CSS (issue 7).
    CSS_PATH = str(shipped("styles") / "app.tcss")
    TITLE = "親子綁定"
    # No mouse text selection: on a shared terminal it would copy one person's data to the
    # clipboard for the next to paste, and Textual 8.2 crashes on a click that starts a
    # selection at a widget being replaced (issue 9's monkey found it).
    ALLOW_SELECT = False

    BINDINGS = [
        Binding("f2", "toggle_language", "label.switch_language", id="language", priority=True),
        # Issue 18: shown, with the colours in use (key_text), so a parent can find them.
        Binding("f3", "toggle_theme", "label.key_theme", id="theme"),
        Binding("f4", "toggle_outbox", "label.key_outbox", id="outbox"),
        # Priority: F10 logs out from a dialog too (R22), where the app's other keys are off.
        Binding("f10", "logout", "label.key_logout", id="logout", priority=True),
    ]

    lang: reactive[str] = reactive(DEFAULT_LANGUAGE)
    outbox_shown: reactive[bool] = reactive(False)
    outbox_version: reactive[int] = reactive(0)
    demo_info: reactive[Any] = reactive(None, init=False)

    def __init__(
        self,
        services: Services,
        flow: Flow,
        *,
        mode: str = "kiosk",
        kiosk: bool = False,
        demo_info: Any = None,
        prepare: Callable[[], Any] | None = None,
        own_outbox: bool = False,
    ) -> None:
        """`mode` "kiosk" starts at the parents' welcome screen, "review" at the staff login; a
        `kiosk` offers no way out but the staff PIN (R22). `demo_info` (from the demo set-up)
        lists logins and students to try; `prepare` is the demo set-up itself, run in a thread
        behind the first frame (issue 7), whose result becomes `demo_info`."""
        self.kiosk = kiosk
        self.prepare = prepare
        # R45: a browser tab's demo outbox shows its own messages, never another tab's codes.
        self.own_outbox = own_outbox
        # Read once by App.__init__: the terminal opens in the mode it was started for.
        self.DEFAULT_MODE = mode
        # R22: no palette on a kiosk; issue 16: none for parents at all (its commands are
        # Textual's, in English); the staff terminal keeps it.
        self.ENABLE_COMMAND_PALETTE = not kiosk and mode != "kiosk"
        whole_cells.install()  # R44: no wide character blanked under a toast or a dropdown
        super().__init__()
        self.services = services
        self.flow = flow
        self.first_screens = dict(flow.modes())
        for name, first_screen in self.first_screens.items():
            if name != mode:  # the start mode's first screen: see get_default_screen
                self.add_mode(name, first_screen)
        flow.attach(self)
        settings = services.settings
        self.default_lang = supported(settings.language)
        self.visit = Visit()
        self.last_input: datetime = services.clock()
        self.outbox_messages: list[OutboxView] = []
        # Issue 18: a layout for a big font; the outbox would take half of its few columns.
        large = settings.display_large_text
        self.set_class(large, "-large-text", update=False)
        # The queue needs the terminal's width; F4 still shows the outbox in demo mode.
        self.outbox_by_default = settings.demo and mode == "kiosk" and not large
        self.set_reactive(QinziApp.outbox_shown, self.outbox_by_default)
        self.set_reactive(QinziApp.lang, self.default_lang)
        self.set_reactive(QinziApp.demo_info, demo_info)
        for theme in THEMES:
            self.register_theme(theme)
        # The kiosk's colours; F3 changes them for one visit, as F2 the language.
        self.default_theme = palette(settings.display_theme).name
        self.start_theme(palette(settings.display_theme))

    def start_theme(self, colours: Palette) -> None:
        """The configured theme from the start, set without the watcher, which would parse the
        whole stylesheet a second time before the first frame; the classes it would set are set
        here (F3 goes through the watcher)."""
        self.set_reactive(App.theme, colours.name)
        stale = [name for name in self.classes if name.startswith("-theme-")]
        self.remove_class(*stale, update=False)
        self.add_class(f"-theme-{colours.name}", update=False)
        self.set_class(colours.dark, "-dark-mode", update=False)
        self.set_class(not colours.dark, "-light-mode", update=False)
        self.stylesheet.set_variables(self.get_css_variables())

    # --- start -----------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        """The start mode's first screen, as the screen the app starts with (Textual's hook for
        it, asked for when the start mode, DEFAULT_MODE, is not in MODES: Textual 8.2, pinned),
        with its style sheets. Textual mounts and lays out a screen of MODES inside its start-up
        batch, where nothing is drawn: two layouts and a full render, thrown away, and the first
        frame waited for a third (about 35 ms). The app's first screen is laid out after the
        batch, once. The mode joins MODES when the app is mounted, so that switch_mode finds it
        (its stack is this screen's)."""
        screen = self.first_screens[self.current_mode]()
        for path in screen.css_path:  # what Textual does for a screen of MODES, public API
            if not self.stylesheet.has_source(str(path), ""):
                self.stylesheet.read(path)
        return screen

    def on_mount(self) -> None:
        self.add_mode(self.current_mode, self.first_screens[self.current_mode])
        self.title = t("label.app_title", self.lang)
        self.terminal_fd = terminal_of(self)
        self.set_interval(1.0, self.tick)
        self.set_interval(60.0, self.deliver_due)

    def watch_app_focus(self, focus: bool) -> None:
        """A screen that came up while the app had no focus (a browser tab before its page is
        focused: the first screen now comes up after Textual's start) was given none, and
        Textual gives back only what had focus before: the screen's first focus (AUTO_FOCUS,
        親子綁定 on the welcome screen) is given when the app gets it, so Enter works."""
        if focus and self.screen.focused is None:
            focus_first(self.screen, scroll_visible=False)

    def on_ready(self) -> None:
        """Textual's Ready: the first frame is on the screen."""
        self.behind_first_frame()
        if not gc.isenabled():
            self.set_timer(COLLECTOR_PAUSE, self.resume_collector)

    def resume_collector(self) -> None:
        """The garbage collector, paused for start-up by the command line (app/cli.py), runs
        again once the first frame has been written: one collection of what start-up left,
        then what survived (modules, styles, this screen) is set aside for good, so that later
        collections on this long-running terminal do not walk it again (gc.freeze)."""
        gc.enable()
        gc.collect()
        gc.freeze()

    @property
    def preparing(self) -> bool:
        return self.prepare is not None and self.demo_info is None

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def behind_first_frame(self) -> None:
        """The demo's set-up, then every service's import, after the first frame is drawn."""
        if self.prepare is not None:
            try:
                info = self.prepare()
            except QinziError as error:
                self.call_from_thread(
                    self.notify, error.message(self.lang), severity="error", timeout=30
                )
            else:
                self.call_from_thread(setattr, self, "demo_info", info)
        if self.services.settings.demo:
            self.call_from_thread(self.refresh_outbox)
        self.services.warm(self.flow.services_of(self.current_mode))

    # --- what screens report goes to the flow ---------------------------------------------------

    @on(FlowMessage)
    def to_flow(self, message: FlowMessage) -> None:
        message.stop()
        self.flow.route(message)

    def tr(self, key: str, **params: Any) -> str:
        """The message in the current language, ready for a widget that reads markup: the
        parameters are data (a name a parent typed, a teacher's reason), so markup in them is
        shown as typed and never runs an action (R22: `[@click=app.…]` in a name)."""
        return t(key, self.lang, **{k: escape_markup(v) if isinstance(v, str) else v
                                    for k, v in params.items()})  # fmt: skip

    def watch_lang(self, lang: str) -> None:
        self.title = t("label.app_title", lang)
        self.refresh_bindings()

    def watch_theme(self) -> None:
        self.refresh_bindings()  # F3's description names the colours in use

    def key_text(self, description: str) -> str:
        """What the key bar and Textual's keys panel show for a binding's description (which
        here is a catalog key): the text in the current language, F3's with the colours in
        use, and Textual's own English words translated (screens/widgets/keybar.py)."""
        key = TEXTUAL_WORDS.get(description, description)
        if key == "label.key_theme":
            colours = palette(self.theme)
            shown = self.tr(f"label.theme.{colours.setting}")
            return self.tr("label.theme.shown", theme=shown if colours.name == self.theme
                           else self.theme)  # fmt: skip
        return self.tr(key) if key.startswith("label.") else key

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.kiosk and action not in KIOSK_ACTIONS:
            return False  # R22: whatever asks (a key, a footer click, markup), nothing else runs
        if action == "toggle_outbox":
            return self.services.settings.demo  # R25: never offered in production
        if action == "logout":
            return self.busy
        return True

    # --- the person at the terminal --------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Something of someone's is on this terminal: their visit, a screen past the first, or
        a form half typed on the first (R22)."""
        if self.visit.holds_data or len(self.screen_stack) > 1:
            return True
        return any(i.value for i in self.screen.query(Input))

    def action_logout(self) -> None:
        self.flow.leave()

    # --- idle timeout (R22), on the injected clock so tests need no sleep ------------------------

    async def on_event(self, event: Any) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown |
                      events.MouseScrollUp | events.Paste):  # fmt: skip
            self.last_input = self.services.clock()
        if isinstance(event, events.InputEvent):
            await self._screen_mounted()
        await super().on_event(event)

    async def _screen_mounted(self) -> None:
        """Input waits (a few milliseconds) for a screen still being set up: a key or click
        that pops or wipes it half-mounted crashed the app (issue 9's monkey: 常見問題 and its
        back button, or F10, clicked in one burst)."""
        screen = self.screen
        for _ in range(400):  # two seconds at most, then the event goes on anyway
            if screen.is_mounted:
                return
            await asyncio.sleep(0.005)

    def idle_seconds(self) -> float:
        return (self.services.clock() - self.last_input).total_seconds()

    def tick(self) -> None:
        """Once a second: a terminal that went away ends the app; past the idle limit, with
        something of someone's on the terminal, the flow starts the countdown; in demo mode the
        outbox pane is refreshed."""
        if self.terminal_fd is not None and not os.isatty(self.terminal_fd):
            self.terminal_gone()
            return
        settings = self.services.settings
        staff = self.current_mode == "review"
        limit = settings.staff_idle_seconds if staff else settings.idle_seconds
        if self.idle_seconds() >= limit and self.busy:
            self.flow.idle()
        if settings.demo:
            self.refresh_outbox()

    # Exit status when the terminal went away: 128 + SIGHUP, as a shell reports a hang-up.
    EXIT_TERMINAL_GONE = 129
    terminal_fd: int | None = None  # the terminal; None in a browser tab or a test

    def terminal_gone(self) -> None:
        """The terminal hung up (a closed window, a dropped ssh session) without the hang-up
        signal reaching this process (`make run` under a closed window): Textual 8.2 kept
        polling the dead terminal and spun a core for good. The app leaves instead, and what
        was on the screen goes with it (R36). Not through Textual's exit: that restores the
        terminal through a writer thread which died at its first write to the gone terminal,
        and waited for it for good. The services are closed (what is queued for the directory
        is handed over, the database closed), the log says why, and the process ends at once,
        as the hang-up signal would have ended it, minus the closing."""
        log.warning("the terminal went away: exiting")
        self.terminal_fd = None
        self.services.close()
        end_logging(self.EXIT_TERMINAL_GONE)
        os._exit(self.EXIT_TERMINAL_GONE)

    # --- outbox pane (demo only, R25) ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="deliver", exit_on_error=False)
    def deliver_due(self) -> None:
        """Every terminal delivers, once a minute, what a crashed one or a mail outage left
        behind; the outbox's claim keeps two terminals from sending one message twice. The city
        directory's changes (R39) are retried the same way."""
        self.services.outbox.deliver_due()
        self.services.directory.deliver_due()

    @work(thread=True, exclusive=True, group="outbox", exit_on_error=False)
    def refresh_outbox(self) -> None:
        messages = self.services.outbox.recent(
            demo=self.services.settings.demo, limit=20, own_only=self.own_outbox
        )
        if [m.id for m in messages] != [m.id for m in self.outbox_messages]:
            self.call_from_thread(self._set_outbox, messages)

    def _set_outbox(self, messages: list[OutboxView]) -> None:
        self.outbox_messages = messages
        self.outbox_version += 1

    def action_toggle_outbox(self) -> None:
        if self.services.settings.demo:
            self.outbox_shown = not self.outbox_shown

    def on_resize(self, event: events.Resize) -> None:
        """Issue 18: on a terminal narrower than NARROW_WIDTH (a phone's browser) the outbox
        pane would leave the steps a few columns: the app is marked -narrow, the pane starts
        hidden there and F4 shows it over the whole width (OutboxPane's CSS). Widening the
        terminal again brings back the pane as it was at the start."""
        narrow = event.size.width < NARROW_WIDTH
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self.outbox_shown = self.outbox_by_default and not narrow

    # --- toasts (R44) -----------------------------------------------------------------------------

    def notify(
        self, message: str, *, title: str = "", severity: Any = "information",
        timeout: float | None = None, markup: bool = True,
    ) -> None:  # fmt: skip
        """A toast's text broken into lines by R44's breaker before Textual sees it: Textual's
        Toast (60 cells, at most half the screen, a cell of edge and one of padding each side)
        wraps only at spaces, so 第 8 / 條 and a lone 。 could start a line."""
        from rich.cells import cell_len

        from app.linebreak import line_spans

        width = min(TOAST_WIDTH, self.size.width // 2) - TOAST_GUTTER
        if width >= 8 and "\n" not in message:
            # Cut at each line's start, a break's space kept at the end of the line before it
            # (not drawn): without the cuts the text is the message as it was.
            starts = [start for start, _ in line_spans(message, width, cell_len)][1:]
            edges = [0, *starts, len(message)]
            message = "\n".join(message[a:b] for a, b in pairwise(edges))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # --- the database away (R41) -----------------------------------------------------------------

    # Exit status when the database stayed away too long: EX_TEMPFAIL, for the service manager
    # to start the terminal again (deploy/ units restart it always).
    EXIT_DATABASE_GONE = 75
    _db_waiting = 0  # service calls now waiting for the database

    def database_waiting(self, waiting: bool, disk_full: bool = False) -> None:
        """A service call found the database away (True) or got through again (False): the
        first says so on every screen and keeps what was typed — naming a full disk, which
        someone must see to — and the last says it is back."""
        before = self._db_waiting
        self._db_waiting = max(0, before + (1 if waiting else -1))
        if before == 0 and self._db_waiting:
            log.warning("waiting for the database%s", ": its disk is full" if disk_full else "")
            key = "label.db_disk_full" if disk_full else "label.db_waiting"
            self.notify(self.tr(key), severity="warning", timeout=24 * 3600)
        elif before and not self._db_waiting:
            log.info("the database is back")
            self.clear_notifications()
            self.notify(self.tr("label.db_back"), timeout=5)

    def give_up_on_database(self) -> None:
        """Waited `db_give_up_after_minutes`: leave with a status the service manager restarts."""
        minutes = self.services.settings.db_give_up_after_minutes
        log.error("the database stayed away for %s minutes: exiting to be restarted", minutes)
        self.exit(return_code=self.EXIT_DATABASE_GONE, message=self.tr("label.db_gone"))

    # --- language, theme -------------------------------------------------------------------------

    def action_toggle_language(self) -> None:
        self.lang = next_language(self.lang)

    def action_toggle_theme(self) -> None:
        """F3: dark → light → high contrast → dark, until the visit ends (screens/flow.py)."""
        self.theme = next_palette(self.theme).name

    # --- the kiosk lock (R22) --------------------------------------------------------------------

    async def action_quit(self) -> None:
        if self.kiosk:
            self.flow.ask_to_leave()
        else:
            self.exit()

    def action_help_quit(self) -> None:
        if not self.kiosk:
            super().action_help_quit()

    def action_suspend_process(self) -> None:
        if not self.kiosk:
            super().action_suspend_process()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        if not self.kiosk:
            super().action_screenshot(filename, path)

    def get_system_commands(self, screen: Screen[Any]):
        """Issue 18: the staff palette's commands in the terminal's language, only those a
        school office uses (screens/widgets/palette.py)."""
        if self.kiosk:
            return
        from screens.widgets.palette import staff_commands

        yield from staff_commands(self, screen)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        from screens.widgets.palette import command_palette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(command_palette(self))

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """A link (in the FAQ, the privacy statement) opens nothing on a kiosk: a text browser
        on the console would be a shell away."""
        if not self.kiosk:
            super().open_url(url, new_tab=new_tab)

    # --- a crash (R9) ----------------------------------------------------------------------------

    def _fatal_error(self) -> None:
        """Textual prints a crash with every local variable (an ID or a password being typed)
        to stderr, which a kiosk's unit sends to the journal. Textual 8.2 has no public hook for
        an unhandled error, so this one private method is overridden (the Textual range tested
        is pinned in pyproject.toml); what it does is public: the traceback, without locals, goes
        to the log file through its filter, and `panic` prints the same, redacted."""
        error = sys.exc_info()[1]
        log.error("the app stopped on an unexpected error", exc_info=error)
        self.bell()
        text = "".join(traceback.format_exception(error)) if error else "unexpected error"
        self.panic(Text(redact(text)))
