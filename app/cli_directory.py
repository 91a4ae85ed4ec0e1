"""`qinzi directory sync [--dry-run]` (R39): every account against its entry in the city
directory, the differences printed (accounts masked: R9) and, without --dry-run, written. The
rules are in services/directory.py; this module only parses, calls and prints. `qinzi check`
asks `directory_problems` for the same comparison."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from app.console import EXIT_REFUSED, Output
from app.errors import ConfigError
from app.factory import make_services
from app.services import Services


def directory_problems(services: Services) -> list[tuple[str, str, str]]:
    """(kind, target, detail) for `qinzi check`: entries missing or different, changes given
    up, or the directory itself unreachable (its one line)."""
    from app.services.directory import DirectoryError

    provisioner = services.directory
    if not provisioner.enabled:
        return []
    problems = [
        ("directory_given_up", f"{c.id}", f"{c.kind}: {c.error or '?'}")
        for c in provisioner.given_up()
    ]
    try:
        for d in provisioner.compare():
            kind = "directory_missing" if d.fields == ("entry",) else "directory_different"
            problems.append((kind, f"{d.account_id} ({d.uid_masked})", ", ".join(d.fields)))
    except DirectoryError as exc:
        problems.append(("directory_unreachable", services.settings.directory_url, str(exc)))
    return problems


def cmd_directory_sync(args: argparse.Namespace, out: Output) -> int:
    from app.services.directory import DirectoryError  # loaded when the command runs

    services = make_services(args)
    try:
        if not services.directory.enabled:
            raise ConfigError("errors.directory.not_configured")
        try:
            found = services.directory.compare(repair=not args.dry_run)
        except DirectoryError as exc:
            out.error("cli.directory.unreachable", reason=str(exc))
            return EXIT_REFUSED
    finally:
        services.close()
    for d in found:
        key = "missing" if d.fields == ("entry",) else "different"
        out(f"cli.directory.{key}", account=d.account_id, login=d.uid_masked,
            fields=", ".join(d.fields))  # fmt: skip
    done = "dry_run" if args.dry_run else "synced"
    out(f"cli.directory.{done}", count=len(found))
    return 0


def add_directory_commands(
    commands: Any, common: argparse.ArgumentParser, h: Callable[[str], str]
) -> None:
    directory = commands.add_parser("directory", help=h("directory_cmd"), parents=[common])
    sub = directory.add_subparsers(dest="directory_command", metavar="ACTION",
                                   parser_class=type(directory), required=True)  # fmt: skip
    p = sub.add_parser("sync", help=h("directory_sync"), parents=[common])
    p.add_argument("--dry-run", action="store_true", help=h("directory_dry_run"))
    p.set_defaults(handler=cmd_directory_sync)
