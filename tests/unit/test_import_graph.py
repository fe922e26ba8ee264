"""The package's imports keep its layers and have no circle.

Every module under streams/ is parsed with ``ast``: module-level and function-level
imports alike (an import hidden in a function is still a dependency), relative imports
resolved against the importing module. Importing a package's submodule is an edge to the
submodule only (the parent package's ``__init__`` runs first, but depends on nothing here).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "streams"


@dataclass(frozen=True)
class Layer:
    """Modules under ``who`` (but not under ``unless_who``) import nothing under ``forbidden``
    (but may import what is under ``unless``)."""

    rule: str
    who: tuple[str, ...]
    forbidden: tuple[str, ...]
    unless: tuple[str, ...] = ()
    unless_who: tuple[str, ...] = ()


LAYERS = (
    Layer(
        "the core is pure: it imports nothing from streams outside streams.core "
        "(streams.errors, the one user-error type, is a leaf every layer shares)",
        who=("streams.core",),
        forbidden=("streams",),
        unless=("streams.core", "streams.errors"),
    ),
    Layer(
        "streams.errors is a leaf: it imports nothing from streams",
        who=("streams.errors",),
        forbidden=("streams",),
    ),
    Layer(
        "the commands are the top layer: only the commands and the CLI import them",
        who=("streams",),
        forbidden=("streams.commands",),
        unless_who=("streams.commands", "streams.cli"),
    ),
)
# Known breaches of the table above, to be moved out of streams.commands by their owners:
# the worker creates its topics and the local stack backfills history with commands' code.
ALLOWED_BREACHES: frozenset[tuple[str, str]] = frozenset({})
# What the core may import from outside streams: the standard library but its I/O
# adapters, and two data formats (YAML for the policy file, JSON for events and state).
CORE_LIBRARIES = frozenset({"yaml", "orjson"})
ADAPTER_STDLIB = frozenset(
    {
        "asyncio",
        "ftplib",
        "http",
        "imaplib",
        "multiprocessing",
        "poplib",
        "select",
        "selectors",
        "smtplib",
        "socket",
        "socketserver",
        "sqlite3",
        "ssl",
        "subprocess",
        "threading",
        "urllib",
        "wsgiref",
        "xmlrpc",
    }
)


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(module: str) -> list[tuple[str, int]]:
    """(absolute name, line) of every import in ``module``."""
    path = modules()[module]
    return imports_in(module, path.name == "__init__.py", path.read_text(encoding="utf-8"))


def imports_in(module: str, is_package: bool, source: str) -> list[tuple[str, int]]:
    """(absolute name, line) of every import in ``source``, relative ones resolved."""
    names: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            # ``from a import b``: b may be a submodule or a name in a
            names.extend((f"{base}.{alias.name}", node.lineno) for alias in node.names)
    return names


def owner(name: str) -> str | None:
    """The module of streams an imported name lives in (None: outside streams)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def graph() -> dict[str, frozenset[str]]:
    edges = {}
    for module in modules():
        targets = {owner(name) for name, _ in imported(module)}
        edges[module] = frozenset(t for t in targets if t is not None and t != module)
    return edges


def circles(edges: dict[str, frozenset[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def one_cycle(edges: dict[str, frozenset[str]], component: frozenset[str]) -> list[str]:
    """A shortest path from a module of the circle back to itself, to print."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(edges[node] & component):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")


def test_the_graph_sees_every_module_and_function_level_imports() -> None:
    edges = graph()
    assert len(edges) > 100 and "streams.core.policy" in edges  # a package is a module
    assert "streams.core.policy.model" in edges["streams.core.policy"]
    assert "streams.core.vocabulary" in edges["streams.core.events"]  # from streams.core import
    assert "streams.kafka.topics" in edges["streams.worker.command"]  # inside a function


def test_relative_imports_resolve_against_the_module_or_package() -> None:
    source = (
        "from . import model\n"
        "from .parse import parse_policy\n"
        "def f():\n"
        "    from ..calendar import ALWAYS\n"
    )
    in_package = [name for name, _ in imports_in("streams.core.policy", True, source)]
    assert in_package == [
        "streams.core.policy.model",
        "streams.core.policy.parse.parse_policy",
        "streams.core.calendar.ALWAYS",
    ]
    in_module = [name for name, _ in imports_in("streams.core.policy.load", False, source)]
    assert in_module == in_package
    assert owner("streams.core.policy.parse.parse_policy") == "streams.core.policy.parse"
    assert owner("yaml.SafeLoader") is None


def test_the_cycle_finder_finds_a_circle_of_three_and_prints_it() -> None:
    edges = {
        "a": frozenset({"b"}),
        "b": frozenset({"c"}),
        "c": frozenset({"a", "d"}),
        "d": frozenset(),
    }
    assert circles(edges) == [frozenset({"a", "b", "c"})]
    assert one_cycle(edges, frozenset({"a", "b", "c"})) == ["a", "b", "c", "a"]


def test_no_module_of_streams_imports_itself_in_a_circle() -> None:
    edges = graph()
    new = circles(edges)
    printed = "\n".join(" -> ".join(one_cycle(edges, c)) for c in new)
    assert not new, f"import circles:\n{printed}"


def test_every_layer_imports_only_what_the_layer_table_allows() -> None:
    breaches = []
    for module in sorted(modules()):
        for layer in LAYERS:
            if not any(within(module, w) for w in layer.who):
                continue
            if any(within(module, w) for w in layer.unless_who):
                continue
            for name, line in imported(module):
                target = owner(name)
                if target is None or (module, target) in ALLOWED_BREACHES:
                    continue
                if any(within(target, f) for f in layer.forbidden) and not any(
                    within(target, u) for u in layer.unless
                ):
                    breaches.append(f"{module}:{line} imports {target} ({layer.rule})")
    assert not breaches, "\n".join(breaches)


def test_the_core_imports_no_adapter_library() -> None:
    stdlib = sys.stdlib_module_names
    found = []
    for module in sorted(m for m in modules() if within(m, "streams.core")):
        for name, line in imported(module):
            top = name.split(".")[0]
            if top == "streams" or top in CORE_LIBRARIES:
                continue
            if top not in stdlib or top in ADAPTER_STDLIB:
                found.append(f"{module}:{line} imports {name}")
    assert not found, "the core imports adapters:\n" + "\n".join(found)
