"""The Traditional Chinese font of every printed page: Noto Sans TC, as the PyPI package
`pylopdf-fonts-zh-tw` ships it (the unmodified TC-only subset of notofonts/noto-cjk, SIL OFL 1.1).

No system font is used and nothing is downloaded, so a form prints the same on a kiosk without
any Chinese font. The package's font is a 5.7 MB CID-keyed CFF font of 20,950 glyphs; handing
it to the PDF library for every document costs about 200 ms (parsing it, then subsetting it
with fontTools). So it is parsed once per process, each glyph a page uses is converted once to
a TrueType outline and kept, and every document gets a small TrueType font of just the glyphs
it draws, which the PDF library then embeds (as a subset, like any font). Hinting is dropped on
the way: it does nothing for print or for rendering at today's resolutions."""

from __future__ import annotations

import io
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
GETA = "〓"
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
        """`text` with each character the font lacks replaced by 〓 (the geta mark), the
        typesetter's sign for "a character that could not be set", which the reader can write
        in by hand; an empty box would look like a printing fault."""
        cmap = self.cmap
        return "".join(ch if ord(ch) in cmap or ch in "\n\r\t" else GETA for ch in text)

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


_loading = threading.Lock()


@cache
def _load() -> TcFont:
    return TcFont(font_path())


def tc_font() -> TcFont:
    """The one parsed font of this process (about 0.1 s the first time)."""
    with _loading:
        return _load()
