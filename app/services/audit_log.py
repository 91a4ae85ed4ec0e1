"""The audit log as school IT reads it (R24, R33): a page at a time with a filter, the actions
it holds, and a CSV export of the filtered log, each of its own school only. Only school IT reads
it; a teacher's terminal is refused, whatever the filter.

Writing the log is `AuditService` (audit.py), which every change calls inside its own
transaction; this service only reads, and logs its exports."""

from __future__ import annotations

import os
from dataclasses import dataclass

from app.clock import to_local
from app.errors import Forbidden
from app.services.audit import AuditFilter, AuditPage, teacher_actor
from app.services.context import Context
from app.services.staff import StaffIdentity, current

EXPORT_FOLDER = "exports"


@dataclass(frozen=True)
class AuditExport:
    path: str
    rows: int


def _it_only(staff: StaffIdentity) -> int:
    """The school whose log this staff member reads (R33), if school IT."""
    staff = current(staff)
    if not staff.is_it:
        raise Forbidden("errors.staff.audit_it_only")
    return staff.school_id


class AuditLogService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def page(
        self, staff: StaffIdentity, wanted: AuditFilter, page: int = 1, page_size: int = 50
    ) -> AuditPage:
        school = _it_only(staff)
        return self.ctx.audit.page(wanted, page, page_size, school=school)

    def actions(self, staff: StaffIdentity) -> list[str]:
        """Every action the log holds, for the filter's choice."""
        return self.ctx.audit.actions(_it_only(staff))

    def export(self, staff: StaffIdentity, wanted: AuditFilter) -> AuditExport:
        """The filtered log as CSV (UTF-8 with a BOM, so a spreadsheet reads the Chinese) in the
        data folder's exports/, never over an earlier export; the export itself is logged."""
        school = _it_only(staff)
        self.ctx.audit.validate(wanted)
        folder = self.ctx.settings.data_dir / EXPORT_FOLDER
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = f"audit-{to_local(self.ctx.clock()):%Y%m%d-%H%M%S}"
        path, n = folder / f"{stem}.csv", 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}.csv"
        # R40: the log names staff and records: readable by its owner only
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "w", encoding="utf-8-sig", newline="") as out:
            rows = self.ctx.audit.write_csv(out, wanted, school)
        with self.ctx.transaction():
            self.ctx.audit.record(teacher_actor(staff.teacher_id), "audit.exported", path.name,
                                  rows=rows)  # fmt: skip
        return AuditExport(str(path), rows)
