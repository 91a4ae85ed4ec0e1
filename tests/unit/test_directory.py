"""R39: the city directory, through a fake Directory (the real slapd is tests/unit/
test_directory_slapd.py): what is queued, when it is written, and what a fault leaves behind."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from app.models import Account, Application, Binding, DirectoryChange, Status, Student
from app.services import build_services
from app.services.directory import ARGON2_SCHEME, DirectoryError, Entry
from app.services.queue import OWN_TURN, DeliveryReport
from app.services.staff import StaffIdentity
from tests.factories import make_roster, submit_application

EMAIL = "father@home.example"


class FakeDirectory:
    """A directory in a dict, that can be down and counts what it was asked to write."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.down: str | None = None
        self.writes = 0

    def _check(self) -> None:
        if self.down:
            raise DirectoryError(self.down)

    def read(self, uid: str) -> Entry | None:
        self._check()
        return self.entries.get(uid)

    def write(self, current: Entry | None, desired: Entry) -> None:
        self._check()
        self.writes += 1
        if current is not None:
            self.entries.pop(current.uid, None)
        self.entries[desired.uid] = desired

    def remove(self, uid: str) -> None:
        self._check()
        self.writes += 1
        self.entries.pop(uid, None)

    def close(self) -> None:
        pass


@pytest.fixture
def fake() -> FakeDirectory:
    return FakeDirectory()


@pytest.fixture
def svc(settings, clock, keyring, fake):
    services = build_services(
        settings.replace(directory_url="ldap://fake", directory_base_dn="ou=parents",
                         directory_ppolicy=True),
        clock=clock, keyring=keyring, directory=fake,
    )  # fmt: skip
    yield services
    services.close()


@pytest.fixture
def roster(svc):
    return make_roster(svc)


def approve(svc, roster, student="wu", **kwargs) -> Account:
    [done] = submit_application(svc, roster, (student,), **kwargs)
    teacher = roster.teachers["lee" if student != "chen" else "ho"]
    svc.review.approve(StaffIdentity.of(teacher), done.number)
    svc.directory.wait_idle()
    return Account.get(Account.email == kwargs.get("email", EMAIL))


def test_r39_approval_writes_the_entry_with_the_argon2_hash_and_the_binding(svc, roster, fake):
    account = approve(svc, roster)
    entry = fake.entries[EMAIL]
    assert entry.password == ARGON2_SCHEME + account.password_hash
    assert entry.password.startswith("{ARGON2}$argon2id$v=19$m=")
    assert entry.cn == "吳志明" and (entry.sn, entry.given_name) == ("吳", "志明")
    assert entry.mobile == "+886911222333" and entry.must_change is True
    student = roster.student("wu")
    assert entry.bindings == {f"{student.id_digest}#father"}
    # R9/R23: neither the ID numbers nor the initial password (their last six) is in the entry
    text = repr(entry)
    for plain in (roster.parent_ids["father"], roster.ids["wu"]):
        assert plain not in text and plain[-6:] not in text.replace(account.password_hash, "")
    assert [c.status for c in DirectoryChange.select()] == ["sent"]


def test_r39_the_roster_student_key_names_the_student(svc, roster, fake):
    student = roster.student("wu")
    student.directory_key = "S-2026-0042"
    student.save()
    approve(svc, roster)
    assert fake.entries[EMAIL].bindings == {"S-2026-0042#father"}


def test_r39_nothing_is_queued_without_a_directory(services):
    roster = make_roster(services)
    [done] = submit_application(services, roster, ("wu",))
    services.review.approve(StaffIdentity.of(roster.teachers["lee"]), done.number)
    assert Application.get(Application.number == done.number).status == Status.APPROVED
    assert DirectoryChange.select().count() == 0
    assert not services.directory.enabled


