"""Database outage (R41), first part: a PostgreSQL connection dropped under a running program
(a restarted server or proxy) is replaced at the next action instead of failing it forever."""

from __future__ import annotations

import os

import pytest

from app.errors import QinziError
from app.factory import database_errors
from app.models import Channel
from app.services import build_services
from tests.factories import make_roster, submit_application
from tests.tcp_proxy import proxied_postgres

PG = os.environ.get("QINZI_TEST_PG")
pytestmark = pytest.mark.skipif(not PG, reason="needs QINZI_TEST_PG")


@pytest.fixture
def through_proxy(settings):
    """The test's PostgreSQL schema, reached through a proxy that can drop the connection."""
    if not settings.database_url.endswith(".db"):
        pytest.skip("once is enough: it builds its own PostgreSQL schema behind a proxy")
    with proxied_postgres(settings) as found:
        yield found


def test_r41_a_dropped_connection_is_replaced_at_the_next_action(through_proxy, clock, keyring):
    """Before: after a proxy restart every action said 發生錯誤 forever (`connection already
    closed`). Now the next action opens a new connection and works; nothing confirmed is lost."""
    proxy, settings = through_proxy
    services = build_services(settings, clock=clock, keyring=keyring)
    try:
        roster = make_roster(services)
        [first] = submit_application(services, roster, ("wu",))
        assert proxy.drop() >= 1
        services.verification.request_code(Channel.EMAIL, "after.the.drop@home.example")
        [second] = submit_application(services, roster, ("chen",), "mother",
                                      email="mother@home.example")  # fmt: skip
        from app.models import Application

        numbers = {a.number for a in Application.select(Application.number)}
        assert numbers == {first.number, second.number}
    finally:
        services.close()


def test_r41_a_drop_inside_a_transaction_fails_that_action_only(through_proxy, clock, keyring):
    """Inside a transaction the work so far went with the connection: that one action fails
    with an error (shown as a one-line message), and the next one works again."""
    proxy, settings = through_proxy
    services = build_services(settings, clock=clock, keyring=keyring)
    try:
        roster = make_roster(services)
        with pytest.raises(database_errors()) as err, services.ctx.transaction():
            services.ctx.db.execute_sql("SELECT 1")
            proxy.drop()
            services.ctx.db.execute_sql("SELECT 1")
        assert not isinstance(err.value, QinziError)
        [done] = submit_application(services, roster, ("wu",))
        assert done.number
    finally:
        services.close()


def test_r41_the_staff_pin_works_without_the_database_and_is_audited_when_it_returns(
    through_proxy, clock, keyring
):
    """Ctrl+Q with the right PIN failed while PostgreSQL was away, so the kiosk could be
    neither used nor left. The PIN is in the configuration: checked without the database, the
    wrong ones count as usual, and every try reaches the audit trail once it is back."""
    from app.errors import RuleRefused
    from app.models import AuditEvent

    proxy, settings = through_proxy
    services = build_services(settings.replace(staff_pin="864209"), clock=clock, keyring=keyring)
    try:
        lock = services.kiosk_lock
        lock.state()  # connected once
        proxy.pause()
        with pytest.raises(RuleRefused) as err:
            lock.unlock("000000")
        assert err.value.params["left"] == 4
        lock.unlock("864209")  # no database, and still the kiosk can be left
        proxy.resume()
        lock.unlock("864209")
        actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
        assert actions[-3:] == ["kiosk.pin_failed", "kiosk.unlocked", "kiosk.unlocked"]
        offline = [e for e in AuditEvent.select() if "offline_at" in e.detail]
        assert len(offline) == 2
    finally:
        proxy.resume()
        services.close()
