"""Benchmark of the printed documents (issue 4): one application form once the font is loaded
(target < 150 ms), and the letters of a class of 35 students (target < 3 s).

Runs on its own temporary SQLite database with a synthetic class; prints a table and, with
--json FILE, writes the numbers for a later comparison:

    .venv/bin/python tests/bench/bench_forms.py [--runs 7] [--json bench-forms.json]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from app.clock import FrozenClock  # noqa: E402
from app.config import Settings  # noqa: E402
from app.identity import id_digest, mask_id, with_check_digit  # noqa: E402
from app.keys import Keyring  # noqa: E402
from app.models import Classroom, School, Student  # noqa: E402
from app.services import build_services  # noqa: E402
from tests.factories import make_roster, submit_application  # noqa: E402

CLASS_SIZE = 35
TARGETS_MS = {"font load (first use)": None, "one form": 150, "one approved copy": None,
              f"class letters ({CLASS_SIZE})": 3000}  # fmt: skip
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "柏承睿宥辰恩彤芸妤涵歆翔澄品詠禹安瑜晴亞語謙樂芯"


def timed(action, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def setup(folder: Path):
    settings = Settings(
        data_dir=folder / "data",
        db=str(folder / "bench.db"),
        terminal_id="bench",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
    services = build_services(settings, clock=FrozenClock(), keyring=Keyring(b"b" * 32))
    roster = make_roster(services)
    school = School.create(code="B001", name="臺北市中正區忠孝國民小學", level="elementary")
    room = Classroom.create(school=school, name="601")
    with services.ctx.db.atomic():
        for i in range(CLASS_SIZE):
            plain = with_check_digit(f"A1{7000000 + i:07d}")
            Student.create(
                id_digest=id_digest(services.ctx.keyring, plain),
                id_masked=mask_id(plain),
                name=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7) % 23],
                school=school,
                classroom=room,
            )
    [item] = submit_application(services, roster, ("wu",))
    return services, roster, item.number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (≥ 5)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    runs = max(args.runs, 5)
    with tempfile.TemporaryDirectory(prefix="qinzi-bench-") as tmp:
        services, roster, number = setup(Path(tmp))
        forms = services.forms
        from app.services.forms.fonts import tc_font
        from app.services.staff import StaffIdentity

        start = time.perf_counter()
        tc_font()
        results = {"font load (first use)": [(time.perf_counter() - start) * 1000]}
        forms.build([number])  # converts the glyphs the labels use, once per process
        results["one form"] = timed(lambda: forms.build([number]), runs)
        services.review.approve(StaffIdentity.of(roster.teachers["lee"]), number)
        results["one approved copy"] = timed(lambda: forms.build([number], approved=True), runs)
        letters = f"class letters ({CLASS_SIZE})"
        results[letters] = timed(lambda: forms.letters("B001", "601"), max(3, runs // 2))
        pages = len(PdfReader(io.BytesIO(forms.letters("B001", "601"))).pages)
        services.close()
    assert pages == CLASS_SIZE, pages

    rows = []
    for name, times in results.items():
        median = statistics.median(times)
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else ("ok" if median < target else "SLOW")
        rows.append(
            {
                "measure": name,
                "runs": len(times),
                "median_ms": round(median, 1),
                "min_ms": round(min(times), 1),
                "target_ms": target,
                "verdict": verdict,
            }
        )
    header = f"{'forms':<26} {'runs':>4} {'median ms':>10} {'min ms':>8} {'target':>8}  "
    print(header)
    print("-" * len(header))
    for r in rows:
        target = f"< {r['target_ms']}" if r["target_ms"] else ""
        print(f"{r['measure']:<26} {r['runs']:>4} {r['median_ms']:>10.1f} {r['min_ms']:>8.1f} "
              f"{target:>8}  {r['verdict']}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"bench": "forms", "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
