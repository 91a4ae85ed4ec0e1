"""A TCP proxy on loopback for outage tests (R41): forwards to a real server and can drop every
connection it carries at once, as a restarted PostgreSQL, proxy or switch does."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._paused = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._paused:  # the server is "down": every connection is cut at once
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def drop(self) -> int:
        """Cut every connection now (new ones are accepted again at once)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for end in pair:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
        return len(pairs)

    def pause(self) -> None:
        """The server goes away: every connection is cut and new ones are closed at once."""
        self._paused = True
        self.drop()

    def resume(self) -> None:
        self._paused = False

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.drop()


@contextlib.contextmanager
def proxied_postgres(settings):
    """`settings` on a fresh schema of $QINZI_TEST_PG reached through a TcpProxy: (proxy,
    settings)."""
    import os
    from urllib.parse import urlsplit, urlunsplit

    from tests.conftest import drop_pg_schema, fresh_pg_schema, pg_schema_url

    base = os.environ["QINZI_TEST_PG"]
    parts = urlsplit(base)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    schema = fresh_pg_schema()
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    url = pg_schema_url(schema).replace(
        base, urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))
    )
    try:
        yield proxy, settings.replace(db=url)
    finally:
        proxy.close()
        drop_pg_schema(schema)
