"""Browser mode (`qinzi serve`): the same Textual app in a web page, through textual-serve.

textual-serve starts one process per browser connection, so each tab is its own kiosk session
with its own memory: one tab's parent never sees another's data (the wipe of R22 still runs
inside each process). This module adds what a school office needs on top of the stock server:

- the page works with no internet: the stock template asks a public server for the Roboto Mono
  web font; ours serves it from textual-serve's own package, plus Noto Sans TC (already a
  dependency, for the printed forms) for the Chinese characters, so nothing leaves the machine;
- a kiosk browser opens straight into the app, and when a session ends (Ctrl+Q on the staff
  desk, a crash) the page starts a new one by itself instead of waiting for a click;
- the page's few words follow the configured language, and it has its own tab icon;
- the page fits the screen at any zoom and on a phone, and takes the keyboard as it opens, so
  a kiosk browser can type at once (issue 18);
- its font size follows `[display]` (issue 18): `font_size`, else 24 pixels with `large_text`,
  else 16; a page opened as `/?fontsize=28` takes that size instead (8 to 48);
- URLs are relative to the request, so a page reached as http://192.168.1.20:8000 talks back to
  that address (the stock server writes the bind address, 0.0.0.0, into the page).

`python -m app.web ROLE …` is the command run for each connection."""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a tab's own process reads no options (forward_options)
    import argparse

ROLES = ("kiosk", "review", "demo")
DEMO_INFO_FILE = "demo-info.json"
NOTO_URL = "/qinzi/fonts/NotoSansTC-Regular.otf"
FAVICON_URL = "/qinzi/favicon.svg"
PAGE_KEYS = ("title", "starting", "ended", "restarting")
FONT_SIZE, LARGE_FONT_SIZE = 16, 24  # pixels; the page accepts 8 to 48


def page_font_size(settings: Any) -> int:
    """The page's font size in pixels from `[display]`: the size set, else large or normal."""
    if settings.display_font_size:
        return int(settings.display_font_size)
    return LARGE_FONT_SIZE if settings.display_large_text else FONT_SIZE


def requested_font_size(query: str | None, default: int) -> int:
    """A page's ?fontsize= wins over the configured size; nonsense gives the configured one."""
    try:
        size = int(query) if query is not None else default
    except ValueError:
        size = default
    return max(8, min(size, 48))


def is_loopback(host: str) -> bool:
    """Only this computer can reach a server bound here."""
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def session_command(role: str) -> str:
    """The shell command textual-serve runs for each browser connection: the tab's role, and
    nothing else (its settings come through the environment, see `forward_options`)."""
    return shlex.join([sys.executable, "-m", "app.web", role])


# The command line's options a tab's process is given, as the variables it reads them from.
FORWARDED = (("config", "QINZI_CONFIG"), ("data_dir", "QINZI_DATA_DIR"), ("lang", "QINZI_LANG"))


def forward_options(args: argparse.Namespace) -> None:
    """The command line's config file, data folder and language reach each session process in
    the environment it inherits, over any value set there before, as a flag is over the
    environment. A tab's process reads no options and loads no argument parser (R45: a tab's
    memory). The database goes by `forward_database`."""
    for name, variable in FORWARDED:
        value = getattr(args, name, None)
        if value:
            os.environ[variable] = value if name == "lang" else str(Path(value).resolve())


def forward_database(url: str | None) -> None:
    """R40: the database URL (maybe with its password) reaches each session process through
    the environment it inherits (QINZI_DB), never its arguments, which `ps` shows anyone."""
    if url:
        os.environ["QINZI_DB"] = url


def write_demo_info(folder: Path, info: Any) -> Path:
    """The demo's logins and students for every session process to show (fictional data)."""
    path = Path(folder) / DEMO_INFO_FILE
    path.write_text(json.dumps(asdict(info), ensure_ascii=False), encoding="utf-8")
    path.chmod(0o600)
    return path


def read_demo_info(folder: Path) -> Any:
    from app.services.demo.seed import DemoInfo, DemoStudent

    path = Path(folder) / DEMO_INFO_FILE
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["students"] = tuple(DemoStudent(**s) for s in raw["students"])
    return DemoInfo(**raw)


def noto_font_path() -> Path:
    from app.services.forms.fonts import font_path

    return font_path()


def same_origin(origin: str | None, host: str) -> bool:
    """R45: a browser's WebSocket comes from our own page: its Origin names the host and port
    the page was served from. (A client that sends no Origin is no browser, so no other site
    can drive it: it is let through.)"""
    if origin is None:
        return True
    from urllib.parse import urlsplit

    try:
        return urlsplit(origin).netloc.lower() == host.lower()
    except ValueError:
        return False