def test_r39_a_refused_approval_queues_nothing(svc, roster, fake):
    [done] = submit_application(svc, roster, ("wu",))
    with pytest.raises(Exception):  # noqa: B017 - the teacher of another class may not decide
        svc.review.approve(StaffIdentity.of(roster.teachers["kao"]), done.number)
    svc.directory.wait_idle()
    assert DirectoryChange.select().count() == 0 and fake.entries == {}


def test_r39_password_change_contact_change_and_unbinding_follow(svc, roster, fake, clock):
    account = approve(svc, roster)
    initial = roster.parent_ids["father"][-6:]
    svc.accounts.change_password(account.id, initial, "lantern orchard velvet",
                                 "lantern orchard velvet")  # fmt: skip
    svc.directory.wait_idle()
    account = Account.get_by_id(account.id)
    assert fake.entries[EMAIL].password == ARGON2_SCHEME + account.password_hash
    assert fake.entries[EMAIL].must_change is False

    with svc.ctx.transaction():  # as contact_change.confirm does after its code
        old, account.email = account.email, "new@home.example"
        account.save()
        svc.ctx.provisioner.queue(account, "contact", uid=old)
    svc.directory.wait_idle()
    assert set(fake.entries) == {"new@home.example"}

    binding = Binding.get(Binding.account == account.id)
    request_id = svc.unbinding.request(account.id, binding.id)
    svc.unbinding.decide(StaffIdentity.of(roster.teachers["lee"]), request_id, confirm=True)
    svc.directory.wait_idle()
    assert fake.entries["new@home.example"].bindings == frozenset()


def test_r39_a_directory_down_at_approval_gets_the_entry_once_it_is_back(
    svc, roster, fake, clock, caplog
):
    fake.down = "cannot reach the directory ldap://fake: connection refused"
    with caplog.at_level(logging.WARNING, "qinzi.directory"):
        account = approve(svc, roster)  # approval itself is not refused, nor held up
    assert Application.get(Application.account == account.id).status == Status.APPROVED
    [change] = DirectoryChange.select()
    assert change.status == "failed" and "connection refused" in change.error
    assert "not delivered, attempt 1: cannot reach the directory" in caplog.text
    assert EMAIL not in caplog.text  # R9: masked
    fake.down = None
    assert svc.directory.deliver_due() == DeliveryReport()  # backing off: not yet
    clock.advance(minutes=2)
    assert svc.directory.deliver_due() == DeliveryReport(delivered=1)
    assert svc.directory.deliver_due() == DeliveryReport()  # never twice
    assert EMAIL in fake.entries and fake.writes == 1


def test_r39_two_terminals_never_carry_out_one_change_twice(svc, roster, fake, settings, clock,
                                                             keyring):  # fmt: skip
    fake.down = "down"
    approve(svc, roster)
    fake.down = None
    clock.advance(minutes=5)
    other = build_services(svc.settings, clock=clock, keyring=keyring, directory=fake)
    try:
        reports = [svc.directory.deliver_due(), other.directory.deliver_due()]
    finally:
        other.close()
    assert sorted(r.delivered for r in reports) == [0, 1] and fake.writes == 1


def test_r39_a_crash_after_commit_leaves_the_change_to_another_terminal(svc, roster, fake, clock):
    svc.ctx.provisioner.flush = lambda: svc.ctx.provisioner.discard_pending()  # dies at commit
    approve(svc, roster)
    assert fake.entries == {}
    assert svc.directory.deliver_due() == DeliveryReport()  # the enqueuing terminal's turn
    clock.advance(minutes=OWN_TURN.total_seconds() / 60)
    assert svc.directory.deliver_due() == DeliveryReport(delivered=1)
    assert EMAIL in fake.entries


def test_r39_an_entry_changed_by_hand_is_named_in_the_log_and_by_check(svc, roster, fake, caplog):
    account = approve(svc, roster)
    fake.entries[EMAIL] = dataclasses.replace(fake.entries[EMAIL], mobile="+886900000000")
    [found] = svc.directory.compare()
    assert found.account_id == account.id and found.fields == ("mobile",)
    assert found.uid_masked == "fa***@home.example"
    with caplog.at_level(logging.WARNING, "qinzi.directory"), svc.ctx.transaction():
        svc.ctx.provisioner.queue(account, "password")
    svc.directory.wait_idle()
    assert "changed outside Qinzi (mobile)" in caplog.text
    assert fake.entries[EMAIL].mobile == "+886911222333"
    assert svc.directory.compare() == []


