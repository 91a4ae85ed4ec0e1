"""FormService: the printable application forms (下載留存, 簽名切結), their approved copies, the
class letters, saving under the data folder and printing with `lp`.

Building a PDF takes tens of milliseconds and the first one loads the font (about 0.1 s), so
screens call these methods from a worker thread, never from the UI thread. Everything here only
reads the database; saving and printing a file of personal data are recorded in the audit
trail (R24). The PDF libraries are imported on first use, so that the other commands and the
app start without loading them."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.errors import InvalidInput, NotFound, RuleRefused
from app.i18n import LANGUAGES, t
from app.models import Account, Application, Classroom, School, Status, Student
from app.services.audit import SYSTEM
from app.services.context import Context
from app.services.numbers import parse_number
from app.text import lookup_key, printable

log = logging.getLogger(__name__)

WITHDRAWN = (Status.CANCELLED, Status.VOIDED)
PRINT_TIMEOUT = 30  # seconds lp may take to queue a job


@dataclass(frozen=True)
class Rendered:
    """A PDF and what its printer must be told (R43): the application numbers (or, for class
    letters, the page numbers) where a character that no installed font has prints as its code
    point, to be written in by hand."""

    pdf: bytes
    unprintable: tuple[str, ...] = ()


@dataclass(frozen=True)
class SavedForm:
    """Where 下載留存 put the file, for the screen to show."""

    path: Path
    numbers: tuple[str, ...]
    pages: int
    approved: bool
    unprintable: tuple[str, ...] = ()  # application numbers, see Rendered


@dataclass(frozen=True)
class PrintJob:
    printer: str
    request: str  # what lp answered, e.g. "office-1234"


class FormService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @staticmethod
    def preload() -> None:
        """Load the font ahead of the first form (a kiosk can do it in a worker at start-up)."""
        from app.services.forms.fonts import tc_font

        tc_font()

    # --- application forms --------------------------------------------------------------------

    def applications(
        self,
        numbers: Sequence[str],
        *,
        approved: bool = False,
        owner: str | None = None,
        account: int | None = None,
    ) -> list[Application]:
        """The applications to print, in the order given and each once. `owner` (a verified
        contact's digest) limits them to that parent's own, as at the kiosk, and `account` (a
        logged-in parent's account) to those made with that parent's ID number, as on the
        account home; an application of someone else is "not found", never "not yours"."""
        wanted: list[str] = []
        for position, raw in enumerate(numbers, 1):
            number = parse_number(raw)
            if number is None:
                # Not echoed: whatever was typed there (an ID number by mistake) stays unsaid.
                raise InvalidInput("errors.forms.number_invalid", field="number", position=position)
            if number not in wanted:
                wanted.append(number)
        if not wanted:
            raise InvalidInput("errors.forms.no_numbers", field="number")
        query = (
            Application.select(Application, Student, School, Classroom)
            .join(Student)
            .switch(Application)
            .join(School)
            .switch(Application)
            .join(Classroom)
            .where(Application.number.in_(wanted))
        )
        found = {a.number: a for a in query}
        parent = Account.get_by_id(account).id_digest if account is not None else None
        for number in wanted:
            app = found.get(number)
            if (
                app is None
                or (owner is not None and owner not in _contacts_of(app))
                or (parent is not None and app.parent_id_digest != parent)
            ):
                raise NotFound("errors.forms.not_found", field="number", number=number)
            if app.status in WITHDRAWN:
                raise RuleRefused("errors.forms.withdrawn", field="number", number=number)
            if approved and app.status != Status.APPROVED:
                raise RuleRefused("errors.forms.not_approved", field="number", number=number)
        return [found[n] for n in wanted]

    def build(
        self,
        numbers: Sequence[str],
        *,
        approved: bool = False,
        owner: str | None = None,
        account: int | None = None,
    ) -> bytes:
        """One PDF, a page per application with a bookmark per student. A decided
        application's page is its approved or rejected copy, with the school's stamp; with
        `approved`, every application must be approved."""
        return self.render(numbers, approved=approved, owner=owner, account=account).pdf

    def render(
        self,
        numbers: Sequence[str],
        *,
        approved: bool = False,
        owner: str | None = None,
        account: int | None = None,
    ) -> Rendered:
        """`build`, with the applications whose printer must be told something (R43)."""
        chosen = self.applications(numbers, approved=approved, owner=owner, account=account)
        return self._render(chosen)

    def _render(self, apps: Sequence[Application]) -> Rendered:
        from app.services.forms import fonts, layout
        from app.services.forms.application_form import form_page, render_forms
        from app.services.forms.stamp import Stamp, render_stamps

        now = self.ctx.clock()
        pages = [form_page(a, i, len(apps), now) for i, a in enumerate(apps, 1)]
        raw = render_forms(pages, now)
        stamps = [
            Stamp.of(p.lang, p.decided_at, rejected=p.decision == Status.REJECTED)
            if p.decision
            else None
            for p in pages
        ]
        overlay = render_stamps(stamps, now) if any(stamps) else None
        unprintable = []
        for page in pages:
            lost = fonts.unprintable(layout.strings_of(page))
            if lost:  # the number, never the name nor the character (R9)
                log.warning("application %s: %d character(s) are in no installed font and "
                            "print as code points (R43)", page.number, len(lost))  # fmt: skip
                unprintable.append(page.number)
        lang = pages[0].lang
        meta = layout.Metadata(
            title=t("forms.title", lang),
            subject=t("forms.meta_subject", lang, numbers=", ".join(p.number for p in pages)),
            keywords=t("forms.meta_keywords", lang),
            lang=lang,
            created=now,
        )
        marks = [layout.Bookmark(f"{p.student_name} {p.number}", i) for i, p in enumerate(pages)]
        return Rendered(layout.finish(raw, meta, marks, overlay), tuple(unprintable))

    def save(
        self,
        numbers: Sequence[str],
        *,
        approved: bool = False,
        owner: str | None = None,
        account: int | None = None,
        actor: str = SYSTEM,
    ) -> SavedForm:
        """下載留存: the PDF under `<data_dir>/forms/`, readable by this user only, named after
        the first application number."""
        apps = self.applications(numbers, approved=approved, owner=owner, account=account)
        rendered = self._render(apps)
        listed = tuple(a.number for a in apps)
        name = listed[0] + (f"+{len(listed) - 1}" if len(listed) > 1 else "")
        path = self.forms_dir() / f"{name}{'-approved' if approved else ''}.pdf"
        write_private(path, rendered.pdf)
        with self.ctx.transaction():
            for number in listed:
                self.ctx.audit.record(actor, "form.saved", number, approved=approved)
        return SavedForm(path, listed, len(listed), approved, rendered.unprintable)

    def forms_dir(self) -> Path:
        return self.ctx.settings.data_dir / "forms"

    # --- class letters ------------------------------------------------------------------------

    def exported(
        self, action: str, targets: list[str], path: str, school_code: str | None = None
    ) -> None:
        """A PDF of personal data written from the command line (`qinzi form`, `qinzi letters`)
        is recorded like one saved at a kiosk (issue 15): which records, which file; class
        letters under their school (R33)."""
        from app.models import School

        school = (
            School.select(School.id).where(School.code == school_code).scalar()
            if school_code
            else None
        )
        with self.ctx.transaction():
            for target in targets:
                self.ctx.audit.record(
                    SYSTEM, action, target, school=school, file=Path(path).name
                )

    def letters(
        self,
        school_code: str,
        class_name: str | None = None,
        lang: str = "",
        unbound_only: bool = False,
    ) -> bytes:
        """One page per enrolled student of the class (or of every class of the school): how to
        bind at the kiosk, and a QR code of the school and class for the kiosk's step 2. With
        `unbound_only`, just the students not yet bound (the start-of-term chase)."""
        return self.render_letters(school_code, class_name, lang, unbound_only).pdf

    def render_letters(
        self,
        school_code: str,
        class_name: str | None = None,
        lang: str = "",
        unbound_only: bool = False,
    ) -> Rendered:
        """`letters`, with the pages whose printer must be told something (R43)."""
        from app.services.forms import fonts, layout
        from app.services.forms.letters import letter_pages, render_letters

        code = (school_code or "").strip()
        school = School.get_or_none(School.code == lookup_key(code))
        if school is None:
            raise NotFound("errors.forms.unknown_school", field="school", school=printable(code))
        rooms = Classroom.select().where(Classroom.school == school)
        if class_name is not None:
            name = class_name.strip()
            rooms = rooms.where(Classroom.name == lookup_key(name))
            if not rooms.exists():
                raise NotFound(
                    "errors.forms.unknown_class",
                    field="class_name",
                    school=school.name,
                    classroom=printable(name),
                )
        lang = lang if lang in LANGUAGES else self.ctx.settings.language
        now = self.ctx.clock()
        pages, marks = letter_pages(
            school, list(rooms), lang, now, self.ctx.settings.initial_password, unbound_only
        )
        if not pages and unbound_only:
            raise RuleRefused("errors.review_day.no_unbound", field="class_name")
        if not pages:
            raise RuleRefused("errors.forms.no_students", field="class_name")
        meta = layout.Metadata(
            title=t("forms.letter.meta_title", lang, school=school.name),
            subject=t("forms.letter.title", lang),
            lang=lang,
            created=now,
        )
        unprintable = tuple(
            str(i) for i, page in enumerate(pages, 1) if fonts.unprintable(layout.strings_of(page))
        )
        if unprintable:
            log.warning("class letters of %s: page(s) %s have characters in no installed "
                        "font, printed as code points (R43)", school.code,
                        ", ".join(unprintable))  # fmt: skip
        return Rendered(layout.finish(render_letters(pages, now), meta, marks), tuple(unprintable))

    # --- printing -----------------------------------------------------------------------------

    def print_file(self, path: Path, *, actor: str = SYSTEM) -> PrintJob | None:
        """Send a saved PDF to the configured printer with `lp`; None when no printer is
        configured (the kiosk then only shows where the file is)."""
        printer = self.ctx.settings.printer.strip()
        if not printer:
            return None
        lp = shutil.which("lp")
        if lp is None:
            raise RuleRefused("errors.forms.no_printer_command", field="print", path=str(path))
        try:
            done = subprocess.run(
                [lp, "-d", printer, "-o", "media=A4", "-t", path.name, "--", str(path)],
                capture_output=True,
                text=True,
                timeout=PRINT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuleRefused(
                "errors.forms.print_failed",
                field="print",
                printer=printer,
                reason=type(exc).__name__,
                path=str(path),
            ) from exc
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[0]
            raise RuleRefused(
                "errors.forms.print_failed",
                field="print",
                printer=printer,
                reason=reason,
                path=str(path),
            )
        with self.ctx.transaction():
            self.ctx.audit.record(actor, "form.printed", path.stem, printer=printer)
        return PrintJob(printer, _request_id(done.stdout))


def _request_id(stdout: str) -> str:
    """`request id is office-42 (1 file(s))` → office-42."""
    words = stdout.split()
    if "is" in words and words.index("is") + 1 < len(words):
        return words[words.index("is") + 1]
    return stdout.strip()


def write_private(path: Path, data: bytes) -> None:
    """Write atomically, readable by the owner only: the file holds a parent's personal data."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise RuleRefused(
            "errors.forms.save_failed",
            field="output",
            path=str(path),
            reason=exc.strerror or type(exc).__name__,
        ) from exc


def _contacts_of(app: Application) -> tuple[str | None, ...]:
    """R37: the contacts that may print an application at the kiosk."""
    return (app.contact_digest, app.email_digest, app.mobile_digest)
