"""The secret key that never enters the database: keyed HMACs for lookups (R23) and the sealing
of outbox bodies that carry a code or an initial password (R9).

The key is QINZI_SECRET when set (for several hosts sharing one PostgreSQL database), else the file
`secret.key` in the data folder, created on first run with mode 0600. Losing it makes every stored
ID digest unmatchable: back it up with the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any

from app.errors import ConfigError

KEY_FILE = "secret.key"
MIN_SECRET_CHARS = 32


def load_or_create_key(data_dir: Path, env_secret: str | None = None) -> bytes:
    if env_secret:
        if len(env_secret) < MIN_SECRET_CHARS:
            raise ConfigError("errors.config.short_secret", minimum=MIN_SECRET_CHARS)
        return hashlib.sha256(env_secret.encode()).digest()
    path = Path(data_dir) / KEY_FILE
    if path.exists():
        try:
            key = bytes.fromhex(path.read_bytes().decode("ascii").strip())
        except ValueError as exc:  # not hexadecimal, or not even text: damaged
            raise ConfigError("errors.config.bad_key_file", path=str(path)) from exc
        if len(key) != 32:
            raise ConfigError("errors.config.bad_key_file", path=str(path))
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def key_present(data_dir: Path, env_secret: str | None = None) -> bool:
    """A key is there to load (QINZI_SECRET or the key file): `load_or_create_key` would not
    make a new one."""
    return bool(env_secret) or (Path(data_dir) / KEY_FILE).exists()


class Keyring:
    """Derives one sub-key per purpose from the master key, so an HMAC of an ID can never be
    confused with one of a code or a contact."""

    def __init__(self, master: bytes) -> None:
        self._master = master

    @cached_property
    def _aead(self) -> Any:
        """AES-GCM, built at the first seal: `cryptography` is not loaded before a first frame."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self._derive("seal"))

    def _derive(self, purpose: str) -> bytes:
        return hmac.new(self._master, f"qinzi/{purpose}".encode(), hashlib.sha256).digest()

    def check_value(self) -> str:
        """R40: what the database keeps to recognise this key; it tells nothing of the key."""
        return self.digest("key-check", "qinzi")

    def digest(self, purpose: str, value: str) -> str:
        """A stable keyed digest (hex) for equality lookups without the plain value."""
        return hmac.new(self._derive(purpose), value.encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str) -> str:
        nonce = secrets.token_bytes(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, text.encode(), None)).decode()

    def unseal(self, token: str) -> str | None:
        """The sealed text, or None when it was sealed under another key."""
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.b64decode(token)
            return self._aead.decrypt(raw[:12], raw[12:], None).decode()
        except (InvalidTag, ValueError):
            return None
