"""The Textual application: themes, language, the kiosk session and its wipe, idle timeout and the
kiosk lock. The only app/ module that imports Textual; everything it shows comes from the services
it is given. Screens live in screens/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme

from app.errors import QinziError
from app.i18n import LANGUAGES, t
from app.resources import shipped
from app.services import Services
from app.services.accounts import ParentLogin
from app.services.kiosk import KioskSession
from app.services.outbox import OutboxView
from app.services.staff import StaffIdentity

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
    CSS_PATH = sorted(str(p) for p in shipped("styles").glob("*.tcss"))
    TITLE = "親子綁定"

    BINDINGS = [
        Binding("f2", "toggle_language", "中文/English", id="language", priority=True),
        Binding("f3", "toggle_theme", "label.key_theme", show=False, id="theme"),
        Binding("f4", "toggle_outbox", "label.key_outbox", id="outbox"),
        Binding("f10", "logout", "label.key_logout", id="logout"),
    ]

    lang: reactive[str] = reactive("zh-TW")
    outbox_shown: reactive[bool] = reactive(False)
    outbox_version: reactive[int] = reactive(0)

    def __init__(
        self,
        services: Services,
        *,
        kiosk: bool = False,
        role: str = "kiosk",
        demo_info: Any = None,
    ) -> None:
        """`role` "kiosk" starts at the parents' welcome screen, "review" at the staff login;
        `demo_info` (from the demo set-up) lists logins and students to try, shown on the
        welcome screen of a demo."""
        self.kiosk = kiosk
        self.demo_info = demo_info
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
        self.last_input: datetime = services.ctx.clock()
        self.outbox_messages: list[OutboxView] = []
        self.set_reactive(QinziApp.outbox_shown, settings.demo)
        self.set_reactive(QinziApp.lang, self.default_lang)

    # --- start -----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.title = t("label.app_title", self.lang)
        self.register_theme(QINZI_LIGHT)
        self.register_theme(QINZI_DARK)
        self.theme = "qinzi-dark"
        self.push_screen(self.welcome_screen())
        self.set_interval(1.0, self.tick)
        if self.services.settings.demo:
            self.refresh_outbox()

    def welcome_screen(self) -> Screen[Any]:
        if self.role == "review":
            from screens.review.login import StaffLoginScreen

            return StaffLoginScreen()
        from screens.welcome import WelcomeScreen

        return WelcomeScreen()

    def tr(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    def watch_lang(self, lang: str) -> None:
        self.title = t("label.app_title", lang)
        if self.session is not None:
            self.session.lang = lang
        self.refresh_bindings()

    # --- footer texts follow the language --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_outbox":
            return self.services.settings.demo  # R25: never offered in production
        if action == "logout":
            return self.logged_in or len(self.screen_stack) > 2
        return True

    # --- the kiosk session -----------------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        """Someone's data is on this screen: a kiosk session, a parent or a staff login."""
        return any(x is not None for x in (self.session, self.account, self.staff))

    def start_session(self, session: KioskSession) -> None:
        self.session = session
        session.lang = self.lang
        self.refresh_bindings()

    def wipe(self) -> None:
        """R22: forget everything typed and return to an empty welcome screen."""
        self.session = None
        self.staff = None
        self.account = None
        self.drafts.clear()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(self.welcome_screen())
        self.lang = self.default_lang
        self.last_input = self.services.ctx.clock()
        self.refresh_bindings()

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
            self.last_input = self.services.ctx.clock()
        await super().on_event(event)

    def idle_seconds(self) -> float:
        return (self.services.ctx.clock() - self.last_input).total_seconds()

    def tick(self) -> None:
        """Once a second: start the countdown after the idle limit (a kiosk, or any screen past
        the welcome one), refresh the outbox pane in demo mode."""
        from screens.widgets.idle import IdleCountdown

        settings = self.services.settings
        busy = self.logged_in or len(self.screen_stack) > 2
        limit = settings.staff_idle_seconds if self.role == "review" else settings.idle_seconds
        idle = busy and self.idle_seconds() >= limit
        if idle and not isinstance(self.screen, IdleCountdown):
            self.push_screen(IdleCountdown(), self._after_countdown)
        if settings.demo:
            self.refresh_outbox()

    def _after_countdown(self, stay: bool | None) -> None:
        if stay:
            self.last_input = self.services.ctx.clock()
        else:
            self.wipe()

    # --- outbox pane (demo only, R25) ------------------------------------------------------------

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


__all__ = ["QinziApp", "SystemCommand"]
