"""The `qinzi` command: its parser, the app (kiosk or staff terminal), the demo, and the IT chores
(import the roster, list applications, purge, seed a synthetic city). The deployment commands
are in cli_deploy.py; both build through app/factory.py, and nothing imports this module.

Every message goes through the catalog (`--lang`), and a mistake the user can fix ends in a
message and an exit code, never a traceback."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app import logs
from app.cli_deploy import cmd_backup, cmd_config, cmd_restore, cmd_serve, port_number
from app.cli_directory import add_directory_commands
from app.cli_roster import cmd_import
from app.cli_staff import add_staff_commands
from app.console import EXIT_REFUSED, EXIT_USAGE, Output, print_rows, show_demo
from app.errors import QinziError, RuleRefused
from app.factory import database_errors, demo_app, make_app, make_services, settings_from_args
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, t


class UsageError(Exception):
    """argparse found the command line malformed; its (English) detail goes into our message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


# --- commands -----------------------------------------------------------------------------------


def cmd_seed(args: argparse.Namespace, out: Output) -> int:
    from app.models import School, Status
    from app.services.demo.seed import seed

    services = make_services(args)
    try:
        if not args.force and School.select().exists():
            raise RuleRefused("errors.cli.not_empty", field="force")
        report = seed(
            services,
            schools=args.schools,
            students=args.students,
            applications=args.applications,
            rng_seed=args.rng_seed,
        )
    finally:
        services.close()
    by_status = ", ".join(
        f"{t(f'cli.status.{s}', out.lang)} {report.by_status.get(s, 0)}" for s in Status
    )
    out(
        "cli.seed.done",
        schools=report.schools,
        classrooms=report.classrooms,
        students=report.students,
        teachers=report.teachers,
        guardians=report.guardians,
        applications=report.applications,
        by_status=by_status,
        accounts=report.accounts,
        seconds=f"{report.seconds:.1f}",
    )
    out("cli.seed.password", password=report.staff_password)
    return 0


def cmd_applications(args: argparse.Namespace, out: Output) -> int:
    from app.services.reports import list_applications

    services = make_services(args)
    try:
        rows = list_applications(args.status, args.limit)
    finally:
        services.close()
    return print_rows(
        out, rows, as_json=args.format == "json", empty_key="cli.list.empty",
        headers=[t(f"cli.list.{h}", out.lang) for h in _LIST_COLUMNS],
        cells=lambda r: [
            r.number, r.student_masked, r.school, r.classroom,
            t(f"cli.relationship.{r.relationship}", out.lang),
            t(f"cli.status.{r.status}", out.lang), r.submitted_local,
        ],
    )  # fmt: skip


_LIST_COLUMNS = ("number", "student", "school", "classroom", "relationship", "state", "submitted")


