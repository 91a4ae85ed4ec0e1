"""Issue 9, point 3 — the monkey: thousands of random keys (ASCII, CJK, full-width, function and
control keys), pastes, clicks, wheel turns, resizes and idle spells at every screen of the kiosk
and of the staff terminal, through the real services on a real database file.

Whatever it does, two things must hold. The app never crashes: no unhandled error, no worker that
died, no service error hidden behind the generic message, and a kiosk never exits without the
staff PIN (R22). And once parent A walks away — F10, the idle timeout, 不同意並退出, 登出 — nothing
of A's is left anywhere: not on the screen, not in a field of any screen on the stack, not in a
draft, a notice or the session (R22, R9). The same holds on the staff terminal for the teacher who
logged out and the parent data they were looking at.

A failure names its seed and the last events: replay with QINZI_MONKEY_SEED=<seed>.
QINZI_MONKEY_SEED=random picks a fresh seed; QINZI_MONKEY_KEYS=<n> sets the events per screen
(default 100: 2,200 in all; 400 for a long local run); QINZI_MONKEY_ROUNDS=<n> walks away in
up to n ways per screen (default 1: each screen has its own first way, so every way is taken
somewhere)."""

from __future__ import annotations

import html
import logging
import os
import random
import re
import string
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Input, OptionList, RadioButton, Static
from textual.worker import Worker, WorkerState

from app.factory import make_app
from app.identity import mask_email, mask_id, mask_mobile, mask_name
from app.models import Binding, RosterGuardian, UnbindRequest
from app.services.accounts import ParentLogin
from app.services.kiosk import KioskSession
from app.tui import QinziApp
from screens.review.detail import DetailScreen
from screens.student import StudentScreen
from screens.widgets.idle import IdleCountdown
from tests.factories import (
    TEACHER_PASSWORD,
    make_account,
    submit_application,
    verified_contact,
)
from tests.tui.conftest import settle, type_into
from tests.tui.review_kit import EMAILS, log_in

_seed = os.environ.get("QINZI_MONKEY_SEED", "")
SEED = random.SystemRandom().randrange(10**9) if _seed == "random" else int(_seed or 20260209)
EVENTS = int(os.environ.get("QINZI_MONKEY_KEYS") or 100)  # per screen family
ROUNDS = int(os.environ.get("QINZI_MONKEY_ROUNDS") or 1)  # ways of walking away per family
SIZE = (80, 24)


# --- parent A: what must be gone once A has walked away ----------------------------------------


@dataclass
class ParentA:
    email: str = "monkey.parent.a@example.com"
    new_email: str = "monkey.parent.a2@example.com"
    name: str = "甘霖娜"
    mobile: str = "0933456789"
    password: str = "Lantern-Harbour-8812"
    student: str = "chen"  # 陳曉明, class 302 of 何老師


A = ParentA()


@dataclass
class World:
    services: object
    roster: object
    clock: object
    numbers: list[str] = field(default_factory=list)  # A's application numbers
    staff: tuple[str, ...] = ()  # staff logins typed in this run (review role)

    @property
    def parent_id(self) -> str:
        return self.roster.parent_ids["mother"]

    def forbidden(self) -> list[str]:
        """Every form of A's data a screen could show, masked or not."""
        student_id = self.roster.ids[A.student]
        student_name = self.roster.student(A.student).name
        found = [
            A.email, mask_email(A.email), A.new_email, A.name, mask_name(A.name), A.mobile,
            "+886" + A.mobile[1:], mask_mobile(A.mobile), A.password, self.parent_id,
            mask_id(self.parent_id), student_id, mask_id(student_id), student_name,
            mask_name(student_name), *self.numbers,
        ]  # fmt: skip
        for who in self.staff:
            teacher = self.roster.teachers[who]
            found += [teacher.email, TEACHER_PASSWORD]
            if teacher.role == "teacher":  # IT's name, 資訊組長, is a word of the screens too
                found.append(teacher.name)
        return found


# --- the alphabet --------------------------------------------------------------------------------

_PLANTED = "甘霖娜陳曉明何老師吳資訊組長"
CJK = "".join(
    ch
    for ch in "的一是不了人我在有他這中大來上國個到說們為子和你地出道也時年得就那要下以生會自"
    "著去之過家學對可她裡後小麼心多天而能好都然沒日於起還發成事只作當想看文無開手用主行方又如前"
    "所本見經頭面公同三已從動兩長知民樣現分將外但身些與高意進把法此實回二理美點月其種聲全工己話"
    "ㄅㄆㄇㄈ，。、「」！？：；（）…《》～"
    if ch not in _PLANTED
)
FULL_WIDTH = (
    "ＡＢＣＤＥＦＨＪＫＭＮＰＱＲＳＴＵＶＷＸＹＺａｂｃｘｙｚ"
    + "０１２３４５６７８９－＠．＿\u3000"
)
ODD = "éßñüØ😀🙂ﬁ·°±×÷\u0301"
PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " "
NAVIGATION = ["tab", "shift+tab", "enter", "escape", "up", "down", "left", "right", "home",
              "end", "pageup", "pagedown", "backspace", "delete", "space", "insert",
              "shift+up", "shift+down", "shift+left", "shift+right", "shift+home", "shift+end",
              "ctrl+left", "ctrl+right", "ctrl+home", "ctrl+end"]  # fmt: skip
