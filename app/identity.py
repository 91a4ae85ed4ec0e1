"""Taiwanese ID numbers, masking and lookup digests (SPEC R7, R9, R23).

Three kinds are accepted, each checked by its checksum before any lookup:
- national ID: a letter, 1 or 2, then 8 digits (A123456789);
- old resident certificate: a letter, a letter A–D, then 8 digits (AA00000009);
- new resident certificate (since 2021): a letter, 8 or 9, then 8 digits (A800000014).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the keyring (and hashlib) loads behind the first frame (issue 13)
    from app.keys import Keyring

# Letter codes of the first (region) letter, as the checksum uses them.
LETTER_CODES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)
OLD_RESIDENT_SECOND = "ABCD"

_SHAPE = re.compile(r"^[A-Z][A-Z0-9]\d{8}$")


class IdKind(StrEnum):
    NATIONAL = "national"
    RESIDENT_OLD = "resident_old"
    RESIDENT_NEW = "resident_new"


class IdCheck(NamedTuple):  # not a frozen dataclass: a tenth of the cost at import
    """The verdict on one typed ID: its normalised form, its kind, or why it is not valid.
    `reason` is a catalog key suffix under `errors.id.` (empty, format, checksum)."""

    normalized: str
    kind: IdKind | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.kind is not None


def normalize_id(value: str) -> str:
    """Upper case, full-width forms folded (Ａ１２３ → A123), spaces and dashes dropped. Folded
    again once they are gone, since a dropped space may have kept a combining mark apart from its
    letter (A´ → A + space + ◌́ → Á), so that the result normalises to itself."""
    folded = unicodedata.normalize("NFKC", value or "").upper()
    kept = "".join(
        ch for ch in folded if not ch.isspace() and unicodedata.category(ch) not in {"Pd", "Cf"}
    )
    return unicodedata.normalize("NFKC", kept)


def _checksum_ok(first: str, second_value: int, digits: str) -> bool:
    code = LETTER_CODES[first]
    total = code // 10 + (code % 10) * 9 + second_value * WEIGHTS[0]
    total += sum(int(d) * w for d, w in zip(digits, WEIGHTS[1:], strict=True))
    return total % 10 == 0


def check_id(value: str) -> IdCheck:
    """Normalise and validate; the richer form of `is_valid_tw_id`."""
    norm = normalize_id(value)
    if not norm:
        return IdCheck(norm, None, "empty")
    if not _SHAPE.match(norm) or norm[0] not in LETTER_CODES:
        return IdCheck(norm, None, "format")
    first, second, digits = norm[0], norm[1], norm[2:]
    if second in "12":
        kind, second_value = IdKind.NATIONAL, int(second)
    elif second in "89":
        kind, second_value = IdKind.RESIDENT_NEW, int(second)
    elif second in OLD_RESIDENT_SECOND:
        kind, second_value = IdKind.RESIDENT_OLD, LETTER_CODES[second] % 10
    else:
        return IdCheck(norm, None, "format")
    if not _checksum_ok(first, second_value, digits[:8]):
        return IdCheck(norm, None, "checksum")
    return IdCheck(norm, kind, None)


def is_valid_tw_id(value: str) -> bool:
    return check_id(value).ok


def id_digest(keyring: Keyring, normalized_id: str) -> str:
    """The keyed HMAC under which an ID is stored and looked up (R23)."""
    return keyring.digest("national-id", normalized_id)


# --- masking (R9) -----------------------------------------------------------------------------


def mask_id(normalized_id: str) -> str:
    """A123456789 → A123******: the last six are the default password, so they never show."""
    return normalized_id[:4] + "*" * max(len(normalized_id) - 4, 0)


def mask_name(name: str) -> str:
    """吳三寶 → 吳*寶, 陳明 → 陳*, 歐陽娜娜 → 歐**娜, Mary Chen → M*** C***."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1 or 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(email: str) -> str:
    """cooc123@gmail.com → co***@gmail.com."""
    local, _, domain = (email or "").partition("@")
    if not domain:
        return "***"
    return (local[:2] if len(local) > 2 else local[:1]) + "***@" + domain


def mask_mobile(mobile: str) -> str:
    """+886912345678 or 0912345678 → 0912***678."""
    local = national_mobile(mobile)
    if len(local) < 7:
        return "***"
    return local[:4] + "***" + local[-3:]


def mask_contact(contact: str) -> str:
    return mask_email(contact) if "@" in contact else mask_mobile(contact)


# --- mobile numbers (R11) -----------------------------------------------------------------------

_MOBILE = re.compile(r"^09\d{8}$")


def normalize_mobile(value: str) -> str | None:
    """09XXXXXXXX (or +886 9XXXXXXXX, full-width, with spaces or dashes) → +8869XXXXXXXX."""
    digits = "".join(
        ch for ch in unicodedata.normalize("NFKC", value or "") if ch.isdigit() or ch == "+"
    )
    if digits.startswith("+886"):
        digits = "0" + digits[4:]
    elif digits.startswith("886") and len(digits) == 12:
        digits = "0" + digits[3:]
    if not _MOBILE.match(digits):
        return None
    return "+886" + digits[1:]


def national_mobile(e164: str) -> str:
    """+8869XXXXXXXX → 09XXXXXXXX, for display."""
    return "0" + e164[4:] if e164.startswith("+886") else e164


def with_check_digit(prefix: str) -> str:
    """Complete a 9-character prefix (letter, second character, 7 digits) with its check digit;
    used to make fictional, checksum-valid numbers for demo and synthetic rosters."""
    prefix = prefix.upper()
    first, second, digits = prefix[0], prefix[1], prefix[2:9]
    second_value = int(second) if second.isdigit() else LETTER_CODES[second] % 10
    code = LETTER_CODES[first]
    total = code // 10 + (code % 10) * 9 + second_value * WEIGHTS[0]
    total += sum(int(d) * w for d, w in zip(digits, WEIGHTS[1:8], strict=True))
    return prefix[:9] + str((10 - total % 10) % 10)
