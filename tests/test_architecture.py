"""The layout rules of the code base (README, "Architecture"), checked on the source.

Each concept has one home and the imports point one way: entry points and presentation on
top, then services, then the database package, then the pure core. These tests read the
import statements of every module under ``src/syncwatch`` (all of them: at the top, inside
functions, and under ``TYPE_CHECKING``: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "syncwatch"

#: The only modules that may talk SQL (import SQLAlchemy/SQLModel): the database package,
#: the schema and the migrations.
SQL_HOMES = ("syncwatch.db", "syncwatch.models", "syncwatch.migrations")
#: The only TUI module that may reach the database package, Kombo, or the services that
#: write (it runs the workers).
TUI_GATEWAY = "syncwatch.tui.gateway"
#: A module longer than this says in its docstring why it is long.
LONG_MODULE = 600


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, name: str) -> Iterator[str]:
    """The modules ``path`` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            for alias in node.names:
                # `from syncwatch.db import store` imports the module syncwatch.db.store
                yield f"{base}.{alias.name}"


def internal_graph() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for target in imports_of(path, name):
            if target in mods and target != name:
                deps.add(target)
        graph[name] = deps
    return graph


def test_no_import_cycle_among_the_projects_modules() -> None:
    graph = internal_graph()
    # A package's __init__ importing its own submodules is how a package re-exports; an
    # edge from a submodule back to its package's __init__ is the cycle that matters.
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if node.startswith(dep + "."):
                continue  # a submodule importing its parent package's name space
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _imports_matching(prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, path in modules().items():
        hits = sorted(
            {
                t
                for t in imports_of(path, name)
                if any(t == p or t.startswith(p + ".") for p in prefixes)
            }
        )
        if hits:
            found[name] = hits
    return found


def test_only_the_database_package_talks_sql() -> None:
    offenders = {
        name: hits
        for name, hits in _imports_matching(("sqlalchemy", "sqlmodel", "alembic")).items()
        if not any(name == home or name.startswith(home + ".") for home in SQL_HOMES)
    }
    assert offenders == {}


#: The modules that may talk to a database driver directly (``sqlite3``, ``psycopg``), with
#: the reason; the rest go through ``syncwatch.db``.
DRIVER_HOMES = {
    "syncwatch.db": "the database package (engines, SQLite's pragmas and errors)",
    "syncwatch.fastread": "the stored rows read with sqlite3 before SQLAlchemy loads",
    "syncwatch.pgread": "the same on PostgreSQL with psycopg (PgReader)",
    "syncwatch.cli.tui": "the UI's first screen: which reader, and its read error",
}


def test_only_the_read_paths_and_the_database_package_talk_to_a_driver() -> None:
    offenders = {
        name: hits
        for name, hits in _imports_matching(("sqlite3", "psycopg")).items()
        if name not in DRIVER_HOMES and not name.startswith("syncwatch.db.")
    }
    assert offenders == {}


def test_only_the_tui_gateway_reaches_the_database_and_kombo() -> None:
    offenders = {
        name: hits
        for name, hits in _imports_matching(("syncwatch.db", "syncwatch.kombo")).items()
        if name.startswith("syncwatch.tui") and name != TUI_GATEWAY
    }
    assert offenders == {}


def test_no_screen_or_widget_imports_the_app() -> None:
    offenders = {
        name: hits
        for name, hits in _imports_matching(("syncwatch.tui.app",)).items()
        if name.startswith(("syncwatch.tui.screens", "syncwatch.tui.widgets"))
    }
    assert offenders == {}


def _textual_private_names() -> set[str]:
    """Every private name Textual's own classes define (what a release may change)."""
    from textual.app import App
    from textual.dom import DOMNode
    from textual.message_pump import MessagePump
    from textual.screen import ModalScreen, Screen
    from textual.scroll_view import ScrollView
    from textual.widget import Widget

    names: set[str] = set()
    for cls in (App, Screen, ModalScreen, Widget, ScrollView, DOMNode, MessagePump):
        for klass in inspect.getmro(cls):
            if klass.__module__.startswith("textual"):
                names.update(n for n in vars(klass) if n.startswith("_") and not n.startswith("__"))
                for slot in getattr(klass, "__slots__", ()):
                    if slot.startswith("_") and not slot.startswith("__"):
                        names.add(slot)
    # Instance attributes set in Textual's __init__s.
    for cls in (App, Screen, Widget, DOMNode, MessagePump):
        source = inspect.getsource(cls.__init__)
        for node in ast.walk(ast.parse(_dedent(source))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                names.add(node.attr)
    return names


def _dedent(source: str) -> str:
    lines = source.splitlines()
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(line[indent:] for line in lines)


def test_no_private_textual_api_is_used() -> None:
    private = _textual_private_names()
    used: list[str] = []
    for name, path in modules().items():
        if not name.startswith("syncwatch.tui"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = {
            t.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign | ast.AnnAssign)
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Attribute)
            and isinstance(t.value, ast.Name)
            and t.value.id == "self"
        }
        own |= {
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for node in ast.walk(tree):
            attr = None
            if isinstance(node, ast.Attribute):
                attr = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"getattr", "setattr", "hasattr"}
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                attr = node.args[1].value
            if attr and attr in private and attr not in own:
                used.append(f"{path.relative_to(SRC)}:{node.lineno}: {attr}")
    assert used == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_long_modules_say_why(name: str) -> None:
    path = modules()[name]
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    if lines <= LONG_MODULE:
        return
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert "long" in doc.lower(), f"{name} has {lines} lines and its docstring does not say why"
