"""What every kiosk screen shares: the step bar, the scrolling body, the outbox pane, refusals
shown beside their field (R26), and service calls run in a thread worker so the screen never
freezes while the database or the mail relay is slow (STYLE habit 5)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input

from app.errors import QinziError, SessionEnded
from app.resources import shipped
from screens.widgets.field import Field
from screens.widgets.footer import TFooter
from screens.widgets.outbox_pane import OutboxPane
from screens.widgets.stepbar import StepBar

log = logging.getLogger("qinzi.ui")


class KioskScreen(Screen[Any]):
    """Subclasses give `compose_body`; `STEP` shows the step bar; `DRAFT` names the inputs whose
    values survive going back and forth (kept in the app until the session is wiped)."""

    CSS_PATH = [str(p) for p in sorted(shipped("styles").glob("*.tcss")) if p.name != "app.tcss"]
    STEP: int | None = None
    DRAFT: tuple[str, ...] = ()

    BINDINGS = [
        Binding("escape", "back", "label.key_back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        if self.STEP:
            yield StepBar(self.STEP)
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        yield OutboxPane()
        yield TFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.generation = self.app.generation  # the app's wipe count when this screen opened
        drafts = self.app.drafts.get(type(self).__name__, {})
        for name in self.DRAFT:
            if name in drafts:
                self.query_one(f"#{name}", Input).value = drafts[name]

    def on_input_changed(self, event: Input.Changed) -> None:
        """Keep the draft as the parent types, so going back and forth loses nothing; but not
        on a screen a wipe took away, where keys still on their way would bring a draft back
        for the next parent (R22)."""
        if event.input.id in self.DRAFT and self.generation == self.app.generation:
            self.app.drafts.setdefault(type(self).__name__, {})[event.input.id] = event.value

    # --- refusals ------------------------------------------------------------------------------

    def fields(self) -> dict[str, Field]:
        return {f.field_name: f for f in self.query(Field)}

    def clear_errors(self) -> None:
        for field in self.query(Field):
            field.show(None)

    def show_error(self, error: QinziError) -> None:
        """Beside its field when the screen has it, else as a notice; never clears an input."""
        if isinstance(error, SessionEnded):
            self.app.end_session(error)
            return
        field = self.fields().get(error.field or "")
        if field is not None:
            field.show(error)
            field.scroll_visible()
        else:
            self.notify(error.message(self.app.lang), severity="error", timeout=8)

    # --- service calls -------------------------------------------------------------------------

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[QinziError], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """Run `fn` in a thread; hand its result to `done` (or its refusal to `failed`, by default
        shown beside the field) back on the UI thread — unless the terminal was wiped meanwhile:
        an answer for someone who logged out must not bring them back (R22)."""
        app = self.app
        generation = app.generation

        def deliver(callback: Callable[[Any], Any], value: Any) -> Any:
            if app.generation == generation:
                return callback(value)  # a coroutine is awaited by call_from_thread
            return None

        def refused(error: QinziError) -> None:
            if error.session is not None:  # what the attempt cost (R8) outlives the refusal
                app.session = error.session
            (failed or self.show_error)(error)

        def job() -> None:
            try:
                result = fn(*args, **kwargs)
            except QinziError as error:
                app.call_from_thread(deliver, refused, error)
            except Exception:  # the parent sees a plain message; the log keeps the detail
                log.exception("service call %s failed", getattr(fn, "__name__", fn))
                app.call_from_thread(deliver, self.show_error, QinziError("errors.generic"))
            else:
                if done is not None:
                    app.call_from_thread(deliver, done, result)

        # Never exclusive: a new call must not cancel a write still waiting to run.
        self.run_worker(job, thread=True, group="service", exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return len(self.app.screen_stack) > 2
        return True

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.leave()

    def leave(self) -> None:
        """Back to the screen below, if this one is still on top. A click of a burst, or a
        worker's answer, can reach a screen a wipe already took away (or one under a dialog);
        popping then would take the screen on top instead: the fresh welcome screen, half
        built, which crashed the kiosk (issue 9's monkey)."""
        if self.is_active:
            self.app.pop_screen()

    def replace_with(self, screen: Screen[Any]) -> None:
        """This screen gives way to `screen`, on the same terms as `leave`."""
        if self.is_active:
            self.app.switch_screen(screen)
