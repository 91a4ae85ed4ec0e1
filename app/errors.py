"""Errors a user can cause. Each carries a catalog key, its parameters and the field it belongs to,
so a screen can show the message beside that field in the current language (SPEC R26)."""

from __future__ import annotations

from typing import Any, Self


class QinziError(Exception):
    """Base of every refusal the services make."""

    key: str = "errors.generic"
    #: The kiosk session as this refusal left it (a count of failed lookups, an ended session),
    #: for the UI to keep: a refusal must not lose what the attempt cost (R8). None: unchanged.
    session: Any = None
    #: Further refusals of the same form, each beside its own field (R26: every field error at
    #: once, not one per submit).
    also: tuple[QinziError, ...] = ()

    def __init__(
        self, key: str | None = None, /, *, field: str | None = None, **params: Any
    ) -> None:
        self.key = key or self.key
        self.field = field
        self.params = params
        super().__init__(self.key)

    def with_session(self, session: Any) -> Self:
        """This refusal, carrying the kiosk session it leaves behind."""
        self.session = session
        return self

    @classmethod
    def together(cls, errors: list[QinziError]) -> QinziError:
        """The first of `errors`, carrying the others in `also`."""
        first = errors[0]
        first.also = tuple(errors[1:])
        return first

    def message(self, lang: str | None = None) -> str:
        from app.i18n import DEFAULT_LANGUAGE, t

        return t(self.key, lang or DEFAULT_LANGUAGE, **self.params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, field={self.field!r}, params={self.params!r})"


class InvalidInput(QinziError):
    """A value is malformed (an ID with a wrong checksum, an e-mail that is not one)."""


class RuleRefused(QinziError):
    """The input is well-formed but a rule of SPEC.md refuses it (R12–R15, R17 …)."""


class RateLimited(QinziError):
    """Too many requests for a contact or account (R2, R3, R4, R20)."""


class NotFound(QinziError):
    key = "errors.not_found"


class Forbidden(QinziError):
    """The actor may not see or change this record (R18)."""

    key = "errors.forbidden"


class SessionEnded(QinziError):
    """The kiosk session must end (too many failed lookups, R8)."""


class Conflict(QinziError):
    """The record changed under us (already decided, already cancelled)."""


class ConfigError(QinziError):
    """The configuration or the database cannot be used as given."""
