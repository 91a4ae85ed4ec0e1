"""What every screen shares: the typed app and what it holds (services, the visit), the place
the flow gave it, drafts that survive going back and forth, refusals shown beside their field
(R26), service calls in thread workers whose answers never reach the next person (R36), and the
kiosk frame (step bar, scrolling body, outbox pane, keys)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, OptionList, Select

from app.errors import QinziError, SessionEnded
from app.resources import shipped
from app.tui import FlowMessage, Visit
from screens.widgets.field import Field
from screens.widgets.keybar import KeyBar, KeysInLanguage
from screens.widgets.notice import Notice, Severity
from screens.widgets.outbox_pane import OutboxPane
from screens.widgets.stepbar import StepBar

if TYPE_CHECKING:
    from app.config import Settings
    from app.services import Services
    from app.services.accounts import ParentLogin
    from app.services.kiosk import KioskSession
    from app.services.staff import StaffIdentity
    from app.tui import QinziApp

DATABASE_RETRY_SECONDS = 2.0  # R41: how often a call waiting for the database tries again
log = logging.getLogger("qinzi.ui")
ResultT = TypeVar("ResultT")


class _CurrentSession:
    """Stands for the visit's kiosk session among a `call`'s arguments (see `SESSION`)."""

    def __repr__(self) -> str:
        return "SESSION"


# `self.call(service.step, SESSION, …)`: the service gets the session current when the call runs,
# in the language on the screen then, one such call at a time, and the session it answers with
# (or its refusal carries, R8's count) becomes the visit's before the next such call starts.
SESSION = _CurrentSession()


# A NamedTuple, not a frozen dataclass: a tenth of the cost at import, before the first frame.
class Place(NamedTuple):
    """Where the flow put a screen: its route's name (which names its draft), its number among
    the wizard's steps and their labels (the step bar), and whether Esc goes back."""

    name: str
    step: int | None = None
    steps: tuple[str, ...] = ()
    back: bool = True


# --- what every screen may report ------------------------------------------------------------


@dataclass
class SessionOver(FlowMessage):
    """A rule ended the session (R8): everything goes, and the notice says why."""

    notice: str


class LogOut(FlowMessage):
    """The person is done: 登出, 不同意並退出."""


class BackAtStart(FlowMessage):
    """The first screen of the mode (welcome, staff login) is on the terminal again."""


# --- the screen ------------------------------------------------------------------------------


