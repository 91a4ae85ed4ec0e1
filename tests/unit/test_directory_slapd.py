"""R39 against a real OpenLDAP (Debian's slapd with its argon2 module and the ppolicy overlay)
on loopback, with the schema Qinzi ships (deploy/qinzi.ldif): what a parent can bind with, and
what a fault (down, wrong credentials, a refused certificate, a hand edit) leaves behind."""

from __future__ import annotations

import logging
import subprocess

import pytest

from app.models import Account, Application, Binding, DirectoryChange, Status
from app.services import build_services
from app.services.queue import DeliveryReport
from app.services.staff import StaffIdentity
from tests import ldap_server
from tests.factories import make_roster, submit_application
from tests.ldap_server import ADMIN_DN, ADMIN_PASSWORD, PARENTS_DN, start_slapd

pytestmark = [
    pytest.mark.process,
    pytest.mark.slow,
    pytest.mark.skipif(bool(ldap_server.missing()), reason=ldap_server.missing() or ""),
]

EMAIL = "father@home.example"
DN = f"uid={EMAIL},{PARENTS_DN}"
NEW_PASSWORD = "lantern orchard velvet"


@pytest.fixture
def slapd(tmp_path):
    server = start_slapd(tmp_path / "slapd", ppolicy=True)
    yield server
    server.stop()


def directory_settings(settings, server, **changes):
    values = dict(
        directory_url=server.url, directory_bind_dn=ADMIN_DN,
        directory_bind_password=ADMIN_PASSWORD, directory_base_dn=PARENTS_DN,
        directory_ppolicy=True, directory_timeout=3.0,
    )  # fmt: skip
    return settings.replace(**(values | changes))


@pytest.fixture
def svc(settings, clock, keyring, slapd):
    services = build_services(directory_settings(settings, slapd), clock=clock, keyring=keyring)
    yield services
    services.close()


def approve(svc, roster, student="wu"):
    [done] = submit_application(svc, roster, (student,))
    svc.review.approve(StaffIdentity.of(roster.teachers["lee"]), done.number)
    svc.directory.wait_idle()
    return Account.get(Account.email == EMAIL)


def test_r39_an_approved_parent_binds_with_the_login_and_the_initial_password(svc, slapd):
    roster = make_roster(svc)
    account = approve(svc, roster)
    initial = roster.parent_ids["father"][-6:]
    assert slapd.whoami(DN, initial)
    assert not slapd.whoami(DN, "000000")
    entry = slapd.search(DN, "-s", "base", "*", "pwdReset")
    assert "pwdReset: TRUE" in entry  # the initial password is to be changed (ppolicy)
    assert f"qinziBinding: {roster.student('wu').id_digest}#father" in entry
    assert roster.parent_ids["father"] not in entry and roster.ids["wu"] not in entry

    svc.accounts.change_password(account.id, initial, NEW_PASSWORD, NEW_PASSWORD)
    svc.directory.wait_idle()
    assert slapd.whoami(DN, NEW_PASSWORD)
    assert not slapd.whoami(DN, initial)
    assert "pwdReset" not in slapd.search(DN, "-s", "base", "pwdReset")
    assert svc.directory.compare() == []


def test_r39_unbinding_removes_the_binding(svc, slapd):
    roster = make_roster(svc)
    account = approve(svc, roster)
    binding = Binding.get(Binding.account == account.id)
    request_id = svc.unbinding.request(account.id, binding.id)
    svc.unbinding.decide(StaffIdentity.of(roster.teachers["lee"]), request_id, confirm=True)
    svc.directory.wait_idle()
    assert "qinziBinding" not in slapd.search(DN, "-s", "base", "qinziBinding")
    assert slapd.whoami(DN, roster.parent_ids["father"][-6:])  # the account stays


def test_r39_a_directory_down_at_approval_gets_the_entry_once_back(svc, slapd, clock, caplog):
    roster = make_roster(svc)
    slapd.stop()
    with caplog.at_level(logging.WARNING, "qinzi.directory"):
        account = approve(svc, roster)
    assert Application.get(Application.account == account.id).status == Status.APPROVED
    assert "cannot reach the directory" in caplog.text
    assert DirectoryChange.get().status == "failed"
    slapd.start()
    clock.advance(minutes=2)
    assert svc.directory.deliver_due() == DeliveryReport(delivered=1)
    assert slapd.whoami(DN, roster.parent_ids["father"][-6:])
    clock.advance(minutes=60)
    assert svc.directory.deliver_due() == DeliveryReport()  # written once


