"""Where shipped files live: beside the package in a wheel, at the repository root in a checkout."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """Return the folder `data` or `styles`, installed (app/data) or in the source tree (./data)."""
    for base in (_HERE / name, _HERE.parent / name):
        if base.is_dir():
            return base
    raise FileNotFoundError(f"shipped folder {name!r} is missing from this installation")


def data_file(*parts: str) -> Path:
    return shipped("data").joinpath(*parts)
