"""Browser mode's cost per tab (issue 15, R45): the memory of one `qinzi serve` session process
beside a bare textual-serve session of the minimal app (Header, Static, Button, Footer), each
measured once its first screen is drawn, side by side in one run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import terminal
from tests.web.conftest import ROOT, free_port, wait_for_port

BARE_SERVER = """
import sys
from textual_serve.server import Server
Server(f"{sys.executable} {sys.argv[1]}", host="127.0.0.1", port=int(sys.argv[2])).serve()
"""


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split()
            found += [int(c) for c in children]
            todo += [int(c) for c in children]
    return found


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _session_rss(port: int, server_pid: int, settle: float = 3.0) -> int:
    """Open one tab's WebSocket, let its first screen be drawn, and return the largest resident
    set among the server's descendants (the session's Python process), in KiB."""
    import aiohttp

    url = f"ws://127.0.0.1:{port}/ws?width=100&height=30"
    async with aiohttp.ClientSession() as http, http.ws_connect(
        url, headers={"Origin": f"http://127.0.0.1:{port}"}
    ) as ws:
        received, deadline = 0, time.monotonic() + 30
        while time.monotonic() < deadline and received < 2000:
            try:
                message = await ws.receive(timeout=1)
            except TimeoutError:
                continue
            received += len(message.data or b"")
        await asyncio.sleep(settle)  # the first frame written; the session at rest
        return max((_rss_kib(p) for p in _descendants(server_pid)), default=0)


def _serve(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    wait_for_port(port, proc)
    return proc


def session_memory(runs: int) -> tuple[list[float], list[float]]:
    """MB of one qinzi kiosk tab and of one bare tab, `runs` times each, interleaved."""
    folder = Path(tempfile.mkdtemp(prefix="qinzi-bench-sessions-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINZI_")}
    env["HOME"] = str(folder)
    base = ["--db", str(folder / "q.db"), "--data-dir", str(folder)]
    qinzi = terminal.qinzi_command()
    subprocess.run([qinzi, *base, "import", str(ROOT / "data" / "demo_roster.csv")], env=env,
                   check=True, capture_output=True)  # fmt: skip
    minimal = terminal.minimal_app_file(folder)
    bare_server = folder / "bare_server.py"
    bare_server.write_text(BARE_SERVER, encoding="utf-8")
    ours, bare = [], []
    for _ in range(runs):
        for argv, out in (
            ([qinzi, *base, "serve", "--port", "{port}"], ours),
            ([sys.executable, str(bare_server), str(minimal), "{port}"], bare),
        ):
            port = free_port()
            proc = _serve([a.replace("{port}", str(port)) for a in argv], env, port)
            try:
                out.append(asyncio.run(_session_rss(port, proc.pid)) / 1024)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    return ours, bare
