"""R22, issue 9 point 6: a kiosk offers no way out but the staff PIN.

On every screen a parent can reach in kiosk mode, every key that Textual or a terminal maps to a
way out, every function key, and every key the bindings of this Textual version, the app and the
screen name (enumerated, so that a binding a new Textual adds is swept too) is pressed, and after
each one: no command palette, the app still running, no SIGTSTP, no screenshot file, no system
commands, and the quit route asks for the staff PIN. Beyond keys: no app action outside the
kiosk's short list runs (a click on text whose markup names an action is the other way in),
parents' text is never markup, links open no browser, the only program the code starts is `lp`
with a fixed argument list, and, for real on a pseudo-terminal, Ctrl+C, Ctrl+Z and Ctrl+\\ do
not end `qinzi kiosk`."""

from __future__ import annotations

import ast
import inspect
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.drivers.headless_driver import HeadlessDriver
from textual.screen import Screen
from textual.widgets import Markdown

from app.errors import InvalidInput
from app.factory import make_app
from app.tui import QinziApp
from screens.account.home import AccountHomeScreen
from screens.contact import ContactScreen
from screens.faq import FaqScreen
from screens.progress import ProgressScreen
from screens.staff_pin import StaffPinScreen
from screens.welcome import WelcomeScreen
from screens.widgets.confirm import Confirm
from tests.factories import make_account, submit_application
from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401 - screens only: SQLite
from tests.tui.conftest import click, settle, start_session, type_into
from tests.unit.test_forms import fake_lp  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
SIZE = (100, 30)
PASSWORD = "Harbour-Lantern-1987"

# What a terminal or Textual maps to a way out: the palette, quit (Textual's help_quit on ctrl+c),
# suspend (SIGTSTP), SIGQUIT, end of input, a screenshot, the help/keys panel, back.
ESCAPE_KEYS = ("ctrl+p", "ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash", "ctrl+d", "ctrl+s",
               "escape")  # fmt: skip
FUNCTION_KEYS = tuple(f"f{n}" for n in range(1, 13))  # where kiosk apps put their bindings


def screen_and_app_bindings(app: App):
    """Textual's own bindings and those of this app and of the current screen (not the editing
    keys of the focused widget: those act on the widget; `app.` ones are checked separately)."""
    for binding in [*App.BINDINGS, *Screen.BINDINGS, *type(app).BINDINGS]:
        for key in binding.key.split(","):
            yield key.strip(), binding
    for bindings in (app._bindings, app.screen._bindings):
        yield from bindings


def sweep_keys(app: App) -> list[str]:
    keys = {App.COMMAND_PALETTE_BINDING, *ESCAPE_KEYS, *FUNCTION_KEYS}
    keys.update(key for key, _binding in screen_and_app_bindings(app))
    # Enter and Space would press the focused button: flows the other tests walk. The keys that
    # leave the screen the way the app means them to (back, logout) go last, so that the screen
    # is rebuilt once per family rather than after every key.
    leaving = ["escape", "f10"]
    return sorted(keys - {"enter", "space", *leaving}) + leaving


def app_bound_actions(app: App) -> set[str]:
    """The app-namespace actions any binding on the current screen names, the focused widget's
    included (a widget binding could say `app.…` too)."""
    actions = set()
    for node, bindings in app.screen._binding_chain:
        for _key, binding in bindings:
            name = binding.action.split("(", 1)[0]
            if node is app or name.startswith("app."):
                actions.add(name.removeprefix("app."))
    return actions


# --- what must never happen ----------------------------------------------------------------------


@dataclass
class Watch:
    """The outside world a way out would touch: a SIGTSTP, a new .svg file, a browser."""

    folders: list[Path]
    stops: list[int]
    urls: list[str]
    before: set[Path]

    def svgs(self) -> set[Path]:
        found: set[Path] = set()
        for folder in self.folders:
            if folder.is_dir():
                pattern = "*.svg" if folder == Path.cwd() else "**/*.svg"
                found.update(folder.glob(pattern))
        return found

    def new_svgs(self) -> set[Path]:
        return self.svgs() - self.before


