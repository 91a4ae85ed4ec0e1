"""E-mail or mobile: the choice that step 1, 忘記密碼 and a contact change all begin with."""

from __future__ import annotations

from textual.widgets import RadioButton, RadioSet

from app.models import Channel
from screens.widgets.typed import OnQinzi


class ChannelPicker(OnQinzi, RadioSet):
    """Two radio buttons, `<prefix>-email` (chosen at first) and `<prefix>-sms`, labelled in the
    current language; `.channel` is the Channel chosen."""

    def __init__(self, prefix: str, *, id: str) -> None:
        super().__init__(
            RadioButton("", id=f"{prefix}-email", value=True),
            RadioButton("", id=f"{prefix}-sms"),
            id=id,
        )

    def on_mount(self) -> None:
        self.watch(self.app, "lang", self._relabel)

    def _relabel(self, lang: str) -> None:
        email, sms = self.query(RadioButton)
        email.label = self.app.tr("label.channel_email")
        sms.label = self.app.tr("label.channel_sms_phone")

    @property
    def channel(self) -> str:
        pressed = self.pressed_button
        sms = pressed is not None and (pressed.id or "").endswith("-sms")
        return Channel.SMS if sms else Channel.EMAIL