def test_r39_wrong_credentials_say_so_in_the_log_and_in_check(settings, clock, keyring, slapd,
                                                             caplog):  # fmt: skip
    from app.cli_directory import directory_problems

    wrong = directory_settings(settings, slapd, directory_bind_password="not-the-password")
    services = build_services(wrong, clock=clock, keyring=keyring)
    try:
        roster = make_roster(services)
        with caplog.at_level(logging.WARNING, "qinzi.directory"):
            approve(services, roster)
        assert "refused the bind DN or password" in caplog.text
        assert "not-the-password" not in caplog.text
        [change] = DirectoryChange.select()
        assert change.status == "failed" and "bind_password" in change.error
        [(kind, _, detail)] = directory_problems(services)
        assert kind == "directory_unreachable" and "refused the bind DN" in detail
    finally:
        services.close()


def test_r39_a_refused_tls_certificate_is_one_clear_line(settings, clock, keyring, tmp_path,
                                                         caplog):  # fmt: skip
    from tests.smtp_server import self_signed

    cert = self_signed(tmp_path)
    server = start_slapd(tmp_path / "tls", cert=cert)
    try:
        untrusted = directory_settings(settings, server, directory_starttls=True,
                                       directory_ppolicy=False)  # fmt: skip
        services = build_services(untrusted, clock=clock, keyring=keyring)
        try:
            roster = make_roster(services)
            with caplog.at_level(logging.WARNING, "qinzi.directory"):
                approve(services, roster)
            assert "TLS certificate of the directory" in caplog.text
            assert DirectoryChange.get().status == "failed"
        finally:
            services.close()
        trusted = untrusted.replace(directory_cafile=str(cert[0]))
        services = build_services(trusted, clock=clock, keyring=keyring)
        try:
            clock.advance(minutes=2)
            assert services.directory.deliver_due() == DeliveryReport(delivered=1)
        finally:
            services.close()
        assert server.whoami(DN, roster.parent_ids["father"][-6:])
    finally:
        server.stop()



def test_r39_an_entry_changed_by_hand_is_found_and_synced(svc, slapd):
    roster = make_roster(svc)
    approve(svc, roster)
    subprocess.run(
        ["ldapmodify", "-x", "-H", slapd.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
        input=f"dn: {DN}\nchangetype: modify\nreplace: mobile\nmobile: +886900000000\n",
        text=True, check=True, capture_output=True,
    )  # fmt: skip
    [found] = svc.directory.compare()
    assert found.fields == ("mobile",)
    svc.directory.compare(repair=True)
    assert "mobile: +886911222333" in slapd.search(DN, "-s", "base", "mobile")
    assert svc.directory.compare() == []


def test_r39_check_and_directory_sync_name_the_account_whose_entry_differs(svc, slapd, tmp_path,
                                                                          capsys):  # fmt: skip
    from app import cli
    from app.i18n import t

    roster = make_roster(svc)
    account = approve(svc, roster)
    slapd.search(DN)  # the entry is there
    subprocess.run(
        ["ldapdelete", "-x", "-H", slapd.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD, DN],
        check=True, capture_output=True,
    )  # fmt: skip
    s = svc.settings
    config = tmp_path / "qinzi.toml"
    config.write_text(
        f'db = "{s.db}"\ndata_dir = "{s.data_dir}"\n[directory]\nurl = "{slapd.url}"\n'
        f'bind_dn = "{ADMIN_DN}"\nbind_password = "{ADMIN_PASSWORD}"\nbase_dn = "{PARENTS_DN}"\n'
        "ppolicy = true\n",
        encoding="utf-8",
    )
    base = ["--lang", "en", "--config", str(config)]
    target = f"{account.id} (fa***@home.example)"
    assert cli.main([*base, "check"]) == 1
    err = capsys.readouterr().err
    assert t("cli.check.directory_missing", "en", target=target, detail="entry") in err
    assert ADMIN_PASSWORD not in err
    assert cli.main([*base, "directory", "sync", "--dry-run"]) == 0
    assert t("cli.directory.dry_run", "en", count=1) in capsys.readouterr().out
    assert not slapd.whoami(DN, roster.parent_ids["father"][-6:])  # nothing written
    assert cli.main([*base, "directory", "sync"]) == 0
    assert t("cli.directory.synced", "en", count=1) in capsys.readouterr().out
    assert slapd.whoami(DN, roster.parent_ids["father"][-6:])
    assert cli.main([*base, "check"]) == 0


def test_r39_an_email_change_renames_the_entry(svc, slapd):
    roster = make_roster(svc)
    account = approve(svc, roster)
    with svc.ctx.transaction():  # as contact_change.confirm does once the new code is right
        old, account.email = account.email, "new@home.example"
        account.save()
        svc.ctx.provisioner.queue(account, "contact", uid=old)
    svc.directory.wait_idle()
    new_dn = f"uid=new@home.example,{PARENTS_DN}"
    assert slapd.whoami(new_dn, roster.parent_ids["father"][-6:])
    assert "mail: new@home.example" in slapd.search(new_dn, "-s", "base", "mail")
    assert slapd.search(DN, "-s", "base") == ""  # the old one is gone
    assert svc.directory.compare() == []
