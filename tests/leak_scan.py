"""Looking for secrets in plain text where they must never be (R9, R23): database files, logs,
backups, outbox rows and PDFs, as someone holding a copy of the data folder would.

A secret counts as found in any spelling a program could have written it in: UTF-8, UTF-16
(little- or big-endian, at any byte alignment), upper or lower case, ASCII or full-width
(Ａ１２３…, as a Chinese input method types). The bytes are decoded each of these ways, folded
(NFKC, upper case) and searched; undecodable bytes become U+FFFD and separate what is around them.
Codes and default passwords are six digits, which other data holds now and then: they count only
as a run of exactly six digits, never inside a longer number (a mobile, a timestamp, an offset),
nor wrapped in hex letters inside a hex string (a keyed digest or hash, what R23 stores instead of
the value: one in four such strings holds some six-digit run by chance). Six digits at either end
of a hex string still count, so a code stored next to a digest is found.

Failure messages name the place and the kind of secret, and show the secret only masked."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

STUDENT_ID = "student ID number"
PARENT_ID = "parent ID number"
DEFAULT_PASSWORD = "default password (last six of a parent ID)"
CODE = "verification code"
PASSWORD = "password"
KEY = "secret key"

_ID_WINDOW = re.compile(r"(?=([A-Z][A-Z0-9][0-9]{8}))")
_SIX = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
_DIGITS = re.compile(r"[0-9]{6}")
_ID_SHAPE = re.compile(r"[A-Z][A-Z0-9][0-9]{8}")
_HEX = frozenset("0123456789ABCDEF")
_HEX_RUN = 12  # the shortest digest Qinzi stores (an audit actor's contact:<12 hex>)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).upper()


@dataclass(frozen=True)
class Secret:
    kind: str
    value: str

    @property
    def key(self) -> str:
        return fold(self.value)

    @property
    def masked(self) -> str:
        """What a failure message may show: an ID as the screens show it, else only its length."""
        if _ID_SHAPE.fullmatch(self.key):
            return self.key[:4] + "*" * 6
        return f"{'*' * min(len(self.value), 8)} ({len(self.value)} characters)"


@dataclass(frozen=True)
class Leak:
    where: str
    kind: str
    masked: str
    encoding: str

    def __str__(self) -> str:
        return f"{self.where}: a {self.kind} ({self.masked}) in plain text, {self.encoding}"


class Secrets:
    """What a run handled, indexed for a scan: IDs and six-digit secrets by value, the rest
    (passwords, keys) searched one by one."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self.ids: dict[str, Secret] = {}
        self.sixes: dict[str, Secret] = {}
        self.others: dict[str, Secret] = {}
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret) -> None:
        key = secret.key
        if len(key) < 6:
            raise ValueError(f"a {secret.kind} shorter than six characters cannot be scanned for")
        if _ID_SHAPE.fullmatch(key):
            self.ids.setdefault(key, secret)
        elif _DIGITS.fullmatch(key):
            self.sixes.setdefault(key, secret)
        else:
            self.others.setdefault(key, secret)

    def extend(self, secrets: Iterable[Secret]) -> None:
        for secret in secrets:
            self.add(secret)

    def __len__(self) -> int:
        return len(self.ids) + len(self.sixes) + len(self.others)

    def kinds(self) -> set[str]:
        return {s.kind for group in (self.ids, self.sixes, self.others) for s in group.values()}

    def find_in_text(self, text: str) -> Iterator[Secret]:
        folded = fold(text)
        if self.ids:
            for match in _ID_WINDOW.finditer(folded):
                if match.group(1) in self.ids:
                    yield self.ids[match.group(1)]
        if self.sixes:
            for match in _SIX.finditer(folded):
                if match.group() in self.sixes and not _inside_hex(folded, *match.span()):
                    yield self.sixes[match.group()]
        for key, secret in self.others.items():
            if key in folded:
                yield secret


def _inside_hex(text: str, start: int, end: int) -> bool:
    """Digits with hex letters on both sides, in a hex string at least _HEX_RUN long."""
    if start == 0 or end == len(text) or text[start - 1] not in _HEX or text[end] not in _HEX:
        return False
    left, right = start, end
    while left > 0 and text[left - 1] in _HEX and right - left < _HEX_RUN:
        left -= 1
    while right < len(text) and text[right] in _HEX and right - left < _HEX_RUN:
        right += 1
    return right - left >= _HEX_RUN