class QinziScreen(KeysInLanguage, Screen[ResultT]):
    """A screen of Qinzi. `DRAFT` names the inputs whose values are kept in the visit's draft
    of this place while the person types, so that going back and forth loses nothing."""

    DRAFT: tuple[str, ...] = ()
    BINDINGS = [Binding("escape", "back", "label.key_back", id="back")]

    if TYPE_CHECKING:

        @property
        def app(self) -> QinziApp: ...

    def __init__(self, place: Place) -> None:
        super().__init__()
        self.place = place
        self._visit: Visit | None = None

    # --- what the app holds, typed ----------------------------------------------------------------

    @property
    def services(self) -> Services:
        return self.app.services

    @property
    def settings(self) -> Settings:
        return self.app.services.settings

    @property
    def visit(self) -> Visit:
        """The visit this screen was opened in: a key or an answer that reaches it after the
        visit ended can only touch that old visit. The mode's first screen outlives every
        visit, and belongs to the current one."""
        if self._visit is None or self.app.screen_stack[:1] == [self]:
            return self.app.visit
        return self._visit

    @property
    def session(self) -> KioskSession | None:
        return self.visit.session

    @property
    def login(self) -> ParentLogin | None:
        return self.visit.login

    @property
    def staff(self) -> StaffIdentity | None:
        return self.visit.staff

    @property
    def draft(self) -> dict[str, str]:
        return self.visit.draft(self.place.name)

    def tr(self, key: str, **params: Any) -> str:
        return self.app.tr(key, **params)

    # --- drafts ---------------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Screens set themselves up in `setup`, never in their own on_mount: Textual calls the
        on_mount of every class in the line, the subclass's first, and the draft must be back
        before a screen looks at its inputs."""
        self._visit = self.app.visit
        for name, value in self.visit.drafts.get(self.place.name, {}).items():
            if name in self.DRAFT:
                self.query_one(f"#{name}", Input).value = value
        self.setup()

    def setup(self) -> None:
        """Once mounted, with the draft back in its inputs."""

    _shown = False  # until the screen's first ScreenResume

    @on(events.ScreenResume)
    def styled_when_mounted(self, event: events.ScreenResume) -> None:
        """A screen's first ScreenResume comes just after each of its widgets was styled as it
        was mounted, and Textual would style the whole screen once more (about 9 ms for the
        welcome screen before the first frame, as much at every step). Not that first time;
        when the screen comes back (from a step, a dialog, a theme change) Textual decides."""
        if not self._shown:
            self._shown = True
            event.refresh_styles = False

    @on(events.ScreenResume)
    def back_at_start(self) -> None:
        """Whatever route led here (Esc, 登出, idle, an error, …), the flow hears of it (R36)."""
        if self.app.screen_stack[:1] == [self]:
            self.post_message(BackAtStart())

    @on(Input.Changed)
    def keep_draft(self, event: Input.Changed) -> None:
        if event.input.id in self.DRAFT:
            self.draft[event.input.id] = event.value

    # --- refusals ---------------------------------------------------------------------------------

    def fields(self) -> dict[str, Field]:
        return {f.field_name: f for f in self.query(Field)}

    def clear_errors(self) -> None:
        for field in self.query(Field):
            field.show(None)

    def show_error(self, error: QinziError) -> None:
        """Beside its field when the screen has it, else as a notice; never clears an input."""
        if isinstance(error, SessionEnded):
            self.post_message(SessionOver(error.message(self.app.lang)))
            return
        fields = self.fields()
        shown = False
        for each in (error, *error.also):  # R26: every field's refusal at once
            field = fields.get(each.field or "")
            if field is not None:
                field.show(each)
                if not shown:
                    field.scroll_visible()
                    self._focus_refused(field)
                shown = True
            else:
                self.notify(each.message(self.app.lang), severity="error", timeout=8)

    def _focus_refused(self, field: Field) -> None:
        """Issue 16: after a refusal, focus goes to the field to fix — unless the person is
        typing in a field already (focus never moves under their fingers)."""
        if isinstance(self.focused, Input):  # Qinzi has no TextArea (its import is 6 ms)
            return
        inputs = [i for i in field.query(Input) if i.display and not i.disabled]
        if inputs:
            inputs[0].focus()

    # --- service calls ----------------------------------------------------------------------------

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], Any] | None = None,
        failed: Callable[[QinziError], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Run `fn` in a thread; hand its result to `done` (or its refusal to `failed`, by default
        shown beside the field) back on the UI thread. Services never change a kiosk session:
        given `SESSION`, the call is one of the visit's steps (see SESSION), the one place where
        the session moves on. Nothing is delivered once the visit ended or this screen left the
        terminal: an answer for someone who left must not bring them back, nor reach the next
        person (R36)."""
        app, visit = self.app, self.app.visit
        steps_session = any(arg is SESSION for arg in args)

        def deliver(callback: Callable[[Any], Any] | None, value: Any) -> Any:
            if app.visit is not visit or self not in app.screen_stack:
                return None
            return callback(value) if callback is not None else None  # a coroutine is awaited

        def run() -> Any:
            if not steps_session:
                return fn(*args, **kwargs)
            with visit.session_lock:
                current = visit.session
                if current is not None and current.lang != app.lang:
                    current = replace(current, lang=app.lang)
                try:
                    answer = fn(*(current if a is SESSION else a for a in args), **kwargs)
                except QinziError as error:
                    visit.session = error.session or visit.session
                    raise
                # The next session itself, or a SessionAnswer that carries it.
                visit.session = getattr(answer, "session", answer)
                return answer

        def job() -> None:
            waited_since: float | None = None
            give_up = app.services.settings.db_give_up_after_minutes * 60
            while True:
                try:
                    result = run()
                except QinziError as error:
                    app.call_from_thread(deliver, failed or self.show_error, error)
                except Exception as exc:
                    from app.backend import disk_full, unavailable  # not before the first frame

                    if unavailable(exc):  # R41: wait for it, keeping what was typed
                        if waited_since is None:
                            waited_since = time.monotonic()
                            app.call_from_thread(app.database_waiting, True, disk_full(exc))
                        if time.monotonic() - waited_since >= give_up:
                            app.call_from_thread(app.give_up_on_database)
                            return
                        time.sleep(DATABASE_RETRY_SECONDS)
                        continue
                    # The person sees a plain message; the log keeps the detail.
                    log.exception("service call %s failed", getattr(fn, "__name__", fn))
                    app.call_from_thread(deliver, self.show_error, QinziError("errors.generic"))
                else:
                    app.call_from_thread(deliver, done, result)
                if waited_since is not None:
                    app.call_from_thread(app.database_waiting, False)
                return

        # Never exclusive: a new call must not cancel a write still waiting to run.
        self.run_worker(job, thread=True, group="service", exit_on_error=False)

    # --- going back -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.place.back and len(self.app.screen_stack) > 1
        return True

    def action_back(self) -> None:
        if self.check_action("back", ()):
            self.leave()

    def leave(self, result: ResultT | None = None) -> None:
        """Off the terminal, back to the screen below, if this one is still on top. A click of a
        burst, or a worker's answer, can reach a screen already taken away (or one under a
        dialog); dismissing it then would take the screen on top instead: the fresh first
        screen, half built, which crashed the kiosk (issue 9's monkey)."""
        if self.is_active:
            self.dismiss(result)

    def enter_moves_on(
        self, order: Sequence[str], event: Input.Submitted, submit: Callable[[], Any]
    ) -> None:
        """Enter in a form of several fields: on to the next field of `order`, and from the
        last one, `submit`."""
        event.stop()
        index = list(order).index(event.input.id or order[-1])
        if index < len(order) - 1:
            self.query_one(f"#{order[index + 1]}").focus()
        else:
            submit()

    def say(self, text: str, severity: Severity = "information") -> None:
        """A lasting notice (issue 16) where the screen has one, else a toast."""
        notices = self.query(Notice)
        if notices:
            notices.first().say(text, severity)
        elif text:
            self.notify(text, severity=severity, timeout=15)

    def tell(self, message: FlowMessage) -> None:
        """Report to the flow, if this screen is still on the terminal."""
        if self in self.app.screen_stack:
            self.post_message(message)


