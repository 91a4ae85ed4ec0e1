"""The deployment commands of `qinzi`: browser mode (serve), backup and restore of the SQLite
database, and the configuration (config, config --example). Kept apart from app/cli.py, which
holds the IT chores and the parser; both build through app/factory.py."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from app import logs
from app.console import EXIT_REFUSED, Output, show_demo
from app.dburl import redacted
from app.errors import ConfigError, InvalidInput
from app.factory import demo_settings, make_services, settings_from_args
from app.i18n import t


def cmd_serve(args: argparse.Namespace, out: Output) -> int:
    """Serve the app to browsers; each connection runs `python -m app.web ROLE` (app/web.py)."""
    from app import web

    settings = settings_from_args(args)  # a bad setting stops here, before the server starts
    web.forward_options(args)
    web.forward_database(getattr(args, "db", None))
    if args.role == "demo":
        from app.services.demo.seed import demo_setup

        settings, folder = demo_settings(settings, Path(args.dir).resolve() if args.dir else None)
        services = make_services(settings)
        try:
            info = demo_setup(services)
        finally:
            services.close()
        web.write_demo_info(folder, info)
        show_demo(out, folder, info)
        os.environ["QINZI_DATA_DIR"] = str(folder)  # each tab's process: the demo's folder
        web.forward_database(settings.database_url)
    if not web.is_loopback(args.host):
        out.error("web.warn_public", host=args.host)
    try:
        server = web.make_server(
            web.session_command(args.role),
            host=args.host,
            port=args.port,
            lang=settings.language,
            max_sessions=settings.serve_max_sessions,
            font_size=web.page_font_size(settings),
        )
    except ModuleNotFoundError as exc:
        raise ConfigError("errors.cli.no_serve") from exc
    server.serve()
    return 0


def _log_start(settings, command: str) -> None:
    """Backup and restore open no services, but IT looks for them in the log too."""
    logs.setup_logging(settings)
    logs.log_start(settings, command)


def cmd_backup(args: argparse.Namespace, out: Output) -> int:
    from app.backup import backup
    from app.keys import KEY_FILE

    settings = settings_from_args(args)
    _log_start(settings, "backup")
    report = backup(settings.database_url, Path(args.file))
    logs.log.info("backup written to %s (%d bytes)", report.path, report.size_bytes)
    out(
        "backup.done",
        path=report.path,
        size=max(1, report.size_bytes // 1024),
        version=report.schema_version,
        tables=report.tables,
    )
    out("backup.key_reminder", file=str(settings.data_dir / KEY_FILE))
    return 0


def cmd_restore(args: argparse.Namespace, out: Output) -> int:
    from app.backup import restore

    settings = settings_from_args(args)
    _log_start(settings, "restore")
    report = restore(Path(args.file), settings.database_url, force=args.force)
    logs.log.info("restored from %s, %d problem(s) found", args.file, report.problems)
    out("backup.restored", path=report.path, version=report.schema_version)
    if report.problems:
        out.error("backup.problems", count=report.problems)
        return EXIT_REFUSED
    out("backup.consistent")
    return 0


_HIDDEN_SETTINGS = ("smtp_password", "sms_password", "staff_pin", "staff_pin_hash",
                    "directory_bind_password")  # fmt: skip


def cmd_config(args: argparse.Namespace, out: Output) -> int:
    """`--example` prints the documented example file; without it, the settings in force (after
    the file, the environment and the flags), which also proves the configuration loads."""
    from dataclasses import fields

    from app.resources import data_file

    if args.example:
        print(data_file("config.example.toml").read_text(encoding="utf-8"), end="")
        return 0
    if args.hash_pin:
        return _hash_pin(args, out)
    settings = settings_from_args(args)
    print(t("config.header", out.lang))
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name in _HIDDEN_SETTINGS and value:
            print(f"{f.name} = {json.dumps(t('config.hidden', out.lang), ensure_ascii=False)}")
        elif f.name == "db":  # R40: a password in the URL is never printed
            print(f"{f.name} = {json.dumps(redacted(str(value)), ensure_ascii=False)}")
        elif isinstance(value, bool):
            print(f"{f.name} = {str(value).lower()}")
        elif isinstance(value, int | float):
            print(f"{f.name} = {value}")
        else:
            print(f"{f.name} = {json.dumps(str(value), ensure_ascii=False)}")
    return 0


def _read_pin(out: Output) -> str:
    """From a terminal: twice and without echo, so nobody behind reads it; from a pipe or a
    file: its first line."""
    import getpass
    import sys

    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(t("config.pin_prompt", out.lang))
        if getpass.getpass(t("config.pin_again", out.lang)) != first:
            raise InvalidInput("errors.kiosk.pin_mismatch", field="pin")
        return first
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def _hash_pin(args: argparse.Namespace, out: Output) -> int:
    """`config --hash-pin`: the staff_pin_hash line for the config file (R22), so that the PIN
    itself need not be kept in it. Only the line goes to standard output."""
    from app.services.kiosk_lock import hash_pin

    settings = settings_from_args(args)
    print(f"staff_pin_hash = {json.dumps(hash_pin(settings, _read_pin(out)))}")
    out.error("config.pin_hash_hint")
    return 0


def port_number(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise ValueError(text)
    return value
