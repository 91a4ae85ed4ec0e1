"""Step 2 確認學生資訊: the relationship (R5), the school level (R6), the student's ID with 驗證
(R7), the school, 查詢 (R8) and the masked student to add (R9). Several students one at a time:
each 加入 puts one on the list, 新增綁定學生 clears the form for the next."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Button, Input, RadioButton, RadioSet, Select

from app.errors import InvalidInput
from app.identity import mask_id
from app.models import Level, Relationship
from app.services.forms.qr import parse_class_qr
from app.services.kiosk import (
    RELATIONSHIP_GROUPS,
    RELATIONSHIPS,
    ChosenStudent,
    KioskSession,
    SchoolOption,
    SessionAnswer,
    StudentCard,
    required_documents,
)
from app.tui import FlowMessage
from screens.base import SESSION, KioskScreen
from screens.widgets.choices import Choice, Choices
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton, relationship_text
from screens.widgets.paragraph import Paragraph


class StudentScreen(KioskScreen):
    AUTO_FOCUS = "#relationship-kind"
    DRAFT = ("student-id", "relationship-note")

    class Done(FlowMessage):
        """下一步: the students are chosen."""

    card: StudentCard | None = None  # found by 查詢, not yet added
    form_open = True
    preselect_school: str | None = None  # from a class letter's QR
    schools: tuple[SchoolOption, ...] = ()  # the chosen level's, as the list shows them
    _looked_up: tuple[str, str, str] | None = None  # the answers last looked up by themselves

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
                Choices(
                    *(Choice("", id=f"kind-{kind}") for kind in RELATIONSHIP_GROUPS),
                    id="relationship-kind", go_on=False,
                ),
                T("label.student_step.kind_first", id="relationship-hint", classes="muted"),
                Choices(*(Choice("", id=f"rel-{code}") for code in RELATIONSHIPS),
                        id="relationship", go_on=False),
                Paragraph("", id="papers", classes="muted"),
            )
            yield Field(
                "relationship_note",
                "label.student_step.note",
                Input(id="relationship-note", max_length=20),
            )
            yield Field(
                "level",
                "label.student_step.level",
                Choices(*(Choice("", id=f"level-{lv}") for lv in Level), id="level"),
            )
            yield Field("school", "label.student_step.school", Select([], id="school"))
            yield Field(
                "student_id",
                "label.student_step.student_id",
                Horizontal(
                    Input(id="student-id", max_length=20),
                    TButton("label.wizard.check", id="check-id", tab_stop=False),
                    classes="input-row",
                ),
                T("", id="student-id-ok", classes="field-ok"),
            )
            with Horizontal(classes="actions"):
                yield TButton("label.student_step.lookup", id="lookup", variant="primary")
            with Vertical(id="card"):
                yield T("", id="card-text")
                with Horizontal(classes="actions"):
                    yield TButton("label.student_step.add", id="add", variant="success")
        with Horizontal(classes="actions"):
            yield TButton("label.student_step.another", id="another")
            yield TButton("label.wizard.next", id="next", variant="primary")

    def setup(self) -> None:
        self.form_open = not self.chosen
        self.query_one("#field-relationship_note").display = False
        self.query_one("#student-id-ok").display = False
        self.watch(self.app, "lang", self._relabel)

    def on_screen_resume(self) -> None:
        self.refresh_state()

    # --- state ---------------------------------------------------------------------------------

    @property
    def chosen(self) -> tuple[ChosenStudent, ...]:
        return self.session.students if self.session is not None else ()

    def _pressed(self, radio_set: str, prefix: str) -> str | None:
        pressed = self.query_one(radio_set, RadioSet).pressed_button
        return pressed.id.removeprefix(prefix) if pressed is not None and pressed.id else None

    @property
    def kind(self) -> str | None:
        return self._pressed("#relationship-kind", "kind-")

    @property
    def level(self) -> str | None:
        return self._pressed("#level", "level-")

    @property
    def relationship(self) -> str:
        """The relationship chosen within the chosen group ("" when none: a radio set keeps a
        choice from the other group pressed, hidden)."""
        code = self._pressed("#relationship", "rel-") or ""
        group = {str(c) for c in RELATIONSHIP_GROUPS.get(self.kind or "", ())}
        return code if code in group else ""

    def focus_later(self, selector: str) -> None:
        """Focus (and so scroll to) a widget that was just shown, once it has a place."""
        self.call_after_refresh(lambda: self.query_one(selector).focus())

    def refresh_state(self) -> None:
        """Which parts show: the form while a student is being added, the list once there is one."""
        self.query_one("#student-form").display = self.form_open
        self.query_one("#card").display = self.form_open and self.card is not None
        self.query_one("#lookup").display = self.card is None  # found: 加入 takes its place
        self.query_one("#another").display = not self.form_open
        self.query_one("#next").disabled = not (self.chosen or self.card)
        self.query_one("#chosen-box").display = bool(self.chosen)
        self._render_card()
        self._render_chosen()

    def _relabel(self, lang: str) -> None:
        tr = self.tr
        for kind in RELATIONSHIP_GROUPS:
            key = "relationship.legal_representative" if kind == "legal" else f"relationship.{kind}"
            self.query_one(f"#kind-{kind}", RadioButton).label = tr(key)
        for lv in Level:
            self.query_one(f"#level-{lv}", RadioButton).label = tr(f"level.{lv}")
        self.query_one("#student-id", Input).placeholder = tr("label.student_step.id_placeholder")
        self.query_one("#relationship-note", Input).placeholder = tr(
            "label.student_step.note_placeholder"
        )
        self._school_prompt()
        self._label_schools()
        self._fill_relationships()
        self.refresh_state()

    def _school_prompt(self) -> None:
        key = "label.student_step.school_prompt" if self.level else "label.student_step.level_first"
        self.query_one("#school", Select).prompt = self.tr(key)

    def _fill_relationships(self) -> None:
        """The second choice follows the first, as in the seed: 法定代理人 → 父親/母親, 監護人 →
        祖父…其他 (R5); a choice, not a dropdown, so one key answers it (issue 16). A choice
        outside the group goes; relabelling keeps it."""
        codes = {str(c) for c in RELATIONSHIP_GROUPS.get(self.kind or "", ())}
        for button in self.query_one("#relationship", Choices).query(RadioButton):
            code = (button.id or "").removeprefix("rel-")
            button.label = self.tr(f"relationship.{code}")
            button.display = code in codes
            button.disabled = code not in codes
        self.query_one("#relationship").display = bool(codes)
        self.query_one("#relationship-hint").display = not codes
        self._show_papers()

    def _show_papers(self) -> None:
        """R27, issue 18: a guardian learns which papers to bring as soon as the relationship
        is chosen, not only after sending."""
        papers = required_documents(self.relationship) if self.relationship else ()
        box = self.query_one("#papers", Paragraph)
        box.display = bool(papers)
        if papers:
            lines = [self.tr("label.student_step.papers")]
            lines += [f"• {self.tr(key)}" for key in papers]
            box.update("\n".join(lines))

    def _render_card(self) -> None:
        if self.card is None:
            return
        self.query_one("#card-text", T).set(
            "label.student_step.found",
            name=self.card.name_masked,
            school=self.card.school_in(self.app.lang),
            classroom=self.card.classroom_name,
        )

    def _render_chosen(self) -> None:
        chosen = self.chosen
        self.query_one("#chosen-title", T).set("label.student_step.chosen", count=len(chosen))
        box = self.query_one("#chosen-list", Vertical)
        box.remove_children()
        rows = []
        for index, student in enumerate(chosen):
            relation = relationship_text(self.tr, student.relationship, student.note)
            text = self.tr(
                "label.student_step.row",
                name=student.card.name_masked,
                school=student.card.school_in(self.app.lang),
                classroom=student.card.classroom_name,
                relationship=relation,
            )
            remove = TButton("label.student_step.remove", name=str(index), classes="remove")
            chosen = Paragraph(text, classes="chosen-text")
            rows.append(Horizontal(chosen, remove, classes="chosen"))
        box.mount_all(rows)

    # --- what the parent does ------------------------------------------------------------------

    @on(RadioSet.Changed, "#relationship-kind")
    def kind_changed(self) -> None:
        self._fill_relationships()
        self.query_one("#field-relationship_note").display = False
        if self.query_one("#relationship-kind", Choices).took_answer():
            self.query_one("#relationship").focus()  # now shown: the group's choices

    @on(RadioSet.Changed, "#level")
    def level_changed(self) -> None:
        self._forget_card()
        self.schools = ()
        self.query_one("#school", Select).set_options([])
        self._school_prompt()
        level = self.level
        self.call(self.services.applications.schools, level,
                  done=lambda options: self._fill_schools(level, options))  # fmt: skip

    def _fill_schools(self, level: str | None, options: list[SchoolOption]) -> None:
        if level != self.level:  # the parent already chose another level
            return
        self.schools = tuple(options)
        self.query_one("#school", Select).set_options(
            [(self._school_label(o), o.code) for o in options]
        )
        self._choose_preselected()

    def _choose_preselected(self) -> None:
        wanted, self.preselect_school = self.preselect_school, None
        if wanted in {o.code for o in self.schools}:
            self.query_one("#school", Select).value = wanted

    def _school_label(self, option: SchoolOption) -> str:
        """Issue 18: in English "Heping Elementary School (臺北市大安區和平國小)", found by typing
        Latin letters, and the Chinese name the parent may know it by; in Chinese, or without an
        English name, the Chinese name."""
        english = option.english_in(self.app.lang)
        if english:
            return self.tr("format.school_with_english", english=english, name=option.name)
        return escape(option.name)  # a name is data, never markup (R22)

    def lists_latin(self, select: Select) -> bool:
        return select.id == "school" and any(o.english_in(self.app.lang) for o in self.schools)

    def _label_schools(self) -> None:
        """The list in the new language, the choice kept: quietly, since a relabelled list is no
        new choice (which would forget the student found)."""
        select = self.query_one("#school", Select)
        chosen = select.value
        with select.prevent(Select.Changed):
            select.set_options([(self._school_label(o), o.code) for o in self.schools])
            if chosen != Select.NULL and chosen in {o.code for o in self.schools}:
                select.value = chosen

    @on(RadioSet.Changed, "#relationship")
    def relationship_changed(self) -> None:
        other = self.relationship == Relationship.OTHER
        self.query_one("#field-relationship_note").display = other
        self._show_papers()
        if self.query_one("#relationship", Choices).took_answer():
            self.query_one("#relationship-note" if other else "#level").focus()

    @on(Select.Changed, "#school")
    def school_changed(self) -> None:
        self.query_one("#field-school", Field).show(None)  # "please choose a school" is stale now
        self._forget_card()
        student_id = self.query_one("#student-id", Input)
        if isinstance(self.focused, Select) and not student_id.value:
            student_id.focus()  # chosen: the ID is what comes next (issue 16)
        self._look_up_when_complete()

    @on(Input.Changed, "#student-id")
    def id_changed(self) -> None:
        self.query_one("#student-id-ok", T).display = False
        self._forget_card()
        self._look_up_when_complete()

    def _look_up_when_complete(self) -> None:
        """Issue 16, the seed's 驗證 → 下一步: the student is looked up as soon as the level, the
        school and a whole ID are there, once for each set of answers (each lookup counts, R8).
        Focus stays where the parent is typing; 下一步 adds the student shown."""
        level, school = self.level, self.query_one("#school", Select).value
        typed = "".join(self.query_one("#student-id", Input).value.split())
        if level is None or school == Select.NULL or self.card is not None or len(typed) < 10:
            return
        answers = (level, str(school), typed)
        if answers != self._looked_up:
            self._looked_up = answers
            self.lookup(moving_focus=False)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.scanned_class_letter(event.input.value):
            event.input.value = ""
        elif event.input.id == "student-id" and self.card is not None:
            self.next()
        elif event.input.id == "student-id":
            self.check_id()
        else:
            self.focus_next()

    def scanned_class_letter(self, text: str) -> bool:
        """A USB scanner typed the QR of a class letter (QZCLASS:…) into a field: preselect the
        level and the school; the parent still types the student's ID."""
        parsed = parse_class_qr(text)
        if parsed is None:
            return False
        school_code, _classroom = parsed

        def apply(level: str | None) -> None:
            if level is None:
                self.notify(self.tr("label.student_step.letter_unknown"), severity="warning")
                return
            self.preselect_school = school_code
            if level == self.level and self.schools:
                self._choose_preselected()  # the level's list is there: no new one comes
            else:
                self.query_one(f"#level-{level}", RadioButton).value = True
            self.notify(self.tr("label.student_step.letter_read"))
            self.query_one("#student-id").focus()

        self.call(self.services.applications.school_level, school_code, done=apply)
        return True

    @on(Button.Pressed, ".remove")
    def remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.remove_student(int(event.button.name or 0))

    @on(Button.Pressed, "#check-id")
    def check_id(self) -> None:
        """R7 before any lookup: a typo is caught without spending one of the tries (R8)."""
        self.clear_errors()
        self.call(self.services.applications.check_id,
                  self.query_one("#student-id", Input).value, done=self._id_ok)  # fmt: skip

    def _id_ok(self, normalized: str) -> None:
        ok = self.query_one("#student-id-ok", T)
        ok.set("label.student_step.id_ok", masked=mask_id(normalized))
        ok.display = True  # focus stays: it moved silently before (issue 16)

    @on(Button.Pressed, "#lookup")
    def lookup_pressed(self) -> None:
        self.lookup()

    def lookup(self, moving_focus: bool = True) -> None:
        self.clear_errors()
        level, school = self.level, self.query_one("#school", Select).value
        if level is None:
            self.show_error(InvalidInput("errors.application.level_invalid", field="level"))
            return
        if school == Select.NULL:
            self.show_error(InvalidInput("errors.wizard.school_required", field="school"))
            return
        self.call(self.services.applications.lookup_student, SESSION, level, school,
                  self.query_one("#student-id", Input).value,
                  done=lambda answer: self._found(answer, moving_focus))  # fmt: skip

    def _found(self, answer: SessionAnswer[StudentCard], moving_focus: bool) -> None:
        self.card = answer.value
        self.refresh_state()
        if moving_focus:
            self.focus_later("#add")
        elif not isinstance(self.focused, Input):
            self.focus_later("#next")  # the school was just chosen: 下一步 is the next key

    def _forget_card(self) -> None:
        if self.card is not None:
            self.card = None
            self.refresh_state()

    @on(Button.Pressed, "#add")
    def add_pressed(self) -> None:
        self.add()

    def add(self, then_next: bool = False) -> None:
        self.clear_errors()
        self.call(self.services.applications.choose_student, SESSION, self.card,
                  self.relationship, self.query_one("#relationship-note", Input).value,
                  done=lambda _: self._added(then_next))  # fmt: skip

    def _added(self, then_next: bool) -> None:
        self.card = None
        self.form_open = False
        self.refresh_state()
        if then_next:
            self.tell(self.Done())
        else:
            self.focus_later("#next")

    @on(Button.Pressed, "#another")
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
            if not session.students:
                self.form_open = True
            self.refresh_state()

        self.call(self.services.applications.remove_student, SESSION, index, done=removed)

    @on(Button.Pressed, "#next")
    def next(self) -> None:
        """A found student not yet added is added first: pressing 下一步 means 'this is right'."""
        if self.card is not None:
            self.add(then_next=True)
        elif self.chosen:
            self.tell(self.Done())