# Runs of at least six characters that could spell a secret: printable ASCII or full-width forms
# (U+FF01-U+FF5E), as UTF-8 and as UTF-16 of either byte order at any byte offset. Everything
# else (binary structure, compressed data, CJK text) separates runs, as a non-digit would.
_RUNS = {
    "UTF-8": re.compile(rb"(?:[\x20-\x7e]|\xef\xbc[\x81-\xbf]|\xef\xbd[\x80-\x9e]){6,}"),
    "UTF-16-LE": re.compile(rb"(?:[\x20-\x7e]\x00|[\x01-\x5e]\xff){6,}"),
    "UTF-16-BE": re.compile(rb"(?:\x00[\x20-\x7e]|\xff[\x01-\x5e]){6,}"),
}


def decodings(data: bytes) -> Iterator[tuple[str, str]]:
    """The bytes read as text every way a program might have written a secret into them."""
    for encoding, runs in _RUNS.items():
        yield encoding, "\n".join(m.group().decode(encoding.lower()) for m in runs.finditer(data))


def scan_bytes(where: str, data: bytes, secrets: Secrets) -> list[Leak]:
    leaks: dict[tuple[str, str], Leak] = {}
    for encoding, text in decodings(data):
        for secret in secrets.find_in_text(text):
            leaks.setdefault(
                (secret.key, encoding), Leak(where, secret.kind, secret.masked, encoding)
            )
    return list(leaks.values())


def scan_text(where: str, text: str, secrets: Secrets) -> list[Leak]:
    found = dict.fromkeys(secrets.find_in_text(text))
    return [Leak(where, s.kind, s.masked, "text") for s in found]


# --- PDFs -----------------------------------------------------------------------------------------


def pdf_streams(pdf: bytes) -> list[bytes]:
    """Every stream of the file decompressed: content, fonts and their maps, metadata."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    out = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # a free entry in the cross-reference table
            continue
        if obj is not None and hasattr(obj, "get_data"):
            out.append(obj.get_data())
    return out


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    info = " ".join(str(v) for v in (reader.metadata or {}).values())
    outline = " ".join(str(getattr(item, "title", "")) for item in _flat(reader.outline))
    pages = "\n".join(page.extract_text() for page in reader.pages)
    return "\n".join((info, outline, pages))


def _flat(items) -> Iterator:
    for item in items or ():
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def pdf_qr_payloads(pdf: bytes, dpi: int = 100) -> list[str]:
    """What a scanner reads from each page's QR codes (pages rendered as a printer would)."""
    import pypdfium2 as pdfium
    import zxingcpp

    doc = pdfium.PdfDocument(pdf)
    try:
        payloads = []
        for page in doc:
            image = page.render(scale=dpi / 72).to_pil()
            payloads += [code.text for code in zxingcpp.read_barcodes(image)]
        return payloads
    finally:
        doc.close()


@dataclass(frozen=True)
class PdfScan:
    leaks: list[Leak]
    text: str  # what pypdf extracted, for the caller's own checks
    qr: list[str]


def scan_pdf(where: str, pdf: bytes, secrets: Secrets) -> PdfScan:
    """The file as stored, every stream decompressed, the extracted text and the QR payloads."""
    leaks = scan_bytes(where, pdf, secrets)
    for index, stream in enumerate(pdf_streams(pdf)):
        leaks += scan_bytes(f"{where} (stream {index + 1}, decompressed)", stream, secrets)
    text = pdf_text(pdf)
    leaks += scan_text(f"{where} (extracted text)", text, secrets)
    qr = pdf_qr_payloads(pdf)
    leaks += scan_text(f"{where} (QR codes)", "\n".join(qr), secrets)
    return PdfScan(leaks, text, qr)


# --- folders --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeScan:
    leaks: list[Leak]
    files: list[Path]
    pdfs: dict[Path, PdfScan]


def scan_tree(root: Path, secrets: Secrets, *, skip: Iterable[Path] = ()) -> TreeScan:
    """Every file under `root`, PDFs in depth (scan_pdf)."""
    skipped = {Path(p).resolve() for p in skip}
    found = TreeScan([], [], {})
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        if path.resolve() in skipped:
            continue
        data = path.read_bytes()
        where = str(path.relative_to(root))
        if data.startswith(b"%PDF"):
            found.pdfs[path] = scan_pdf(where, data, secrets)
            found.leaks.extend(found.pdfs[path].leaks)
        else:
            found.leaks.extend(scan_bytes(where, data, secrets))
        found.files.append(path)
    return found


def report(leaks: Iterable[Leak]) -> str:
    lines = sorted({str(leak) for leak in leaks})
    return f"{len(lines)} secret(s) found in plain text:\n  " + "\n  ".join(lines)
