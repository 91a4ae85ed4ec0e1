"""STYLE: the services are plain Python. Importing them (and the CLI) must not load Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "app.services",
    "app.factory",
    "app.cli",
    "app.identity",
    "app.models",
    "app.db",
    "app.i18n",
]


@pytest.mark.process
def test_services_load_without_textual():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'screens'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_only_tui_imports_textual_inside_app():
    """Only app/tui.py imports Textual (app/web.py imports textual_serve, a server, not the UI)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app"
    textual = re.compile(r"^\s*(from|import)\s+textual(\.|\s|$)", re.MULTILINE)
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "tui.py" and textual.search(p.read_text())
    ]
    assert offenders == []
