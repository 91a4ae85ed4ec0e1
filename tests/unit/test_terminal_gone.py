"""A terminal that goes away under a running app (a closed window, a dropped ssh session): the
app leaves instead of polling the dead terminal for good. Textual 8.2 spun a whole core in that
case whenever the hang-up signal did not reach the process (`make run` in a closed window)."""

from __future__ import annotations

import os
import pty
import select
import signal
import time

import pytest

from tests.bench.terminal import qinzi_command


@pytest.mark.process
def test_r22_a_terminal_that_hangs_up_ends_the_app_with_status_129(tmp_path):
    """R22/R36: the kiosk leaves, nothing of anyone's stays behind, the log says why and the
    status (129, as a shell reports a hang-up) lets a service manager start it again."""
    folder = tmp_path / "demo"
    pid, fd = pty.fork()
    if pid == 0:  # the app, on a terminal, not told of the hang-up (as under `make run`)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"})
        os.execv(qinzi_command(), [qinzi_command(), "demo", "--dir", str(folder)])
    seen, deadline = b"", time.monotonic() + 60
    while b"heping.301@school.example" not in seen[-4000:]:  # the demo's set-up is done
        assert time.monotonic() < deadline, "the app never drew its welcome screen"
        if select.select([fd], [], [], 0.5)[0]:
            seen += os.read(fd, 65536)
    os.close(fd)  # the window is closed
    deadline = time.monotonic() + 15
    while (done := os.waitpid(pid, os.WNOHANG)) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the app kept running on a terminal that was gone")
        time.sleep(0.2)
    assert os.waitstatus_to_exitcode(done[1]) == 129
    log = (folder / "logs" / "qinzi.log").read_text(encoding="utf-8")
    assert "the terminal went away: exiting" in log
    assert "stop: exit 129" in log
