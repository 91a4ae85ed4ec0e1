"""E-mail addresses and mobile numbers as the services keep them (R11), and the verified contact
that is a kiosk session's identity (flow step 1)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from app.errors import InvalidInput
from app.identity import mask_contact, normalize_mobile
from app.keys import Keyring
from app.models import Channel


def normalize_email(raw: str, *, field: str = "email") -> str:
    """Syntax only (no network: deliverability off); the whole address lower-cased, since it is a
    login that people type in any case. Full-width letters and ＠ (a Chinese input method's
    default) become their ASCII forms first (NFKC, as for IDs, R7), so ＷＡＮＧ２＠example.com
    and wang2@example.com are one login."""
    from email_validator import EmailNotValidError, validate_email  # 20 ms: not at start-up

    value = unicodedata.normalize("NFKC", raw or "").strip()
    if not value:
        raise InvalidInput("errors.contact.email_empty", field=field)
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput("errors.contact.email_invalid", field=field, detail=str(exc)) from exc
    return result.normalized.lower()


def normalize_phone(raw: str, *, field: str = "mobile") -> str:
    """09XXXXXXXX → +8869XXXXXXXX."""
    if not (raw or "").strip():
        raise InvalidInput("errors.contact.mobile_empty", field=field)
    value = normalize_mobile(raw)
    if value is None:
        raise InvalidInput("errors.contact.mobile_invalid", field=field)
    return value


_PHONE_LIKE = re.compile(r"[0-9+()\- ]+")


def channel_of(raw: str) -> str:
    """Issue 16: one field for "e-mail or mobile" — the channel follows what is typed: an @ is an
    e-mail address, digits (with + - ( ) or spaces) a mobile number; "" while it is neither."""
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if "@" in value:
        return Channel.EMAIL
    if value and _PHONE_LIKE.fullmatch(value):
        return Channel.SMS
    return ""


def normalize_contact(channel: str, raw: str, *, field: str = "contact") -> str:
    if channel == Channel.EMAIL:
        return normalize_email(raw, field=field)
    if channel == Channel.SMS:
        return normalize_phone(raw, field=field)
    empty = not (raw or "").strip()
    raise InvalidInput("errors.contact.either_empty" if empty else "errors.contact.either",
                       field=field)  # fmt: skip


def contact_digest(keyring: Keyring, value: str) -> str:
    """Codes, failures and applications find a contact by this keyed digest."""
    return keyring.digest("contact", value)


@dataclass(frozen=True)
class VerifiedContact:
    """A contact proven by a one-time code: who the kiosk session is."""

    channel: str
    value: str
    digest: str
    verified_at: datetime

    @property
    def masked(self) -> str:
        return mask_contact(self.value)
