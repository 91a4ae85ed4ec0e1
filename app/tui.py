"""The Textual application: themes, language and the screens. The only app/ module that imports
Textual; everything it shows comes from the services it is given."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.theme import Theme

from app.i18n import LANGUAGES, t
from app.resources import shipped
from app.services import Services

# High-contrast themes for a kiosk screen in a bright office and a dim one.
QINZI_LIGHT = Theme(
    name="qinzi-light",
    primary="#0b5cad",
    secondary="#2e7d32",
    accent="#b45309",
    warning="#b45309",
    error="#b91c1c",
    success="#15803d",
    foreground="#111111",
    background="#fafafa",
    surface="#ffffff",
    panel="#e8eef5",
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
    CSS_PATH = str(shipped("styles") / "app.tcss")
    TITLE = "親子綁定"

    BINDINGS = [
        Binding("f2", "toggle_language", "中文/English", id="language"),
        Binding("f3", "toggle_theme", "Theme", show=False, id="theme"),
    ]

    lang: reactive[str] = reactive("zh-TW")

    def __init__(self, services: Services, *, kiosk: bool = False) -> None:
        super().__init__()
        self.services = services
        self.kiosk = kiosk
        self.lang = (
            services.settings.language if services.settings.language in LANGUAGES else "zh-TW"
        )

    def on_mount(self) -> None:
        self.register_theme(QINZI_LIGHT)
        self.register_theme(QINZI_DARK)
        self.theme = "qinzi-dark"
        from screens.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen())

    def tr(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def watch_lang(self, lang: str) -> None:
        self.title = t("label.app_title", lang)

    def action_toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh-TW" else "zh-TW"

    def action_toggle_theme(self) -> None:
        self.theme = "qinzi-light" if self.theme == "qinzi-dark" else "qinzi-dark"
