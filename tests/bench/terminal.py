"""Start-up in a real terminal: a program started in a pseudo-terminal of a kiosk's size, timed
from its start until a text of its first screen reaches the terminal, then closed. `qinzi demo`
and a minimal Textual app (Header, one Static, one Button, Footer) are timed the same way,
interleaved, so that a busy moment hits both (issue 13's start-up target: within 1.2×)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Button, Footer, Header, Static


class Minimal(App):
    BINDINGS = [("f2", "bell", "English")]

    def compose(self):
        yield Header()
        yield Static("qinzi-minimal-ready")
        yield Button("OK")
        yield Footer()


Minimal().run()
"""


def first_frame_ms(argv: list[str], marker: str, *, size=(100, 30), timeout: float = 60.0,
                   env: dict[str, str] | None = None) -> float:  # fmt: skip
    """Milliseconds from starting `argv` in a new pseudo-terminal of `size` (columns, rows) to
    the moment `marker` has been written to it."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of the kiosk's size, then the program
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": str(size[0]),
                           "LINES": str(size[1]), **(env or {})})  # fmt: skip
        os.execvp(argv[0], argv)
    start = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    seen = b""
    wanted = marker.encode()
    try:
        while wanted not in seen:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"{argv[0]}: no {marker!r} in {timeout} s")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the program ended
                    raise RuntimeError(f"{argv[0]} ended before {marker!r}") from None
                seen = seen[-len(wanted):] + chunk
        return (time.perf_counter() - start) * 1000
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            try:
                os.read(fd, 65536)  # keep the pipe drained while it shuts down
            except OSError:
                break
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
        else:
            os.kill(pid, signal.SIGKILL)
        os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def minimal_app_file(folder: Path) -> Path:
    path = Path(folder) / "minimal_app.py"
    path.write_text(MINIMAL_APP, encoding="utf-8")
    return path


def qinzi_command() -> str:
    return str(Path(sys.executable).with_name("qinzi"))