FUNCTION = [f"f{n}" for n in range(1, 13)]
CONTROL = [f"ctrl+{c}" for c in string.ascii_lowercase]
ESCAPES = ["ctrl+c", "ctrl+q", "ctrl+z", "ctrl+p", "ctrl+s", "ctrl+backslash", "f10"]
CHARS = {"tab": "\t", "enter": "\r", "escape": "\x1b", "backspace": "\x7f", "space": " "}
# A staff terminal is not locked (R22 is the kiosk's): Ctrl+Q and the command palette (its key
# and the header icon) end it by design, so the monkey leaves them alone there.
NOT_ON_STAFF_TERMINAL = {"ctrl+q", "ctrl+p"}


def key_event(key: str) -> events.Key:
    """The Key event a terminal delivers: a character (key name and character) or a named key
    (its control character where it has one)."""
    if len(key) == 1:
        return events.Key(key if key.isalnum() else _character_to_key(key), key)
    if key.startswith("ctrl+") and len(key) == 6:
        return events.Key(key, chr(ord(key[-1]) - 96))
    return events.Key(key, CHARS.get(key))


def random_text(rng: random.Random, size: int) -> str:
    pool = PRINTABLE + CJK + FULL_WIDTH + ODD + "\n\t\x00\x1b"
    return "".join(rng.choice(pool) for _ in range(size))


# --- what is on the screens ----------------------------------------------------------------------


