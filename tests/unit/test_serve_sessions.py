"""Browser sessions (R45): a real `qinzi serve` on loopback. A WebSocket from another site's
page gets no session; at most `[serve] max_sessions` run at once; a demo tab's outbox holds only
its own messages."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import aiohttp
import pytest

from app.services import build_services
from app.services.outbox import OutboxService
from app.services.transports import StoreOnly
from tests.web.conftest import ROOT, free_port, wait_for_port


@pytest.fixture
def server(tmp_path):
    """`qinzi serve` (kiosk sessions) with one session at most, on a new database."""
    data = tmp_path / "data"
    config = tmp_path / "c.toml"
    config.write_text("[serve]\nmax_sessions = 1\n")
    base = ["--db", str(data / "q.db"), "--data-dir", str(data), "--config", str(config)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINZI_")}
    env["HOME"] = str(tmp_path)
    subprocess.run([sys.executable, "-m", "app.cli", *base, "import",
                    str(ROOT / "data" / "demo_roster.csv")], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # fmt: skip
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", *base, "serve", "--port",
                             str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_port(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def _status(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


@pytest.mark.process
def test_r45_another_sites_page_gets_no_session_and_sessions_are_limited(server):
    url = f"ws://127.0.0.1:{server}/ws?width=80&height=24"
    own = f"http://127.0.0.1:{server}"

    async def scenario() -> tuple[int, int, int]:
        evil = await _status(url, "http://evil.example")
        headers = {"Origin": own}
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers):
            await asyncio.sleep(0.5)
            second = await _status(url, own)
        for _ in range(40):  # the closed tab's process takes a moment to end
            if (after := await _status(url, own)) == 101:
                break
            await asyncio.sleep(0.5)
        return evil, second, after

    evil, second, after = asyncio.run(scenario())
    assert evil == 403  # the WebSocket of http://evil.example got a full session before
    assert second == 503  # the one session allowed is in use
    assert after == 101  # and free again once its tab is closed


def test_r45_a_demo_tab_sees_only_its_own_messages(settings, clock, keyring):
    """Two tabs of `serve demo` are two processes on one database: each outbox pane lists what
    its own process sent (tab B showed tab A's code)."""
    services = build_services(settings, clock=clock, keyring=keyring)
    try:
        other_tab = OutboxService(keyring, clock, StoreOnly(), StoreOnly())
        with services.ctx.transaction():
            other_tab.enqueue("email", "a@home.example", "code", "A", "code 111111")
            services.ctx.outbox.enqueue("email", "b@home.example", "code", "B", "code 222222")
        mine = services.ctx.outbox.recent(demo=True, own_only=True)
        assert [m.subject for m in mine] == ["B"]
        assert {m.subject for m in services.ctx.outbox.recent(demo=True)} == {"A", "B"}
    finally:
        services.close()


@pytest.mark.process
@pytest.mark.parametrize(("url", "loaded"), [("/srv/qinzi.db", False),
                                             ("postgresql://u@127.0.0.1/test", True)])  # fmt: skip
def test_r45_a_tab_on_sqlite_loads_no_postgresql_driver(url, loaded):
    """Issue 15's memory per tab: peewee imports psycopg2 (libpq, OpenSSL) whenever installed;
    a tab's own process on SQLite blocks it, one on PostgreSQL keeps it."""
    import subprocess
    import sys

    code = ("import sys; from app.dburl import spare_postgres_driver; "
            f"spare_postgres_driver({url!r}); import peewee; "
            "print(sys.modules.get('psycopg2') is not None)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == str(loaded)


def test_r45_each_mode_warms_every_service_its_screens_use_and_no_other():
    """Issue 15's memory per tab: behind the first frame a terminal builds the services of its
    mode's screens (so no keystroke waits for an import, and none is built on two threads at
    once), and a kiosk or a browser tab never loads the staff's desk. Every `services.<name>`
    in the staff's screens is in the review list, every one in the parent's in the kiosk list."""
    import re

    from app.services import SERVICE_NAMES
    from screens.flow import MODE_SERVICES

    screens = ROOT / "screens"
    staff = set((screens / "review").rglob("*.py"))
    used = {"review": set(), "kiosk": set()}
    for path in screens.rglob("*.py"):
        names = set(re.findall(r"(?<! app\.)services\.(\w+)", path.read_text(encoding="utf-8")))
        used["review" if path in staff else "kiosk"] |= names & set(SERVICE_NAMES)
    assert used["kiosk"] <= set(MODE_SERVICES["kiosk"]), used["kiosk"]
    assert used["review"] <= set(MODE_SERVICES["review"]), used["review"]
    staff_only = {"review", "staff", "staff_accounts", "audit_log", "unbound", "roster",
                  "retention"}  # fmt: skip
    assert not staff_only & set(MODE_SERVICES["kiosk"])


def test_r45_a_kiosk_builds_only_its_own_services(settings, clock, keyring):
    """Issue 15: warming a kiosk's services leaves the staff's, the review desk's included,
    unbuilt (R28's automatic approval is the approver's, not the desk's); warming with no list
    builds them all."""
    from app.services import SERVICE_NAMES
    from screens.flow import MODE_SERVICES

    staff_only = {"review", "staff", "staff_accounts", "audit_log", "unbound", "roster",
                  "retention"}  # fmt: skip
    services = build_services(settings, clock=clock, keyring=keyring)
    try:
        services.warm(MODE_SERVICES["kiosk"])
        built = set(vars(services))
        assert set(MODE_SERVICES["kiosk"]) <= built
        assert not staff_only & built
        services.warm()
        assert set(SERVICE_NAMES) <= set(vars(services))
    finally:
        services.close()
