"""The teacher's start-of-term list: the students of the own classes (school IT: the school) who
are not yet bound — no live binding, no application waiting — to chase with a class letter
(`qinzi letters --unbound`). One class or all; a CSV of the list, masked as every exported list
is (R9), goes to the data folder's exports/. The class's own teacher sees full names here."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Select, Static

from app.services.unbound import UnboundExport, UnboundRow
from screens.base import Place
from screens.review.base import ReviewScreen, fill_table
from screens.widgets.field import Field
from screens.widgets.i18n import T

COLUMNS = (("classroom", "label.staff.col_classroom"), ("student", "label.staff.col_student"),
           ("student_id", "label.review_day.col_student_id"),
           ("last", "label.review_day.col_last"))  # fmt: skip


class UnboundScreen(ReviewScreen):
    AUTO_FOCUS = "#unbound-table"
    SCROLL_BODY = False
    BINDINGS = [
        Binding("x", "export", "label.review_day.key_export", id="export"),
        Binding("r", "reload", "label.staff.key_reload", id="reload"),
        Binding("escape", "back", "label.key_back", id="back"),
    ]

    def __init__(self, place: Place) -> None:
        super().__init__(place)
        self.rows: list[UnboundRow] | None = None
        self._seq = 0

    def compose_body(self) -> ComposeResult:
        yield T("label.review_day.unbound_title", classes="title")
        yield T("label.review_day.unbound_lead", classes="lead")
        yield Field("classroom", "label.review_day.unbound_class",
                    Select([], id="unbound-class", compact=True))  # fmt: skip
        yield DataTable(id="unbound-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="unbound-status")

    def setup(self) -> None:
        self.watch(self.app, "lang", self._relabel)
        self.call(self.services.unbound.classrooms, self.staff, done=self._rooms)

    def _rooms(self, rooms: list[tuple[int, str]]) -> None:
        select = self.query_one("#unbound-class", Select)
        select.set_options([(name, room_id) for room_id, name in rooms])
        if len(rooms) == 1:  # a homeroom teacher's one class
            select.value = rooms[0][0]
        self.load()

    def _relabel(self, lang: str) -> None:
        self.query_one("#unbound-class", Select).prompt = self.tr("label.review_day.unbound_all")
        self.show()

    @property
    def classroom_id(self) -> int | None:
        value = self.query_one("#unbound-class", Select).value
        return value if isinstance(value, int) else None

    @on(Select.Changed, "#unbound-class")
    def class_chosen(self, event: Select.Changed) -> None:
        event.stop()
        self.load()

    def load(self) -> None:
        self._seq += 1
        seq = self._seq
        self.call(self.services.unbound.students, self.staff, self.classroom_id,
                  done=lambda rows: self._loaded(seq, rows))  # fmt: skip

    def _loaded(self, seq: int, rows: list[UnboundRow]) -> None:
        if seq == self._seq:  # a newer query is on its way otherwise
            self.rows = rows
            self.show()

    def show(self) -> None:
        if self.rows is None:
            return
        tr = self.tr
        columns = [(key, tr(label)) for key, label in COLUMNS]
        rows = [(str(r.student_id), [r.classroom_name, r.student_name_shown, r.student_id_masked,
                 tr(f"label.staff.status_{r.last_status}") if r.last_status else ""])
                for r in self.rows]  # fmt: skip
        fill_table(self.query_one("#unbound-table", DataTable), columns, rows)
        key = "label.review_day.unbound_count" if self.rows else "label.review_day.unbound_empty"
        self.query_one("#unbound-status", Static).update(tr(key, count=len(self.rows)))

    def action_reload(self) -> None:
        self.load()

    def action_export(self) -> None:
        self.clear_errors()
        self.call(self.services.unbound.export, self.staff, self.classroom_id, self.app.lang,
                  done=self._exported)  # fmt: skip

    def _exported(self, done: UnboundExport) -> None:
        text = self.tr("label.review_day.exported", count=done.rows, rows=done.rows, path=done.path)
        self.query_one("#unbound-status", Static).update(text)
        self.notify(text)
