"""Application numbers (R31): QZ-7K3M-9PXA.

Eight characters of Crockford base32 (no I, L, O, U) give 32**8 ≈ 10**12 numbers, so guessing one
that belongs to someone else is hopeless and a collision (retried on insert, the column is unique)
is rare. The alphabet leaves out the letters people confuse with digits, and `parse_number` folds
them back, so a number read aloud, typed from paper or typed by a USB QR scanner still finds its
application."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable

from peewee import Database, IntegrityError, Model

from app.errors import Conflict

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "QZ"
BODY_LENGTH = 8
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = frozenset(" -_.·・‐‑‒–—―")


def format_number(body: str) -> str:
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def new_number() -> str:
    """A fresh random number; the caller retries if the database already holds it."""
    return format_number("".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH)))


def parse_number(raw: str | None) -> str | None:
    """The canonical number for what a person or a scanner typed, or None when it cannot be one.

    Accepts lower case, spaces, missing or extra dashes, full-width characters from a Chinese input
    method, the prefix left out, and O/I/L typed for 0/1."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    compact = "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)
    if len(compact) == BODY_LENGTH + len(PREFIX) and compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    body = compact.translate(_LOOK_ALIKES)
    if len(body) != BODY_LENGTH or any(ch not in ALPHABET for ch in body):
        return None
    return format_number(body)


NUMBER_ATTEMPTS = 8


def insert_numbered(db: Database, build: Callable[[str], Model]) -> Model:
    """Save `build(new_number())`, drawing a new number while the drawn one is already taken.
    Each attempt runs in a savepoint, so a collision does not abort the caller's transaction on
    PostgreSQL. An IntegrityError from any other constraint is the caller's to interpret."""
    for _ in range(NUMBER_ATTEMPTS):
        row = build(new_number())
        model = type(row)
        try:
            with db.atomic():
                row.save(force_insert=True)
            return row
        except IntegrityError:
            if not model.select().where(model.number == row.number).exists():
                raise
    raise Conflict("errors.application.no_free_number")
