"""The structure rules (issue 14), read from the source with the AST so that a change breaking one fails the suite.

- Layers, bottom to top: replenish.core <- replenish <- integrations <- exceptions (with exceptions.workflows) <-
  governance. No module imports a layer above its own: not at module level, not inside a function, not through
  `apps.get_model("<label>", ...)` or a "label.Model" string. The project wiring (settings, urls, celery, wsgi,
  asgi) sits above every layer. replenish.core imports no other app.
- No import circle, except a Celery task and the service it calls: a function-level import of a `tasks` module
  (a service dispatching its task) is the one edge a circle may go through.
- No function-level import of a module of ours, but for that dispatch and an AppConfig.ready() wiring its app
  (apps.py is loaded before the models, ready() after): a lazy import hides an edge of the graph from the reader.
  LAZY_IMPORTS lists any other, with its reason; it is empty.
- No module over 600 lines; no function of cyclomatic complexity over 25 (radon). Today's offenders are listed
  below with their owner; the lists must shrink to empty (an entry that no longer offends fails too, so it is
  removed when its owner fixes it).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("replenish", "exceptions", "governance", "integrations")
LAYERS = {"replenish.core": 0, "replenish": 1, "integrations": 2, "exceptions": 3, "governance": 4}
PROJECT = 5  # the composition root: it names every app
PROJECT_MODULES = {"replenish"} | {  # the package's __init__ loads the Celery app
    f"replenish.{m}" for m in ("settings", "settings_test", "urls", "celery", "wsgi", "asgi")
}
LABEL_LAYERS = {
    "core": 0,
    "replenish": 1,
    "integrations": 2,
    "exceptions": 3,
    "workflows": 3,
    "governance": 4,
}
MODEL_REF = re.compile(r"^(?P<label>[a-z_]+)\.(?P<model>[A-Z]\w*)$")
MAX_LINES = 600
MAX_COMPLEXITY = 25

# Offenders on the day the rules came in, with who shrinks them. Remove an entry when it no longer offends.
LONG_MODULES: dict[str, str] = {}
COMPLEX_FUNCTIONS: dict[str, str] = {}
# Function-level imports of our modules beyond a task dispatch and AppConfig.ready(): "path:function" -> why.
LAZY_IMPORTS: dict[str, str] = {}


def _source_files(*tops: str) -> list[Path]:
    return sorted(
        p
        for top in tops
        for p in (ROOT / top).rglob("*.py")
        if "migrations" not in p.parts and "__pycache__" not in p.parts
    )


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in _source_files(*PACKAGES)}


def layer_of(module: str) -> int | None:
    if module in PROJECT_MODULES:
        return PROJECT
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, layer)
    return None if best is None else best[1]


def _resolve(name: str) -> str | None:
    """The module of ours an imported name lives in (a package for a name defined in its __init__)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


