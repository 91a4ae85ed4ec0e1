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


@pytest.mark.process
def test_the_command_line_loads_no_database_layer_before_a_command_needs_it():
    """Issue 13 (start-up): `qinzi demo` draws its first frame before the database layer loads
    (issue 7). Importing the command line, which builds the parser of every command, must
    load neither Peewee, nor a database driver, nor the models, nor any service of the rules:
    a staff or directory command that imported its service at module level cost every start
    about 130 ms. Nor may the app and its welcome screen load Markdown (only the FAQ and the
    privacy statement show it) or the checks of later steps."""
    code = (
        "import sys, app.cli, app.tui, screens.flow, screens.welcome\n"
        "heavy = ('peewee', 'psycopg2', 'app.models', 'app.services.staff_accounts',\n"
        "         'app.services.directory', 'app.services.contacts', 'ldap3',\n"
        "         'textual.widgets._markdown', 'markdown_it', 'email_validator', 'argon2')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
