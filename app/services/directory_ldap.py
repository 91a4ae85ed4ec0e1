"""The city directory over LDAP with ldap3 (R39): pure Python, no C build, StartTLS and simple
binds. One connection, bound as `[directory] bind_dn`, is kept and opened again after a fault;
every ldap3 error becomes a DirectoryError whose one line says what IT should look at."""

from __future__ import annotations

import contextlib
import math
import ssl
import threading
from typing import Any

from app.config import Settings
from app.services.directory import Directory, DirectoryError, Entry

PWD_RESET = "pwdReset"


class LdapDirectory(Directory):
    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self._conn: Any = None
        self._lock = threading.Lock()
        self.classes = settings.directory_object_classes.split()
        a = settings
        self.attrs = {
            "uid": a.directory_attr_uid, "mail": a.directory_attr_mail,
            "mobile": a.directory_attr_mobile, "bindings": a.directory_attr_binding,
        }  # fmt: skip

    def dn(self, uid: str) -> str:
        from ldap3.utils.dn import escape_rdn

        return f"{self.attrs['uid']}={escape_rdn(uid)},{self.s.directory_base_dn}"

    # --- the connection --------------------------------------------------------------------

    def _connect(self) -> Any:
        import ldap3
        from ldap3.core import exceptions as lx

        s = self.s
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=s.directory_cafile or None)
        secure = s.directory_url.lower().startswith("ldaps://")
        server = ldap3.Server(s.directory_url, use_ssl=secure, tls=tls,
                              connect_timeout=s.directory_timeout)  # fmt: skip
        conn = ldap3.Connection(
            server, user=s.directory_bind_dn or None, password=s.directory_bind_password or None,
            receive_timeout=math.ceil(s.directory_timeout),  # whole seconds (SO_RCVTIMEO)
 raise_exceptions=True,
        )  # fmt: skip
        try:
            conn.open()
            if s.directory_starttls:
                conn.start_tls()
            conn.bind()
        except lx.LDAPInvalidCredentialsResult as exc:
            raise DirectoryError(
                f"the directory {s.directory_url} refused the bind DN or password "
                f"([directory] bind_dn, bind_password): {exc.description}"
            ) from exc
        except (lx.LDAPStartTLSError, ssl.SSLError) as exc:
            raise DirectoryError(_tls_line(s, exc)) from exc
        except lx.LDAPSocketOpenError as exc:
            if "certificate" in str(exc).lower() or "ssl" in str(exc).lower():
                raise DirectoryError(_tls_line(s, exc)) from exc
            raise DirectoryError(f"cannot reach the directory {s.directory_url}: {exc}") from exc
        except lx.LDAPException as exc:
            raise DirectoryError(f"the directory {s.directory_url}: {_reason(exc)}") from exc
        return conn

    def _call(self, work: Any) -> Any:
        """Run `work(conn)` on the open connection; on a fault, once more on a new one."""
        from ldap3.core import exceptions as lx

        with self._lock:
            for retry in (False, True):
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    return work(self._conn)
                except _gone(lx) as exc:
                    self._drop()
                    if retry:
                        raise DirectoryError(
                            f"the directory {self.s.directory_url} went away: {exc}"
                        ) from exc
                except lx.LDAPOperationResult as exc:
                    reason = _reason(exc)
                    raise DirectoryError(f"the directory refused the change: {reason}") from exc
                except lx.LDAPException as exc:
                    self._drop()
                    raise DirectoryError(f"the directory {self.s.directory_url}: {exc}") from exc
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a dead connection may fail to say goodbye
                self._conn.unbind()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # --- entries ---------------------------------------------------------------------------

    def read(self, uid: str) -> Entry | None:
        from ldap3 import BASE
        from ldap3.core import exceptions as lx

        wanted = ["cn", "sn", "givenName", "userPassword", *self.attrs.values()]
        if self.s.directory_ppolicy:
            wanted.append(PWD_RESET)

        def search(conn: Any) -> Any:
            try:
                conn.search(self.dn(uid), "(objectClass=*)", BASE, attributes=wanted)
            except lx.LDAPNoSuchObjectResult:
                return None
            return conn.entries[0].entry_attributes_as_dict if conn.entries else None

        found = self._call(search)
        if found is None:
            return None
        return self._entry(uid, {k.lower(): v for k, v in found.items()})

    def _entry(self, uid: str, found: dict[str, list]) -> Entry:
        def one(name: str) -> Any:
            values = found.get(name.lower()) or []
            return values[0] if values else None

        password = one("userPassword")
        if isinstance(password, bytes):
            password = password.decode("utf-8", "replace")
        reset = one(PWD_RESET)
        return Entry(
            uid=one(self.attrs["uid"]) or uid,
            cn=one("cn") or "",
            sn=one("sn") or "",
            given_name=one("givenName") or "",
            mail=one(self.attrs["mail"]) or "",
            mobile=one(self.attrs["mobile"]),
            password=password or "",
            must_change=(reset is True or str(reset).upper() == "TRUE")
            if self.s.directory_ppolicy else None,
            bindings=frozenset(found.get(self.attrs["bindings"].lower()) or []),
        )  # fmt: skip

    def _values(self, entry: Entry) -> dict[str, list]:
        values: dict[str, list] = {
            self.attrs["uid"]: [entry.uid],
            "cn": [entry.cn],
            "sn": [entry.sn],
            "givenName": [entry.given_name] if entry.given_name else [],
            self.attrs["mail"]: [entry.mail],
            self.attrs["mobile"]: [entry.mobile] if entry.mobile else [],
            "userPassword": [entry.password],
            self.attrs["bindings"]: sorted(entry.bindings),
        }
        if entry.must_change is not None:
            values[PWD_RESET] = ["TRUE"] if entry.must_change else []
        return values

    def write(self, current: Entry | None, desired: Entry) -> None:
        from ldap3 import MODIFY_REPLACE

        wanted = self._values(desired)
        if current is None:
            attributes = {k: v for k, v in wanted.items() if v}
            self._call(lambda c: c.add(self.dn(desired.uid), self.classes, attributes))
            return
        if current.uid != desired.uid:
            new_rdn = self.dn(desired.uid).split(",", 1)[0]
            self._call(lambda c: c.modify_dn(self.dn(current.uid), new_rdn))
        have = self._values(current)
        changes: dict[str, list] = {}
        for name, values in wanted.items():
            if sorted(map(str, values)) == sorted(map(str, have.get(name, []))):
                continue
            # A replace with no values removes the attribute and never fails if it is gone
            # already (ppolicy drops pwdReset itself when the password changes).
            changes[name] = [(MODIFY_REPLACE, values)]
        if changes:
            self._call(lambda c: c.modify(self.dn(desired.uid), changes))

    def remove(self, uid: str) -> None:
        from ldap3.core import exceptions as lx

        def delete(conn: Any) -> None:
            with contextlib.suppress(lx.LDAPNoSuchObjectResult):  # removed twice is once
                conn.delete(self.dn(uid))

        self._call(delete)


def directory_for(settings: Settings) -> Directory | None:
    """The LDAP directory when `[directory] url` is set; None (nothing queued) otherwise."""
    return LdapDirectory(settings) if settings.directory_url else None


def _gone(lx: Any) -> tuple[type[Exception], ...]:
    """The faults of a connection that is no longer there (a restarted or a lost directory)."""
    return (lx.LDAPSocketOpenError, lx.LDAPSocketReceiveError, lx.LDAPSocketSendError,
            lx.LDAPSessionTerminatedByServerError)  # fmt: skip


def _reason(exc: Any) -> str:
    return getattr(exc, "description", None) or getattr(exc, "message", None) or str(exc)


def _tls_line(s: Settings, exc: Exception) -> str:
    return (f"the TLS certificate of the directory {s.directory_url} was refused "
            f"([directory] cafile = {s.directory_cafile or 'the system CAs'}): {exc}")  # fmt: skip
