"""(being written)"""

from __future__ import annotations

from app.services.context import Context


class RosterService:
    def __init__(self, ctx: Context, *deps: object) -> None:
        self.ctx = ctx
