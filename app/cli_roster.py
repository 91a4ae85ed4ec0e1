"""`qinzi import`: what an office sees when it loads its roster (issue 14, R34). The rules are in
services/roster.py and roster_lifecycle.py; this module only says what happened.

A refused file shows its first problems and a count on the console and writes the full list to a
file beside the roster (owner-readable, no ID numbers); `--dry-run` shows what would change for
students and writes nothing at all. Names and IDs on the console are masked (R9). The services
are imported when the command runs, so that `qinzi kiosk` starts without them (issue 7)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.console import EXIT_REFUSED, Output
from app.factory import make_services
from app.i18n import join_list

if TYPE_CHECKING:  # the services load with the database driver: only when a command runs
    from app.services.roster import ImportReport
    from app.services.roster_lifecycle import StudentChange

MAX_STUDENTS_SHOWN = 20  # per kind of change on a dry run

_COUNTS = (
    "rows",
    "schools",
    "classrooms",
    "students_added",
    "students_updated",
    "teachers",
    "teachers_added",
    "guardians",
)


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    path = Path(args.file)
    services = make_services(args)
    try:
        report = services.roster.import_csv(path, dry_run=args.dry_run)
        grace = services.settings.roster_left_grace_days
    finally:
        services.close()
    if report.ignored_columns:
        out.error("cli.import.ignored_columns", columns=join_list(report.ignored_columns, out.lang))
    if not report.ok:
        return _refused(report, path, out, args.dry_run)
    if report.dry_run:
        _show_plan(report, out)
        return 0
    out("cli.import.done", **{k: getattr(report, k) for k in _COUNTS})
    done = report.lifecycle
    if done is not None and any(dataclasses.astuple(done)):  # a first import has nothing to say
        out("cli.import.lifecycle", moved=done.moved, returned=done.returned, left=done.left,
            closed=done.applications_closed, moved_applications=done.applications_moved,
            days=grace)  # fmt: skip
    return 0


def _refused(report: ImportReport, path: Path, out: Output, dry_run: bool) -> int:
    from app.services.roster import (
        MAX_PROBLEMS_SHOWN,
        problem_line,
        problem_list_path,
        write_problem_list,
    )

    out.error("cli.import.refused", count=len({p.line for p in report.problems}))
    for p in report.problems[:MAX_PROBLEMS_SHOWN]:
        print(problem_line(report, p, out.lang), file=sys.stderr)
    total = len(report.problems)
    if total > MAX_PROBLEMS_SHOWN:
        out.error("cli.import.more_problems", more=total - MAX_PROBLEMS_SHOWN, count=total)
        if dry_run:
            out.error("cli.import.problem_dry_run_hint")
        else:
            try:
                written = write_problem_list(report, path, out.lang)
            except OSError:
                out.error("cli.import.problem_file_failed", path=str(problem_list_path(path)))
            else:
                out.error("cli.import.problem_file", path=str(written))
    return EXIT_REFUSED


def _show_plan(report: ImportReport, out: Output) -> None:
    plan = report.plan
    assert plan is not None
    out("cli.import.dry_run_title", count=report.rows, rows=report.rows)
    out("cli.import.dry_run_counts", added=plan.added, updated=plan.updated,
        moved=len(plan.moved), returned=len(plan.returned), left=len(plan.left),
        closing=plan.applications_to_close, moving=plan.applications_to_move)  # fmt: skip
    _students(out, "cli.import.dry_run_moved", plan.moved)
    _students(out, "cli.import.dry_run_returned", plan.returned)
    _students(out, "cli.import.dry_run_left", plan.left)


def _students(out: Output, key: str, changes: Sequence[StudentChange]) -> None:
    for c in changes[:MAX_STUDENTS_SHOWN]:
        out(key, student=c.name_masked, id=c.id_masked, school=c.school, classroom=c.classroom,
            new_classroom=c.new_classroom)  # fmt: skip
    if len(changes) > MAX_STUDENTS_SHOWN:
        out("cli.import.dry_run_more", more=len(changes) - MAX_STUDENTS_SHOWN)
