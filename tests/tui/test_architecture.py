"""The terminal UI's structure, read from its source: which module may import what, no import
cycles, no private Textual API.

- only the gateway reaches the database, Kombo and the action that writes (``kombo_marks``,
  SQL the gateway calls, goes to the database package with the renovation);
- screens and widgets never import the app (they send messages up);
- the modules of ``syncwatch.tui`` import each other without a cycle;
- no name starting with ``_`` is used from Textual (a release may change it): every private
  attribute the code touches is one it defines itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TUI = Path(__file__).resolve().parents[2] / "src" / "syncwatch" / "tui"

#: Runtime imports of these are the gateway's (and the SQL module it calls).
DATA_PACKAGES = ("syncwatch.store", "syncwatch.db", "syncwatch.kombo", "sqlalchemy", "sqlmodel")
DATA_MODULES = {"syncwatch.tui.gateway", "syncwatch.tui.kombo_marks"}
#: Type-only: the Kombo row types, named once for the views (until they live in rows.py).
TYPE_ONLY_DATA_MODULES = {"syncwatch.tui.messages"}
#: How Textual names the handlers it calls on its own classes.
PRIVATE_HOOKS = ("_on_", "_watch_", "_action_", "_compute_", "_validate_")


def module_name(path: Path) -> str:
    parts = path.relative_to(TUI.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(TUI.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def _type_checking_nodes(tree: ast.Module) -> set[ast.AST]:
    """The import statements under ``if TYPE_CHECKING:``."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                found.update(ast.walk(child))
    return found


def imports(name: str) -> Iterator[tuple[str, list[str], bool]]:
    """(module, names imported from it, type-checking only) for each import of ``name``."""
    tree = TREES[name]
    typing_only = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node in typing_only
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            base = node.module
            if node.level:
                package = name.rsplit(".", node.level)[0]
                base = f"{package}.{base}"
            yield base, [a.name for a in node.names], node in typing_only


def _is_data(module: str) -> bool:
    return module == "syncwatch.tui.kombo_marks" or any(
        module == p or module.startswith(f"{p}.") for p in DATA_PACKAGES
    )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_gateway_reaches_the_database_and_kombo(name: str) -> None:
    for module, names, typing_only in imports(name):
        if _is_data(module) and name not in DATA_MODULES:
            assert typing_only and name in TYPE_ONLY_DATA_MODULES, (name, module)
        if module == "syncwatch.actions":
            writes = {"perform", "perform_many"} & set(names)
            assert not writes or name == "syncwatch.tui.gateway", (name, writes)


@pytest.mark.parametrize("name", [n for n in sorted(MODULES) if ".screens" in n or ".widgets" in n])
def test_views_do_not_import_the_app(name: str) -> None:
    assert "syncwatch.tui.app" not in {module for module, _, _ in imports(name)}


def test_the_tui_modules_import_each_other_without_a_cycle() -> None:
    graph = {
        name: {
            m for m, names, _ in imports(name) for m in [m, *(f"{m}.{n}" for n in names)]
            if m in MODULES and m != name
        }
        for name in MODULES
    }  # fmt: skip
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        done.add(name)

    for name in MODULES:
        visit(name, [])


def _private_names_defined() -> set[str]:
    """Every ``_name`` the TUI's own code defines (attributes, methods, functions)."""
    defined: set[str] = set()
    for tree in TREES.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                defined.add(node.target.id)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                defined.add(node.value)  # __slots__
    return {n for n in defined if n.startswith("_") and not n.startswith("__")}


def test_no_private_textual_api() -> None:
    ours = _private_names_defined()
    used: set[tuple[str, str]] = set()
    for name, tree in TREES.items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in ours
            ):
                used.add((name, node.attr))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"getattr", "hasattr", "setattr"}
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith("_")
            ):
                used.add((name, str(node.args[1].value)))
            # Textual's private handlers (``_on_layout``, ...) are not to be overridden.
            if isinstance(node, ast.ClassDef):
                for method in node.body:
                    if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) and (
                        method.name.startswith(PRIVATE_HOOKS)
                    ):
                        used.add((name, method.name))
    assert not used, sorted(used)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_600_lines(name: str) -> None:
    assert len(MODULES[name].read_text().splitlines()) <= 600
