"""How messages leave: stored only (the simulated outbox), by SMTP, or by an SMS gateway over HTTP
(R38): Kannel's `sendsms` or Mitake's (三竹) `SmSend`. One seam each: `mail_transport_for` and
`sms_transport_for`. A transport raises TransportError; the outbox retries it later, or gives the
message up at once when `permanent` (the gateway refused this message, not its own state).
Errors name the gateway's host and its answer, never the password (it travels in the request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.config import Settings

if TYPE_CHECKING:
    from email.message import EmailMessage


@dataclass(frozen=True)
class Outgoing:
    channel: str
    recipient: str
    subject: str
    body: str
    #: The same for every attempt at one outbox message: a gateway that knows it (Mitake's
    #: clientid) sends a retried message once, even when the first answer was lost.
    key: str = ""


class TransportError(Exception):
    """Delivery failed; the message stays in the outbox marked failed, the change stays done.
    `permanent`: no retry can help (an invalid number, a refused text); given up at once."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason[:480])
        self.permanent = permanent


class Transport(Protocol):
    #: the status a delivered message gets: "stored" when nothing left the machine.
    delivered_status: str

    def send(self, message: Outgoing) -> None: ...


class StoreOnly:
    """The simulated outbox: the message is kept in the database and shown in demo mode."""

    delivered_status = "stored"

    def send(self, message: Outgoing) -> None:
        return None


class SmtpTransport:
    delivered_status = "sent"

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.sender = settings.mail_from
        self.timeout = settings.smtp_timeout
        self.cafile = settings.smtp_cafile or None

    def build(self, message: Outgoing) -> EmailMessage:
        from email.message import EmailMessage  # smtplib and email load at the first mail
        from email.utils import format_datetime, localtime, make_msgid

        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(localtime())
        mail["Message-ID"] = make_msgid(domain=self.sender.partition("@")[2] or None)
        mail.set_content(message.body, charset="utf-8")
        return mail

    def send(self, message: Outgoing) -> None:
        import smtplib
        import ssl

        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.cafile))
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(self.build(message))
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}"[:480]) from exc


def mail_transport_for(settings: Settings) -> Transport:
    if settings.mail_transport == "smtp":
        return SmtpTransport(settings)
    return StoreOnly()


# --- SMS gateways (R38) ---------------------------------------------------------------------------