def rendered_text(app: QinziApp) -> str:
    """What a person sees: the screen as exported (with the screens below a dialog and the
    notices), its text runs joined."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(runs)).replace("\xa0", " ")


def widget_texts(widget: Widget) -> list[str]:
    out: list[str] = []
    if isinstance(widget, Input):
        out.append(widget.value)
    elif isinstance(widget, Static):
        content = widget.content
        out.append(getattr(content, "plain", None) or str(content))
    elif isinstance(widget, Button | Checkbox | RadioButton):
        out.append(str(widget.label))
    elif isinstance(widget, DataTable):
        out += [str(c.label) for c in widget.columns.values()]
        for row in range(widget.row_count):
            out += [str(cell) for cell in widget.get_row_at(row)]
    elif isinstance(widget, OptionList):
        out += [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]
    return out


def everything_held(app: QinziApp, *, screenshot: bool = True) -> str:
    """Every text of every screen on the stack, shown or not, and what the app keeps; with
    `screenshot`, also the screen as drawn (header, notices: what no widget text holds)."""
    parts = [app.title, app.sub_title, rendered_text(app) if screenshot else ""]
    for screen in app.screen_stack:
        parts += [screen.title or "", screen.sub_title or ""]
        for widget in screen.walk_children(with_self=False):
            parts += widget_texts(widget)
    parts += [str(n.message) for n in app._notifications]
    visit = app.visit
    parts += [repr(visit.drafts), repr(visit.session), repr(visit.login), repr(visit.staff)]
    return "\n".join(p for p in parts if p)


# --- the monkey ----------------------------------------------------------------------------------


class Monkey:
    def __init__(self, pilot, world: World, family: str, staff_terminal: bool) -> None:
        self.pilot = pilot
        self.app: QinziApp = pilot.app
        self.world = world
        self.family = family
        self.rng = random.Random(f"{SEED}:{family}")
        self.staff_terminal = staff_terminal
        self.recent: deque[str] = deque(maxlen=40)
        self.sent = 0
        self.visit_at_plant = self.app.visit
        self.must_be_gone = False
        self.checks = 0
        self.worker_errors: list[str] = []
        self.warnings: list = []  # pytest's recwarn: what the app warned about
        self.log_errors: list[str] = []
        keys = NAVIGATION * 3 + FUNCTION + CONTROL + ESCAPES * 3
        self.keys = [k for k in keys if not (staff_terminal and k in NOT_ON_STAFF_TERMINAL)]

    def where(self) -> str:
        stack = " > ".join(type(s).__name__ for s in self.app.screen_stack)
        return (
            f"replay: QINZI_MONKEY_SEED={SEED}; family {self.family!r}, {self.sent} events, "
            f"screens {stack}\nlast events: {list(self.recent)}"
        )

    def planted(self) -> None:
        """A's data is on the screen now: from the next wipe on, it must be gone."""
        self.visit_at_plant = self.app.visit
        self.must_be_gone = False

    # --- one random event ----------------------------------------------------------------------

    def one_event(self) -> None:
        rng, app = self.rng, self.app
        roll = rng.random()
        width, height = app.size
        if roll < 0.22:
            key = rng.choice(PRINTABLE)
        elif roll < 0.34:
            key = rng.choice(CJK)
        elif roll < 0.40:
            key = rng.choice(FULL_WIDTH + ODD)
        elif roll < 0.75:
            key = rng.choice(self.keys)
        else:
            key = None
        if key is not None:
            self.recent.append(key)
            app.post_message(key_event(key))
            return
        x, y = rng.randrange(width), rng.randrange(height)
        if self.staff_terminal and y == 0 and x < 8:
            x += 8  # the header icon opens the command palette (see NOT_ON_STAFF_TERMINAL)
        if roll < 0.93:
            self.recent.append(f"click@{x},{y}")
            for kind in (events.MouseDown, events.MouseUp):
                app.post_message(kind(None, x, y, 0, 0, 1, False, False, False, x, y))
        elif roll < 0.97:
            kind = rng.choice([events.MouseScrollDown, events.MouseScrollUp])
            self.recent.append(f"{kind.__name__}@{x},{y}")
            app.post_message(kind(None, x, y, 0, 0, 0, False, False, False, x, y))
        else:
            size = rng.choice([1, 8, 40, 400, 3000])
            self.recent.append(f"paste[{size}]")
            app.post_message(events.Paste(random_text(rng, size)))

    async def idle_spell(self) -> None:
        """A is gone for longer than the idle limit; half the time the countdown runs out too."""
        settings = self.app.services.settings
        limit = settings.staff_idle_seconds if self.staff_terminal else settings.idle_seconds
        self.world.clock.advance(seconds=limit + 1)
        self.app.tick()  # what the app's one-second timer does
        await self.pilot.pause()
        expire = self.rng.random() < 0.5
        self.recent.append("idle+expire" if expire else "idle")
        if expire and isinstance(self.app.screen, IdleCountdown):
            self.world.clock.advance(seconds=settings.idle_countdown_seconds + 1)
            self.app.screen.tick()
            await self.pilot.pause()

    async def resize(self) -> None:
        width, height = self.rng.choice([(80, 24), (100, 30), (60, 20), (140, 45), (100, 30)])
        self.recent.append(f"resize {width}x{height}")
        await self.pilot.resize_terminal(width, height)

    # --- running -------------------------------------------------------------------------------

    async def run(self, count: int) -> None:
        done = 0
        while done < count:
            roll = self.rng.random()
            if roll < 0.06:
                await self.idle_spell()
                step = 1
            elif roll < 0.1:
                await self.resize()
                step = 1
            else:
                step = min(self.rng.randint(1, 48), count - done)
                for _ in range(step):
                    self.one_event()
                await self.pilot.pause()
            done += step
            self.sent += step
            self.check()
        await settle(self.pilot)
        self.check(screenshot=True)

    def check(self, *, screenshot: bool = False) -> None:
        """After every batch; the screenshot (the costly part) every fourth time and at the end
        of a run, the widgets' texts and the app's state every time."""
        app = self.app
        self.checks += 1
        assert app._exception is None, f"the app crashed: {app._exception!r}\n{self.where()}"
        assert not self.worker_errors, f"a worker died: {self.worker_errors}\n{self.where()}"
        # A coroutine never awaited is a screen's callback that silently never ran.
        unawaited = [str(w.message) for w in self.warnings if w.category is RuntimeWarning]
        assert not unawaited, f"{unawaited}\n{self.where()}"
        assert not self.log_errors, f"a service failed: {self.log_errors}\n{self.where()}"
        assert app.return_code is None and app.is_running, f"the app exited\n{self.where()}"
        if app.visit is not self.visit_at_plant:  # A's visit ended since the data went in
            self.must_be_gone = True
        if self.must_be_gone:
            self.assert_nothing_of_a(screenshot=screenshot or self.checks % 4 == 0)

    def assert_nothing_of_a(self, *, screenshot: bool = True) -> None:
        held = everything_held(self.app, screenshot=screenshot)
        left = [s for s in self.world.forbidden() if s in held]
        assert not left, f"A's data after the wipe: {left}\n{self.where()}\n{held[:3000]}"

    async def walk_away(self, how: str) -> None:
        """A leaves: everything of A's must be gone at once, and stay gone."""
        self.recent.append(f"WALK AWAY: {how}")
        await settle(self.pilot)
        if how == "idle":
            settings = self.app.services.settings
            limit = settings.staff_idle_seconds if self.staff_terminal else settings.idle_seconds
            self.world.clock.advance(seconds=limit + 1)
            self.app.tick()
            await self.pilot.pause()
            if isinstance(self.app.screen, IdleCountdown):
                self.world.clock.advance(seconds=settings.idle_countdown_seconds + 1)
                self.app.screen.tick()
        elif how == "f10":
            self.app.post_message(key_event("f10"))
        else:  # a button of the screen: 登出, 不同意並退出 (then 是)
            button = self.app.screen.query(f"#{how}")
            if button:
                button.first(Button).press()
                await settle(self.pilot)
                if self.app.screen.query("#yes"):
                    self.app.screen.query_one("#yes", Button).press()
            else:  # the monkey already left that screen
                self.app.post_message(key_event("f10"))
        await settle(self.pilot)
        self.must_be_gone = True
        self.check(screenshot=True)
        app = self.app
        first = app.screen_stack[0]
        assert app.screen is first, f"not back at {type(first).__name__}\n{self.where()}"
        visit = app.visit
        assert (visit.session, visit.login, visit.staff, visit.drafts) == (None, None, None, {}), (
            f"the session survived\n{self.where()}"
        )


