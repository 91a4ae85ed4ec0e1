"""What the `qinzi` commands print: messages in the user's language from the catalog, tables
whose Chinese columns line up, the demo's logins, and the exit codes."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.i18n import t

EXIT_REFUSED = 1
EXIT_USAGE = 2


class Output:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, /, **params: Any) -> None:
        print(t(key, self.lang, **params))

    def error(self, key: str, /, **params: Any) -> None:
        print(t(key, self.lang, **params), file=sys.stderr)


def display_width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def show_demo(out: Output, folder: Path, info: Any) -> None:
    """The demo's logins and students: printed before the server starts, and by `qinzi demo`
    when its app ends (the same lines are on its welcome screen)."""
    from app.services.demo.seed import demo_lines

    out("cli.demo.where", path=str(folder), database=info.database)
    for line in demo_lines(info, lambda key, /, **params: t(key, out.lang, **params)):
        print(line)


def print_rows(
    out: Output,
    rows: Sequence[Any],
    *,
    as_json: bool,
    empty_key: str,
    headers: Sequence[str],
    cells: Callable[[Any], Sequence[str]],
) -> int:
    """A listing command's answer: the rows as JSON (each row's `as_dict()`), or a table of
    `headers` with `cells(row)` per row, or the line `empty_key` says when there are none."""
    if as_json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        out(empty_key)
        return 0
    print(format_table(headers, [cells(r) for r in rows]))
    return 0
