"""The shape of the package: stages import only lower stages, no cycles, no long modules.

Read from the source with ``ast``, so an import added anywhere (also inside a function) counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hoctap

PACKAGE = Path(hoctap.__file__).parent
# A module may import its own stage and any stage before it; the core is the package's top.
STAGES = ["core", "intake", "cleaning", "analysis", "report", "sample", "entry"]
ENTRY = {"cli", "pipeline", "workers", "__main__", "api"}  # the entry points compose every stage
MAX_LINES = 700


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(("hoctap", *parts))


def _stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    if parts[1] in STAGES:
        return parts[1]
    return "entry" if parts[1] in ENTRY else "core"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (the package uses absolute imports)"
            if node.module and node.module.startswith("hoctap"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hoctap"))
    return found


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _graph() -> dict[str, set[str]]:
    return {m: {i for i in _imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}


def test_stages_import_only_lower_stages_and_nothing_imports_the_sample():
    wrong = []
    for mod, deps in _graph().items():
        rank = STAGES.index(_stage(mod))
        for dep in deps:
            dep_stage = _stage(dep)
            if dep == "hoctap":
                continue
            if dep_stage == "sample" and _stage(mod) not in ("sample", "entry"):
                wrong.append(f"{mod} -> {dep} (production code imports the sample)")
            elif STAGES.index(dep_stage) > rank and not (dep_stage == "sample" and mod == "hoctap.cli"):
                wrong.append(f"{mod} ({_stage(mod)}) -> {dep} ({dep_stage})")
    assert not wrong, "\n".join(wrong)


def test_the_sample_is_imported_only_by_the_command_line():
    users = {m for m, deps in _graph().items() if any(_stage(d) == "sample" for d in deps)}
    assert {u for u in users if _stage(u) != "sample"} <= {"hoctap.cli"}


def test_no_import_cycle():
    graph = _graph()
    # the package itself imports its version only; edges to a package __init__ are edges to it
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if dep == "hoctap":
                continue
            assert state.get(dep) != 1, " -> ".join([*trail, node, dep])
            if dep not in state:
                visit(dep, [*trail, node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def test_no_module_over_700_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_the_layering_test_can_fail(tmp_path):
    """A lower stage importing a higher one is caught (the rule above is not vacuous)."""
    bad = ast.parse("from hoctap.report.blocks import Document\n")
    node = bad.body[0]
    assert isinstance(node, ast.ImportFrom)
    assert STAGES.index(_stage("hoctap.intake.values")) < STAGES.index(_stage(node.module))
    assert _stage("hoctap.sample.demo") == "sample" and _stage("hoctap.cli") == "entry"
    assert _stage("hoctap.errors") == "core"


def test_notebooks_import_only_the_public_api():
    """Notebooks are thin: every hoctap name they use comes from ``hoctap.api``, and nothing there is unused."""
    import json

    from hoctap import api

    notebooks = sorted((PACKAGE.parents[1] / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 5
    used: set[str] = set()
    for nb in notebooks:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hoctap"):
                assert node.module == "hoctap.api", f"{nb.name} imports {node.module}"
                used.update(a.name for a in node.names)
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("hoctap") for a in node.names), nb.name
    assert used == set(api.__all__), set(api.__all__) ^ used