# --- the families of screens, each set up with A's data on it ----------------------------------


async def a_session(app, world: World, *, students: bool = True, consent: bool = False) -> None:
    """A has verified the contact (step 1); with `students`, chosen the child (step 2)."""
    services = world.services
    contact = verified_contact(services, A.email)
    services.progress.void_all(contact.digest)  # an earlier round's are withdrawn
    app.flow.begin(contact)
    session = app.visit.session
    if students:
        apps = services.applications
        student = world.roster.student(A.student)
        found = apps.lookup_student(session, student.school.level, student.school.code,
                                    world.roster.ids[A.student])  # fmt: skip
        session = apps.choose_student(found.session, found.value, "mother")
    if consent:
        session = services.applications.give_consent(session, scrolled_to_end=True)
    app.visit.session = session


def a_submits(app, world: World) -> list:
    session = app.visit.session
    done = submit_application(world.services, world.roster, (A.student,), "mother",
                              relationship="mother", name=A.name, email=A.email,
                              mobile=A.mobile, session=session)  # fmt: skip
    world.numbers += [d.number for d in done]
    return done


async def open_screen(pilot, name: str, *args, **kwargs) -> None:
    """The screen of the flow's route `name`, as the flow would put it there."""
    await pilot.app.flow.show(name, *args, **kwargs)
    await settle(pilot)


async def welcome(pilot, world):
    """A typed the e-mail at step 1; the monkey's keys soon include Esc, back to the welcome
    screen, which ends A's visit (R36)."""
    await open_screen(pilot, "contact")
    await type_into(pilot, "#contact", A.email)


async def contact(pilot, world):
    await open_screen(pilot, "contact")
    await type_into(pilot, "#contact", A.email)
    await pilot.press("enter")  # the code goes out: "sent to mo***@example.com"


async def student(pilot, world):
    await a_session(pilot.app, world)
    await open_screen(pilot, "student")
    await type_into(pilot, "#student-id", world.roster.ids[A.student])


async def consent(pilot, world):
    await a_session(pilot.app, world)
    await open_screen(pilot, "student")
    await open_screen(pilot, "consent")


async def parent(pilot, world):
    await a_session(pilot.app, world, consent=True)
    await open_screen(pilot, "parent")
    await type_into(pilot, "#parent-id", world.parent_id)
    pilot.app.screen.query_one("#check-parent", Button).press()
    await settle(pilot)
    for selector, value in [("#name", A.name), ("#email", A.email), ("#mobile", A.mobile),
                            ("#signature", A.name)]:  # fmt: skip
        await type_into(pilot, selector, value)


async def completion(pilot, world):
    await a_session(pilot.app, world, students=False)
    await open_screen(pilot, "completion", a_submits(pilot.app, world))


async def progress(pilot, world):
    await a_session(pilot.app, world, students=False)
    a_submits(pilot.app, world)
    await open_screen(pilot, "progress")


async def faq(pilot, world):
    """A typed at 家長登入 and went back: the welcome screen ended that visit (R36), so the
    FAQ opened next must hold nothing of A's from the start."""
    await open_screen(pilot, "login")
    await type_into(pilot, "#login-email", A.email)
    await pilot.press("escape")
    await settle(pilot)
    await open_screen(pilot, "faq")


async def staff_pin(pilot, world):
    await a_session(pilot.app, world)
    await open_screen(pilot, "student")
    await pilot.press("ctrl+q")  # the kiosk asks for the staff PIN
    await type_into(pilot, "#pin", "2468")


async def login(pilot, world):
    await open_screen(pilot, "login")
    await type_into(pilot, "#login-email", A.email)
    await type_into(pilot, "#login-password", A.password)


async def forgot(pilot, world):
    await open_screen(pilot, "login")
    await type_into(pilot, "#login-email", A.email)
    await open_screen(pilot, "forgot")
    await type_into(pilot, "#contact", A.email)
    await pilot.press("enter")