def _where(url: str) -> str:
    """The gateway as a log line names it: scheme, host and port, no path, query or password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


def _http(
    method: str, url: str, params: dict[str, str], timeout: float, name: str
) -> tuple[int, str]:
    """One request; the status and the body, whatever the status. A network failure or a timeout
    is a (retryable) TransportError naming the gateway and what went wrong."""
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    query = urlencode(params, encoding="utf-8")
    if method == "GET":
        request = urllib.request.Request(f"{url}{'&' if '?' in url else '?'}{query}")
    else:
        request = urllib.request.Request(
            url, data=query.encode("ascii"), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        )  # fmt: skip
    where = f"{name} at {_where(url)}"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read(4096).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, body
    except TimeoutError as exc:
        raise TransportError(f"{where}: no answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        cause = exc.reason
        if isinstance(cause, TimeoutError):
            raise TransportError(f"{where}: no answer within {timeout:g} s") from exc
        text = cause if isinstance(cause, str) else getattr(cause, "strerror", None) or str(cause)
        raise TransportError(f"{where}: cannot connect ({text or type(cause).__name__})") from exc
    except (OSError, ValueError) as exc:  # a reset connection, a malformed answer
        raise TransportError(f"{where}: {type(exc).__name__}: {exc}") from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


# Kannel's refusals that a setting fixes, not the message: retried (like a wrong mail password)
# with what to check. Any other 4xx refuses the message itself and gives it up.
KANNEL_SETTINGS = (
    ("authorization", "check [sms] username and password"),
    ("sender missing", "set [sms] sender, or global-sender in Kannel's smsbox group"),
    ("unknown service", "check [sms] url: it ends in /cgi-bin/sendsms"),
    ("not found", "check [sms] url: it ends in /cgi-bin/sendsms"),
)


def _kannel_setting(status: int, body: str) -> str | None:
    text = body.lower()
    for words, advice in KANNEL_SETTINGS:
        if words in text:
            return advice
    if status == 404:
        return "check [sms] url: it ends in /cgi-bin/sendsms"
    # A 403 that names no authorization is a refused number (Kannel's white- or black-list).
    return "check [sms] username and password" if status == 401 else None


class KannelTransport:
    """Kannel's smsbox HTTP interface: `GET /cgi-bin/sendsms` with the text in UTF-8 and
    coding=2 (UCS-2), so Chinese arrives whole; Kannel splits a long text into 67-character
    parts. 202 "0: Accepted" (or "3: Queued for later delivery") is delivered to Kannel. A
    refusal a setting fixes (user, sender, URL), a 5xx, no connection or no answer is retried;
    any other 4xx refuses this message for good."""

    delivered_status = "sent"
    name = "Kannel"

    def __init__(self, settings: Settings) -> None:
        self.url = settings.sms_url
        self.username = settings.sms_username
        self.password = settings.sms_password
        self.sender = settings.sms_sender
        self.timeout = settings.sms_timeout

    def _params(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}

    def send(self, message: Outgoing) -> None:
        params = {**self._params(), "to": message.recipient, "text": message.body,
                  "charset": "UTF-8", "coding": "2"}  # fmt: skip
        if self.sender:
            params["from"] = self.sender
        status, body = _http("GET", self.url, params, self.timeout, self.name)
        if status in (200, 202):
            return
        where = f"{self.name} at {_where(self.url)} answered HTTP {status}: {_one_line(body)}"
        advice = _kannel_setting(status, body)
        if advice is not None:
            raise TransportError(f"{where} ({advice})")
        raise TransportError(where, permanent=400 <= status < 500)

    def probe(self) -> str | None:
        """`qinzi check`: the gateway answers and knows our user. A request without a receiver
        sends nothing: Kannel refuses it with 400 after it checked the user."""
        try:
            status, body = _http("GET", self.url, self._params(), self.timeout, self.name)
        except TransportError as exc:
            return str(exc)
        if status in (200, 202) or (status == 400 and "receiver" in body.lower()):
            return None  # the user is known; only the (missing) receiver was refused
        advice = _kannel_setting(status, body)
        return f"HTTP {status} {_one_line(body)}" + (f" ({advice})" if advice else "")


# Mitake's status codes (its SmSend documentation): 0–4 accepted (booked, at the carrier, at
# the phone). Codes that concern this message can never succeed; the others concern the account
# or the service (a wrong password, no points left, a pause) and are retried.
MITAKE_ACCEPTED = frozenset("01234")
MITAKE_PERMANENT = {
    "t": "the message expired",
    "u": "the message text is empty",
    "v": "invalid mobile number",
    "5": "the message content was refused",
    "6": "the mobile number was refused",
    "7": "SMS is disabled for this number",
    "8": "delivery timed out",
    "9": "the booking was cancelled",
}
MITAKE_RETRY = {
    "*": "system error at Mitake",
    "a": "sending is paused at Mitake",
    "b": "sending is paused at Mitake",
    "c": "no username: check [sms] username",
    "d": "no password: check [sms] password",
    "e": "wrong username or password: check [sms] username and password",
    "f": "the account has expired",
    "h": "the account is disabled",
    "k": "this address may not connect: ask Mitake to allow this computer's IP address",
    "m": "the account's password must be changed first",
    "n": "the account's password has expired",
    "p": "the account may not use the HTTP API",
    "r": "the service is paused at Mitake",
    "s": "accounting failed (no points left?)",
}


def parse_mitake(body: str) -> dict[str, str]:
    """`[1]\nmsgid=…\nstatuscode=1\nAccountPoint=…` (and `Duplicate=Y` for a clientid seen
    before) → its key=value pairs; a section header is kept as `section`."""
    values: dict[str, str] = {}
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            values["section"] = line[1:-1]
        elif "=" in line:
            key, _, value = line.partition("=")
            values[key.strip().lower()] = value.strip()
    return values


class MitakeTransport:
    """三竹資訊 (Mitake) SmSend: a POST with the text in UTF-8 (`CharsetURL=UTF-8` in the URL),
    the national number (09…) and a clientid made from the outbox message, so that Mitake sends a
    retried message once (it answers a known clientid with the first result, `Duplicate=Y`)."""

    delivered_status = "sent"
    name = "Mitake"

    def __init__(self, settings: Settings) -> None:
        self.url = settings.sms_url or MITAKE_URL
        self.username = settings.sms_username
        self.password = settings.sms_password
        self.timeout = settings.sms_timeout

    def send(self, message: Outgoing) -> None:
        from app.identity import national_mobile

        params = {
            "username": self.username,
            "password": self.password,
            "dstaddr": national_mobile(message.recipient),
            "smbody": message.body,
        }
        if message.key:
            params["clientid"] = message.key[:36]
        status, body = _http("POST", self.url, params, self.timeout, self.name)
        where = f"{self.name} at {_where(self.url)}"
        if status != 200:
            raise TransportError(f"{where} answered HTTP {status}: {_one_line(body)}")
        answer = parse_mitake(body)
        code = answer.get("statuscode", "")
        if code in MITAKE_ACCEPTED:
            return
        if code in MITAKE_PERMANENT:
            raise TransportError(f"{where}: statuscode {code}, {MITAKE_PERMANENT[code]}",
                                 permanent=True)  # fmt: skip
        reason = MITAKE_RETRY.get(code, f"unexpected answer {_one_line(body)!r}")
        raise TransportError(f"{where}: statuscode {code or '?'}, {reason}")

    def probe(self) -> str | None:
        """`qinzi check`: SmQuery without a message id answers the account's points, or a
        status code when the account cannot send. Nothing is sent."""
        query_url = self.url.replace("SmSend", "SmQuery")
        params = {"username": self.username, "password": self.password}
        try:
            status, body = _http("POST", query_url, params, self.timeout, self.name)
        except TransportError as exc:
            return str(exc)
        if status != 200:
            return f"HTTP {status} {_one_line(body)}"
        answer = parse_mitake(body)
        code = answer.get("statuscode", "")
        if "accountpoint" in answer and not code:
            return None
        return f"statuscode {code or '?'}, " + MITAKE_RETRY.get(code, _one_line(body))


MITAKE_URL = "https://smsapi.mitake.com.tw/api/mtk/SmSend?CharsetURL=UTF-8"


def sms_transport_for(settings: Settings) -> Transport:
    """R38: the configured gateway; "outbox" keeps SMS in the database only (the demo's
    simulated outbox; a production kiosk then offers no mobile choice)."""
    if settings.sms_transport == "kannel":
        return KannelTransport(settings)
    if settings.sms_transport == "mitake":
        return MitakeTransport(settings)
    return StoreOnly()


def gateway_problems(settings: Settings) -> list[tuple[str, str]]:
    """What `qinzi check` says about the configured SMS gateway: (gateway, problem) pairs."""
    transport = sms_transport_for(settings)
    probe = getattr(transport, "probe", None)
    if probe is None:
        return []
    problem = probe()
    return [] if problem is None else [(f"{transport.name} {_where(transport.url)}", problem)]
