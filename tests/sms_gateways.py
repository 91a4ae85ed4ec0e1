"""SMS gateways on loopback for R38's tests: a stub of Mitake's (三竹) HTTP API that follows its
documented requests and answers, and Debian's real Kannel (bearerbox + smsbox) with its fake SMSC.

Mitake cannot be reached from here, so the stub is written from its documentation: `SmSend` takes
username, password, dstaddr, smbody (UTF-8 with `CharsetURL=UTF-8`) and an optional clientid, and
answers `[1]` / `msgid=` / `statuscode=` / `AccountPoint=` lines; a clientid it has seen is not
sent again (the answer repeats the first msgid with `Duplicate=Y`). `SmQuery` without a message
id answers `AccountPoint=`."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

from tests.smtp_server import free_port


@dataclass
class MitakeStub:
    username: str = "school"
    password: str = "s3cret"
    #: statuscode of each SmSend in turn (the last one repeats); "1": at the carrier.
    codes: list[str] = field(default_factory=lambda: ["1"])
    #: seconds to wait before answering each SmSend in turn (the last one repeats); a wait
    #: longer than the client's timeout is a lost answer — the message was still sent.
    delays: list[float] = field(default_factory=lambda: [0.0])
    sent: list[dict[str, str]] = field(default_factory=list)  # what reached "the phones"
    requests: list[dict[str, str]] = field(default_factory=list)
    queries: int = 0
    _by_client: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, params: dict[str, str]) -> tuple[float, str]:
        with self._lock:
            if path.endswith("/SmQuery"):
                self.queries += 1
                if (params.get("username"), params.get("password")) != (
                    self.username,
                    self.password,
                ):
                    return 0.0, "statuscode=e\r\nError=帳號、密碼錯誤\r\n"
                return 0.0, "AccountPoint=98\r\n"
            turn = len(self.requests)
            self.requests.append(params)
            delay = self.delays[min(turn, len(self.delays) - 1)]
            if (params.get("username"), params.get("password")) != (self.username, self.password):
                return delay, "[1]\r\nstatuscode=e\r\nError=帳號、密碼錯誤\r\n"
            client = params.get("clientid", "")
            if client and client in self._by_client:
                msgid = self._by_client[client]
                return delay, f"[1]\r\nmsgid={msgid}\r\nstatuscode=1\r\nDuplicate=Y\r\n"
            code = self.codes[min(turn, len(self.codes) - 1)]
            if code not in "01234":
                return delay, f"[1]\r\nstatuscode={code}\r\nError=refused\r\n"
            msgid = f"#{1000000000 + len(self.sent)}"
            self.sent.append(params)
            if client:
                self._by_client[client] = msgid
            return delay, f"[1]\r\nmsgid={msgid}\r\nstatuscode={code}\r\nAccountPoint=97\r\n"


def _form(raw: bytes, charset: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(raw.decode("ascii"), encoding=charset).items()}


def start_mitake(stub: MitakeStub) -> tuple[ThreadingHTTPServer, str]:
    """The stub on a free loopback port; returns the server and its SmSend URL."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self, body: bytes) -> None:
            url = urlsplit(self.path)
            query = _form(url.query.encode(), "utf-8")
            charset = "utf-8" if query.get("CharsetURL", "").upper() == "UTF-8" else "big5"
            params = {**query, **_form(body, charset)}
            if url.path not in ("/api/mtk/SmSend", "/api/mtk/SmQuery"):
                self.send_error(404)
                return
            delay, text = stub.answer(url.path, params)
            time.sleep(delay)
            data = text.encode("utf-8")
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting

        def do_GET(self) -> None:
            self._handle(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._handle(self.rfile.read(length))

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    return server, f"http://127.0.0.1:{port}/api/mtk/SmSend?CharsetURL=UTF-8"


# --- Kannel ---------------------------------------------------------------------------------------

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"


def kannel_installed() -> bool:
    return all(Path(p).is_file() or shutil.which(p) for p in (BEARERBOX, SMSBOX, FAKESMSC))


@dataclass(frozen=True)
class MtPart:
    """One SMS as the fake SMSC received it: receiver, user data header (hex) and text."""

    sender: str
    receiver: str
    udh: bytes
    text: str


def _bytes(urlencoded: str) -> bytes:
    """fakesmsc url-encodes with + for a space byte."""
    return unquote_to_bytes(urlencoded.replace("+", "%20"))


def _parts(log: str) -> list[MtPart]:
    """fakesmsc's `Got message N: <sender receiver ucs-2 DATA>` or `<… udh UDH data DATA>`
    lines (DATA url-encoded UCS-2 big-endian) as parts."""
    parts = []
    for line in log.splitlines():
        if "Got message" not in line or "<" not in line:
            continue
        body = line[line.index("<") + 1 : line.rindex(">")]
        words = body.split(" ")
        sender, receiver, kind = words[:3]
        if kind == "udh" and len(words) >= 6 and words[4] == "data":
            udh, data = _bytes(words[3]), _bytes(words[5])
        elif kind in ("ucs-2", "ucs2"):
            udh, data = b"", _bytes(words[3])
        else:
            udh, data = b"", _bytes(" ".join(words[3:]))
            parts.append(MtPart(sender, receiver, udh, data.decode("latin-1")))
            continue
        parts.append(MtPart(sender, receiver, udh, data.decode("utf-16-be")))
    return parts


@dataclass
class Kannel:
    sendsms_url: str
    username: str
    password: str
    log_path: Path

    def parts(self, expected: int, timeout: float = 15.0) -> list[MtPart]:
        """What the fake SMSC received, once at least `expected` parts arrived (or the time ran
        out: the caller's assertion then shows what did)."""
        deadline = time.monotonic() + timeout
        while True:
            found = _parts(self.log_path.read_text(errors="replace"))
            if len(found) >= expected or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def _wait_port(port: int, timeout: float = 15.0) -> bool:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def run_kannel(tmp: Path) -> Iterator[Kannel]:
    """bearerbox, smsbox and the fake SMSC on free loopback ports, from a throw-away
    kannel.conf; stopped (by their process ids) when the generator is closed."""
    admin, box, smsc, sendsms = (free_port() for _ in range(4))
    conf = tmp / "kannel.conf"
    conf.write_text(
        f"""group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = admin-{admin}
admin-allow-ip = 127.0.0.1
smsbox-port = {box}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{tmp / "bearerbox.log"}"
log-level = 1

group = smsc
smsc = fake
smsc-id = fake
host = 127.0.0.1
port = {smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = "{tmp / "smsbox.log"}"
log-level = 1

group = sendsms-user
username = qinzi
password = kannel-secret
concatenation = true
max-messages = 5
"""
    )
    log_path = tmp / "fakesmsc.log"
    processes: list[subprocess.Popen] = []
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": tmp}
    try:
        processes.append(subprocess.Popen([BEARERBOX, "-v", "4", str(conf)], **quiet))
        if not _wait_port(box) or not _wait_port(smsc):
            raise RuntimeError(f"bearerbox did not start: {tmp / 'bearerbox.log'}")
        processes.append(subprocess.Popen([SMSBOX, "-v", "4", str(conf)], **quiet))
        # -m 0: the fake SMSC sends nothing itself; it logs every message Kannel hands it.
        fake = [FAKESMSC, "-H", "127.0.0.1", "-r", str(smsc), "-i", "0.1", "-m", "0", "1 2 text x"]
        with log_path.open("wb") as log:
            processes.append(
                subprocess.Popen(fake, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
            )
        if not _wait_port(sendsms):
            raise RuntimeError(f"smsbox did not start: {tmp / 'smsbox.log'}")
        _wait_smsc_online(admin, f"admin-{admin}")
        yield Kannel(
            f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms", "qinzi", "kannel-secret", log_path
        )
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_smsc_online(admin: int, password: str, timeout: float = 15.0) -> None:
    """Kannel's status page says `online` once the fake SMSC is connected."""
    import urllib.request

    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{admin}/status.txt?password={password}"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                status = response.read().decode("utf-8", "replace")
                if "online" in status.split("SMSC connections")[-1]:
                    return
        except OSError:
            pass
        time.sleep(0.2)
