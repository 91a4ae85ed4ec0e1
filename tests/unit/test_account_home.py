"""What a logged-in parent's page needs from the services (issue 6)."""

from __future__ import annotations

from app.models import Account, Application, Status
from app.services.staff import StaffIdentity
from tests.factories import make_account, submit_application


def test_r17_open_applications_of_an_account_are_its_pending_and_rejected_ones(services, roster):
    submitted = submit_application(
        services, roster, ("wu", "chen", "ali"), email="dad@home.example"
    )
    lee, ho = (StaffIdentity.of(roster.teachers[t]) for t in ("lee", "ho"))
    services.review.approve(lee, submitted[0].number)
    services.review.reject(ho, submitted[1].number, "資料不符")
    account = Account.get(Account.email == "dad@home.example")
    rows = services.progress.open_applications_of(account.id)
    assert [(r.number, r.status) for r in rows] == [
        (submitted[1].number, Status.REJECTED),
        (submitted[2].number, Status.PENDING),
    ]
    assert rows[0].reject_reason == "資料不符"
    assert all("*" in r.student_name_masked for r in rows)  # R9 on a shared kiosk


def test_a_logged_in_parent_binds_another_child_without_a_new_code(services, roster):
    """The account's e-mail, proven by the login, stands for step 1: the new application is found
    by the same contact as the old ones."""
    account = make_account(services, roster, email="dad@home.example")
    contact = services.accounts.verified_contact(account.id)
    assert contact.value == "dad@home.example"
    from app.services.kiosk import KioskSession

    session = KioskSession(contact=contact)
    submit_application(services, roster, ("lin",), email="dad@home.example", session=session,
                       name=account.name)  # fmt: skip
    assert services.progress.has_applications(contact.digest)
    assert Application.get().contact_digest == contact.digest
