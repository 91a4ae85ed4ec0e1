"""Database outage (R41), first part: a PostgreSQL connection dropped under a running program
(a restarted server or proxy) is replaced at the next action instead of failing it forever."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from app.errors import QinziError
from app.factory import database_errors
from app.models import Channel
from app.services import build_services
from tests.conftest import drop_pg_schema, fresh_pg_schema, pg_schema_url
from tests.factories import make_roster, submit_application
from tests.tcp_proxy import TcpProxy

PG = os.environ.get("QINZI_TEST_PG")
pytestmark = pytest.mark.skipif(not PG, reason="needs QINZI_TEST_PG")


@pytest.fixture
def through_proxy(settings):
    """The test's PostgreSQL schema, reached through a proxy that can drop the connection."""
    parts = urlsplit(PG)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    schema = fresh_pg_schema()
    netloc = parts.netloc.rsplit("@", 1)
    host = f"{netloc[0]}@127.0.0.1:{proxy.port}" if len(netloc) == 2 else f"127.0.0.1:{proxy.port}"
    url = pg_schema_url(schema).replace(PG, urlunsplit(parts._replace(netloc=host)))
    yield proxy, settings.replace(db=url)
    proxy.close()
    drop_pg_schema(schema)


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