def a_account(world: World, password: str | None = A.password):
    from app.models import Account

    account = Account.get_or_none(Account.email == A.email)
    if account is None:
        account = make_account(world.services, world.roster, "mother", email=A.email,
                               mobile="+886" + A.mobile[1:], name=A.name,
                               children=(A.student,), password=password)  # fmt: skip
    return Account.get_by_id(account.id)


async def a_logged_in(pilot, world, password: str | None = A.password) -> None:
    account = a_account(world, password)
    pilot.app.visit.login = ParentLogin(account.id, account.name, account.must_change_password,
                                    account.session_epoch)  # fmt: skip
    pilot.app.refresh_bindings()


async def home(pilot, world):
    await a_logged_in(pilot, world)
    await open_screen(pilot, "home")


async def password(pilot, world):
    await home(pilot, world)
    await open_screen(pilot, "password")
    await type_into(pilot, "#current", A.password)


async def password_forced(pilot, world):
    await a_logged_in(pilot, world, password=None)
    await open_screen(pilot, "first-password", forced=True)
    await type_into(pilot, "#current", world.parent_id[-6:])


async def contact_change(pilot, world):
    await home(pilot, world)
    await open_screen(pilot, "contact-change")
    await type_into(pilot, "#contact", A.new_email)
    await pilot.press("enter")


# --- the staff terminal: A's application in 何老師's class (a roster match) ----------------------


def a_applied(world: World) -> None:
    if world.numbers:
        return
    services, roster = world.services, world.roster
    RosterGuardian.create(student=roster.student(A.student), name=A.name,
                          mobile="+886" + A.mobile[1:])  # fmt: skip
    submit_application(services, roster, ("wu", "ali"))  # another parent, another class
    session = KioskSession(contact=verified_contact(services, A.email))
    done = submit_application(services, roster, (A.student,), "mother", relationship="mother",
                              name=A.name, email=A.email, mobile=A.mobile,
                              session=session)  # fmt: skip
    world.numbers += [d.number for d in done]


async def staff_in(pilot, world, who: str = "ho") -> None:
    a_applied(world)
    world.staff = (who,)
    await log_in(pilot, who)


async def review_login(pilot, world):
    """何老師 typed the login and walked away before pressing Enter."""
    world.staff = ("ho",)
    await type_into(pilot, "#email", EMAILS["ho"])
    await type_into(pilot, "#password", TEACHER_PASSWORD)


async def queue(pilot, world):
    await staff_in(pilot, world)


async def detail(pilot, world):
    await staff_in(pilot, world)
    await open_screen(pilot, "detail", world.numbers[0])


async def bulk(pilot, world):
    await staff_in(pilot, world)
    await pilot.press("b")  # the roster match, asked once (R28)
    await settle(pilot)


async def scan(pilot, world):
    await staff_in(pilot, world)
    await pilot.press("s")
    await type_into(pilot, "#scan", world.numbers[0])


async def unbind(pilot, world):
    if not UnbindRequest.select().exists():
        account = a_account(world)
        binding = Binding.get(Binding.account == account.id)
        UnbindRequest.create(binding=binding, requested_at=world.clock.now)
    world.staff = ("ho",)
    await log_in(pilot, "ho")
    request = UnbindRequest.select().order_by(UnbindRequest.id.desc()).get()
    await open_screen(pilot, "unbind", request.id)


async def unbound(pilot, world):
    await staff_in(pilot, world)
    await open_screen(pilot, "unbound")


async def audit(pilot, world):
    await staff_in(pilot, world, "it")
    await open_screen(pilot, "audit")
    await type_into(pilot, "#actor", A.email)
    await pilot.press("enter")


Setup = Callable[..., Awaitable[None]]
GONE_AT_ONCE = {"faq"}  # families whose set-up already went back to the welcome screen
F10, IDLE = ("f10", "idle"), ("idle", "f10")
# role, set-up, ways of walking away (the first is taken by default)
FAMILIES: dict[str, tuple[str, Setup, tuple[str, ...]]] = {
    "welcome": ("kiosk", welcome, IDLE),
    "contact": ("kiosk", contact, F10),
    "student": ("kiosk", student, IDLE),
    "consent": ("kiosk", consent, ("decline", *F10)),
    "parent": ("kiosk", parent, F10),
    "completion": ("kiosk", completion, ("logout", *IDLE)),
    "progress": ("kiosk", progress, IDLE),
    "faq": ("kiosk", faq, F10),
    "staff_pin": ("kiosk", staff_pin, F10),
    "login": ("kiosk", login, IDLE),
    "home": ("kiosk", home, ("logout", *F10)),
    "password": ("kiosk", password, F10),
    "password_forced": ("kiosk", password_forced, IDLE),
    "contact_change": ("kiosk", contact_change, IDLE),
    "forgot": ("kiosk", forgot, F10),
    "review_login": ("review", review_login, IDLE),
    "queue": ("review", queue, F10),
    "detail": ("review", detail, IDLE),
    "bulk": ("review", bulk, F10),
    "scan": ("review", scan, IDLE),
    "unbind": ("review", unbind, F10),
    "audit": ("review", audit, IDLE),
    "unbound": ("review", unbound, F10),
}


