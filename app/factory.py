"""The one factory: settings → log file → database → services → app. The command line, browser
mode and the tests all build through it.

Textual (app.tui, screens/) is imported only when an app is made, so `qinzi import` on a server
without a terminal never loads it; the demo opens its new database behind the first frame."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import logs
from app.clock import Clock, utcnow
from app.config import Settings, default_terminal, load_settings
from app.dburl import redacted
from app.errors import ConfigError
from app.services import Services, build_services

if TYPE_CHECKING:
    import argparse  # only for its type: a browser tab's process parses no options

    from app.services.transports import Transport
    from app.tui import QinziApp


def settings_from_args(args: argparse.Namespace) -> Settings:
    settings = load_settings(
        Path(args.config) if getattr(args, "config", None) else None,
        db=getattr(args, "db", None),
        data_dir=getattr(args, "data_dir", None),
        # `--lang` is a global option: it sets the terminal's language as QINZI_LANG does.
        language=getattr(args, "lang", None),
    )
    if not settings.terminal_id:
        settings = settings.replace(terminal_id=default_terminal(getattr(args, "command", None)))
    return settings


def database_errors() -> tuple[type[Exception], ...]:
    """Peewee's errors, imported only when an exception is being matched: `qinzi demo` draws its
    first frame before peewee is loaded (issue 7)."""
    from peewee import DatabaseError, InterfaceError

    from app.backend import driver_errors

    return (DatabaseError, InterfaceError, *driver_errors())


# R40: the commands that fill a database create it; every other one refuses a path that does not
# exist (a mistyped --db or --data-dir opens nothing instead of an empty database).
CREATING_COMMANDS = frozenset({"import", "seed", "demo", "restore"})


def make_services(
    source: argparse.Namespace | Settings,
    *,
    clock: Clock = utcnow,
    mail: Transport | None = None,
    sms: Transport | None = None,
    command: str | None = None,
    **kwargs: Any,
) -> Services:
    """Settings (or the parsed command line) → the log file → open database → wired services."""
    settings = source if isinstance(source, Settings) else settings_from_args(source)
    if not isinstance(source, Settings):
        kwargs.setdefault("create", (command or source.command) in CREATING_COMMANDS)
    logs.setup_logging(settings)
    try:
        services = build_services(settings, clock=clock, mail=mail, sms=sms, **kwargs)
    except (*database_errors(), OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        url = redacted(settings.database_url)
        logs.log.error("cannot open the database %s: %s", url, reason)
        logs.close_logging()
        raise ConfigError("errors.cli.db_open", url=url, reason=reason) from exc
    logs.log_start(settings, command or getattr(source, "command", None))
    return services


def make_app(
    services: Services,
    *,
    mode: str = "kiosk",
    kiosk: bool = False,
    demo_info: Any = None,
    prepare: Callable[[], Any] | None = None,
    own_outbox: bool = False,
) -> QinziApp:
    """The Textual app on these services, in `mode` ("kiosk": the parents' welcome screen,
    "review": the staff login), with the flow that routes its screens. A `kiosk` can be left
    only with the staff PIN (R22)."""
    try:
        from app.tui import QinziApp
        from screens.flow import Flow
    except ModuleNotFoundError as exc:
        if exc.name in ("app.tui", "textual", "screens", "screens.flow"):
            raise ConfigError("errors.cli.no_tui") from exc
        raise
    return QinziApp(services, Flow(), mode=mode, kiosk=kiosk, demo_info=demo_info,
                    prepare=prepare, own_outbox=own_outbox)  # fmt: skip


def demo_settings(settings: Settings, folder: Path | None) -> tuple[Settings, Path]:
    """The demo's own folder (new, or the one given), database and outbox-only mail and SMS."""
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="qinzi-demo-"))
    return settings.replace(data_dir=folder, db=str(folder / "qinzi.db"), mode="demo",
                            mail_transport="outbox", sms_transport="outbox"), folder  # fmt: skip


def demo_app(settings: Settings, folder: Path | None = None) -> tuple[QinziApp, Services, Path]:
    """The demo's app on a new (or the given) folder. Its set-up — roster, teacher logins,
    sample applications — runs behind the first frame (issue 7), so the welcome screen is up as
    fast as a bare Textual app's. `make bench` times exactly this."""
    settings, folder = demo_settings(settings, folder)
    services = make_services(settings, lazy=True, command="demo")  # opens behind the frame

    def prepare() -> Any:
        from app.services.demo.seed import demo_setup

        return demo_setup(services)

    return make_app(services, prepare=prepare), services, folder
