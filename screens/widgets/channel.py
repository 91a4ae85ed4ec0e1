"""E-mail or mobile: the choice that step 1, 忘記密碼 and a contact change all begin with."""

from __future__ import annotations

from textual.widgets import RadioButton, RadioSet

from app.models import Channel
from screens.widgets.typed import OnQinzi


class ChannelPicker(OnQinzi, RadioSet):
    """Two radio buttons, `<prefix>-email` (chosen at first) and `<prefix>-sms`, labelled in the
    current language; `.channel` is the Channel chosen. Without `sms` (R38: no gateway on a
    production terminal) there is no mobile button and nothing to choose: the picker hides."""

    def __init__(self, prefix: str, *, id: str, sms: bool = True) -> None:
        buttons = [RadioButton("", id=f"{prefix}-email", value=True)]
        if sms:
            buttons.append(RadioButton("", id=f"{prefix}-sms"))
        super().__init__(*buttons, id=id)
        self.display = sms

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._relabel)

    def _relabel(self, lang: str) -> None:
        labels = ("label.channel_email", "label.channel_sms_phone")
        for button, key in zip(self.query(RadioButton), labels, strict=False):
            button.label = self.app.tr(key)

    @property
    def channel(self) -> str:
        pressed = self.pressed_button
        sms = pressed is not None and (pressed.id or "").endswith("-sms")
        return Channel.SMS if sms else Channel.EMAIL
