"""Step 2 確認學生資訊: the relationship (R5), the school level (R6), the student's ID with 驗證
(R7), the school, 查詢 (R8) and the masked student to add (R9). Several students one at a time:
each 加入 puts one on the list, 新增綁定學生 clears the form for the next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from app.errors import InvalidInput
from app.identity import mask_id
from app.models import Level, Relationship
from app.services.forms.qr import parse_class_qr
from app.services.kiosk import (
    RELATIONSHIP_GROUPS,
    ChosenStudent,
    KioskSession,
    SchoolOption,
    SessionAnswer,
    StudentCard,
)
from screens.base import KioskScreen
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class StudentScreen(KioskScreen):
    STEP = 2
    DRAFT = ("student-id", "relationship-note")

    card: StudentCard | None = None  # found by 查詢, not yet added
    form_open = True

    def compose_body(self) -> ComposeResult:
        yield T("label.student_step.title", classes="title")
        yield T("label.student_step.lead", classes="lead")
        with Vertical(id="chosen-box"):
            yield T("", id="chosen-title", classes="subtitle")
            yield Vertical(id="chosen-list")
        with Vertical(id="student-form"):
            yield Field(
                "relationship",
                "label.student_step.relationship",
                RadioSet(
                    RadioButton("", id="kind-legal"),
                    RadioButton("", id="kind-guardian"),
                    id="relationship-kind",
                ),
                Select([], id="relationship", disabled=True),
            )
            yield Field(
                "relationship_note",
                "label.student_step.note",
                Input(id="relationship-note", max_length=20),
            )
            yield Field(
                "level",
                "label.student_step.level",
                RadioSet(*(RadioButton("", id=f"level-{lv}") for lv in Level), id="level"),
            )
            yield Field(
                "student_id",
                "label.student_step.student_id",
                Horizontal(
                    Input(id="student-id", max_length=20),
                    TButton("label.wizard.check", id="check-id"),
                    classes="input-row",
                ),
                T("", id="student-id-ok", classes="field-ok"),
            )
            yield Field("school", "label.student_step.school", Select([], id="school"))
            with Horizontal(classes="actions"):
                yield TButton("label.student_step.lookup", id="lookup", variant="primary")
            with Vertical(id="card"):
                yield T("", id="card-text")
                with Horizontal(classes="actions"):
                    yield TButton("label.student_step.add", id="add", variant="success")
        with Horizontal(classes="actions"):
            yield TButton("label.student_step.another", id="another")
            yield TButton("label.wizard.next", id="next", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.form_open = not self.chosen
        self.query_one("#field-relationship_note").display = False
        self.query_one("#student-id-ok").display = False
        self.watch(self.app, "lang", self._relabel)
        self.query_one("#relationship-kind").focus()

    def on_screen_resume(self) -> None:
        self.refresh_state()

    # --- state ---------------------------------------------------------------------------------

    @property
    def chosen(self) -> tuple[ChosenStudent, ...]:
        return self.app.session.students if self.app.session is not None else ()

    @property
    def kind(self) -> str | None:
        pressed = self.query_one("#relationship-kind", RadioSet).pressed_button
        return pressed.id.removeprefix("kind-") if pressed is not None and pressed.id else None

    @property
    def level(self) -> str | None:
        pressed = self.query_one("#level", RadioSet).pressed_button
        return pressed.id.removeprefix("level-") if pressed is not None and pressed.id else None

    @property
    def relationship(self) -> str:
        value = self.query_one("#relationship", Select).value
        return "" if value == Select.NULL else str(value)

    def focus_later(self, selector: str) -> None:
        """Focus (and so scroll to) a widget that was just shown, once it has a place."""
        self.call_after_refresh(lambda: self.query_one(selector).focus())

    def refresh_state(self) -> None:
        """Which parts show: the form while a student is being added, the list once there is one."""
        self.query_one("#student-form").display = self.form_open
        self.query_one("#card").display = self.form_open and self.card is not None
        self.query_one("#another").display = not self.form_open
        self.query_one("#next").disabled = not (self.chosen or self.card)
        self.query_one("#chosen-box").display = bool(self.chosen)
        self._render_card()
        self._render_chosen()

    def _relabel(self, lang: str) -> None:
        tr = self.app.tr
        kinds = {"legal": "relationship.legal_representative", "guardian": "relationship.guardian"}
        for kind, key in kinds.items():
            self.query_one(f"#kind-{kind}", RadioButton).label = tr(key)
        for lv in Level:
            self.query_one(f"#level-{lv}", RadioButton).label = tr(f"level.{lv}")
        self.query_one("#student-id", Input).placeholder = tr("label.student_step.id_placeholder")
        self.query_one("#relationship-note", Input).placeholder = tr(
            "label.student_step.note_placeholder"
        )
        self._school_prompt()
        self._fill_relationships()
        self.refresh_state()

    def _school_prompt(self) -> None:
        key = "label.student_step.school_prompt" if self.level else "label.student_step.level_first"
        self.query_one("#school", Select).prompt = self.app.tr(key)

    def _fill_relationships(self) -> None:
        """The second choice follows the first, as in the seed: 法定代理人 → 父親/母親, 監護人 →
        祖父…其他. Relabelling keeps the choice."""
        select = self.query_one("#relationship", Select)
        kind = self.kind
        codes = RELATIONSHIP_GROUPS.get(kind or "", ())
        keep = select.value
        select.set_options([(self.app.tr(f"relationship.{c}"), str(c)) for c in codes])
        if keep in {str(c) for c in codes}:
            select.value = keep
        select.prompt = self.app.tr(
            {"legal": "label.student_step.who_legal", "guardian": "label.student_step.who_guardian"}
            .get(kind or "", "label.student_step.kind_first")
        )  # fmt: skip
        select.disabled = not codes

    def _render_card(self) -> None:
        if self.card is None:
            return
        self.query_one("#card-text", T).set(
            "label.student_step.found",
            name=self.card.name_masked,
            school=self.card.school_name,
            classroom=self.card.classroom_name,
        )

    def _render_chosen(self) -> None:
        chosen = self.chosen
        self.query_one("#chosen-title", T).set("label.student_step.chosen", count=len(chosen))
        box = self.query_one("#chosen-list", Vertical)
        box.remove_children()
        rows = []
        for index, student in enumerate(chosen):
            relation = self.app.tr(f"relationship.{student.relationship}")
            if student.note:
                relation = f"{relation}（{student.note}）"
            text = self.app.tr(
                "label.student_step.row",
                name=student.card.name_masked,
                school=student.card.school_name,
                classroom=student.card.classroom_name,
                relationship=relation,
            )
            remove = TButton("label.student_step.remove", name=str(index), classes="remove")
            rows.append(Horizontal(Static(text, classes="chosen-text"), remove, classes="chosen"))
        box.mount_all(rows)

    # --- events --------------------------------------------------------------------------------

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.radio_set.id == "relationship-kind":
            self._fill_relationships()
            self.query_one("#field-relationship_note").display = False
        elif event.radio_set.id == "level":
            self._forget_card()
            self.query_one("#school", Select).set_options([])
            self._school_prompt()
            level = self.level
            self.call(
                self.app.services.applications.schools,
                level,
                done=lambda options: self._fill_schools(level, options),
            )

    def _fill_schools(self, level: str | None, options: list[SchoolOption]) -> None:
        if level != self.level:  # the parent already chose another level
            return
        select = self.query_one("#school", Select)
        select.set_options([(o.name, o.code) for o in options])
        wanted, self.preselect_school = getattr(self, "preselect_school", None), None
        if wanted in {o.code for o in options}:
            select.value = wanted

    def scanned_class_letter(self, text: str) -> bool:
        """A USB scanner typed the QR of a class letter (QZCLASS:…) into a field: preselect the
        level and the school; the parent still types the student's ID."""
        parsed = parse_class_qr(text)
        if parsed is None:
            return False
        school_code, _classroom = parsed

        def apply(level: str | None) -> None:
            if level is None:
                self.notify(self.app.tr("label.student_step.letter_unknown"), severity="warning")
                return
            self.preselect_school = school_code
            self.query_one(f"#level-{level}", RadioButton).value = True
            self.notify(self.app.tr("label.student_step.letter_read"))
            self.query_one("#student-id").focus()

        self.call(self.app.services.applications.school_level, school_code, done=apply)
        return True

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "relationship":
            self.query_one("#field-relationship_note").display = event.value == Relationship.OTHER
        elif event.select.id == "school":
            self._forget_card()

    def on_input_changed(self, event: Input.Changed) -> None:
        super().on_input_changed(event)
        if event.input.id == "student-id":
            self.query_one("#student-id-ok", T).display = False
            self._forget_card()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.scanned_class_letter(event.input.value):
            event.input.value = ""
        elif event.input.id == "student-id":
            self.check_id()
        else:
            self.focus_next()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        button = event.button
        if button.has_class("remove"):
            self.remove_student(int(button.name or 0))
        elif button.id == "check-id":
            self.check_id()
        elif button.id == "lookup":
            self.lookup()
        elif button.id == "add":
            self.add()
        elif button.id == "another":
            self.another()
        elif button.id == "next":
            self.next()

    # --- actions -------------------------------------------------------------------------------

    def check_id(self) -> None:
        """R7 before any lookup: a typo is caught without spending one of the tries (R8)."""
        self.clear_errors()
        self.call(
            self.app.services.applications.check_id,
            self.query_one("#student-id", Input).value,
            done=self._id_ok,
        )

    def _id_ok(self, normalized: str) -> None:
        ok = self.query_one("#student-id-ok", T)
        ok.set("label.student_step.id_ok", masked=mask_id(normalized))
        ok.display = True
        self.query_one("#school", Select).focus()

    def lookup(self) -> None:
        self.clear_errors()
        level, school = self.level, self.query_one("#school", Select).value
        if level is None:
            self.show_error(InvalidInput("errors.application.level_invalid", field="level"))
            return
        if school == Select.NULL:
            self.show_error(InvalidInput("errors.wizard.school_required", field="school"))
            return
        self.call(
            self.app.services.applications.lookup_student,
            self.app.session,
            level,
            school,
            self.query_one("#student-id", Input).value,
            done=self._found,
        )

    def _found(self, answer: SessionAnswer[StudentCard]) -> None:
        self.app.session = answer.session
        self.card = answer.value
        self.refresh_state()
        self.focus_later("#add")

    def _forget_card(self) -> None:
        if self.card is not None:
            self.card = None
            self.refresh_state()

    def add(self, then_next: bool = False) -> None:
        self.clear_errors()
        self.call(
            self.app.services.applications.choose_student,
            self.app.session,
            self.card,
            self.relationship,
            self.query_one("#relationship-note", Input).value,
            done=lambda session: self._added(session, then_next),
        )

    def _added(self, session: KioskSession, then_next: bool) -> None:
        self.app.session = session
        self.card = None
        self.form_open = False
        self.refresh_state()
        if then_next:
            self._to_consent()
        else:
            self.focus_later("#next")

    def another(self) -> None:
        """新增綁定學生: the next student, one at a time. The relationship, level and school stay
        (brothers and sisters often share them); the ID is cleared."""
        self.clear_errors()
        self.query_one("#student-id", Input).value = ""
        self.card = None
        self.form_open = True
        self.refresh_state()
        self.focus_later("#student-id")

    def remove_student(self, index: int) -> None:
        def removed(session: KioskSession) -> None:
            self.app.session = session
            if not self.chosen:
                self.form_open = True
            self.refresh_state()

        apps = self.app.services.applications
        self.call(apps.remove_student, self.app.session, index, done=removed)

    def next(self) -> None:
        """A found student not yet added is added first: pressing 下一步 means 'this is right'."""
        if self.card is not None:
            self.add(then_next=True)
        elif self.chosen:
            self._to_consent()

    def _to_consent(self) -> None:
        from screens.consent import ConsentScreen

        self.app.push_screen(ConsentScreen())
