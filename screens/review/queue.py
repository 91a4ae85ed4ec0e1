"""The queue (R18): the applications of the teacher's own classes (school IT: the whole school),
one page at a time as the database hands them over, never all of them. Tabs count and filter by
status, with unbinding requests (R29) as their own kind; the match flag (R28), a search by name or
number, sorting by any column, picking roster matches for bulk approval, and the scan field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static, Tab, Tabs

from app.errors import QinziError
from app.models import Status
from app.services.paging import Page
from app.services.review_views import ApplicationDetail, QueuePage, QueueRow, UnbindRow
from app.services.staff import StaffProfile
from app.tui import FlowMessage
from screens.base import Place
from screens.review.base import ReviewScreen, fill_table, short
from screens.review.bulk import BulkPicking
from screens.review.scan import SCAN_START, ScanField
from screens.widgets.field import Field

PAGE_SIZE = 50
SEARCH_DELAY = 0.25  # seconds of quiet typing before the query runs
VIEWS = ("all", Status.PENDING, Status.APPROVED, Status.REJECTED, "unbind")
APP_COLUMNS = ("pick", "number", "student", "classroom", "relationship", "roster_match", "paper",
               "documents", "status", "submitted_at")  # fmt: skip
UNBIND_COLUMNS = ("request", "student", "classroom", "parent", "email", "requested_at")
SORTABLE = tuple(c for c in APP_COLUMNS[1:] if c not in ("paper", "documents"))
# The start-of-term columns (the seed's signed paper, R27's papers) have their labels in
# review_day.toml; the others in staff.toml.
COLUMN_LABELS = {"paper": "label.review_day.col_paper",
                 "documents": "label.review_day.col_documents"}  # fmt: skip
MATCHES = (None, True, False)


class QueueTable(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "label.staff.key_open", id="open")]


class QueueScreen(BulkPicking, ReviewScreen):
    AUTO_FOCUS = "#queue"
    SCROLL_BODY = False

    @dataclass
    class Open(FlowMessage):
        """An application to review: its number, and its detail when a scan already has it."""

        number: str
        detail: ApplicationDetail | None = None

    @dataclass
    class OpenUnbind(FlowMessage):
        request_id: int

    class OpenAudit(FlowMessage):
        """School IT's audit log."""

    class OpenStaff(FlowMessage):
        """School IT's staff screen (R32)."""
    class OpenUnbound(FlowMessage):
        """The students not yet bound, of the own classes (school IT: the school)."""

    BINDINGS = [
        Binding("escape", "to_table", show=False),
        Binding("enter", "open_current", show=False),  # the table's own Enter is in the footer
        Binding("space", "pick", "label.staff.key_pick", id="pick"),
        Binding("b", "bulk", "label.staff.key_bulk", id="bulk"),
        Binding("s", "scan", "label.staff.key_scan", id="scan"),
        Binding("slash", "search", "label.staff.key_search", key_display="/", id="search"),
        Binding("f", "next_view", "label.staff.key_view", id="view"),
        Binding("m", "match", "label.staff.key_match", id="match"),
        Binding("o", "sort", "label.staff.key_sort", id="sort"),
        Binding("d", "direction", "label.staff.key_direction", id="direction"),
        Binding("pageup", "page(-1)", "label.staff.key_prev", key_display="PgUp", priority=True),
        Binding("pagedown", "page(1)", "label.staff.key_next", key_display="PgDn", priority=True),
        Binding("r", "reload", "label.staff.key_reload", id="reload"),
        Binding("a", "audit", "label.staff.key_audit", id="audit"),
        Binding("t", "staff_accounts", "label.staff_admin.key_staff", id="staff-accounts"),
        Binding("u", "unbound", "label.review_day.key_unbound", id="unbound"),
        # Checked before any widget sees the key, so the rest of a scan follows into the field.
        *(Binding(ch, f"scan_key('{ch}')", show=False, priority=True) for ch in SCAN_START),
    ]

    def __init__(self, place: Place) -> None:
        super().__init__(place)
        self.view: str = "all"
        self.shown: str = "all"  # the view whose rows the table holds (a new one may be loading)
        self.match: bool | None = None
        self.sort, self.descending = "submitted_at", True
        self.page = 1
        self.picked: dict[str, QueueRow] = {}
        self.result: tuple[QueuePage, Page[UnbindRow]] | None = None
        self.profile: StaffProfile | None = None
        self._seq = 0
        self._search_timer: Any = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="queue-top"):
            yield ScanField()
            yield Field("search", "label.staff.search", Input(id="search", compact=True))
        yield Tabs(*(Tab("", id=f"tab-{view}") for view in VIEWS), id="views")
        yield QueueTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-status")

    def setup(self) -> None:
        self.watch(self.app, "lang", self._relabel)
        self.call(self.services.staff.profile, self.staff, done=self._profiled)

    def _profiled(self, profile: StaffProfile) -> None:
        self.profile = profile
        self.update_sub_title()

    def update_sub_title(self) -> None:
        p = self.profile
        if p is None:
            super().update_sub_title()
            return
        key = "label.staff.who_it" if p.is_it else "label.staff.who_teacher"
        rooms = self.tr("format.list_separator").join(p.classrooms)
        self.sub_title = self.tr(key, name=p.name, school=p.school_name, rooms=rooms)

    def _relabel(self, lang: str) -> None:
        tr = self.tr
        self.query_one("#search", Input).placeholder = tr("label.staff.search_placeholder")
        self.show_result()

    def on_screen_resume(self) -> None:
        """Back from an application: its new state shows, and the table has the keys again
        (a scan still lands in the scan field)."""
        self.query_one(QueueTable).focus()
        self.load()

    # --- loading: one page, by the query -------------------------------------------------------

    def load(self) -> None:
        staff = self.staff
        if staff is None:
            return
        self._seq += 1
        seq, review, unbinding = self._seq, self.review, self.services.unbinding
        unbind = self.view == "unbind"
        wanted = {
            "status": None if self.view in ("all", "unbind") else self.view,
            "roster_match": self.match,
            "search": self.query_one("#search", Input).value,
            "sort": self.sort,
            "descending": self.descending,
            "page": 1 if unbind else self.page,
            "page_size": 1 if unbind else PAGE_SIZE,
        }
        page, size = (self.page, PAGE_SIZE) if unbind else (1, 1)

        def job() -> tuple[QueuePage, Page[UnbindRow]]:
            return review.queue(staff, **wanted), unbinding.page(staff, page, size)

        self.call(job, done=lambda result: self.loaded(seq, result))

    def loaded(self, seq: int, result: tuple[QueuePage, Page[UnbindRow]]) -> None:
        if seq != self._seq:  # a newer query is on its way
            return
        self.result = result
        pages = result[1].pages if self.view == "unbind" else result[0].pages
        if self.page > pages:
            self.page = pages
            self.load()
            return
        self.show_result()

    # --- showing ----------------------------------------------------------------------------

    def show_result(self) -> None:
        if self.result is None:
            return
        tr = self.tr
        queue, unbind = self.result
        counts = queue.counts_by_status
        for view in VIEWS:
            n = unbind.total if view == "unbind" else (
                sum(counts.get(s, 0) for s in VIEWS[1:4]) if view == "all" else counts.get(view, 0)
            )  # fmt: skip
            self.query_one(f"#tab-{view}", Tab).label = tr(f"label.staff.view_{view}", count=n)
        table = self.query_one(QueueTable)
        keep = self.current_key()
        if self.view == "unbind":
            columns = [(key, tr(f"label.staff.col_{key}")) for key in UNBIND_COLUMNS]
            rows = [(str(r.request_id), [f"#{r.request_id}", r.student_name_shown,
                     r.classroom_name, r.parent_name_masked, r.email_masked,
                     short(r.requested_at)]) for r in unbind.rows]  # fmt: skip
        else:
            keys = self.app_columns()
            columns = [(key, self.header(key)) for key in keys]
            rows = [(r.number, [self.cells(r)[key] for key in keys]) for r in queue.rows]
        fill_table(table, columns, rows)
        self.shown = self.view
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        self.show_status()

    def header(self, key: str) -> Text:
        if key == "pick":
            return Text("✓")
        label = self.tr(COLUMN_LABELS.get(key, f"label.staff.col_{key}"))
        if key == self.sort:
            label += " ↓" if self.descending else " ↑"
        return Text(label, style="bold" if key == self.sort else "")

    def app_columns(self) -> tuple[str, ...]:
        """A homeroom teacher of one class has no use for the class column (the header names
        the class): leaving it out keeps the paper and documents columns visible at 80."""
        staff = self.staff
        if staff is not None and not staff.is_it and len(staff.classroom_ids) == 1:
            return tuple(key for key in APP_COLUMNS if key != "classroom")
        return APP_COLUMNS

    def cells(self, r: QueueRow) -> dict[str, str]:
        tr = self.tr
        documents = "" if not r.needs_documents else "✓" if r.documents_checked else "✗"
        return {"pick": "✓" if r.number in self.picked else "", "number": r.number,
                "student": r.student_name_shown, "classroom": r.classroom_name,
                "relationship": tr(f"label.staff.rel_{r.relationship}"),
                "roster_match": "✓" if r.roster_match else "",
                "paper": "✓" if r.paper_received else "", "documents": documents,
                "status": tr(f"label.staff.status_{r.status}"),
                "submitted_at": short(r.submitted_at)}  # fmt: skip

    def show_status(self) -> None:
        if self.result is None:
            return
        tr = self.tr
        current = self.result[1] if self.view == "unbind" else self.result[0]
        parts = [tr("label.staff.page", page=current.page, pages=current.pages),
                 tr("label.staff.total", total=current.total)]  # fmt: skip
        if self.view != "unbind":
            parts.append(tr(f"label.staff.match_{self.match_name}"))
            parts.append(tr("label.staff.picked", count=len(self.picked)))
        self.query_one("#queue-status", Static).update(" · ".join(parts))

    @property
    def match_name(self) -> str:
        return {None: "any", True: "yes", False: "no"}[self.match]

    def current_key(self) -> str | None:
        table = self.query_one(QueueTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def current_row(self) -> QueueRow | None:
        key = self.current_key()
        rows = self.result[0].rows if self.result else []
        return next((r for r in rows if r.number == key), None)

    # --- opening ------------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.open(event.row_key.value)

    def open(self, key: str | None) -> None:
        if key is None:
            return
        if self.shown == "unbind":  # what the row is, even while another tab's rows load
            self.tell(self.OpenUnbind(int(key)))
        else:
            self.tell(self.Open(key))

    def action_open_current(self) -> None:
        self.open(self.current_key())

    @on(ScanField.Scanned)
    def scanned(self, message: ScanField.Scanned) -> None:
        """A scanned number opens through the same check as a row (R18)."""
        self.clear_errors()
        self.call(self.review.find, self.staff, message.number, done=self._scan_found,
                  failed=self._scan_refused)  # fmt: skip

    def _scan_refused(self, error: QinziError) -> None:
        self.show_error(error)
        self.query_one(ScanField).ready_again()

    def _scan_found(self, detail: ApplicationDetail) -> None:
        self.query_one(ScanField).opened()
        self.tell(self.Open(detail.number, detail))

    def action_scan_key(self, character: str) -> None:
        """A scanner's first key, typed while no input had the focus, goes to the scan field."""
        self.query_one(ScanField).start(character)

    # --- filters ------------------------------------------------------------------------------

    @on(Tabs.TabActivated)
    def view_chosen(self, event: Tabs.TabActivated) -> None:
        event.stop()
        view = (event.tab.id or "tab-all").removeprefix("tab-")
        if view != self.view:
            self.view, self.page = view, 1
            self.refresh_bindings()  # picking, matching and sorting are for applications
            self.load()

    @on(Input.Changed, "#search")
    def search_typed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._search_now)

    def _search_now(self) -> None:
        self._search_timer = None
        self.page = 1
        self.load()

    @on(Input.Submitted, "#search")
    def search_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_now()
        self.query_one(QueueTable).focus()

    def action_to_table(self) -> None:
        self.query_one(QueueTable).focus()

    def action_scan(self) -> None:
        self.query_one("#scan", Input).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_next_view(self) -> None:
        self.query_one(Tabs).action_next_tab()

    def action_match(self) -> None:
        self.match = MATCHES[(MATCHES.index(self.match) + 1) % len(MATCHES)]
        self.page = 1
        self.load()

    def action_sort(self) -> None:
        self.sort_by(SORTABLE[(SORTABLE.index(self.sort) + 1) % len(SORTABLE)])

    def action_direction(self) -> None:
        self.descending = not self.descending
        self.load()

    def sort_by(self, column: str) -> None:
        if column == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = column, column == "submitted_at"
        self.page = 1
        self.load()

    @on(DataTable.HeaderSelected)
    def header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        if self.view != "unbind" and event.column_key.value in SORTABLE:
            self.sort_by(event.column_key.value)

    def action_page(self, step: int) -> None:
        if self.result is None:
            return
        current = self.result[1] if self.view == "unbind" else self.result[0]
        target = min(max(1, self.page + step), current.pages)
        if target != self.page:
            self.page = target
            self.load()

    def action_reload(self) -> None:
        self.load()

    # --- school IT ----------------------------------------------------------------------------

    def action_audit(self) -> None:
        self.tell(self.OpenAudit())

    def action_staff_accounts(self) -> None:
        self.tell(self.OpenStaff())
    def action_unbound(self) -> None:
        self.tell(self.OpenUnbound())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pick", "bulk", "match", "sort", "direction"):
            return self.view != "unbind"
        if action in ("audit", "staff_accounts"):
            return self.staff is not None and self.staff.is_it
        if action == "scan_key":  # inside an input the key is just typed
            return not isinstance(self.focused, Input)
        return super().check_action(action, parameters)
