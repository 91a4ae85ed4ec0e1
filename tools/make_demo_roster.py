"""Write data/demo_roster.csv: about 200 fictional students in schools of every level, as a school
office would export the roster from Excel (UTF-8 with BOM, Chinese level labels).

Deterministic: the same file comes out on every run, so the README and the demo can name its
students. Run it from the repository root: `.venv/bin/python tools/make_demo_roster.py`."""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.keys import Keyring  # noqa: E402
from app.services.demo.synthetic import People  # noqa: E402
from app.services.roster import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, SCHOOL_COLUMNS  # noqa: E402

SEED = 20260901
OUT = ROOT / "data" / "demo_roster.csv"
COLUMNS = (*REQUIRED_COLUMNS[:2], *SCHOOL_COLUMNS, *REQUIRED_COLUMNS[2:6], "student_email",
           *REQUIRED_COLUMNS[6:], *OPTIONAL_COLUMNS[1:])  # fmt: skip
# code, name, level label, e-mail slug, [(class, students)]
SCHOOLS = (
    ("990101", "臺北市大安區和平國小", "國小", "heping", (("301", 27), ("302", 26), ("501", 25))),
    ("990102", "臺北市信義區光復國小", "國小", "guangfu", (("101", 24),)),
    ("990201", "臺北市中正區南門國中", "國中", "nanmen", (("701", 28), ("802", 27))),
    ("990301", "臺北市松山區松山高中", "高中", "songshan", (("101", 20),)),
    ("990401", "臺北市大安區大安高工", "高職", "daan", (("201", 20),)),
    ("990501", "臺北市立文山特殊教育學校", "特教", "wenshan", (("101", 9),)),
)
# Issue 18: the short English names the schools use themselves (the city's formal form,
# "Taipei Municipal Da'an District Heping Elementary School", is too long for a list).
ENGLISH = {
    "990101": "Heping Elementary School",
    "990102": "Guangfu Elementary School",
    "990201": "Nanmen Junior High School",
    "990301": "Songshan Senior High School",
    "990401": "Da-An Vocational High School",
    "990501": "Taipei Municipal Wenshan Special Education School",
}
# Students (by running number) who have their own account e-mail (R12).
STUDENT_EMAILS = {120, 150}


def national(mobile: str) -> str:
    return "0" + mobile[4:]


def rows() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    people = People(rng, Keyring(bytes(32)))
    out, number = [], 0
    for code, school, level, slug, classes in SCHOOLS:
        for class_name, size in classes:
            teacher = people.adult_name()
            teacher_email = f"{slug}.{class_name}@school.example"
            for _ in range(size):
                number += 1
                surname, roman = people.surname()
                plain, _, _ = people.national_id(rng.choice("12"))
                row = dict.fromkeys(COLUMNS, "")
                row.update(
                    school_code=code,
                    school_name=school,
                    school_name_en=ENGLISH[code],
                    level=level,
                    **{"class": class_name},
                    student_id=plain,
                    student_name=people.child_name(surname),
                    student_email=(
                        people.email(roman, "student.example") if number in STUDENT_EMAILS else ""
                    ),
                    teacher_email=teacher_email,
                    teacher_name=teacher,
                )
                if rng.random() < 0.5:
                    row["guardian1_name"] = people.adult_name(surname)
                    row["guardian1_mobile"] = national(people.mobile())
                    if rng.random() < 0.6:
                        row["guardian2_name"] = people.adult_name()
                        row["guardian2_mobile"] = national(people.mobile())
                out.append(row)
    return out


def main() -> None:
    with OUT.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows())
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
