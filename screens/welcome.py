"""The welcome screen (flow step 0). For now it proves the program starts on its database; the
parent flow, login, FAQ and the staff entry arrive with the kiosk issue."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from app.models import Application, School, Student


class WelcomeScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="welcome"):
            yield Static(id="welcome-title")
            yield Static(id="welcome-lead")
            yield Static(id="welcome-stats")
            yield Static(id="welcome-mode")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self.refresh_texts)

    def refresh_texts(self, lang: str) -> None:
        tr = self.app.tr
        self.query_one("#welcome-title", Static).update(tr("label.welcome_title"))
        self.query_one("#welcome-lead", Static).update(tr("label.welcome_lead"))
        self.query_one("#welcome-stats", Static).update(
            tr(
                "label.welcome_stats",
                schools=School.select().count(),
                students=Student.select().count(),
                applications=Application.select().count(),
            )
        )
        mode = "label.mode_demo" if self.app.services.settings.demo else "label.mode_production"
        self.query_one("#welcome-mode", Static).update(tr(mode))