class Body(VerticalScroll, can_focus=False):
    """The scrolling body of a screen. It takes no focus itself (its keys still scroll it):
    focus goes straight to the screen's first field, and the whole body is not restyled twice
    as focus passes through it on the way."""


class KioskScreen(QinziScreen[None]):
    """A parent's screen: subclasses give `compose_body`; the flow's place gives the step bar."""

    CSS_PATH = [str(p) for p in sorted(shipped("styles").glob("*.tcss")) if p.name != "app.tcss"]

    def compose(self) -> ComposeResult:
        # Issue 18: the icon opens the staff's command palette; parents have none, so no icon
        # (Textual's ⭘ is in neither of the browser page's fonts, and drew as a blank there).
        if self.place.step:
            yield StepBar(self.place.step, self.place.steps)
        with Body(id="body"):
            yield Notice(id="notice")
            yield from self.compose_body()
        yield OutboxPane()
        # After the pane, so drawn over its top row: the title, centred on the whole width,
        # stays whole beside the demo outbox (issue 18: "Link a parent to" in English).
        yield Header(icon="≡" if self.app.ENABLE_COMMAND_PALETTE else " ")
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @on(events.DescendantFocus)
    def keep_field_label_in_view(self, event: events.DescendantFocus) -> None:
        """Issue 18: a field's label comes into view with its input. Textual scrolls only as far
        as the input, so at a big font's 60x20 cells Tab back to the first field showed a box
        without its name."""
        field = next((a for a in event.widget.ancestors if isinstance(a, Field)), None)
        if field is not None:
            self.call_after_refresh(self._show_field, field, event.widget)

    def _show_field(self, field: Field, widget: Widget) -> None:
        body = self.query_one("#body")
        label = field.children[0] if field.children else None
        if self.focused is not widget or label is None:
            return
        if not body.region.contains_region(label.region):
            field.scroll_visible(animate=False, immediate=True)

    def on_key(self, event: events.Key) -> None:
        """Issue 16: a letter or digit typed while a button, a choice or a pane has focus (a
        parent pressed Tab first) goes into the screen's text field, never nowhere. Widgets that
        take typing themselves (fields, lists searched by typing) keep it."""
        if self._typed_into_closed_list(event):
            return
        if isinstance(self.focused, Input | OptionList):
            return
        if isinstance(self.focused, Select) and self.focused.expanded:
            return
        if not event.is_printable or not event.character or event.character.isspace():
            return
        target = self.typing_target()
        if target is None:
            return
        event.stop()
        event.prevent_default()
        # Focus would select what the field holds, and the next key would replace it all.
        target.select_on_focus = False
        target.focus()
        target.insert_text_at_cursor(event.character)

    def _typed_into_closed_list(self, event: events.Key) -> bool:
        """Issue 16: typing on a closed list (the school) opens it and searches with that key,
        instead of Enter first. On a list of Chinese entries a Latin letter, a digit or a colon
        is an ID or a scanner's burst (QZCLASS:…) and goes to the text field instead.

        Issue 18: a list that shows Latin names (the English school list) is searched by a
        lower-case letter too. Capitals, digits and punctuation still go to the text field: a
        scanner types capitals (QZCLASS:…, an ID as printed) and its burst must reach the field
        whole, while a person searching types lower case (the search ignores case). The price:
        a capital typed to search lands in the ID field, and an ID typed in lower case on the
        open list is taken as a search."""
        select = self.focused
        if not isinstance(select, Select) or select.expanded:
            return False
        if not event.is_printable or not event.character or event.character.isspace():
            return False
        character = event.character
        if character.isascii() and not (character.islower() and self.lists_latin(select)):
            return False
        event.stop()
        event.prevent_default()
        select.expanded = True
        overlay = select.query_one("SelectOverlay")  # its type-to-search takes the key
        overlay.post_message(events.Key(event.key, event.character))
        return True

    def lists_latin(self, select: Select) -> bool:
        """Whether `select` shows names a parent finds by typing Latin letters (issue 18)."""
        return False

    def typing_target(self) -> Input | None:
        """The text field typing belongs to: the screen's first one (AUTO_FOCUS) if shown,
        else the first field shown and enabled."""
        shown = [i for i in self.query(Input) if i.display and not i.disabled and i.region]
        first = self.AUTO_FOCUS.lstrip("#") if self.AUTO_FOCUS else ""
        return next((i for i in shown if i.id == first), shown[0] if shown else None)
