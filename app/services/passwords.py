"""The password policy of R20 and the Argon2id helpers the account service shares with staff.

The policy follows NIST SP 800-63B rather than composition rules: a minimum length, no known
password, nothing a stranger could guess from the login or the ID number, and never the default
of R19. Passwords are NFKC-normalised before hashing, so digits typed full-width with a Chinese
input method open the same account as ASCII digits."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from app.errors import InvalidInput, RuleRefused
from app.identity import check_id, id_digest
from app.keys import Keyring

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from app.config import Settings

MIN_LENGTH = 8
MAX_LENGTH = 128  # long passphrases are welcome; unbounded input only costs hashing time
ID_LENGTH = 10
DEFAULT_LENGTH = 6  # the seed's default: the last six characters of the ID number
MIN_LOCAL_PART = 4  # shorter local parts ("li@…") would refuse too many honest passwords
MAX_DEFAULT_PROBES = 8  # Argon2 verifications spent looking for the default inside a password
FIELD = "new_password"


def argon2_hasher(settings: Settings) -> PasswordHasher:
    """Argon2id with the deployment's parameters (R20, OWASP's minimum or more), for passwords
    and the staff PIN alike; Argon2 is loaded only when the first one is hashed or checked (R45:
    a kiosk at rest loads none)."""
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=settings.argon2_time_cost,
                          memory_cost=settings.argon2_memory_kib,
                          parallelism=settings.argon2_parallelism, type=Type.ID)  # fmt: skip


def normalize_password(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw or "")


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords, loaded once per process."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def verify_hash(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError  # with the hasher (R45)

    if not stored:
        return False
    try:
        return hasher.verify(stored, normalize_password(password))
    except (VerificationError, InvalidHashError):
        return False


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(normalize_password(password))


def check_entries_match(new: str, new_again: str) -> None:
    """The two entries of a new password; checked first, before any rule, so the parent fixes a
    typo rather than a rule they did not break."""
    if not new:
        raise InvalidInput("errors.password.empty", field=FIELD)
    if normalize_password(new) != normalize_password(new_again):
        raise InvalidInput("errors.password.mismatch", field="new_password_again")


def check_common_rules(new: str, login_email: str) -> None:
    """The rules that hold for parents and staff alike."""
    password = normalize_password(new)
    if len(password) < MIN_LENGTH:
        raise RuleRefused("errors.password.too_short", field=FIELD, minimum=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise RuleRefused("errors.password.too_long", field=FIELD, maximum=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords():
        raise RuleRefused("errors.password.common", field=FIELD)
    email = (login_email or "").lower()
    local = email.partition("@")[0]
    if email and (email in lowered or (len(local) >= MIN_LOCAL_PART and local in lowered)):
        raise RuleRefused("errors.password.contains_login", field=FIELD)


def contains_id(new: str, keyring: Keyring, digest: str) -> bool:
    """The ID number is not stored, only its keyed digest: every 10-character window of the
    password that is itself a valid ID is hashed and compared."""
    upper = normalize_password(new).upper()
    for start in range(len(upper) - ID_LENGTH + 1):
        window = upper[start : start + ID_LENGTH]
        checked = check_id(window)
        if checked.ok and id_digest(keyring, checked.normalized) == digest:
            return True
    return False


def default_probes(new: str) -> list[str]:
    """The candidates for "is or contains the default": the whole password, then each distinct
    run of six digits (the last six characters of every accepted ID kind are digits)."""
    password = normalize_password(new)
    probes = [password]
    for start in range(len(password) - DEFAULT_LENGTH + 1):
        window = password[start : start + DEFAULT_LENGTH]
        if window.isascii() and window.isdigit() and window not in probes:
            probes.append(window)
    return probes


def check_not_default(new: str, hasher: PasswordHasher, initial_hashes: Iterable[str]) -> None:
    """R19: the default can never be kept, nor hidden inside a longer password. Only its hash
    exists, so candidates are verified against it, at a bounded number of Argon2 runs."""
    hashes = [h for h in dict.fromkeys(initial_hashes) if h]
    if not hashes:
        return
    probes = default_probes(new)
    budget = MAX_DEFAULT_PROBES
    for index, probe in enumerate(probes):
        for stored in hashes:
            if budget <= 0:
                return
            budget -= 1
            if verify_hash(hasher, stored, probe):
                key = "errors.password.is_default" if index == 0 else "errors.password.has_default"
                raise RuleRefused(key, field=FIELD)
