"""QR codes on paper: the application number on every form (R31), which the teacher's queue reads
with a USB scanner, and the school and class on a class letter, which the kiosk's step 2 reads to
preselect the level and the school.

Codes are drawn as vector squares, so they stay sharp on any printer, and they carry ASCII only:
a USB scanner "types" what it reads, and a keyboard cannot type Chinese."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from app.text import has_control

if TYPE_CHECKING:
    from fpdf import FPDF

# The class letter's code: "QZCLASS:<school code>:<class name>", both parts percent-encoded
# (UTF-8), e.g. QZCLASS:990101:301 or QZCLASS:990101:%E5%BF%A0 for a class named 忠.
CLASS_PREFIX = "QZCLASS"
SCHOOL_CODE_MAX = 16  # School.code
CLASS_NAME_MAX = 32  # Classroom.name
QUIET_ZONE = 4  # modules of white around a code, as the QR standard asks


def class_qr_text(school_code: str, class_name: str) -> str:
    return f"{CLASS_PREFIX}:{quote(school_code, safe='')}:{quote(class_name, safe='')}"


def parse_class_qr(text: str | None) -> tuple[str, str] | None:
    """(school code, class name) from what a scanner typed, or None when it is not a class code.

    Tolerates what scanners and input methods do to text: surrounding spaces and a final Enter,
    full-width characters, and a lower-case prefix. Whether the school and class exist is for the
    caller to check against the roster."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    parts = folded.split(":")
    if len(parts) != 3 or parts[0].upper() != CLASS_PREFIX:
        return None
    try:
        school, name = (unquote(p, errors="strict").strip() for p in parts[1:])
    except UnicodeDecodeError:
        return None
    if not school or not name or len(school) > SCHOOL_CODE_MAX or len(name) > CLASS_NAME_MAX:
        return None
    if has_control(school) or has_control(name):  # %00 would reach a database lookup
        return None
    return school, name


@lru_cache(maxsize=64)
def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The modules of the smallest code (error correction M, 15 %) that holds `text`; cached,
    since a class's 35 letters carry the same code."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """Draw the code of `text` as a `size` mm square at (x, y), the quiet zone not included:
    the caller keeps QUIET_ZONE modules around it free. Runs of dark modules in a row become
    one rectangle, which keeps the page small."""
    matrix = qr_matrix(text)
    module = size / len(matrix)
    with pdf.local_context(fill_color=(0, 0, 0)):
        for row, cells in enumerate(matrix):
            start = None
            for col, dark in enumerate((*cells, False)):
                if dark and start is None:
                    start = col
                elif not dark and start is not None:
                    # A hair of overlap between rows keeps renderers from drawing white seams.
                    pdf.rect(
                        x + start * module,
                        y + row * module,
                        (col - start) * module,
                        module * 1.02,
                        style="F",
                    )
                    start = None


def quiet_margin(text: str, size: float) -> float:
    """How much white (mm) the code of `text` drawn at `size` needs around it."""
    return QUIET_ZONE * size / len(qr_matrix(text))
