"""The Traditional Chinese font of every printed page: Noto Sans TC, as the PyPI package
`pylopdf-fonts-zh-tw` ships it (the unmodified TC-only subset of notofonts/noto-cjk, SIL OFL 1.1).

The form needs no system font and nothing is downloaded, so it prints the same on a kiosk without
any Chinese font. A name may hold a character Noto Sans TC lacks (𠀋 of CJK Extension B, 䶵 of
Extension A): then an installed font with the full CNS 11643 repertoire (全字庫 TW-Sung or TW-Kai,
Debian `fonts-cns11643-sung`/`-kai`) or any other installed font that has it is added as a
fallback (R43); found at its known path or by fontconfig, never downloaded. A character no font
has prints as its code point (U+2A6D7).

The package's font is a 5.7 MB CID-keyed CFF font of 20,950 glyphs; handing it to the PDF
library for every document costs about 200 ms (parsing it, then subsetting it with fontTools).
So it is parsed once per process, each glyph a page uses is converted once to a TrueType outline
and kept, and every document gets a small TrueType font of just the glyphs it draws, which the
PDF library then embeds (as a subset, like any font). Hinting is dropped on the way: it does
nothing for print or for rendering at today's resolutions."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

FONT_PACKAGE = "pylopdf_fonts_zh_tw"
# R43: where Debian's 全字庫 packages put their fonts, Sung before Kai, each with the fonts of its
# other planes (Extension B, and Plus for the characters Unicode gave no code point of their own).
CNS_FONTS = tuple(
    Path("/usr/share/fonts/truetype/cns11643") / f"TW-{style}{part}-98_1.ttf"
    for style in ("Sung", "Kai")
    for part in ("", "-Ext-B", "-Plus")
)
FONT_SUFFIXES = (".ttf", ".otf")  # what fpdf2 embeds; a collection (.ttc) needs an index
FC_LIST_TIMEOUT = 5  # seconds
# fontTools warns that the 全字庫 fonts' glyph names are short (their `post` table), which matters
# nothing for printing; the warning stays out of the log and the terminal.
logging.getLogger("fontTools.ttLib.tables._p_o_s_t").setLevel(logging.ERROR)
FAMILY = "Noto Sans TC"
PS_NAME = "NotoSansTC-Regular"
# The most a quadratic curve may stray from the cubic original, in font units (1/1000 em):
# 0.01 mm on a 10 pt character.
CURVE_TOLERANCE = 1.0
# Copied into each document's font so that the embedded subset keeps its copyright and OFL notice.
_KEPT_NAMES = (0, 5, 7, 8, 9, 11, 12, 13, 14)
_OWN_NAMES = {
    "familyName": FAMILY,
    "styleName": "Regular",
    "fullName": f"{FAMILY} Regular",
    "psName": PS_NAME,
}


def font_path() -> Path:
    """Where the installed package keeps Noto Sans TC."""
    try:
        import pylopdf_fonts_zh_tw
    except ModuleNotFoundError as exc:  # pragma: no cover - a broken installation
        raise RuntimeError(
            "The Traditional Chinese font package pylopdf-fonts-zh-tw is not installed; "
            "reinstall qinzi with its dependencies."
        ) from exc
    return Path(pylopdf_fonts_zh_tw.sans_path())


class TcFont:
    """Noto Sans TC parsed once; `document_font(text)` is the small font one document needs.

    Thread-safe: forms are built in worker threads, and fontTools reads the parsed font lazily."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._font = TTFont(path, lazy=True)
        self.cmap: dict[int, str] = dict(self._font.getBestCmap())
        self._advances = {name: adv for name, (adv, _) in self._font["hmtx"].metrics.items()}
        self._charstrings = self._font["CFF "].cff.topDictIndex[0].CharStrings
        self._glyphs: dict[str, tuple[bytes, int]] = {}  # name -> (glyf data, lsb)
        head, hhea, os2 = self._font["head"], self._font["hhea"], self._font["OS/2"]
        self.units_per_em = head.unitsPerEm
        self._hhea = {
            name: getattr(hhea, name)
            for name in ("ascent", "descent", "lineGap", "advanceWidthMax",
                         "minLeftSideBearing", "minRightSideBearing", "xMaxExtent")
        }  # fmt: skip
        self._head = {
            name: getattr(head, name)
            for name in ("xMin", "yMin", "xMax", "yMax", "created", "modified", "fontRevision")
        }
        self._os2 = {
            name: getattr(os2, name)
            for name in (
                "sTypoAscender", "sTypoDescender", "sTypoLineGap", "usWinAscent",
                "usWinDescent", "sxHeight", "sCapHeight", "usWeightClass", "achVendID",
                "fsType", "ulUnicodeRange1", "ulUnicodeRange2", "ulUnicodeRange3",
                "ulUnicodeRange4", "ulCodePageRange1", "ulCodePageRange2",
                "yStrikeoutSize", "yStrikeoutPosition",
            )
        }  # fmt: skip
        post = self._font["post"]
        self._post = {
            "underlinePosition": post.underlinePosition,
            "underlineThickness": post.underlineThickness,
        }
        names = self._font["name"]
        self._names = {i: names.getDebugName(i) for i in _KEPT_NAMES if names.getDebugName(i)}

    def missing(self, text: Iterable[str]) -> set[str]:
        """Characters the font has no glyph for (they would print as empty boxes, "tofu")."""
        return {ch for ch in _drawn(text) if ord(ch) not in self.cmap}

    def printable(self, text: str) -> str:
        """`text` as it prints (R43): a character Noto Sans TC lacks stays when an installed
        font has it (the document adds that font as a fallback); one that no font has becomes
        its code point, U+2A6D7, which staff can look up and write in by hand. Never 〓 nor an
        empty box: both look like a character, or like a printing fault."""
        cmap = self.cmap
        return "".join(
            ch if ord(ch) in cmap or ch in "\n\r\t" or fallback_for(ch) else code_point(ch)
            for ch in text
        )

    def document_font(self, text: Iterable[str]) -> bytes:
        """A TrueType font with the glyphs of `text` (and .notdef), as file bytes.

        The glyphs go in as compiled once, and the bounding boxes are the whole font's rather
        than recomputed: the PDF library subsets this font again and recomputes them then."""
        codes = sorted({ord(ch) for ch in _drawn(text)} | {0x20})
        cmap = {code: self.cmap[code] for code in codes if code in self.cmap}
        order = [".notdef", *dict.fromkeys(cmap.values())]
        with self._lock:
            outlines = {name: self._glyph(name) for name in order}
        builder = FontBuilder(self.units_per_em, isTTF=True)
        font = builder.font
        font.recalcBBoxes = False
        builder.setupGlyphOrder(order)
        builder.setupCharacterMap(cmap)
        font["loca"] = newTable("loca")
        glyf = font["glyf"] = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {name: Glyph(data) for name, (data, _) in outlines.items()}
        builder.setupHorizontalMetrics(
            {name: (self._advances[name], lsb) for name, (_, lsb) in outlines.items()}
        )
        builder.setupHorizontalHeader(**self._hhea)
        builder.setupNameTable({**self._names, **_OWN_NAMES}, mac=False)
        builder.setupOS2(**self._os2)
        builder.setupPost(keepGlyphNames=False, **self._post)
        for name, value in self._head.items():
            setattr(font["head"], name, value)
        out = io.BytesIO()
        builder.save(out)
        return out.getvalue()

    def _glyph(self, name: str) -> tuple[bytes, int]:
        """One glyph as compiled TrueType data and its left side bearing, converted the first
        time a page draws it."""
        kept = self._glyphs.get(name)
        if kept is None:
            pen = TTGlyphPen(None)
            # CFF contours run the other way round from TrueType's.
            self._charstrings[name].draw(Cu2QuPen(pen, CURVE_TOLERANCE, reverse_direction=True))
            glyph = pen.glyph()
            glyph.recalcBounds(None)
            lsb = glyph.xMin if glyph.numberOfContours else 0
            kept = self._glyphs[name] = (glyph.compile(None), lsb)
        return kept


