"""R41 on SQLite: the disk under the database fills up while a parent sends step 4. A real small
filesystem (tmpfs, mounted by the test where the machine allows it) is filled to the last byte:
the kiosk names the full disk, keeps what was typed, and when space is freed the application is
stored exactly once and confirmed — no traceback, nothing lost."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.process  # it mounts a filesystem


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip("this machine does not let the test mount a small filesystem")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def db_url(small_disk) -> str:
    return str(small_disk / "qinzi.db")


def fill(disk: Path) -> Path:
    """Write until the filesystem refuses another byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:  # ENOSPC: the disk is full
        pass
    finally:
        os.close(fd)
    return filler


async def test_r41_a_full_disk_names_itself_keeps_the_typing_and_sends_once_freed(
    kiosk_app, roster, small_disk, monkeypatch
):
    import screens.base
    from app.models import Application
    from screens.completion import CompletionScreen
    from tests.tui.conftest import settle
    from tests.tui.wizard_kit import fill_parent, open_step4, value

    monkeypatch.setattr(screens.base, "DATABASE_RETRY_SECONDS", 0.1)
    app = kiosk_app()
    said: list[str] = []
    waiting, notify = app.database_waiting, app.notify

    def database_waiting(now_waiting: bool, disk_full: bool = False) -> None:
        waiting(now_waiting, disk_full)
        if now_waiting:  # the parent sees it; then IT frees the space
            said.append(f"typed:{value(app, '#email')}")
            threading.Timer(0.5, filler.unlink).start()

    def shown(message: str, **kw) -> None:
        said.append(message)
        notify(message, **kw)

    app.database_waiting = database_waiting  # type: ignore[method-assign]
    app.notify = shown  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await open_step4(pilot, app.services, roster)
        await fill_parent(pilot, roster)
        filler = fill(small_disk)
        from tests.tui.wizard_kit import send_step4

        await send_step4(pilot)
        await settle(pilot)
        assert isinstance(app.screen, CompletionScreen)
    assert any("磁碟已滿" in s for s in said), said
    assert "typed:father@home.example" in said  # nothing typed was lost while waiting
    assert Application.select().count() == 1
