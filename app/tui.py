"""The Textual application: themes, language, the kiosk session and its wipe, idle timeout and the
kiosk lock. The only app/ module that imports Textual; everything it shows comes from the services
it is given. Screens live in screens/."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.markup import escape as escape_markup
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme

from app.errors import QinziError
from app.i18n import LANGUAGES, t
from app.resources import shipped

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

# High-contrast themes for a kiosk screen in a bright office and a dim one.
QINZI_LIGHT = Theme(
    name="qinzi-light",
    primary="#0b5cad",
    secondary="#2e7d32",
    accent="#9a4a00",
    warning="#9a4a00",
    error="#b91c1c",
    success="#15803d",
    foreground="#111111",
    background="#fafafa",
    surface="#ffffff",
    panel="#dde6f0",
    dark=False,
)
QINZI_DARK = Theme(
    name="qinzi-dark",
    primary="#5fa8ff",
    secondary="#7bd389",
    accent="#ffb347",
    warning="#ffb347",
    error="#ff6b6b",
    success="#7bd389",
    foreground="#f2f2f2",
    background="#101418",
    surface="#182028",
    panel="#22303c",
    dark=True,
)


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
        Binding("f2", "toggle_language", "中文/English", id="language", priority=True),
        Binding("f3", "toggle_theme", "label.key_theme", show=False, id="theme"),
        Binding("f4", "toggle_outbox", "label.key_outbox", id="outbox"),
        # Priority: F10 logs out from a dialog too (R22), where the app's other keys are off.
        Binding("f10", "logout", "label.key_logout", id="logout", priority=True),
    ]

    lang: reactive[str] = reactive("zh-TW")
    outbox_shown: reactive[bool] = reactive(False)
    outbox_version: reactive[int] = reactive(0)
    demo_info: reactive[Any] = reactive(None, init=False)

    def __init__(
        self,
        services: Services,
        *,
        kiosk: bool = False,
        role: str = "kiosk",
        demo_info: Any = None,
        prepare: Callable[[], Any] | None = None,
    ) -> None:
        """`role` "kiosk" starts at the parents' welcome screen, "review" at the staff login;
        `demo_info` (from the demo set-up) lists logins and students to try, shown on the
        welcome screen of a demo. `prepare` is the demo set-up itself, run in a thread behind
        the first frame (issue 7: seeding and its Argon2 hashes take a second); its result
        becomes `demo_info`."""
        self.kiosk = kiosk
        self.prepare = prepare
        self.role = role
        # R22: a kiosk offers no way out but the staff PIN — no palette, no quit, no suspend.
        self.ENABLE_COMMAND_PALETTE = not kiosk
        super().__init__()
        self.services = services
        settings = services.settings
        self.default_lang = settings.language if settings.language in LANGUAGES else "zh-TW"
        self.session: KioskSession | None = None
        self.staff: StaffIdentity | None = None  # a logged-in teacher or IT person (review role)
        self.account: ParentLogin | None = None  # a logged-in parent (家長登入)
        self.drafts: dict[str, dict[str, str]] = {}
        self.generation = 0  # counts wipes: a worker's answer from before one is dropped
        self.last_input: datetime = services.clock()
        self.outbox_messages: list[OutboxView] = []
        self.set_reactive(QinziApp.outbox_shown, settings.demo)
        self.set_reactive(QinziApp.lang, self.default_lang)
        self.set_reactive(QinziApp.demo_info, demo_info)
        # Our dark theme from the start: set without the watcher, which would parse the whole
        # stylesheet a second time before the first frame (both themes are dark, so the
        # -dark-mode class Textual set is already right; F3 goes through the watcher).
        self.register_theme(QINZI_LIGHT)
        self.register_theme(QINZI_DARK)
        self.set_reactive(App.theme, QINZI_DARK.name)
        self.stylesheet.set_variables(self.get_css_variables())

    # --- start -----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.title = t("label.app_title", self.lang)
        self.push_screen(self.welcome_screen())
        self.set_interval(1.0, self.tick)
        self.set_interval(60.0, self.deliver_due)

    def on_ready(self) -> None:
        """Textual's Ready: the first frame is on the screen."""
        self.behind_first_frame()

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
        self.services.warm()

    def welcome_screen(self) -> Screen[Any]:
        if self.role == "review":
            from screens.review.login import StaffLoginScreen

            return StaffLoginScreen()
        from screens.welcome import WelcomeScreen

        return WelcomeScreen()

    def tr(self, key: str, **params: Any) -> str:
        """The message in the current language, ready for a widget that reads markup: the
        parameters are data (a name a parent typed, a teacher's reason), so markup in them is
        shown as typed and never runs an action (R22: `[@click=app.…]` in a name)."""
        return t(key, self.lang, **{k: escape_markup(v) if isinstance(v, str) else v
                                    for k, v in params.items()})  # fmt: skip

    def watch_lang(self, lang: str) -> None:
        self.title = t("label.app_title", lang)
        if self.session is not None:
            self.session = replace(self.session, lang=lang)  # frozen: a new one
        self.refresh_bindings()

    # --- footer texts follow the language --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.kiosk and action not in KIOSK_ACTIONS:
            return False  # R22: whatever asks (a key, a footer click, markup), nothing else runs
        if action == "toggle_outbox":
            return self.services.settings.demo  # R25: never offered in production
        if action == "logout":
            return self.busy
        return True

    # --- the kiosk session -----------------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        """Someone's data is on this screen: a kiosk session, a parent or a staff login."""
        return any(x is not None for x in (self.session, self.account, self.staff))

    @property
    def busy(self) -> bool:
        """Something of someone's is on this terminal: a session or a login, a draft kept for
        coming back, a screen past the first, or a form half typed on the first (R22)."""
        from textual.widgets import Input

        if self.logged_in or self.drafts or len(self.screen_stack) > 2:
            return True
        return len(self.screen_stack) > 1 and any(i.value for i in self.screen.query(Input))

    def start_session(self, session: KioskSession) -> None:
        self.session = session if session.lang == self.lang else replace(session, lang=self.lang)
        self.refresh_bindings()

    def wipe(self) -> None:
        """R22: forget everything typed and return to an empty welcome screen."""
        self.clear_notifications()  # a notice may name the parent or the student
        self.generation += 1
        self.session = None
        self.staff = None
        self.account = None
        self.drafts.clear()
        self._back_to_welcome()
        self.lang = self.default_lang
        self.last_input = self.services.clock()
        self.refresh_bindings()

    def _back_to_welcome(self) -> None:
        """Every screen off, a fresh first one on. A screen still being built (pushed by the
        same burst of clicks) is waited for: Textual crashes popping one half-mounted."""
        if not all(screen.is_mounted for screen in self.screen_stack):
            self.set_timer(0.01, self._back_to_welcome)
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(self.welcome_screen())

    def end_session(self, error: QinziError) -> None:
        """A rule ended the session (R8): wipe, then say why on the welcome screen."""
        message = error.message(self.lang)
        self.wipe()
        self.notify(message, severity="error", timeout=15)

    def action_logout(self) -> None:
        self.wipe()

    # --- idle timeout (R22), on the injected clock so tests need no sleep ------------------------

    async def on_event(self, event: Any) -> None:
        from textual import events

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
        import asyncio

        screen = self.screen
        for _ in range(400):  # two seconds at most, then the event goes on anyway
            if screen.is_mounted:
                return
            await asyncio.sleep(0.005)

    def idle_seconds(self) -> float:
        return (self.services.clock() - self.last_input).total_seconds()

    def tick(self) -> None:
        """Once a second: start the countdown after the idle limit while something of someone's
        is on the terminal (`busy`), refresh the outbox pane in demo mode."""
        from screens.widgets.idle import IdleCountdown

        settings = self.services.settings
        limit = settings.staff_idle_seconds if self.role == "review" else settings.idle_seconds
        idle = self.idle_seconds() >= limit and self.busy
        if idle and not isinstance(self.screen, IdleCountdown):
            self.push_screen(IdleCountdown(), self._after_countdown)
        if settings.demo:
            self.refresh_outbox()

    def _after_countdown(self, stay: bool | None) -> None:
        if stay:
            self.last_input = self.services.clock()
        else:
            self.wipe()

    # --- outbox pane (demo only, R25) ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="deliver", exit_on_error=False)
    def deliver_due(self) -> None:
        """Every terminal delivers, once a minute, what a crashed one or a mail outage left
        behind; the outbox's claim keeps two terminals from sending one message twice."""
        self.services.outbox.deliver_due()

    @work(thread=True, exclusive=True, group="outbox", exit_on_error=False)
    def refresh_outbox(self) -> None:
        messages = self.services.outbox.recent(demo=self.services.settings.demo, limit=20)
        if [m.id for m in messages] != [m.id for m in self.outbox_messages]:
            self.call_from_thread(self._set_outbox, messages)

    def _set_outbox(self, messages: list[OutboxView]) -> None:
        self.outbox_messages = messages
        self.outbox_version += 1

    def action_toggle_outbox(self) -> None:
        if self.services.settings.demo:
            self.outbox_shown = not self.outbox_shown

    # --- language, theme -------------------------------------------------------------------------

    def action_toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh-TW" else "zh-TW"

    def action_toggle_theme(self) -> None:
        self.theme = "qinzi-light" if self.theme == "qinzi-dark" else "qinzi-dark"

    # --- the kiosk lock (R22) --------------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self.kiosk:
            self.exit()
            return
        from screens.staff_pin import StaffPinScreen

        def leave(ok: bool | None) -> None:
            if ok:
                self.exit()

        if not isinstance(self.screen, StaffPinScreen):
            self.push_screen(StaffPinScreen(), leave)

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
        if self.kiosk:
            return
        yield from super().get_system_commands(screen)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """A link (in the FAQ, the privacy statement) opens nothing on a kiosk: a text browser
        on the console would be a shell away."""
        if not self.kiosk:
            super().open_url(url, new_tab=new_tab)

    # --- a crash (R9) ----------------------------------------------------------------------------

    def _fatal_error(self) -> None:
        """Textual prints a crash with every local variable (an ID or a password being typed)
        to stderr, which a kiosk's unit sends to the journal. Instead: the traceback, without
        locals, goes to the log file through its filter, and stderr gets the same, redacted."""
        import sys
        import traceback

        from rich.text import Text

        from app.logs import log, redact

        error = sys.exc_info()[1] or self._exception
        log.error("the app stopped on an unexpected error", exc_info=error)
        self.bell()
        self._exit_renderables.append(Text(redact("".join(traceback.format_exception(error)))))
        self._close_messages_no_wait()


__all__ = ["QinziApp", "SystemCommand"]