@pytest.fixture
def watch(tmp_path, monkeypatch):
    """Record SIGTSTP with a real handler (the headless driver is told it may suspend, as a
    terminal's driver may, so that the suspend path is really open to a key); watch the home,
    data and working folders for screenshots; record what would open a browser."""
    import webbrowser

    stops: list[int] = []
    previous = signal.signal(signal.SIGTSTP, lambda signum, frame: stops.append(signum))
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda self: True))
    urls: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: urls.append(url) or True)
    folders = [Path(os.environ["HOME"]), tmp_path, Path.cwd()]
    w = Watch(folders, stops, urls, set())
    w.before = w.svgs()
    yield w
    signal.signal(signal.SIGTSTP, previous)


def assert_no_way_out(app: QinziApp, watch: Watch, key: str) -> None:
    where = f"{key} on {type(app.screen).__name__}"
    assert not any(isinstance(s, CommandPalette) for s in app.screen_stack), where
    assert app.is_running and app.return_code is None, where
    assert app.kiosk and not app.use_command_palette, where
    assert watch.stops == [], where
    assert watch.new_svgs() == set(), where
    assert watch.urls == [], where
    assert list(app.get_system_commands(app.screen)) == [], where
    assert sum(isinstance(s, StaffPinScreen) for s in app.screen_stack) <= 1, where


# --- every screen a parent can reach -----------------------------------------------------------

Opener = Callable[[object], Awaitable[Screen]]


@dataclass
class Family:
    name: str
    open: Opener
    again: Opener | None = None  # a dialog pushed again over the screen it left behind


async def push(pilot, name: str, *args) -> Screen:
    """The screen of the flow's route `name`, as the flow puts it there."""
    await pilot.app.flow.show(name, *args)
    await settle(pilot)
    return pilot.app.screen


def families(services, roster) -> list[Family]:
    """Each screen family a kiosk shows, opened from an empty welcome screen the way the flow
    leaves it (the session and the logged-in parent made through the real services)."""
    email = "father@home.example"
    make_account(services, roster, email="dad@home.example", password=PASSWORD)
    submitted = submit_application(services, roster, ("chen",), email=email)
    login = services.accounts.parent_login("dad@home.example", PASSWORD)

    def fresh(pilot):
        pilot.app.flow.leave()

    def with_session(pilot, consent: bool = False):
        fresh(pilot)
        session = start_session(pilot.app, services, email)
        if consent:
            apps = services.applications
            wu = roster.student("wu")
            found = apps.lookup_student(session, wu.school.level, wu.school.code, roster.ids["wu"])
            session = apps.choose_student(found.session, found.value, "father")
            session = pilot.app.visit.session = apps.give_consent(session, scrolled_to_end=True)
        return session

    def with_login(pilot):
        fresh(pilot)
        pilot.app.visit.login = login
        pilot.app.refresh_bindings()

    async def welcome(pilot):
        fresh(pilot)
        await settle(pilot)
        return pilot.app.screen

    async def step1(pilot):
        fresh(pilot)
        return await push(pilot, "contact")

    async def step2(pilot):
        with_session(pilot)
        return await push(pilot, "student")

    async def step3(pilot):
        with_session(pilot)
        apps = services.applications
        wu = roster.student("wu")
        session = pilot.app.visit.session
        found = apps.lookup_student(session, wu.school.level, wu.school.code, roster.ids["wu"])
        pilot.app.visit.session = apps.choose_student(found.session, found.value, "father")
        return await push(pilot, "consent")

    async def step4(pilot):
        with_session(pilot, consent=True)
        return await push(pilot, "parent")

    async def completion(pilot):
        with_session(pilot)
        return await push(pilot, "completion", submitted)

    async def progress(pilot):
        with_session(pilot)
        return await push(pilot, "progress")

    async def confirm(pilot):
        await progress(pilot)
        return await confirm_again(pilot)

    async def confirm_again(pilot):
        if not isinstance(pilot.app.screen, ProgressScreen):
            return await confirm(pilot)
        await click(pilot, "#void-all")
        assert isinstance(pilot.app.screen, Confirm)
        return pilot.app.screen

    async def faq(pilot):
        fresh(pilot)
        return await push(pilot, "faq")

    async def login_screen(pilot):
        fresh(pilot)
        return await push(pilot, "login")

    async def forgot(pilot):
        fresh(pilot)
        return await push(pilot, "forgot")

    async def home(pilot):
        with_login(pilot)
        return await push(pilot, "home")

    async def password(pilot):
        with_login(pilot)
        return await push(pilot, "password")

    async def contact_change(pilot):
        with_login(pilot)
        return await push(pilot, "contact-change")

    async def idle(pilot):
        await step1(pilot)
        return await idle_again(pilot)

    async def idle_again(pilot):
        if not isinstance(pilot.app.screen, ContactScreen):
            return await idle(pilot)
        pilot.app.flow.idle()
        await pilot.pause()
        return pilot.app.screen

    async def staff_pin(pilot):
        await step1(pilot)
        return await staff_pin_again(pilot)

    async def staff_pin_again(pilot):
        if not isinstance(pilot.app.screen, ContactScreen):
            return await staff_pin(pilot)
        await pilot.app.action_quit()
        await settle(pilot)
        assert isinstance(pilot.app.screen, StaffPinScreen)
        return pilot.app.screen

    return [
        Family("welcome", welcome),
        Family("step 1", step1),
        Family("step 2", step2),
        Family("step 3", step3),
        Family("step 4", step4),
        Family("completion", completion),
        Family("progress", progress),
        Family("confirm", confirm, confirm_again),
        Family("faq", faq),
        Family("login", login_screen),
        Family("forgot password", forgot),
        Family("account home", home),
        Family("change password", password),
        Family("contact change", contact_change),
        Family("idle countdown", idle, idle_again),
        Family("staff PIN", staff_pin, staff_pin_again),
    ]


