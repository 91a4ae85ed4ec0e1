"""The forms wrap text with the one breaker of R44 (`app.linebreak`), measured in PDF points."""

from app.linebreak import NO_END, NO_START, wrap

__all__ = ["NO_END", "NO_START", "wrap"]