def make_server(
    command: str,
    *,
    host: str,
    port: int,
    lang: str,
    max_sessions: int = 8,
    font_size: int = FONT_SIZE,
) -> Any:
    """A textual-serve Server with our page; textual-serve is imported only here."""
    import aiohttp_jinja2
    import textual_serve
    from aiohttp import web
    from textual_serve.server import Server

    from app.i18n import t
    from app.resources import data_file

    stock_static = Path(textual_serve.__file__).parent / "static"

    class QinziServer(Server):
        sessions = 0  # browser tabs running now, each its own process

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
            """R45: only our own page may open a session (a page of another site gets 403), and
            at most `max_sessions` run at once (then 503, and the page says to try later)."""
            if not same_origin(request.headers.get("Origin"), request.host):
                return web.Response(status=403, text=t("web.refused_origin", lang))
            if QinziServer.sessions >= max_sessions:
                return web.Response(status=503, text=t("web.too_many", lang))
            QinziServer.sessions += 1
            try:
                return await super().handle_websocket(request)
            finally:
                QinziServer.sessions -= 1

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.router.add_get(NOTO_URL, self.handle_noto)
            app.router.add_get(FAVICON_URL, self.handle_favicon)
            return app

        async def handle_noto(self, request: web.Request) -> web.StreamResponse:
            return web.FileResponse(noto_font_path(), headers={"Cache-Control": "max-age=86400"})

        async def handle_favicon(self, request: web.Request) -> web.StreamResponse:
            return web.FileResponse(
                data_file("web", "favicon.svg"),
                headers={"Cache-Control": "max-age=86400", "Content-Type": "image/svg+xml"},
            )

        async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
            scheme = "wss" if request.secure else "ws"
            context = {
                "lang": lang,
                "font_size": requested_font_size(request.query.get("fontsize"), font_size),
                "static_url": "/static/",
                "noto_url": NOTO_URL,
                "favicon_url": FAVICON_URL,
                "app_websocket_url": f"{scheme}://{request.host}/ws",
                **{key: t(f"web.page.{key}", lang) for key in PAGE_KEYS},
            }
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        async def on_startup(self, app: web.Application) -> None:
            shown = f"[{self.host}]" if ":" in self.host else self.host
            print(t("web.serving", lang, url=f"http://{shown}:{self.port}"), flush=True)

    return QinziServer(
        command,
        host=host,
        port=port,
        title=t("web.page.title", lang),
        statics_path=stock_static,
        templates_path=data_file("web"),
    )


# --- one browser connection ------------------------------------------------------------------


def session_main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """Run the app for one browser tab: `role` kiosk (no way out, R22), review (staff login) or
    demo (the demo folder the server prepared, with its outbox shown). `own_process`: this is
    the tab's own process (python -m app.web), which loads only the driver it needs."""
    from app.config import load_settings
    from app.errors import QinziError
    from app.factory import make_app, make_services
    from app.i18n import DEFAULT_LANGUAGE, t
    from app.logs import end_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    role = argv[0] if len(argv) == 1 else ""
    if role not in ROLES:  # the server writes this command line; a person never does
        print(f"usage: python -m app.web {{{','.join(ROLES)}}}", file=sys.stderr)
        return 2
    try:
        settings = load_settings(None)  # QINZI_* from the server (forward_options)
        if not settings.terminal_id:
            from app.config import default_terminal

            settings = settings.replace(terminal_id=f"{default_terminal('serve')}-{role}")
        info = None
        if role == "demo":
            settings = settings.replace(
                mode="demo", mail_transport="outbox", sms_transport="outbox"
            )
            info = read_demo_info(settings.data_dir)
        if own_process:
            from app.dburl import spare_postgres_driver

            spare_postgres_driver(settings.database_url)
        services = make_services(settings, command=f"browser session {role}")
    except QinziError as exc:
        print(t(exc.key, DEFAULT_LANGUAGE, **exc.params), file=sys.stderr)
        return 1
    try:
        mode = "review" if role == "review" else "kiosk"
        make_app(services, mode=mode, kiosk=role == "kiosk", demo_info=info,
                 own_outbox=role == "demo").run()  # fmt: skip
    finally:
        services.close()
        end_logging()
    return 0


if __name__ == "__main__":
    sys.exit(session_main(own_process=True))