def test_r39_sync_writes_what_differs_and_dry_run_does_not(svc, roster, fake):
    approve(svc, roster)
    del fake.entries[EMAIL]
    assert [d.fields for d in svc.directory.compare()] == [("entry",)]
    assert EMAIL not in fake.entries  # compare alone (the dry run) writes nothing
    assert [d.fields for d in svc.directory.compare(repair=True)] == [("entry",)]
    assert EMAIL in fake.entries and svc.directory.compare() == []


def test_r39_a_closed_account_s_entry_is_removed(svc, roster, fake):
    account = approve(svc, roster)
    with svc.ctx.transaction():
        svc.ctx.provisioner.queue(account, "closed")
        Binding.delete().where(Binding.account == account.id).execute()
        Application.update(account=None).where(Application.account == account.id).execute()
        account.delete_instance()
    svc.directory.wait_idle()
    assert fake.entries == {}


def test_r39_the_roster_s_student_key_column_is_stored_and_checked(services, tmp_path):
    from app.identity import id_digest
    from tests.unit.test_roster import COLUMNS, ID1, ID2, row, write_csv

    columns = [*COLUMNS, "student_key"]
    rows = [row(student_key="S-2026-0042"), row(student_id=ID2, student_key="")]
    report = services.roster.import_csv(write_csv(tmp_path / "r.csv", rows, columns=columns))
    assert report.ok
    keys = dict(Student.select(Student.id_digest, Student.directory_key).tuples())
    digest = id_digest(services.ctx.keyring, ID1)
    assert keys[digest] == "S-2026-0042" and keys[id_digest(services.ctx.keyring, ID2)] is None
    bad = services.roster.import_csv(
        write_csv(tmp_path / "b.csv", [row(student_key="a#b")], columns=columns)
    )
    assert [(p.column, p.key) for p in bad.problems] == [
        ("student_key", "errors.roster.student_key_invalid")
    ]


