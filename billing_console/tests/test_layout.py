"""The layout's rules, checked on the source: no module imports another module's private
(`_name`) names; no module of the project is over 400 lines; and no import circle joins
modules of different packages (concerns): imports inside functions count, since they only
defer the circle, they do not remove it.

Test modules may import the private helpers of the module they test; benches and migrations
are not the product's modules."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "billing_console", "customers", "usage", "pricing", "contracts", "invoicing", "alerts",
    "embeds", "reports", "webhooks", "plans", "payments", "tax", "crm", "people",
)  # fmt: skip
MAX_LINES = 400


def _modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
    ]


def test_no_module_imports_another_modules_private_names():
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] not in APPS:
                    continue
                found += [
                    f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert found == []


def test_no_module_is_over_the_limit():
    over = {}
    for path in _modules():
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            over[str(path.relative_to(ROOT))] = lines
    assert over == {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports, anywhere in its body."""
    names = {_module_name(path): path for path in _modules()}
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name] |= {target for target in targets if target in names and target != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
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
                    found.append(component)
    return found


def test_circles_finder_finds_a_circle():
    graph = {"a.x": {"a.y"}, "a.y": {"b.z"}, "b.z": {"a.x"}, "c": {"a.x"}}
    assert _circles(graph) == [{"a.x", "a.y", "b.z"}]


def test_no_import_circle_joins_different_packages():
    """A circle inside one package (a service and the task that calls it back) is that
    package's business; one that spans packages ties two concerns together."""
    spanning = [
        sorted(circle)
        for circle in _circles(_import_graph())
        if len({name.rpartition(".")[0] for name in circle}) > 1
    ]
    assert spanning == []
