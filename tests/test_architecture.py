"""The package's shape (#11): imports point one way, no module reaches into another's private names,
and the top level holds only the ground floor and the rooms.

The graph counts every import statement, including the lazy ones inside functions: a lazy import
still is a dependency, and a cycle through it is the kind that breaks on the next refactor.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "specadvisor"
MAX_LOOSE_MODULES = 12


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PKG.rglob("*.py") if "_bundled" not in p.parts}


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(mods: dict[str, Path]) -> dict[str, set[tuple[str, str | None]]]:
    """module -> {(imported module, imported name or None)} for modules inside the package."""
    out: dict[str, set[tuple[str, str | None]]] = {}
    for mod, path in mods.items():
        edges: set[tuple[str, str | None]] = set()
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("specadvisor"):
                        edges.add((alias.name, None))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(mod, path.name == "__init__.py", node)
                if not target.startswith("specadvisor"):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in mods:  # `from pkg import module`
                        edges.add((sub, None))
                    else:
                        edges.add((target, alias.name))
        out[mod] = edges
    return out


def _deps(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for mod, edges in _imports(mods).items():
        deps = set()
        for target, _name in edges:
            if target in mods and target != mod:
                deps.add(target)
        graph[mod] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    mods = _modules()
    # a package's __init__ importing its own submodules is composition, not a cycle through the parent
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in _deps(mods).items()}
    assert _cycles(graph) == []


def test_no_module_imports_another_modules_private_names() -> None:
    mods = _modules()
    offenders = sorted(f"{mod} imports {target}.{name}" for mod, edges in _imports(mods).items()
                       for target, name in edges
                       if name and name.startswith("_") and not name.startswith("__") and target != mod)
    assert offenders == []


def test_top_level_holds_at_most_a_dozen_loose_modules() -> None:
    loose = sorted(p.name for p in PKG.glob("*.py"))
    assert len(loose) <= MAX_LOOSE_MODULES, loose


@pytest.mark.parametrize("room", ["advise", "calibration", "catalog", "check", "cli", "formats", "hub", "measure",
                                  "model", "rules"])
def test_every_room_is_a_package(room: str) -> None:
    assert (PKG / room / "__init__.py").is_file()


def test_nothing_below_the_cli_imports_the_cli() -> None:
    mods = _modules()
    above = ("specadvisor.cli", "specadvisor.__main__")
    offenders = sorted(f"{m} -> {d}" for m, deps in _deps(mods).items() if not m.startswith(above)
                       for d in deps if d.startswith("specadvisor.cli"))
    assert offenders == []