def test_r39_the_bind_password_is_never_printed_and_a_bad_directory_url_is_one_line(
    tmp_path, capsys
):
    from app import cli
    from app.i18n import t

    path = tmp_path / "config.toml"
    path.write_text('[directory]\nurl = "ldaps://ldap.city.example"\nbase_dn = "ou=parents"\n'
                    'bind_dn = "cn=qinzi"\nbind_password = "dir-s3cret"\n')  # fmt: skip
    assert cli.main(["--lang", "en", "--config", str(path), "config"]) == 0
    out = capsys.readouterr().out
    assert "dir-s3cret" not in out
    assert f"directory_bind_password = \"{t('config.hidden', 'en')}\"" in out
    path.write_text('[directory]\nurl = "http://ldap.city.example"\nbase_dn = "ou=parents"\n')
    assert cli.main(["--lang", "en", "--config", str(path), "config"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [t("errors.config.bad_value", "en", key="directory_url",
                     value="http://ldap.city.example", allowed="ldap://…, ldaps://…")]  # fmt: skip
    path.write_text('[directory]\nurl = "ldap://ldap.city.example"\n')
    assert cli.main(["--lang", "zh-TW", "--config", str(path), "config"]) == 1
    assert capsys.readouterr().err.strip() == t("errors.config.directory_base_dn", "zh-TW")


def test_r39_directory_sync_without_a_directory_is_one_line(tmp_path, capsys):
    from app import cli
    from app.i18n import t

    assert cli.main(["--lang", "en", "--data-dir", str(tmp_path), "seed", "--schools", "1",
                     "--students", "5", "--applications", "0"]) == 0  # fmt: skip
    capsys.readouterr()
    assert cli.main(["--lang", "en", "--data-dir", str(tmp_path), "directory", "sync"]) == 1
    assert capsys.readouterr().err.strip() == t("errors.directory.not_configured", "en")


def test_r39_a_change_committed_while_the_entry_was_written_is_written_too(svc, roster, fake):
    """Two terminals: this one reads the account and writes its entry while the other commits
    a new password; the older entry must not be what stays."""
    account = approve(svc, roster)
    real_write = fake.write

    def slow_write(current, desired):
        real_write(current, desired)
        if fake.writes == 2:  # the other terminal commits meanwhile
            Account.update(password_hash="$argon2id$v=19$m=8,t=1,p=1$other").where(
                Account.id == account.id
            ).execute()

    fake.write = slow_write
    with svc.ctx.transaction():
        Account.update(must_change_password=False).where(Account.id == account.id).execute()
        svc.ctx.provisioner.queue(account, "password")
    svc.directory.wait_idle()
    assert fake.entries[EMAIL].password == "{ARGON2}$argon2id$v=19$m=8,t=1,p=1$other"
    assert svc.directory.compare() == []


def test_r39_approval_does_not_wait_for_a_directory_that_hangs(svc, roster, fake):
    """The write happens after commit on the provisioner's worker: an approval returns while the
    directory still holds the write (no timing: the directory is released only afterwards)."""
    import threading

    release, entered = threading.Event(), threading.Event()
    real_write = fake.write

    def hanging_write(current, desired):
        entered.set()
        release.wait(30)
        real_write(current, desired)

    fake.write = hanging_write
    [done] = submit_application(svc, roster, ("wu",))
    decision = svc.review.approve(StaffIdentity.of(roster.teachers["lee"]), done.number)
    assert decision.status == Status.APPROVED and not release.is_set()
    assert entered.wait(30) and EMAIL not in fake.entries  # the write is still held
    release.set()
    assert svc.directory.wait_idle()
    assert EMAIL in fake.entries


def test_r39_a_new_student_key_from_the_roster_rewrites_the_parents_entries(svc, roster, fake,
                                                                            tmp_path):  # fmt: skip
    from tests.unit.test_roster import COLUMNS, row, write_csv

    account = approve(svc, roster)
    student = roster.student("wu")
    keyed = row(student_id=roster.ids["wu"], student_name=student.name, student_key="S-0042",
                school_code=student.school.code, school_name=student.school.name,
                teacher_email="lee@school.example", teacher_name="李老師")  # fmt: skip
    path = write_csv(tmp_path / "r.csv", [keyed], columns=[*COLUMNS, "student_key"])
    assert svc.roster.import_csv(path).ok
    svc.directory.wait_idle()
    assert fake.entries[EMAIL].bindings == {"S-0042#father"}
    assert DirectoryChange.select().where(DirectoryChange.account_id == account.id).count() == 2


def test_r39_a_change_given_up_is_named_by_check(svc, roster, fake, clock, caplog):
    from app.cli_directory import directory_problems
    from app.services.queue import MAX_ATTEMPTS

    fake.down = "cannot reach the directory ldap://fake: timed out"
    account = approve(svc, roster)
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(minutes=61)
        svc.directory.deliver_due()
    [change] = DirectoryChange.select()
    assert (change.status, change.attempts) == ("undeliverable", MAX_ATTEMPTS)
    assert "given up after 10 attempts" in caplog.text
    problems = directory_problems(svc)
    assert ("directory_given_up", str(change.id), f"approved: {fake.down}") in problems
    assert problems[-1][0] == "directory_unreachable"
    fake.down = None
    assert directory_problems(svc) == [
        ("directory_given_up", str(change.id), f"approved: {change.error}"),
        ("directory_missing", f"{account.id} (fa***@home.example)", "entry"),
    ]
    svc.directory.compare(repair=True)  # qinzi directory sync
    assert directory_problems(svc) == [] and DirectoryChange.get().status == "synced"
