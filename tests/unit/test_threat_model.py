"""Issue 9: the threat model names, for every threat, the tests that prove it is handled — and
those tests exist under the names it gives, so a rename cannot leave the document pointing at
nothing."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "docs" / "threat-model.md"
REFERENCE = re.compile(r"`((?:unit|tui|snapshots|web|bench)/[\w/]+\.py)?(?:::([\w*]+))?`")


def threats() -> dict[str, str]:
    """Threat id → its table row."""
    rows = {}
    for line in MODEL.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| (T\d+) \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def defined_in(path: Path) -> set[str]:
    return set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.M))


def references(row: str) -> list[tuple[str, str | None]]:
    """(file, test name or None) for each backticked reference; `::name` alone means the file
    named last in the same row."""
    found, current = [], None
    for file, name in REFERENCE.findall(row):
        if file:
            current = file
        if current and (file or name):
            found.append((current, name or None))
    return found


def test_every_threat_names_a_test_and_every_named_test_exists():
    rows = threats()
    assert len(rows) >= 20
    missing = []
    for tid, row in rows.items():
        refs = references(row)
        if not refs:
            missing.append(f"{tid}: no test named")
        for file, name in refs:
            path = ROOT / "tests" / file
            if not path.is_file():
                missing.append(f"{tid}: {file} does not exist")
            elif name and not fnmatch.filter(defined_in(path), name):
                missing.append(f"{tid}: {file}::{name} does not exist")
    assert missing == []


def test_the_check_would_see_a_renamed_test():
    row = "| T99 | x | y | `unit/test_threat_model.py::test_that_was_renamed` |"
    [(file, name)] = references(row)
    assert not fnmatch.filter(defined_in(ROOT / "tests" / file), name)