async def back_to(pilot, family: Family, target: Screen) -> Screen:
    """After a key: pop whatever it opened, or open the family again if it left the screen."""
    app = pilot.app
    if app.screen is target:
        return target
    if target in app.screen_stack:
        while app.screen is not target:
            app.pop_screen()
            await pilot.pause()
        return target
    return await (family.again or family.open)(pilot)
@pytest.mark.sweep


async def test_r22_no_key_on_any_kiosk_screen_leads_out(services, roster, watch):
    """R22: every escape key, every function key and every key bound by Textual, the app or the
    screen, on every screen family of the kiosk: nothing opens the palette, ends, suspends or
    screenshots the app, and the quit route (ctrl+q) only ever asks for the staff PIN. Any
    binding of the screen's chain (the focused widget's too) that names an app action names one
    the kiosk allows."""
    services.ctx.settings.staff_pin = "24681357"
    app = make_app(services, kiosk=True)
    swept: dict[str, int] = {}
    async with app.run_test(size=SIZE) as pilot:
        for family in families(services, roster):
            target = await family.open(pilot)
            keys = sweep_keys(app)
            for action in app_bound_actions(app):
                allowed = action in KIOSK_ALLOWED
                assert allowed or app.check_action(action, ()) is False, (family.name, action)
            for key in keys:
                await pilot.press(key)
                assert_no_way_out(app, watch, f"{family.name}: {key}")
                if key == "ctrl+q":
                    assert isinstance(app.screen, StaffPinScreen), family.name
                if key != keys[-1]:
                    target = await back_to(pilot, family, target)
            swept[family.name] = len(keys)
        assert app.return_code is None
    assert len(swept) == 16 and min(swept.values()) >= len(ESCAPE_KEYS) + len(FUNCTION_KEYS)


