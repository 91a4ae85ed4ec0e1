"""The wheel carries data/ and styles/, and an installed (non-editable) copy finds them."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.packaging
def test_installed_wheel_finds_its_data_and_styles(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
    )  # fmt: skip
    wheel = next(tmp_path.glob("qinzi-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "app/data/demo_roster.csv" in names
    assert "app/data/i18n/zh-TW/core.toml" in names
    assert "app/styles/app.tcss" in names
    assert any(n.startswith("screens/") for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)
    probe = (
        "import app.resources as r, app.i18n as i;"
        "print(r.shipped('data')); print(r.shipped('styles'));"
        "print(i.t('errors.id.checksum', 'en'))"
    )
    out = subprocess.run([py, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=tmp_path)  # fmt: skip
    data_dir, styles_dir, message = out.stdout.splitlines()
    assert "site-packages/app/data" in data_dir
    assert "site-packages/app/styles" in styles_dir
    assert "typing mistake" in message