@pytest.fixture
def worker_errors(monkeypatch) -> list[str]:
    """Workers that died. A thread worker with exit_on_error=False fails silently, so a
    `done` callback that raises on the UI thread would otherwise go unnoticed."""
    errors: list[str] = []
    run = Worker._run

    async def watched(self, app) -> None:
        await run(self, app)
        if self.state == WorkerState.ERROR:
            errors.append(f"{self.name or self.description}: {self.error!r}")

    monkeypatch.setattr(Worker, "_run", watched)
    return errors


class LogErrors(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{record.name}: {record.getMessage()} {record.exc_info!r}")


@pytest.mark.monkey
@pytest.mark.parametrize("family", list(FAMILIES))
async def test_r22_r9_monkey_never_crashes_and_leaves_nothing_of_a_parent_after_a_wipe(
    family, services, roster, clock, worker_errors, recwarn
):
    """R22, R9, R26: random input at one screen family. For each way of walking away: A's data
    is planted, the monkey plays, A walks away, the monkey plays on — no crash, no exit, and
    nothing of A's on any screen."""
    role, setup, leaves = FAMILIES[family]
    leaves = leaves[:ROUNDS]
    services.ctx.settings.staff_pin = "☃-not-on-any-keyboard"  # the monkey cannot leave a kiosk
    app = make_app(services, kiosk=role == "kiosk", mode=role)
    world = World(services, roster, clock)
    log_errors: list[str] = []
    handler = LogErrors(log_errors)
    logging.getLogger("qinzi").addHandler(handler)
    try:
        async with app.run_test(size=SIZE) as pilot:
            monkey = Monkey(pilot, world, family, staff_terminal=role == "review")
            monkey.worker_errors, monkey.log_errors = worker_errors, log_errors
            monkey.warnings = recwarn.list
            share = max(EVENTS // (2 * len(leaves)), 1)
            for round_, how in enumerate(leaves):
                if round_:  # a fresh terminal for the next round, on a new day (R8's budget)
                    clock.advance(days=1)
                    app.flow.leave()
                    await pilot.resize_terminal(*SIZE)
                await settle(pilot)
                await setup(pilot, world)
                await settle(pilot)
                monkey.planted()
                if family in GONE_AT_ONCE:  # R36 took A's data already: it must stay gone
                    monkey.must_be_gone = True
                    monkey.assert_nothing_of_a()
                else:
                    held = everything_held(app)
                    assert any(s in held for s in world.forbidden()), (
                        f"A's data was never on the screen: the round proves nothing\n"
                        f"{monkey.where()}"
                    )
                await monkey.run(share)
                await monkey.walk_away(how)
                await monkey.run(share)
    finally:
        logging.getLogger("qinzi").removeHandler(handler)
    assert app._exception is None


# --- what the monkey found, each pinned down -----------------------------------------------------


async def idle_until_countdown(pilot, world: World, staff: bool = False) -> None:
    settings = world.services.settings
    limit = settings.staff_idle_seconds if staff else settings.idle_seconds
    world.clock.advance(seconds=limit + 1)
    pilot.app.tick()
    await pilot.pause()
    assert isinstance(pilot.app.screen, IdleCountdown)


async def countdown_runs_out(pilot, world: World) -> None:
    world.clock.advance(seconds=world.services.settings.idle_countdown_seconds + 1)
    pilot.app.screen.tick()
    await settle(pilot)


async def test_r22_a_burst_of_keys_during_the_countdown_keeps_the_session_and_the_kiosk(
    services, roster, clock
):
    """R22: keys mashed at the countdown close it once. Each key used to dismiss it again, and
    the extra dismissals popped the step, the welcome screen and then crashed the kiosk."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await student(pilot, world)
        await idle_until_countdown(pilot, world)
        for key in "asdfgh":
            app.post_message(key_event(key))
        await settle(pilot)
        assert app._exception is None
        assert isinstance(app.screen, StudentScreen) and app.visit.session is not None
        assert app.screen.query_one("#student-id", Input).value == world.roster.ids[A.student]


async def test_r22_f10_logs_out_from_a_dialog_too(services, roster, clock):
    """R22: F10 wipes also while a question or the staff PIN is open; a dialog used to swallow
    it and leave A's session and step on the screen."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await staff_pin(pilot, world)
        await pilot.press("f10")
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["WelcomeScreen"]
        assert app.visit.session is None and app.visit.drafts == {}


@pytest.mark.parametrize("staff", [False, True], ids=["kiosk-step1", "staff-login"])
async def test_r22_a_form_left_half_typed_on_the_first_screens_is_wiped_when_idle(
    services, roster, clock, staff
):
    """R22: A typed the e-mail at step 1 and went back to the welcome screen (the draft is kept
    for coming back), or a teacher typed the login and walked off: the idle timeout used to
    skip the first screen, so the next person found it there."""
    app = make_app(services, kiosk=not staff, mode="review" if staff else "kiosk")
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await (review_login if staff else welcome)(pilot, world)
        if not staff:  # back at the welcome screen, the visit ends at once (R36)
            await pilot.press("escape")
            await settle(pilot)
            assert app.visit.drafts == {}
            await open_screen(pilot, "contact")
            await type_into(pilot, "#contact", A.email)
        assert app.check_action("logout", ()) is True  # F10 is offered, and works
        await idle_until_countdown(pilot, world, staff=staff)
        await countdown_runs_out(pilot, world)
        assert app.visit.drafts == {}
        if staff:
            assert [i.value for i in app.screen.query(Input)] == ["", ""]
        else:
            await open_screen(pilot, "contact")
            assert app.screen.query_one("#contact", Input).value == ""


async def test_r22_r9_a_notice_naming_the_parent_goes_with_the_wipe(services, roster, clock):
    """R22, R9: 已取消 QZ-… stays on the progress page (issue 16: a notice, no longer a toast);
    logging out used to leave it on the welcome screen for the next parent."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await progress(pilot, world)
        [number] = world.numbers
        app.screen.query_one(f"#cancel-{number}", Button).press()
        await settle(pilot)
        app.screen.query_one("#yes", Button).press()
        await settle(pilot)
        assert number in rendered_text(app)
        await pilot.press("f10")
        await settle(pilot)
        assert number not in rendered_text(app) and not app._notifications


async def test_r22_a_key_as_a_screen_opens_waits_for_it(services, roster, clock):
    """R22: 親子綁定 and F10 in one burst: the key reached step 1 while it was
    still being set up, and wiping it half-built crashed the kiosk inside Textual. The key now
    waits the few milliseconds for the screen, then does what it says."""
    app = make_app(services, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.flow.show("contact")  # what 親子綁定 does; its mounting has just begun
        app.post_message(key_event("f10"))
        await settle(pilot)
        assert app._exception is None
        assert [type(s).__name__ for s in app.screen_stack] == ["WelcomeScreen"]


async def test_r22_a_logout_clicked_as_a_screen_opens_waits_for_it(services, roster, clock):
    """R22: 變更密碼 and 登出 clicked in one burst: 登出 wiped the kiosk while the password
    screen was still being built, and popping it half-mounted crashed the kiosk."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await home(pilot, world)
        for button in ("#change-password", "#logout"):
            region = app.screen.query_one(button).region
            x, y = region.x + 2, region.y + 1
            for kind in (events.MouseDown, events.MouseUp):
                app.post_message(kind(None, x, y, 0, 0, 1, False, False, False, x, y))
        await settle(pilot)
        assert app._exception is None
        assert [type(s).__name__ for s in app.screen_stack] == ["WelcomeScreen"]
        assert app.visit.login is None


@pytest.mark.parametrize("dialog", ["confirm", "staff_pin"])
async def test_r22_a_dialog_answered_after_the_wipe_stays_quiet(services, roster, clock, dialog):
    """R22: 是 (or 取消) and F10 in one burst, the click reaching the dialog after F10 had wiped
    the kiosk: its dismiss popped the fresh welcome screen half-built (the monkey's crash), or
    ran 註銷全部紀錄 for a session already gone."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        if dialog == "confirm":
            await progress(pilot, world)
            app.screen.query_one("#void-all", Button).press()
            await settle(pilot)
        else:
            await staff_pin(pilot, world)
        question = app.screen
        await pilot.press("f10")
        await settle(pilot)
        question.answer(dialog == "confirm")  # the click of the same burst, arriving late
        await settle(pilot)
        assert app._exception is None
        assert [type(s).__name__ for s in app.screen_stack] == ["WelcomeScreen"]


async def test_r22_keys_still_on_their_way_to_a_wiped_form_bring_no_draft_back(
    services, roster, clock
):
    """R22: A typed at 家長登入 and F10 came in the same burst; the rest of the keys reached the
    login form already taken away, and its draft came back: the next parent to open 家長登入
    found A's e-mail there (the monkey, QINZI_MONKEY_SEED=6 with 400 keys)."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, world)
        form = app.screen
        field = form.query_one("#login-email", Input)
        await pilot.press("f10")
        await settle(pilot)
        form.keep_draft(Input.Changed(field, A.email + "x"))  # a key arriving late
        assert app.visit.drafts == {}
        await open_screen(pilot, "login")
        assert app.screen.query_one("#login-email", Input).value == ""


@pytest.mark.parametrize(
    ("family", "handler"),
    [(password, "cancel"), (completion, "progress_pressed")],
    ids=["password-cancel", "completion-progress"],
)
async def test_r22_a_click_reaching_a_screen_the_wipe_took_away_changes_nothing(
    services, roster, clock, family, handler
):
    """R22: 取消 (or 返回, 查看申請進度) and F10 in one burst, the click reaching its screen
    after the wipe: the screen used to pop (or replace) whatever was on top, the fresh welcome
    screen half built, and the kiosk crashed (the monkey, QINZI_MONKEY_SEED=11 with 400 keys)."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await family(pilot, world)
        screen = app.screen
        await pilot.press("f10")
        getattr(screen, handler)()  # the click of the same burst, reaching its handler late
        await settle(pilot)
        assert app._exception is None
        assert [type(s).__name__ for s in app.screen_stack] == ["WelcomeScreen"]


class Gate:
    """Holds the real service call `owner.name` until released: an answer still on its way
    when A walks away."""

    def __init__(self, monkeypatch, owner, name: str) -> None:
        import threading

        self.opened, self.done = threading.Event(), threading.Event()
        real = getattr(owner, name)

        def held(*args, **kwargs):
            self.opened.wait(10)
            try:
                return real(*args, **kwargs)
            finally:
                self.done.set()

        monkeypatch.setattr(owner, name, held)

    async def release(self, pilot) -> None:
        """Let the call finish, then let its answer reach the screens (or not)."""
        import asyncio

        self.opened.set()
        await asyncio.to_thread(self.done.wait, 10)
        await pilot.pause(0.1)  # the worker hands its answer over right after
        await settle(pilot)


async def test_r22_an_answer_after_the_wipe_does_not_bring_the_parent_back(
    services, roster, clock, monkeypatch
):
    """R22: A pressed 送出資料 and then F10 before the answer came. The answer used to arrive
    anyway and put the completion page, with A's child and application numbers, on the welcome
    screen for the next parent."""
    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await parent(pilot, world)
        gate = Gate(monkeypatch, services.applications, "submit")
        app.screen.query_one("#submit", Button).press()
        await pilot.pause()
        app.screen.query_one("#yes", Button).press()  # 確認送出 (issue 16)
        await pilot.pause()
        await pilot.press("f10")
        await gate.release(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["WelcomeScreen"]
        assert app.visit.session is None
        held = everything_held(app)
        assert not [s for s in world.forbidden() if s in held]


async def test_r29_enter_on_a_row_as_another_tab_loads_opens_that_row(
    services, roster, clock, monkeypatch
):
    """R29, R18: Enter on an application row just after switching to 解除綁定, before that
    tab's rows came, read the application number as an unbinding request number and crashed
    the staff terminal (the monkey, QINZI_MONKEY_SEED=3022225733 with 400 keys)."""
    app = make_app(services, mode="review")
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await queue(pilot, world)
        gate = Gate(monkeypatch, services.unbinding, "page")
        await pilot.click("#tab-unbind")
        app.screen.query_one("#queue", DataTable).focus()
        await pilot.press("enter")
        await gate.release(pilot)
        assert app._exception is None
        assert isinstance(app.screen, DetailScreen) and app.screen.number == world.numbers[0]


async def test_r22_a_pin_answer_after_the_wipe_is_dropped(services, roster, clock):
    """R22: a PIN was being checked when F10 wiped the kiosk; the refusal then reached the
    dialog already gone and its worker died (the monkey, QINZI_MONKEY_SEED=454859593)."""
    from app.errors import QinziError

    app = make_app(services, kiosk=True)
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await staff_pin(pilot, world)
        dialog = app.screen
        await pilot.press("f10")
        await settle(pilot)
        dialog.refused(QinziError("errors.kiosk.pin_wrong"))  # the answer, arriving late
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["WelcomeScreen"]


async def test_a_click_on_the_footer_as_its_keys_change_does_not_crash_the_terminal(
    services, roster, clock
):
    """The staff footer lays its keys out anew when they change (a resize, another tab); a
    click landing on an old row before the next layout used to start a text selection on a
    detached widget and crash the app inside Textual 8.2. The app offers no mouse text
    selection (on a shared terminal it would also copy one person's data for the next)."""
    from screens.widgets.keybar import KeyBar

    app = make_app(services, mode="review")
    world = World(services, roster, clock)
    async with app.run_test(size=SIZE) as pilot:
        await queue(pilot, world)
        footer = app.screen.query_one(KeyBar)
        x, y = footer.region.right - 2, footer.region.bottom - 1  # past the last key

        def click() -> None:
            for kind in (events.MouseDown, events.MouseUp):
                app.post_message(kind(None, x, y, 0, 0, 1, False, False, False, x, y))

        footer.call_later(footer.refresh, layout=True)
        footer.call_later(click)
        await settle(pilot)
        assert app._exception is None and app.is_running