def _drawn(text: Iterable[str]) -> str:
    """The characters that end up on the page: line breaks and tabs are layout, not glyphs."""
    joined = text if isinstance(text, str) else "".join(text)
    return "".join(ch for ch in joined if ch not in "\n\r\t")


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def unprintable(text: Iterable[str]) -> set[str]:
    """Characters of `text` that no installed font has: they print as code points (R43)."""
    return {ch for ch in tc_font().missing(text) if fallback_for(ch) is None}


class FallbackFont:
    """An installed font that may stand in for Noto Sans TC, its character map read once (the
    map only: fpdf2 reads the glyphs of a document that uses the font)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = "fallback" + "".join(c for c in path.stem.lower() if c.isalnum())
        self.codes = frozenset(TTFont(path, lazy=True).getBestCmap())


@cache
def _font_at(path: Path) -> FallbackFont | None:
    try:
        return FallbackFont(path)
    except Exception:  # an unreadable or broken file is no fallback; the next font is tried
        logging.getLogger(__name__).warning("cannot read the font %s", path)
        return None


def _known_fonts() -> list[FallbackFont]:
    found = (_font_at(path) for path in CNS_FONTS if path.is_file())
    return [font for font in found if font is not None]


@cache
def _fontconfig_fonts(code: int) -> tuple[Path, ...]:
    """The font files fontconfig knows to have the character, if fontconfig is installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        done = subprocess.run(
            [fc_list, "--format", "%{file}\\n", f":charset={code:x}"],
            capture_output=True,
            text=True,
            timeout=FC_LIST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    files = (Path(line) for line in sorted(set(done.stdout.splitlines())) if line)
    return tuple(f for f in files if f.suffix.lower() in FONT_SUFFIXES and f not in CNS_FONTS)


_fallback_lock = threading.Lock()


@cache
def _fallback_for(ch: str) -> FallbackFont | None:
    code = ord(ch)
    for font in _known_fonts():
        if code in font.codes:
            return font
    for path in _fontconfig_fonts(code):
        font = _font_at(path)
        if font is not None and code in font.codes:
            return font
    return None


def fallback_for(ch: str) -> FallbackFont | None:
    """The first installed font that has `ch`: 全字庫 at its Debian path first, then whatever
    fontconfig finds. Looked up once per character and process."""
    with _fallback_lock:
        return _fallback_for(ch)


def fallbacks_for(text: Iterable[str]) -> list[FallbackFont]:
    """The fallback fonts a document with `text` needs, in the order they are tried."""
    needed = {id(f): f for ch in sorted(tc_font().missing(text)) if (f := fallback_for(ch))}
    return list(needed.values())


_loading = threading.Lock()


@cache
def _load() -> TcFont:
    return TcFont(font_path())


def tc_font() -> TcFont:
    """The one parsed font of this process (about 0.1 s the first time)."""
    with _loading:
        return _load()
