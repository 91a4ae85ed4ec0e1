"""(being written)"""

from __future__ import annotations

from app.services.context import Context


class RetentionService:
    def __init__(self, ctx: Context, *deps: object) -> None:
        self.ctx = ctx