def cmd_purge(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        report = services.retention.purge()
        days = services.settings.retention_days
        grace = services.settings.roster_left_grace_days
    finally:
        services.close()
    if report.bindings_ended:
        out("cli.purge.bindings_ended", count=report.bindings_ended, days=grace)
    out(
        "cli.purge.done",
        days=days,
        applications=report.applications,
        codes=report.codes,
        failures=report.failures,
        messages=report.messages,
    )
    return 0


def cmd_check(args: argparse.Namespace, out: Output) -> int:
    """Exit 1 when a problem is found, so a cron job or CI step can act on it: records that break
    a rule, directory entries that differ (R39), or an SMS gateway that does not answer or
    refuses our user (R38)."""
    from app.cli_directory import directory_problems
    from app.services.consistency import check_consistency
    from app.services.transports import gateway_problems

    services = make_services(args)
    try:
        problems = [(p.kind, p.target, p.detail) for p in check_consistency(services.ctx.db)]
        problems += directory_problems(services)  # R39
    finally:
        services.close()
    for target, detail in gateway_problems(services.settings):  # R38: it answers, knows us
        logs.log.error("SMS gateway %s cannot be used: %s", target, detail)
        problems.append(("sms_gateway", target, detail))
    if not problems:
        out("cli.check.ok")
        return 0
    out.error("cli.check.found", count=len(problems))
    for kind, target, detail in problems:
        out.error(f"cli.check.{kind}", target=target, detail=detail)
    return EXIT_REFUSED


def cmd_outbox(args: argparse.Namespace, out: Output) -> int:
    """Deliver what is due (issue 9: mail stranded by a crash or an outage); exit 1 while some
    message fails, so cron mails IT."""
    services = make_services(args)
    try:
        report = services.outbox.deliver_due(limit=10_000)
        changes = services.directory.deliver_due(limit=10_000)  # R39: the same way
    finally:
        services.close()
    if services.directory.enabled:
        out("cli.directory.delivered", delivered=changes.delivered, failed=changes.failed,
            undeliverable=changes.undeliverable)  # fmt: skip
    out("cli.outbox.done", delivered=report.delivered, failed=report.failed,
        undeliverable=report.undeliverable)  # fmt: skip
    troubles = report.failed + report.undeliverable + changes.failed + changes.undeliverable
    return EXIT_REFUSED if troubles else 0


def cmd_form(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        rendered = services.forms.render(args.numbers, approved=args.approved)
        code = _write_pdf(Path(args.output), rendered.pdf, out)
        if code == 0:
            numbers = [a.number for a in services.forms.applications(args.numbers)]
            services.forms.exported("form.exported", numbers, args.output)
        if rendered.unprintable:  # R43: whoever prints it writes the character in by hand
            out.error("cli.forms.unprintable", count=len(rendered.unprintable),
                      numbers=", ".join(rendered.unprintable))  # fmt: skip
    finally:
        services.close()
    return code


def cmd_letters(args: argparse.Namespace, out: Output) -> int:
    services = make_services(args)
    try:
        rendered = services.forms.render_letters(
            args.school, args.class_name, lang=out.lang, unbound_only=args.unbound
        )
        code = _write_pdf(Path(args.output), rendered.pdf, out)
        if code == 0:
            target = f"{args.school}/{args.class_name or '*'}"
            services.forms.exported("letters.exported", [target], args.output, args.school)
        if rendered.unprintable:
            out.error("cli.forms.letters_unprintable", count=len(rendered.unprintable),
                      pages=", ".join(rendered.unprintable))  # fmt: skip
    finally:
        services.close()
    return code


def _write_pdf(path: Path, pdf: bytes, out: Output) -> int:
    """Write a printable PDF (readable by this user only: it may hold personal data)."""
    import io

    from pypdf import PdfReader

    from app.services.forms.service import write_private

    write_private(path, pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    out("cli.forms.written", path=str(path), count=pages, pages=pages)
    return 0


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Start-up (issue 13): Python's garbage collector ran about 120 times before the first
    frame, a third of the time Qinzi took beyond a bare Textual app, walking the young objects
    of every import and style sheet again and again. It is paused while the app starts; the app
    resumes it behind its first frame (QinziApp.resume_collector), or this does if the app
    stops before that."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def cmd_demo(args: argparse.Namespace, out: Output) -> int:
    folder = Path(args.dir) if args.dir else None
    with _collector_paused():
        app, services, folder = demo_app(settings_from_args(args), folder)
        try:
            app.run()
        finally:
            services.close()
    if app.demo_info is not None:
        show_demo(out, folder, app.demo_info)
    return 0 if app.return_code in (None, 0) else app.return_code


def _run_app(kiosk: bool, mode: str = "kiosk") -> Callable[[argparse.Namespace, Output], int]:
    def run(args: argparse.Namespace, out: Output) -> int:
        with _collector_paused():
            services = make_services(args)
            try:
                app = make_app(services, mode=mode, kiosk=kiosk)
                app.run()
            finally:
                services.close()
        # R41: 75 when the database stayed away, for the service manager to restart it
        return getattr(app, "return_code", None) or 0

    return run


# --- the command line -----------------------------------------------------------------------------


NUMBER_MAX = 10**9  # beyond any roster or queue; a database refuses a LIMIT past 2**63


def number(text: str) -> int:
    """A whole number from 0 to NUMBER_MAX; argparse turns the ValueError into a usage error."""
    value = int(text)
    if not 0 <= value <= NUMBER_MAX:
        raise ValueError(text)
    return value


class _Commands:
    """The parser's commands. With `only`, the other commands' parsers are made but never
    attached (nor their options copied in): a start builds the one command it runs (issue 13,
    start-up); `--help` and a command line that fails build them all (see `_parse`)."""

    def __init__(self, sub: Any, only: str | None) -> None:
        self.sub = sub
        self.only = only

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if self.only is None or self.only == name:
            return self.sub.add_parser(name, **kwargs)
        return _Unbuilt()  # type: ignore[return-value]


class _Unbuilt:
    """A command not built this time: takes its options (and sub-commands) and drops them."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_defaults(self, **kwargs: Any) -> None:
        pass

    def add_subparsers(self, **kwargs: Any) -> _Unbuilt:
        return self

    def add_parser(self, name: str, **kwargs: Any) -> _Unbuilt:
        return self


def build_parser(lang: str, only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command, or with `only` just that one (none for "")."""

    def h(key: str) -> str:
        return t(f"cli.help.{key}", lang)

    def global_options(parser: argparse.ArgumentParser, default: Any) -> argparse.ArgumentParser:
        parser.add_argument("--db", metavar="URL", default=default, help=h("db"))
        parser.add_argument("--config", metavar="FILE", default=default, help=h("config"))
        parser.add_argument("--data-dir", metavar="DIR", default=default, help=h("data_dir"))
        parser.add_argument("--lang", choices=LANGUAGES, default=default, help=h("lang"))
        return parser

    parser = global_options(_Parser(prog="qinzi", description=h("description")), None)
    parser.set_defaults(handler=_run_app(kiosk=False))
    # The same options after the command (`qinzi import x.csv --db …`); SUPPRESS keeps a value
    # given before the command from being reset by the sub-parser's default.
    common = global_options(_Parser(add_help=False), argparse.SUPPRESS)
    sub = _Commands(parser.add_subparsers(dest="command", metavar="COMMAND",
                                          parser_class=_Parser), only)  # fmt: skip

    def command(name: str, help_key: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=h(help_key), parents=[common])

    p = command("import", "import")
    p.add_argument("file", metavar="ROSTER.csv", help=h("import_file"))
    p.add_argument("--dry-run", action="store_true", help=h("dry_run"))
    p.set_defaults(handler=cmd_import)

    p = command("seed", "seed")
    p.add_argument("--schools", type=number, default=300, help=h("schools"))
    p.add_argument("--students", type=number, default=250_000, help=h("students"))
    p.add_argument("--applications", type=number, default=100_000, help=h("applications"))
    p.add_argument("--rng-seed", type=int, default=2026, help=h("rng_seed"))
    p.add_argument("--force", action="store_true", help=h("force"))
    p.set_defaults(handler=cmd_seed)

    p = command("applications", "applications_cmd")
    p.add_argument("--status", metavar="STATUS", help=h("status"))
    p.add_argument("--format", choices=("table", "json"), default="table", help=h("format"))
    p.add_argument("--limit", type=number, help=h("limit"))
    p.set_defaults(handler=cmd_applications)

    command("purge", "purge").set_defaults(handler=cmd_purge)
    command("check", "check").set_defaults(handler=cmd_check)
    command("outbox", "outbox").set_defaults(handler=cmd_outbox)

    p = command("form", "form")
    p.add_argument("numbers", nargs="+", metavar="NUMBER", help=h("form_numbers"))
    p.add_argument("-o", "--output", metavar="FILE.pdf", required=True, help=h("output"))
    p.add_argument("--approved", action="store_true", help=h("approved"))
    p.set_defaults(handler=cmd_form)

    p = command("letters", "letters")
    p.add_argument("--school", metavar="CODE", required=True, help=h("school"))
    p.add_argument("--class", dest="class_name", metavar="NAME", help=h("class_name"))
    p.add_argument("--unbound", action="store_true", help=h("unbound"))
    p.add_argument("-o", "--output", metavar="FILE.pdf", required=True, help=h("output"))
    p.set_defaults(handler=cmd_letters)

    add_staff_commands(sub, common, h)
    add_directory_commands(sub, common, h)

    p = command("demo", "demo")
    p.add_argument("--dir", metavar="DIR", help=h("demo_dir"))
    p.set_defaults(handler=cmd_demo)

    command("kiosk", "kiosk").set_defaults(handler=_run_app(kiosk=True))
    command("review", "review").set_defaults(handler=_run_app(kiosk=False, mode="review"))

    p = command("serve", "serve")
    p.add_argument("role", nargs="?", choices=("kiosk", "review", "demo"), default="kiosk",
                   help=h("serve_role"))  # fmt: skip
    p.add_argument("--host", default="127.0.0.1", help=h("host"))
    p.add_argument("--port", type=port_number, default=8000, help=h("port"))
    p.add_argument("--dir", metavar="DIR", help=h("demo_dir"))
    p.set_defaults(handler=cmd_serve)

    p = command("backup", "backup")
    p.add_argument("file", metavar="FILE", help=h("backup_file"))
    p.set_defaults(handler=cmd_backup)

    p = command("restore", "restore")
    p.add_argument("file", metavar="FILE", help=h("restore_file"))
    p.add_argument("--force", action="store_true", help=h("restore_force"))
    p.set_defaults(handler=cmd_restore)

    p = command("config", "config_cmd")
    p.add_argument("--example", action="store_true", help=h("example"))
    p.add_argument("--hash-pin", action="store_true", help=h("hash_pin"))
    p.set_defaults(handler=cmd_config)
    return parser


_VALUED_OPTIONS = ("--db", "--config", "--data-dir", "--lang")  # global_options taking a value


def _command_word(argv: Sequence[str]) -> str:
    """The command named on the command line ("" for none), found without the full parser."""
    words = iter(argv)
    for word in words:
        if word in _VALUED_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return ""


def _parse(argv: Sequence[str], lang: str) -> argparse.Namespace:
    """The parsed command line, from a parser of just its command; help, or a mistake (an
    unknown command, a bad option), goes through the full parser, whose words it keeps."""
    if "-h" not in argv and "--help" not in argv:
        try:
            return build_parser(lang, only=_command_word(argv)).parse_args(argv)
        except UsageError:
            pass
    return build_parser(lang).parse_args(argv)


def _language(argv: Sequence[str]) -> str:
    """The language of our messages, known before the full parse so usage errors use it too."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang")
    known, _ = pre.parse_known_args(argv)
    lang = known.lang or os.environ.get("QINZI_LANG") or DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the log file (set up by make_services) gets its refusals, errors and
    the exit code, then is closed."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # R40: every file and folder this process makes (database, exports, forms, letters, logs)
    # is its owner's only, whatever the shell's umask.
    os.umask(0o077)
    out = Output(_language(argv))
    try:
        code = _dispatch(argv, out)
    except BaseException:
        if logs.active():
            logs.log.exception("stopped on an unexpected error")
        logs.end_logging(EXIT_REFUSED)
        raise
    logs.end_logging(code)
    return code


# What an operator can do something about, found anywhere in an error's chain: a full disk
# shows first as "cannot rollback - no transaction is active" when the rollback fails too.
_DATABASE_TROUBLE = (
    ("disk is full", "errors.cli.disk_full"),
    ("readonly database", "errors.cli.db_readonly"),
    ("read-only", "errors.cli.db_readonly"),
)


def _database_trouble(exc: BaseException) -> str | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current).lower()
        for words, key in _DATABASE_TROUBLE:
            if words in text:
                return key
        current = current.__cause__ or current.__context__
    return None


def _dispatch(argv: list[str], out: Output) -> int:
    try:
        args = _parse(argv, out.lang)
        return args.handler(args, out)
    except UsageError as exc:
        out.error("errors.cli.bad_args", detail=str(exc))
        out.error("cli.usage_hint")
        return EXIT_USAGE
    except QinziError as exc:
        if logs.active():
            logs.log.info("refused: %s", exc.key)
        out.error(exc.key, **exc.params)
        return EXIT_REFUSED
    except database_errors() as exc:
        reason = (str(exc).strip().splitlines() or ["?"])[0]
        if logs.active():
            logs.log.error("database error: %s", reason)
        out.error(_database_trouble(exc) or "errors.cli.db_failed", reason=reason)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        out.error("errors.cli.interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
