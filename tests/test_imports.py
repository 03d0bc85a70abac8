"""The import graph of sim/: no cycle, no arrow from the numerical core up to presentation code.

Only module-level imports count (outside functions and ``if TYPE_CHECKING:`` blocks): an
import inside a function runs when the function does, which is how the core reaches a
figure (``Run.figure``) without loading matplotlib before.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sim"
CORE = ("config", "priors", "model", "engine", "inference", "summary", "pipeline")
PRESENTATION_PACKAGES = ("matplotlib", "typer", "rich")
PRESENTATION_MODULES = ("cli", "display", "display_robust", "figures", "plots", "report", "style")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and ast.unparse(node.test).endswith("TYPE_CHECKING")


def _top_level_imports(tree: ast.Module) -> set[str]:
    """Modules imported when the module is: top-level statements, including inside try/if (not TYPE_CHECKING)."""
    found: set[str] = set()
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            stack.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body])
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of sim/ with the modules (of sim/ or outside) it imports at module level."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported = _top_level_imports(ast.parse(path.read_text(encoding="utf-8")))
        graph[name] = {m for m in imported if m in modules or not m.startswith("sim")}
        graph[name] -= {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for child in sorted(graph.get(node, ())):
            if child not in graph:
                continue
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if child not in state and (found := visit(child)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for child in graph.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def test_the_walker_sees_imports_and_finds_cycles():
    tree = ast.parse(
        "import os\nfrom sim.a import b\nif TYPE_CHECKING:\n    import rich\ntry:\n    import numpy\nexcept E:\n"
        "    pass\ndef f():\n    import matplotlib\n"
    )
    assert _top_level_imports(tree) == {"os", "sim.a", "sim.a.b", "numpy"}
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_sim_has_no_import_cycle():
    assert _cycle(import_graph()) is None


def test_no_core_module_reaches_presentation_code():
    graph = import_graph()
    presentation = {f"sim.{name}" for name in PRESENTATION_MODULES}
    for core in CORE:
        reached = _reach(graph, f"sim.{core}")
        bad = sorted(m for m in reached if m in presentation or m.split(".")[0] in PRESENTATION_PACKAGES)
        assert not bad, f"sim.{core} imports {', '.join(bad)} at module level"


def _loaded_after(statement: str, names: tuple[str, ...]) -> list[str]:
    code = f"import sys\n{statement}\nprint(','.join(m for m in {names!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return [name for name in done.stdout.strip().split(",") if name]


def test_the_command_line_and_the_core_load_only_what_they_need():
    assert _loaded_after("import sim.cli", ("numpy", "scipy", "rich", "matplotlib")) == []
    assert _loaded_after("import sim.pipeline", ("rich", "matplotlib", "typer")) == []


def test_sim_check_does_not_import_matplotlib(tmp_path: Path):
    config = PACKAGE.parent / "configs" / "kursk.toml"
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom sim.cli import app\n"
        f"result = CliRunner().invoke(app, ['check', {str(config)!r}])\n"
        "print(result.exit_code, 'matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "0 False"
