"""The shape issue 13 asked for, held by a test: no import circle among the project's modules
(imports inside functions and under TYPE_CHECKING count too), no screen that imports another
screen (only the flow knows them all), no private Textual module, and each kind of variation
behind its one seam. Read from the sources with `ast`, so nothing is imported or run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "screens")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """Every project module `path` names in an import statement, wherever the statement is."""
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    is_package = path.name == "__init__.py"
    package = name.removesuffix(".__init__") if is_package else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import module` depends on the module; `from module import name` on it.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]  # fmt: skip
        else:
            continue
        out.update(t for t in targets if t in known)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_among_the_projects_modules():
    assert circles(graph()) == []


def test_the_circle_finder_finds_a_circle():
    """The check above can fail: a loop of three is one circle, a tail is not."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def screen_modules() -> set[str]:
    """Modules that define a full screen (a class named …Screen that is not a base)."""
    out = set()
    for name, path in modules().items():
        if not name.startswith("screens.") or name.endswith(("base", "flow")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        if any(c.name.endswith("Screen") for c in classes):
            out.add(name)
    return out


def test_no_screen_imports_another_screen_only_the_flow_knows_them():
    screens = screen_modules()
    assert {"screens.welcome", "screens.student", "screens.review.queue"} <= screens
    edges = graph()
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in edges.items()
        for target in targets & screens
        if module != "screens.flow"
    )
    assert offenders == []


# The one documented exception: the repair of Textual 8.2's wide-character composition (R44,
# Textualize/textual#6357), kept with a minimal reproduction in tests/tui/test_whole_text.py.
PRIVATE_TEXTUAL_ALLOWED = {"screens.widgets.whole_cells"}


def test_no_private_textual_module_is_imported():
    private = re.compile(r"^\s*(from|import)\s+textual(\.\w+)*\._\w+", re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for name, p in modules().items()
                 if name not in PRIVATE_TEXTUAL_ALLOWED
                 and private.search(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert offenders == []


def test_the_textual_version_range_is_pinned():
    """app/tui.py overrides one private method (Textual has no public hook for a crash) and
    screens/widgets/whole_cells.py replaces the compositor's line cutting (R44); the
    range they were tested with is pinned, so an upgrade is a decision, not an accident."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'"textual>=8\.2\.\d+,<8\.3"', pyproject)


LANGUAGE_LITERAL = re.compile(r"""["'](zh-TW|en)["']""")


def test_only_the_language_seam_names_a_language():
    """A new language is catalogs, long texts and one entry in app/i18n.py's LANGUAGES."""
    offenders = []
    for name, path in modules().items():
        if name == "app.i18n":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LANGUAGE_LITERAL.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_route_of_the_flow_names_a_screen_its_module_defines():
    """The flow imports a screen's module when the screen is first shown, so a typo in
    ROUTES or DIALOGS would only show at that moment: this reads each against the sources."""
    tree = ast.parse((ROOT / "screens" / "flow.py").read_text(encoding="utf-8"))
    names = ("ROUTES", "DIALOGS")
    tables = {n.target.id: n.value for n in tree.body
              if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") in names}  # fmt: skip
    known = modules()
    missing, count = [], 0
    for table in tables.values():
        for call in table.values:  # Route("screens.x", "XScreen", …)
            module, screen = (arg.value for arg in call.args[:2])
            source = known[module].read_text(encoding="utf-8") if module in known else ""
            classes = {n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)}
            count += 1
            if screen not in classes:
                missing.append(f"{module}:{screen}")
    assert set(tables) == {"ROUTES", "DIALOGS"} and count >= 21
    assert missing == []


def test_no_screen_builds_a_service_the_services_object_has_them_all():
    """Screens reach every service through `self.services` (the factory built them once)."""
    builds = re.compile(r"\b(\w+Service|KioskLock|Approver)\(")
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0)}"
                 for name, p in modules().items() if name.startswith("screens")
                 for m in builds.finditer(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert offenders == []