class _Imports(ast.NodeVisitor):
    """Every import of a module, with whether it sits inside a function, and the app labels it names in strings."""

    def __init__(self, module: str, is_package: bool):
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.depth = 0
        self.scope: list[str] = []  # the enclosing classes and functions, outermost first
        self.found: list[tuple[str, bool, int]] = []  # (imported name, inside a function, line)
        self.in_functions: list[tuple[str, str, int]] = []  # (imported name, "Class.function", line)
        self.labels: list[tuple[str, int, str]] = []  # (app label, line, what)

    def _function(self, node) -> None:
        self.depth += 1
        self.scope.append(getattr(node, "name", "<lambda>"))
        self.generic_visit(node)
        self.scope.pop()
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def _add(self, name: str, line: int) -> None:
        self.found.append((name, self.depth > 0, line))
        if self.depth > 0:
            self.in_functions.append((name, ".".join(self.scope), line))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        for alias in node.names:
            self._add(f"{prefix}.{alias.name}", node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "get_model" and node.args and isinstance(node.args[0], ast.Constant):
            label = str(node.args[0].value).split(".")[0]
            self.labels.append((label, node.lineno, f"get_model({node.args[0].value!r})"))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and (match := MODEL_REF.match(node.value)):
            self.labels.append((match["label"], node.lineno, repr(node.value)))


def _scan(module: str) -> _Imports:
    path = MODULES[module]
    visitor = _Imports(module, path.name == "__init__.py")
    visitor.visit(ast.parse(path.read_text(), filename=str(path)))
    return visitor


SCANS = {module: _scan(module) for module in MODULES}


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def upward_imports() -> list[str]:
    problems = []
    for module, scan in SCANS.items():
        own = layer_of(module)
        for name, in_function, line in scan.found:
            target = _resolve(name)
            if target is None or target == module:
                continue
            if layer_of(target) > own:
                how = "inside a function" if in_function else "at module level"
                problems.append(f"{_where(module, line)} imports {target} {how} (a layer above)")
        for label, line, what in scan.labels:
            if LABEL_LAYERS.get(label, -1) > own:
                problems.append(f"{_where(module, line)} names {what}, a model of a layer above")
    return problems


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, less a function-level import of a Celery tasks module."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, scan in SCANS.items():
        for name, in_function, _line in scan.found:
            target = _resolve(name)
            if target is None or target == module:
                continue
            if in_function and target.rpartition(".")[2] == "tasks":
                continue  # a service dispatching its task: the one circle allowed
            graph[module].add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def lazy_imports(scans: dict[str, _Imports]) -> list[tuple[str, str, int, str]]:
    """(module, enclosing function, line, imported module) of each function-level import of a module of ours,
    less a Celery task's dispatch (an import of a `tasks` module) and an AppConfig.ready() in an apps module."""
    out = []
    for module, scan in scans.items():
        for name, function, line in scan.in_functions:
            target = _resolve(name)
            if target is None or target.rpartition(".")[2] == "tasks":
                continue
            if module.rpartition(".")[2] == "apps" and function.rpartition(".")[2] == "ready":
                continue
            out.append((module, function, line, target))
    return out


def test_no_module_imports_a_layer_above():
    assert upward_imports() == []


def test_core_imports_no_other_app():
    core = [m for m in MODULES if layer_of(m) == 0]
    assert core, "replenish.core not found"
    outside = [
        f"{_where(m, line)} imports {name}"
        for m in core
        for name, _in_function, line in SCANS[m].found
        if (target := _resolve(name)) is not None and layer_of(target) != 0
    ]
    assert outside == []


def test_no_import_circle_beyond_a_task_and_its_service():
    assert import_cycles(import_graph()) == []


def test_no_function_level_import_beyond_a_task_dispatch_and_ready():
    found = lazy_imports(SCANS)
    keys = {f"{MODULES[module].relative_to(ROOT)}:{function}" for module, function, _, _ in found}
    new = [
        f"{_where(module, line)} imports {target} inside {function}: move it to module level"
        for module, function, line, target in found
        if f"{MODULES[module].relative_to(ROOT)}:{function}" not in LAZY_IMPORTS
    ]
    assert new == []
    fixed = sorted(set(LAZY_IMPORTS) - keys)
    assert fixed == [], "no longer a function-level import: remove them from LAZY_IMPORTS"


def test_the_checks_catch_what_they_forbid():
    # given a lower module importing an upper one inside a function, a model string and a get_model of an upper app
    scan = _Imports("integrations.example", is_package=False)
    scan.visit(
        ast.parse(
            "def f():\n    from governance.policy import x\n"
            "fk = 'exceptions.PlanningException'\napps.get_model('workflows', 'DomainEvent')\n"
        )
    )
    # then each is seen, with the layer it points at
    assert [(n, f) for n, f, _ in scan.found] == [("governance.policy.x", True)]
    assert layer_of(_resolve("governance.policy.x")) > layer_of("integrations.example")
    assert {label for label, _, _ in scan.labels} == {"exceptions", "workflows"}
    # and a circle of three is reported, while a service <-> task pair (function-level dispatch) is not
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a.services": {"a.models"}, "a.models": set()}) == []
    # and a function-level import of a module of ours is reported, but for a task's dispatch and an app's ready()
    services = _Imports("replenish.services", is_package=False)
    services.visit(
        ast.parse(
            "def f():\n    from .models import Item\n    from .tasks import plan_chunk_task\n"
            "    import json\n"
            "class C:\n    def ready(self):\n        from .selectors import x\n"
        )
    )
    apps = _Imports("replenish.apps", is_package=False)
    apps.visit(ast.parse("class C:\n    def ready(self):\n        from .middleware import x\n"))
    assert lazy_imports({"replenish.services": services, "replenish.apps": apps}) == [
        ("replenish.services", "f", 2, "replenish.models"),
        ("replenish.services", "C.ready", 7, "replenish.selectors"),
    ]


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_no_module_over_600_lines():
    files = _source_files(*PACKAGES, "tests", "bench")
    long = {str(p.relative_to(ROOT)): _lines(p) for p in files if _lines(p) > MAX_LINES}
    new = {path: n for path, n in long.items() if path not in LONG_MODULES}
    assert new == {}, f"modules over {MAX_LINES} lines: split them (a package per concern)"
    fixed = sorted(set(LONG_MODULES) - set(long))
    assert fixed == [], "no longer over the limit: remove them from LONG_MODULES"


def _complexities() -> dict[str, int]:
    out = {}
    for path in _source_files(*PACKAGES, "bench"):
        for block in cc_visit(path.read_text()):
            name = f"{block.classname}.{block.name}" if getattr(block, "classname", None) else block.name
            out[f"{path.relative_to(ROOT)}:{name}"] = block.complexity
    return out


def test_no_function_over_complexity_25():
    complexity = _complexities()
    over = {name: c for name, c in complexity.items() if c > MAX_COMPLEXITY}
    new = {name: c for name, c in over.items() if name not in COMPLEX_FUNCTIONS}
    assert new == {}, f"functions of cyclomatic complexity over {MAX_COMPLEXITY}: split them"
    fixed = sorted(set(COMPLEX_FUNCTIONS) - set(over))
    assert fixed == [], "no longer over the limit: remove them from COMPLEX_FUNCTIONS"


def test_every_setting_the_apps_read_is_defined_in_settings_py():
    # a setting read with a silent default (getattr(settings, NAME, default)) never comes from the environment
    from django.conf import settings

    read = set()
    for module in MODULES:
        source = MODULES[module].read_text()
        read |= set(re.findall(r"""getattr\(settings, ["']([A-Z_]+)["']""", source))
        read |= set(re.findall(r"""_get\(["']([A-Z_]+)["']""", source))
        read |= set(re.findall(r"\bsettings\.([A-Z][A-Z0-9_]+)", source))
    missing = sorted(name for name in read if not hasattr(settings, name))
    assert missing == []
