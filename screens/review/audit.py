"""The audit log for school IT (R24): who did what to which record, when and where; filtered by
actor, action and Taipei calendar days, a page at a time, and exported as CSV to the data folder
(the screen says where)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Select, Static

from app.services.audit import AuditFilter, AuditPage
from app.services.audit_log import AuditExport
from screens.base import Place
from screens.review.base import ReviewScreen, fill_table, local
from screens.widgets.field import Field
from screens.widgets.i18n import T

PAGE_SIZE = 50
COLUMNS = ("at", "actor", "action", "target", "terminal")
WIDE = 90  # columns of screen from which the terminal column is shown


class AuditScreen(ReviewScreen):
    AUTO_FOCUS = "#audit-table"
    SCROLL_BODY = False
    DRAFT = ("actor", "since", "until")
    BINDINGS = [
        Binding("f", "filters", "label.staff.key_filters", id="filters"),
        Binding("e", "export", "label.staff.key_export", id="export"),
        Binding("pageup", "page(-1)", "label.staff.key_prev", key_display="PgUp", priority=True),
        Binding("pagedown", "page(1)", "label.staff.key_next", key_display="PgDn", priority=True),
        Binding("escape", "back", "label.key_back", id="back"),
    ]

    def __init__(self, place: Place) -> None:
        super().__init__(place)
        self.page = 1
        self.result: AuditPage | None = None
        self.actions: list[str] = []
        self._action = ""  # the action filter of the last query
        self._seq = 0

    def compose_body(self) -> ComposeResult:
        yield T("label.staff.audit_title", classes="title")
        with Horizontal(id="audit-filters"):
            yield Field("actor", "label.staff.audit_actor", Input(id="actor", compact=True))
            yield Field("action", "label.staff.audit_action", Select([], id="action",
                                                                   compact=True))  # fmt: skip
            yield Field("since", "label.staff.audit_since", Input(id="since", compact=True))
            yield Field("until", "label.staff.audit_until", Input(id="until", compact=True))
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-status")
        yield T("", id="audit-export")

    def setup(self) -> None:
        self.watch(self.app, "lang", self._relabel)
        self.call(self.services.audit_log.actions, self.staff, done=self._actions)
        self.load()

    def _actions(self, actions: list[str]) -> None:
        self.actions = actions
        self._relabel(self.app.lang)

    def _relabel(self, lang: str) -> None:
        tr = self.tr
        self.query_one("#actor", Input).placeholder = tr("label.staff.audit_actor_placeholder")
        for name in ("since", "until"):
            self.query_one(f"#{name}", Input).placeholder = tr("label.staff.date_placeholder")
        select = self.query_one("#action", Select)
        chosen = select.value
        select.set_options([(self.action_label(a), a) for a in self.actions])
        select.prompt = tr("label.staff.audit_any_action")
        if isinstance(chosen, str) and chosen in self.actions:
            select.value = chosen
        self.show_result()

    def action_label(self, action: str, short: bool = False) -> str:
        """The action in words; the filter's list adds the code, which the CSV holds."""
        key = "label.staff.action_" + action.replace(".", "_")
        text = self.tr(key)
        if text == key:
            return action
        return text if short else f"{text} ({action})"

    def on_resize(self) -> None:
        self.show_result()

    # --- loading ------------------------------------------------------------------------------

    def wanted(self) -> AuditFilter:
        action = self.query_one("#action", Select).value
        return AuditFilter(
            actor=self.query_one("#actor", Input).value,
            action=action if isinstance(action, str) else "",
            since=self.query_one("#since", Input).value,
            until=self.query_one("#until", Input).value,
        )

    def load(self) -> None:
        self.clear_errors()
        self._seq += 1
        seq, wanted = self._seq, self.wanted()
        self._action = wanted.action
        self.call(self.services.audit_log.page, self.staff, wanted, self.page, PAGE_SIZE,
                  done=lambda page: self.loaded(seq, page))  # fmt: skip

    def loaded(self, seq: int, page: AuditPage) -> None:
        if seq == self._seq:
            self.result = page
            self.show_result()

    def show_result(self) -> None:
        page = self.result
        if page is None:
            return
        tr = self.tr
        table = self.query_one(DataTable)
        # The terminal only where there is room: at 80 columns the rest must fit (the CSV has it).
        keys = COLUMNS if self.size.width >= WIDE else COLUMNS[:-1]
        rows = []
        for i, r in enumerate(page.rows):
            cells = [local(r.at, "%m-%d %H:%M:%S"), page.names.get(r.actor, r.actor),
                     self.action_label(r.action, short=True), r.target, r.terminal]  # fmt: skip
            rows.append((str(i), cells[: len(keys)]))
        fill_table(table, [(k, tr(f"label.staff.audit_col_{k}")) for k in keys], rows)
        self.query_one("#audit-status", Static).update(" · ".join([
            tr("label.staff.page", page=page.page, pages=page.pages),
            tr("label.staff.total", total=page.total),
        ]))  # fmt: skip

    # --- filters, pages, export ---------------------------------------------------------------

    @on(Input.Submitted)
    def filter_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.page = 1
        self.load()

    @on(Select.Changed, "#action")
    def action_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if self.wanted().action != self._action:
            self.page = 1
            self.load()

    def action_filters(self) -> None:
        self.query_one("#actor").focus()

    def action_page(self, step: int) -> None:
        if self.result is None:
            return
        target = min(max(1, self.page + step), self.result.pages)
        if target != self.page:
            self.page = target
            self.load()

    def action_export(self) -> None:
        self.clear_errors()
        self.call(self.services.audit_log.export, self.staff, self.wanted(), done=self.exported)

    def exported(self, done: AuditExport) -> None:
        said = {"count": done.rows, "rows": done.rows, "path": done.path}
        self.query_one("#audit-export", T).set("label.staff.exported", **said)
        self.notify(self.tr("label.staff.exported", **said))
