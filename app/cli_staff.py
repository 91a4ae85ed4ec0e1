"""`qinzi staff`: the command group for staff accounts (R32). The first school-IT account of a
school is made here; so are invitations, resets and the list IT checks them with. The rules are
in services/staff_accounts.py; this module only parses, calls and prints."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from app.clock import to_local
from app.console import Output, print_rows
from app.factory import make_services
from app.i18n import t
from app.services.roles import ROLES

_COLUMNS = ("email", "name", "role", "classes", "state")


def normalize_email(text: str) -> str:
    """The e-mail as stored; the services load only when a staff command runs (the parser is
    built for every command, `qinzi demo` included, whose first frame waits for it)."""
    from app.services.contacts import normalize_email as normalized

    return normalized(text)


def _until(sent) -> str:
    return f"{to_local(sent.expires_at):%Y-%m-%d %H:%M}"


def cmd_staff_add(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        sent = services.staff_accounts.add(args.school, args.email, role=args.role,
                                           name=args.name, lang=out.lang)  # fmt: skip
        school = services.staff_accounts.school(args.school).name
    finally:
        services.close()
    out("cli.staff.added", email=normalize_email(args.email), school=school, until=_until(sent))
    return 0


def cmd_staff_invite(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        invited = services.staff_accounts.invite(args.emails, args.school, lang=out.lang)
    finally:
        services.close()
    out("cli.staff.invited", count=len(invited.emails))
    for email in invited.emails:
        print(f"  {email}")
    if invited.already_invited:
        out("cli.staff.already_invited", count=invited.already_invited)
    return 0


def cmd_staff_unlock(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        waited = services.staff_accounts.lift_wait(args.email)
    finally:
        services.close()
    out("cli.staff.unlocked" if waited else "cli.staff.not_waiting",
        email=normalize_email(args.email))  # fmt: skip
    return 0


def cmd_staff_reset(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        sent = services.staff_accounts.reset(args.email, lang=out.lang)
    finally:
        services.close()
    out("cli.staff.reset", email=normalize_email(args.email), until=_until(sent))
    return 0


def cmd_staff_list(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        rows = services.staff_accounts.members(args.school)
    finally:
        services.close()
    return print_rows(
        out, rows, as_json=args.format == "json", empty_key="cli.staff.empty",
        headers=[t(f"cli.staff.col_{c}", out.lang) for c in _COLUMNS],
        cells=lambda r: [
            r.email, r.name, t(f"cli.staff.role_{r.role}", out.lang), " ".join(r.classes),
            t(f"cli.staff.state_{r.state.replace('-', '_')}", out.lang),
        ],
    )  # fmt: skip


def add_staff_commands(
    commands: Any,
    common: argparse.ArgumentParser,
    h: Callable[[str], str],
) -> None:
    """`qinzi staff add|invite|reset|unlock|list` among the parser's `commands`; `common`
    carries the global options, so they work after the action too."""
    staff = commands.add_parser("staff", help=h("staff_cmd"), parents=[common])
    sub = staff.add_subparsers(dest="staff_command", metavar="ACTION",
                               parser_class=type(staff), required=True)  # fmt: skip

    def action(name: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=h(f"staff_{name}"), parents=[common])

    p = action("add")
    p.add_argument("--school", metavar="CODE", required=True, help=h("staff_school"))
    p.add_argument("--role", choices=ROLES, default="it", help=h("staff_role"))
    p.add_argument("--name", metavar="NAME", help=h("staff_name"))
    p.add_argument("email", metavar="EMAIL", help=h("staff_email"))
    p.set_defaults(handler=cmd_staff_add)

    p = action("invite")
    p.add_argument("--school", metavar="CODE", help=h("staff_school"))
    p.add_argument("emails", nargs="*", metavar="EMAIL", help=h("staff_emails"))
    p.set_defaults(handler=cmd_staff_invite)

    p = action("reset")
    p.add_argument("email", metavar="EMAIL", help=h("staff_email"))
    p.set_defaults(handler=cmd_staff_reset)

    p = action("unlock")
    p.add_argument("email", metavar="EMAIL", help=h("staff_email"))
    p.set_defaults(handler=cmd_staff_unlock)

    p = action("list")
    p.add_argument("--school", metavar="CODE", required=True, help=h("staff_school"))
    p.add_argument("--format", choices=("table", "json"), default="table", help=h("staff_format"))
    p.set_defaults(handler=cmd_staff_list)
