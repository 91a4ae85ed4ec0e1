"""The simulated outbox (demo mode only, R25): the SMS and e-mails the program sent, newest first,
with the recipient masked. A production kiosk never shows it. It takes no focus (issue 16: Tab
stopped on it with nothing to show for it); the mouse wheel still scrolls it. On a narrow
terminal (issue 18: a phone) it starts hidden and, shown with F4, covers the whole width. Its
colours are theme variables, read when it is drawn, so it follows F3 (issue 18)."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from app.clock import to_local
from screens.widgets.paragraph import Paragraph
from screens.widgets.typed import OnQinzi


class OutboxPane(OnQinzi, VerticalScroll, can_focus=False):
    SCOPED_CSS = False  # for the App.-narrow rule; every rule here names OutboxPane
    DEFAULT_CSS = """
    OutboxPane {
        dock: right; width: 36; height: 100%; display: none;
        border-left: thick $accent; background: $surface; padding: 1 1 0 1;  /* row 0: the header */
    }
    OutboxPane.-shown { display: block; }
    App.-narrow OutboxPane { width: 100%; }
    OutboxPane > Static { margin-bottom: 1; }
    OutboxPane > .outbox-title { text-style: bold; color: $accent; }
    """

    def __init__(self) -> None:
        super().__init__()
        # Composed shown or hidden as it will be: shown by a class set at mount, the pane was
        # styled and the screen laid out again before the first frame (issue 13: start-up).
        self.set_class(self._shown(self.app.outbox_shown), "-shown", update=False)

    def compose(self):
        yield Static("", classes="outbox-title")
        yield Paragraph("", id="outbox-list")

    def on_mount(self) -> None:
        self.watch(self.app, "outbox_shown", self._show)
        self.watch(self.app, "outbox_version", lambda _: self.render_messages(), init=False)
        self.watch(self.app, "lang", lambda _: self.render_messages())  # the first one too

    def _shown(self, shown: bool) -> bool:
        return shown and self.app.services.settings.demo

    def _show(self, shown: bool) -> None:
        self.set_class(self._shown(shown), "-shown")

    def render_messages(self) -> None:
        tr = self.app.tr
        self.query_one(".outbox-title", Static).update(tr("label.outbox_title"))
        parts: list[str | tuple[str, str]] = []
        messages = self.app.outbox_messages
        if not messages:
            parts.append((tr("label.outbox_empty"), "$text-muted"))
        for m in messages:
            channel = tr("label.channel_sms" if m.channel == "sms" else "label.channel_email")
            parts.append((f"{channel} → {m.recipient_masked}\n", "bold"))
            parts.append((f"{to_local(m.created_at):%H:%M:%S}  {m.subject}\n", "$text-muted"))
            parts.append((m.body or "").strip() + "\n\n")
        self.query_one("#outbox-list", Static).update(Content.assemble(*parts))
