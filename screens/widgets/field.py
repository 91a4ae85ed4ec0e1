"""A form field: its label, the input, and the line beside it where a refusal is explained in the
parent's language (R26). The input keeps its value whatever the message says."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from app.errors import QinziError
from screens.widgets.i18n import T
from screens.widgets.paragraph import Paragraph
from screens.widgets.typed import OnQinzi


class Field(OnQinzi, Vertical):
    """`Field("contact", "label.contact_value", Input(id="contact"))`: errors whose `field` is
    "contact" show here."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > .field-label { text-style: bold; }
    Field > .field-error { color: $error; display: none; }
    Field.-invalid > .field-error { display: block; }
    Field.-invalid > Input { border: tall $error; }
    Field > .field-hint { color: $text-muted; }
    """

    def __init__(
        self,
        name: str,
        label_key: str,
        *widgets: Widget,
        hint_key: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id or f"field-{name}")
        self.field_name = name
        self.label_key = label_key
        self.hint_key = hint_key
        self.widgets = widgets
        self.error: QinziError | None = None

    @dataclass
    class Refused(Message):
        """A refusal is shown here: a widget around the field may change what it says."""

        field: Field
        error: QinziError

        @property
        def control(self) -> Field:
            return self.field

    def compose(self) -> ComposeResult:
        yield T(self.label_key, classes="field-label")
        yield from self.widgets
        if self.hint_key:
            yield T(self.hint_key, classes="field-hint")
        yield Paragraph("", classes="field-error")

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._render_error)

    def show(self, error: QinziError | None) -> None:
        self.error = error
        self.set_class(error is not None, "-invalid")
        self._render_error()
        if error is not None:
            self.post_message(self.Refused(self, error))

    def _render_error(self, lang: str | None = None) -> None:
        # Through app.tr: a refusal may quote what was typed, which must not be read as markup.
        text = self.app.tr(self.error.key, **self.error.params) if self.error else ""
        self.query_one(".field-error", Static).update(text)