async def test_r22_the_sweep_would_see_each_way_out_in_an_unlocked_app(services, watch):
    """The same watchers on a staff (non-kiosk) app: the palette opens, the screenshot is
    written, SIGTSTP arrives, a link opens a browser and ctrl+q ends the app — so the sweep
    above can fail. (The staff terminal: parents' screens have no palette at all.)"""
    app = make_app(services, mode="review", kiosk=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert any(isinstance(s, CommandPalette) for s in app.screen_stack)
        app.pop_screen()
        await pilot.pause()
        await app.run_action(f"app.screenshot('shot.svg', '{watch.folders[1]}')")
        await pilot.pause()
        assert watch.new_svgs()
        await app.run_action("app.suspend_process")
        assert watch.stops == [signal.SIGTSTP]
        app.open_url("https://example.com/")
        assert watch.urls == ["https://example.com/"]
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_issue18_the_staff_palette_speaks_the_terminals_language(services):
    """Issue 18: the staff palette offered Textual's English "Theme / Quit / Keys / Screenshot"
    in the Chinese UI. Its commands and search field follow the language; Textual's theme
    picker, key panel and SVG screenshot (personal data into a file) are not offered."""
    from textual.command import CommandInput, CommandList

    app = make_app(services, mode="review", kiosk=False)
    async with app.run_test(size=SIZE) as pilot:
        for lang, expected in (("zh-TW", ["中文／English", "配色", "結束"]),
                               ("en", ["Language", "Colours", "Quit"])):  # fmt: skip
            app.lang = lang
            await pilot.press("ctrl+p")
            palette = next(s for s in app.screen_stack if isinstance(s, CommandPalette))
            for _ in range(20):
                await pilot.pause(0.05)
                options = palette.query_one(CommandList).options
                if len(options) >= len(expected):
                    break
            titles = {str(option.prompt).splitlines()[0] for option in options}
            ours = {app.tr(f"palette.{name}") for name in
                    ("language", "theme", "maximize", "minimize", "quit")}  # fmt: skip
            assert set(expected) <= titles <= ours, titles
            assert palette.query_one(CommandInput).placeholder == app.tr("palette.placeholder")
            await pilot.press("escape")
            await pilot.pause()


# --- actions: keys are one way in, a click on text whose markup names an action another ----------

KIOSK_ALLOWED = {"toggle_language", "toggle_theme", "toggle_outbox", "logout", "quit",
                 "focus_next", "focus_previous"}  # fmt: skip
ARGUMENTS = {"toggle": "'kiosk'", "simulate_key": "'ctrl+q'", "screenshot": None}


def app_actions(app: App) -> list[str]:
    names = {
        n.split("action_", 1)[1] for n in dir(type(app)) if n.startswith(("action_", "_action_"))
    }
    return sorted(names)


def action_call(app: App, name: str) -> str:
    """`app.name(…)` with a harmless string for each parameter it requires."""
    params = inspect.signature(getattr(app, f"action_{name}")).parameters.values()
    required = [p for p in params if p.default is inspect.Parameter.empty]
    if not required:
        return f"app.{name}"
    if ARGUMENTS.get(name):
        return f"app.{name}({ARGUMENTS[name]})"
    return f"app.{name}({', '.join(repr('x') for _ in required)})"


async def test_r22_no_app_action_outside_the_kiosks_short_list_runs(services, watch):
    """R22: every action the app has (Textual's and ours, enumerated: a new Textual's too) is
    refused in kiosk mode unless it is on the kiosk's list — toggle('kiosk'), change_theme (a
    palette of themes), pop_screen, push_screen, simulate_key, show_help_panel … do nothing,
    whatever asks for them (a binding, a footer click, a click on markup)."""
    app = make_app(services, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        welcome = app.screen
        refused = []
        for name in app_actions(app):
            if name in KIOSK_ALLOWED:
                continue
            ran = await app.run_action(action_call(app, name))
            await pilot.pause()
            assert not ran, name
            refused.append(name)
            assert_no_way_out(app, watch, name)
            assert app.screen is welcome and len(app.screen_stack) == 1, name
        assert {"toggle", "change_theme", "command_palette", "suspend_process", "screenshot",
                "pop_screen", "simulate_key", "show_help_panel"} <= set(refused)  # fmt: skip


async def test_r22_markup_typed_as_a_parent_name_is_text_that_runs_nothing(services, roster, watch):
    """R22, R26: a parent who types `[@click=app.toggle('kiosk')]…` as their name sees it as
    typed on their page, and a click on it does not switch the kiosk off (nor crash it)."""
    name = "[@click=app.toggle('kiosk')]吳志明[/]"
    make_account(services, roster, email="dad@home.example", name=name, password=PASSWORD)
    app = make_app(services, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await click(pilot, "#login")
        await type_into(pilot, "#login-email", "dad@home.example")
        await type_into(pilot, "#login-password", PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountHomeScreen)
        profile = app.screen.query_one("#profile")
        assert str(profile.render()).startswith(name)
        await pilot.click("#profile", offset=(2, 0))
        await pilot.pause()
        assert_no_way_out(app, watch, "click on the name")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, StaffPinScreen)


async def test_r22_a_link_in_the_faq_opens_no_browser(services, watch):
    """A text browser on a console kiosk would be a shell away (lynx's `!`): links in the FAQ
    or the privacy statement open nothing in kiosk mode."""
    app = make_app(services, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await click(pilot, "#faq")
        await settle(pilot)
        assert isinstance(app.screen, FaqScreen)
        markdown = app.screen.query_one("#faq", Markdown)
        await markdown.update("[the city's page](https://example.com/binding)")
        markdown.post_message(Markdown.LinkClicked(markdown, "https://example.com/binding"))
        await settle(pilot)
        assert_no_way_out(app, watch, "link")


async def test_r22_ctrl_q_on_the_pin_screen_does_not_stack_pin_screens(services, watch):
    services.ctx.settings.staff_pin = "24681357"
    app = make_app(services, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await pilot.press("ctrl+q")
            await settle(pilot)
        assert isinstance(app.screen, StaffPinScreen) and len(app.screen_stack) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)


# --- a shell: the only program the code ever starts is lp, with a fixed argument list -----------

SHELL_CALLS = {"system", "popen", "spawnl", "spawnlp", "spawnv", "spawnvp", "execv", "execvp",
               "execl", "execlp", "execve", "startfile", "posix_spawn", "posix_spawnp"}  # fmt: skip
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output", "getoutput",
                    "getstatusoutput"}  # fmt: skip


def program_starts() -> list[tuple[str, int, ast.Call]]:
    found = []
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "screens").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not {"pty", "pexpect", "sh", "commands"} & set(names), path
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else ""
            if (owner_name == "os" and node.func.attr in SHELL_CALLS) or (
                owner_name == "subprocess" and node.func.attr in SUBPROCESS_CALLS
            ):
                found.append((str(path.relative_to(ROOT)), node.lineno, node))
            if owner_name == "asyncio" and node.func.attr.startswith("create_subprocess"):
                found.append((str(path.relative_to(ROOT)), node.lineno, node))
    return found


def test_r22_no_code_path_starts_a_shell_only_lp_with_an_argument_list():
    """Grep, as a test: the app and its screens start exactly two programs, `lp` for 下載留存
    and fontconfig's `fc-list` for a rare character (R43), each with a list of arguments (no
    shell string, no shell=True), and import no pty module."""
    starts = program_starts()
    assert sorted((path, node.func.attr) for path, _line, node in starts) == [
        ("app/services/forms/fonts.py", "run"),
        ("app/services/forms/service.py", "run"),
    ]
    starts.sort(key=lambda start: start[0])
    for _path, _line, call in starts:
        assert isinstance(call.args[0], ast.List)
        assert all(k.arg != "shell" for k in call.keywords)
    _path, _line, call = starts[1]
    assert isinstance(call.args[0], ast.List)
    assert isinstance(call.args[0].elts[0], ast.Name) and call.args[0].elts[0].id == "lp"
    assert all(k.arg != "shell" for k in call.keywords)
    assert any(isinstance(e, ast.Constant) and e.value == "--" for e in call.args[0].elts)


@pytest.mark.process
def test_r22_printing_passes_names_as_single_arguments(services, roster, tmp_path, fake_lp):  # noqa: F811
    """What reaches `lp`: the printer name as one argument however it is spelt, the file name
    made from the application number only (a typed number with shell characters is refused)."""
    log = fake_lp
    [item] = submit_application(services, roster, ("wu",))
    with pytest.raises(InvalidInput):
        services.forms.save([f"{item.number}; touch {tmp_path}/owned"])
    with pytest.raises(InvalidInput):
        services.forms.save(["$(touch owned)"])
    saved = services.forms.save([item.number])
    assert saved.path.name == f"{item.number}.pdf"
    services.settings.printer = f"office; touch {tmp_path}/owned"
    services.forms.print_file(saved.path)
    args = log.read_text().splitlines()
    assert args[:2] == ["-d", f"office; touch {tmp_path}/owned"]
    assert args[-2:] == ["--", str(saved.path)]
    assert not (tmp_path / "owned").exists() and not Path("owned").exists()


# --- the console: raw mode, for real -----------------------------------------------------------


def _read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    seen = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end and wanted not in seen:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def _spawn_in_pty(argv: list[str], env: dict[str, str], cwd: Path):
    """Start `argv` on a new pseudo-terminal that is its controlling terminal (as a console's
    is), so that the line discipline would send it SIGINT, SIGTSTP and SIGQUIT."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))

    def take_the_terminal() -> None:  # in the child, after setsid, with the pty on fd 0
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        # A console's signals as a console session has them, whatever this test was started
        # from: a job put in the background by a shell ignores SIGINT, and its children with it
        # (the ^C would end nothing, and the kiosk's check would pass for the wrong reason).
        for number in (signal.SIGINT, signal.SIGTSTP, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True, preexec_fn=take_the_terminal)  # fmt: skip
    os.close(slave)
    return master, proc


@pytest.mark.process
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_r22_ctrl_c_ctrl_z_and_ctrl_backslash_do_not_end_the_kiosk_on_a_real_terminal(tmp_path):
    """R22 on a real pseudo-terminal: `qinzi kiosk` (demo data, English) gets ^C, ^Z, ^\\ and
    ^S as raw bytes, as a keyboard sends them; the terminal's line discipline would turn the
    first three into SIGINT, SIGTSTP and SIGQUIT if the app left ISIG on. Two seconds later it
    is alive, and ^Q still reaches it (so ^S did not freeze the output either): it asks for the
    staff PIN. A plain program on the same kind of terminal dies of the same ^C."""
    try:
        import pty  # noqa: F401
    except ImportError:
        pytest.skip("no pty module")
    from app.config import load_settings
    from app.factory import make_services
    from app.services.demo.seed import demo_setup

    config = tmp_path / "config.toml"
    config.write_text("argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINZI_", "TEXTUAL"))}
    env.update(QINZI_CONFIG=str(config), QINZI_DATA_DIR=str(data), QINZI_LANG="en",
               QINZI_STAFF_PIN="24681357", QINZI_DB=str(data / "qinzi.db"), TERM="xterm-256color",
               COLUMNS="100", LINES="30")  # fmt: skip
    services = make_services(load_settings(config, env=env))
    try:
        demo_setup(services)
    finally:
        services.close()

    try:
        kiosk, proc = _spawn_in_pty([sys.executable, "-m", "app.cli", "kiosk"], env, ROOT)
        # The control: a plain program on a cooked terminal, which the same ^C ends. It says
        # when it is running, so that the ^C reaches the program, not its start.
        plain, victim = _spawn_in_pty(
            [sys.executable, "-c", "import time; print('running', flush=True); time.sleep(30)"],
            env, ROOT)  # fmt: skip
    except OSError as exc:
        pytest.skip(f"no pseudo-terminal here: {exc}")
    try:
        shown = _read_until(kiosk, b"Link a child", 12)
        assert b"Link a child" in shown, shown[-400:]
        for byte in (b"\x03", b"\x1a", b"\x1c", b"\x13"):
            os.write(kiosk, byte)
            time.sleep(0.1)
        assert b"running" in _read_until(plain, b"running", 10)
        os.write(plain, b"\x03")
        _read_until(kiosk, b"\x00never", 2.0)
        assert proc.poll() is None, "the kiosk ended"
        os.write(kiosk, b"\x11")
        assert b"staff PIN" in _read_until(kiosk, b"staff PIN", 5)
        assert proc.poll() is None
        assert victim.wait(timeout=3) == -signal.SIGINT  # the same byte, cooked: a signal
    finally:
        for child, fd in ((proc, kiosk), (victim, plain)):
            if child.poll() is None:
                child.kill()
                child.wait(timeout=5)
            os.close(fd)
