"""Where each screen leads, in one place: the binding wizard's steps in order, the parent's
account pages and the staff's desk. Screens report what the person did (a `FlowMessage`, or a
`dismiss` for a page that only returns); the flow decides what comes next, keeps the visit
(who is here, what they typed) and ends it whenever the first screen of the mode is shown again,
by any route (R36). No screen knows another.

`ROUTES` names every screen; the wizard is the routes with a step, in order, so a new step is a
screen, one line here and one handler below. A message reaches the handler named as Textual
would name it (`ContactScreen.Verified` → `on_contact_screen_verified`). Each screen's module is
imported when it is first shown: a kiosk's first frame waits for the welcome screen alone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.await_complete import AwaitComplete
from textual.screen import Screen
from textual.widgets import Input

from app.tui import Visit, focus_first
from screens.base import Place, QinziScreen

if TYPE_CHECKING:
    from textual.widget import AwaitMount

    from app.services.contacts import VerifiedContact
    from app.tui import FlowMessage, QinziApp
    from screens.account.home import AccountHomeScreen
    from screens.account.login import LoginScreen
    from screens.account.password import ChangePasswordScreen
    from screens.base import SessionOver
    from screens.completion import CompletionScreen
    from screens.consent import ConsentScreen
    from screens.contact import ContactScreen
    from screens.parent import ParentScreen
    from screens.progress import ProgressScreen
    from screens.review.detail import DetailScreen
    from screens.review.invitation import InvitationScreen
    from screens.review.login import StaffLoginScreen
    from screens.review.queue import QueueScreen
    from screens.review.staff_password import StaffPasswordScreen
    from screens.student import StudentScreen
    from screens.welcome import WelcomeScreen


class Route(NamedTuple):  # not a frozen dataclass: a tenth of the cost at import
    """A screen: the module and class that make it, whether Esc goes back from it, and its
    step bar label if it is a step of the wizard."""

    module: str
    screen: str
    back: bool = True
    step: str | None = None

    def load(self) -> type[Screen[Any]]:
        return getattr(import_module(self.module), self.screen)


ROUTES: dict[str, Route] = {
    # the parent's kiosk; the wizard (SPEC "The parent flow", steps 1–4) in order
    "welcome": Route("screens.welcome", "WelcomeScreen", back=False),
    "contact": Route("screens.contact", "ContactScreen", step="label.step1"),
    "student": Route("screens.student", "StudentScreen", step="label.step2"),
    "consent": Route("screens.consent", "ConsentScreen", step="label.step3"),
    "parent": Route("screens.parent", "ParentScreen", step="label.step4"),
    "completion": Route("screens.completion", "CompletionScreen", back=False),
    "progress": Route("screens.progress", "ProgressScreen", back=False),
    "faq": Route("screens.faq", "FaqScreen"),
    # a parent's account
    "login": Route("screens.account.login", "LoginScreen"),
    "forgot": Route("screens.account.forgot", "ForgotPasswordScreen"),
    "home": Route("screens.account.home", "AccountHomeScreen", back=False),
    "password": Route("screens.account.password", "ChangePasswordScreen"),
    "first-password": Route("screens.account.password", "ChangePasswordScreen", back=False),
    "contact-change": Route("screens.account.contact_change", "ContactChangeScreen"),
    # the staff's desk
    "staff-login": Route("screens.review.login", "StaffLoginScreen", back=False),
    "queue": Route("screens.review.queue", "QueueScreen", back=False),
    "detail": Route("screens.review.detail", "DetailScreen"),
    "unbind": Route("screens.review.unbind", "UnbindScreen"),
    "audit": Route("screens.review.audit", "AuditScreen"),
    # staff accounts (R32)
    "staff-invitation": Route("screens.review.invitation", "InvitationScreen"),
    "staff-password": Route("screens.review.staff_password", "StaffPasswordScreen", back=False),
    "staff-admin": Route("screens.review.staff_admin", "StaffAdminScreen"),
    "unbound": Route("screens.review.unbound", "UnboundScreen"),
}
# The terminal's own questions (R22), imported when first asked like the screens above.
DIALOGS: dict[str, Route] = {
    "idle": Route("screens.widgets.idle", "IdleCountdown"),
    "staff-pin": Route("screens.staff_pin", "StaffPinScreen"),
}
WIZARD = tuple(name for name, route in ROUTES.items() if route.step)
STEP_LABELS = tuple(ROUTES[name].step or "" for name in WIZARD)
FIRST_SCREENS = {"kiosk": "welcome", "review": "staff-login"}
# The services each mode's screens use, built behind its first frame (Services.warm) and no
# others: a kiosk, and each browser tab, never loads the staff's desk (R45: a tab's memory).
MODE_SERVICES = {
    "kiosk": ("verification", "applications", "progress", "accounts", "contact_change",
              "kiosk_lock", "unbinding", "forms"),
    "review": ("verification", "review", "staff", "staff_accounts", "accounts", "unbinding",
               "unbound", "audit_log"),
}  # fmt: skip


class Flow:
    """The routes of both modes. The app hands every FlowMessage to `route`."""

    def __init__(self) -> None:
        self._app: QinziApp | None = None
        self._away = False  # a screen of the visit was put over the first screen
        self._counting_down = False

    # --- what the app asks of its flow ------------------------------------------------------------

    def attach(self, app: QinziApp) -> None:
        self._app = app

    @property
    def app(self) -> QinziApp:
        assert self._app is not None, "the flow is attached by QinziApp"
        return self._app

    def services_of(self, mode: str) -> tuple[str, ...]:
        """The services the screens of `mode` use (see MODE_SERVICES)."""
        return MODE_SERVICES[mode]

    def modes(self) -> Mapping[str, Callable[[], Screen[Any]]]:
        """Each mode's first screen, which stays at the bottom of its stack."""
        return {mode: (lambda name=name: self.make(name)) for mode, name in FIRST_SCREENS.items()}

    def route(self, message: FlowMessage) -> None:
        handler = getattr(self, message.handler_name, None)
        if handler is not None:
            handler(message)

    @property
    def visit(self) -> Visit:
        return self.app.visit

    # --- screens ----------------------------------------------------------------------------------

    def place(self, name: str) -> Place:
        route = ROUTES[name]
        if route.step:
            return Place(name, WIZARD.index(name) + 1, STEP_LABELS, route.back)
        return Place(name, back=route.back)

    def make(self, name: str, *args: Any, **kwargs: Any) -> Screen[Any]:
        """The screen of route `name` in its place (its module imported now, if not yet)."""
        return ROUTES[name].load()(self.place(name), *args, **kwargs)

    def show(self, name: str, *args: Any, **kwargs: Any) -> AwaitMount:
        """Put a screen over the current one; Esc (or its dismiss) comes back."""
        self._away = True
        return self.app.push_screen(self.make(name, *args, **kwargs))

    def swap(self, name: str, *args: Any, **kwargs: Any) -> AwaitComplete:
        """Put a screen in place of the current one, which has no way back to it."""
        self._away = True
        return self.app.switch_screen(self.make(name, *args, **kwargs))

    def start_over_with(self, name: str, *args: Any) -> None:
        """Every screen above the first gives way to this one: the first is never uncovered
        on the way, which would end the visit."""
        while len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        if len(self.app.screen_stack) > 1:
            self.swap(name, *args)
        else:
            self.show(name, *args)

    # --- the end of a visit (R22, R36) ------------------------------------------------------------

    def leave(self, notice: str | None = None) -> None:
        """Send the person away (登出, idle, 不同意並退出, a rule that ended the session): their
        visit ends now, language included, `notice` says why, and every screen and dialog goes
        off, back to the first screen."""
        self._end_visit(leaving=True, notice=notice)
        self._back_to_start()

    def _back_to_start(self) -> None:
        app = self.app
        if not all(screen.is_mounted for screen in app.screen_stack):
            # A screen still being built (pushed by the same burst of clicks) is waited for:
            # Textual crashes popping one half-mounted.
            app.set_timer(0.01, self._back_to_start)
            return
        while len(app.screen_stack) > 1:
            app.pop_screen()

    def on_back_at_start(self, _: object) -> None:
        """The first screen is shown again, by whatever route (Esc from step 1 is the one
        `leave` does not see): if a screen of a visit went over it, the visit ends (R36)."""
        self._counting_down = False
        if self._away:
            self._end_visit(leaving=False)

    def _end_visit(self, *, leaving: bool, notice: str | None = None) -> None:
        """Everything of the person goes: session, login, drafts, the first screen's typed
        values, answers still on their way (they were for the old visit), the notices; the
        language and the colours they chose too when the terminal sent them away."""
        app = self.app
        self._away = self._counting_down = False
        app.visit = Visit()
        app.clear_notifications()  # a notice may name the parent or the student
        first = app.screen_stack[0]
        first.sub_title = ""  # the staff desk names who is logged in there
        for typed in first.query(Input):
            typed.value = ""
        # The next person starts where the first screen starts (親子綁定), not on the button the
        # last one used (issue 16).
        focus_first(first)
        if leaving:
            app.lang = app.default_lang
            app.theme = app.default_theme
        app.last_input = app.services.clock()
        app.refresh_bindings()
        if isinstance(first, QinziScreen):
            first.say(notice or "", "error")  # stays until the next visit begins (issue 16)

    def on_log_out(self, _: object) -> None:
        self.leave()

    def on_session_over(self, message: SessionOver) -> None:
        self.leave(message.notice)

    # --- the parent's kiosk -----------------------------------------------------------------------

    def on_welcome_screen_picked(self, message: WelcomeScreen.Picked) -> None:
        """親子綁定 starts the wizard (with what was typed on the welcome screen); 家長登入 and
        常見問題 are pages of their own."""
        if message.choice == "bind":
            self.show("contact", message.typed)
        else:
            self.show(message.choice)

    def begin(self, contact: VerifiedContact) -> None:
        """A verified contact (step 1, or a login standing for it) starts the kiosk session."""
        from app.services.kiosk import KioskSession  # after the first frame, with the step

        self.visit.session = KioskSession(contact=contact, lang=self.app.lang)

    def on_contact_screen_verified(self, message: ContactScreen.Verified) -> None:
        """Step 1 done. A contact that already applied goes to its progress page (step 5),
        which has no way back into step 1."""
        self.begin(message.contact)
        self.show("progress" if message.has_applications else "student")

    def on_contact_screen_kept(self, _: ContactScreen.Kept) -> None:
        """Back in step 1 and on again with the same verified contact: the session goes on."""
        self.show("student")

    def on_student_screen_done(self, _: StudentScreen.Done) -> None:
        self.show("consent")

    def on_consent_screen_agreed(self, _: ConsentScreen.Agreed) -> None:
        self.show("parent")

    def on_parent_screen_sent(self, message: ParentScreen.Sent) -> None:
        """The wizard is done: its students and consent are forgotten (the parent's own details
        stay for another round), and nothing leads back into it."""
        for name in ("student", "consent"):
            self.visit.drafts.pop(name, None)
        self.start_over_with("completion", message.submitted)

    def on_parent_screen_help_wanted(self, message: ParentScreen.HelpWanted) -> None:
        """Step 4 refused an e-mail or a pair because the parent has an account (R13, R15):
        家長登入 or 忘記密碼, and back to step 4 from there; or the pair waits already (R15):
        the progress page."""
        self.show(message.what)

    def on_completion_screen_show_progress(self, _: CompletionScreen.ShowProgress) -> None:
        self.swap("progress")

    def on_progress_screen_add_student(self, _: ProgressScreen.AddStudent) -> None:
        self.show("student")

    # --- a parent's account -----------------------------------------------------------------------

    def on_login_screen_logged_in(self, message: LoginScreen.LoggedIn) -> None:
        """The login page gives way: to the forced change of the initial password (R19), which
        has no way back, or to the parent's page."""
        self.visit.login = message.login
        self.app.refresh_bindings()
        if message.login.must_change:
            self.swap("first-password", forced=True)
        else:
            self.swap("home")

    def on_login_screen_forgot(self, _: LoginScreen.Forgot) -> None:
        self.show("forgot")

    def on_change_password_screen_saved(self, _: ChangePasswordScreen.Saved) -> None:
        """The initial password is gone (R19): on to the parent's page."""
        self.swap("home")

    def on_account_home_screen_bind_another(self, message: AccountHomeScreen.BindAnother) -> None:
        self.begin(message.contact)
        self.show("student")

    def on_account_home_screen_change_password(self, _: object) -> None:
        self.show("password")

    def on_account_home_screen_change_contact(self, _: object) -> None:
        self.show("contact-change")

    # --- the staff's desk -------------------------------------------------------------------------

    def on_staff_login_screen_logged_in(self, message: StaffLoginScreen.LoggedIn) -> None:
        """A temporary password from school IT is changed first (R32), with no way around."""
        self.visit.staff = message.staff
        self.app.refresh_bindings()
        self.show("staff-password" if message.staff.must_change else "queue")

    def on_staff_login_screen_has_invitation(self, _: StaffLoginScreen.HasInvitation) -> None:
        self.show("staff-invitation")

    def on_invitation_screen_accepted(self, message: InvitationScreen.Accepted) -> None:
        """The first password is set (R32): the person is in, the invitation page gives way."""
        self.visit.staff = message.staff
        self.app.refresh_bindings()
        self.swap("queue")

    def on_staff_password_screen_saved(self, message: StaffPasswordScreen.Saved) -> None:
        self.visit.staff = message.staff
        self.app.refresh_bindings()
        self.swap("queue")

    def on_queue_screen_open(self, message: QueueScreen.Open) -> None:
        self.show("detail", message.number, message.detail)

    def on_queue_screen_open_unbind(self, message: QueueScreen.OpenUnbind) -> None:
        self.show("unbind", message.request_id)

    def on_queue_screen_open_audit(self, _: QueueScreen.OpenAudit) -> None:
        self.show("audit")

    def on_queue_screen_open_staff(self, _: QueueScreen.OpenStaff) -> None:
        self.show("staff-admin")
    def on_queue_screen_open_unbound(self, _: QueueScreen.OpenUnbound) -> None:
        self.show("unbound")

    def on_detail_screen_open_next(self, message: DetailScreen.OpenNext) -> None:
        """Approve and open next: the next application takes the decided one's place, so Esc
        still goes back to the queue."""
        self.swap("detail", message.number)

    # --- the terminal's own questions (R22) -------------------------------------------------------

    def idle(self) -> None:
        """Past the idle limit: a countdown; unless someone touches a key, everything goes."""
        if self._counting_down:
            return
        self._counting_down = True
        self.app.push_screen(DIALOGS["idle"].load()(), self._after_countdown)

    def _after_countdown(self, stay: bool | None) -> None:
        self._counting_down = False
        if stay:
            self.app.last_input = self.app.services.clock()
        else:
            self.leave()

    def ask_to_leave(self) -> None:
        """Ctrl+Q on a kiosk: only the staff PIN closes the program."""
        pin_screen = DIALOGS["staff-pin"].load()
        if not isinstance(self.app.screen, pin_screen):
            self.app.push_screen(pin_screen(), lambda ok: self.app.exit() if ok else None)
