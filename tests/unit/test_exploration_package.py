"""The exploration package as a whole: its layers and the API notebook 05 uses.

Notebook 05 end to end through papermill is in integration/test_exploration_notebook.py.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

import hoctap
from hoctap.analysis import exploration as ex
from hoctap.paths import NOTEBOOKS_DIR

PACKAGE = Path(ex.__file__).parent
NOTEBOOK = NOTEBOOKS_DIR / "05-explore.ipynb"
# Each module may import only modules of the package of a lower rank.
RANK = {
    "statistics": 0,
    "labels": 1,
    "comparisons": 2,
    "breakdowns": 3,
    "views": 4,
    "figures": 4,
    "reading": 4,
}


def _hoctap_imports(path: Path) -> set[str]:
    """Every hoctap module ``path`` imports (at the top or inside a function), dotted."""
    package = ["hoctap", "analysis", "exploration"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "hoctap"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "hoctap":
                continue
            if node.module is None:  # "from ... import fmt": the names are modules
                found |= {f"{mod}.{a.name}" for a in node.names}
            else:
                found.add(mod)
    return found


def test_every_module_is_ranked():
    assert {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"} == set(RANK)


@pytest.mark.parametrize("name", sorted(RANK))
def test_lower_layers_never_import_higher_ones(name):
    imports = _hoctap_imports(PACKAGE / f"{name}.py")
    if name == "statistics":
        assert imports == set(), "statistics imports nothing of hoctap"
    for mod in imports:
        assert not mod.startswith(("hoctap.report", "hoctap.pipeline", "hoctap.cli")), mod
        if mod.startswith("hoctap.analysis.exploration."):
            sibling = mod.rsplit(".", 1)[1]
            assert RANK[sibling] < RANK[name], f"{name} imports {sibling}"


def test_the_layer_check_sees_an_upward_import(tmp_path):
    # the checker itself can fail: statistics importing labels, relative or absolute
    bad = tmp_path / "statistics.py"
    bad.write_text("from .labels import BANDS\nimport hoctap.fmt\n", encoding="utf-8")
    assert _hoctap_imports(bad) == {"hoctap.analysis.exploration.labels", "hoctap.fmt"}
    bad.write_text("def f():\n    from ... import fmt\n", encoding="utf-8")
    assert _hoctap_imports(bad) == {"hoctap.fmt"}


def test_the_old_module_is_gone():
    assert importlib.util.find_spec("hoctap.explore") is None
    assert not (Path(hoctap.__file__).parent / "explore.py").exists()


def test_public_api_is_what_the_notebook_calls():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    used = set(re.findall(r"\bex\.(\w+)", code))
    assert "from hoctap.api import exploration as ex" in code
    assert used <= set(ex.__all__), used - set(ex.__all__)
    assert set(ex.__all__) - used <= {"Exploration"}  # the type load returns
    assert all(hasattr(ex, name) for name in ex.__all__)


# ---- notebook 05 end to end ---------------------------------------------------------------


def test_notebook_is_committed_clean_with_its_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in (
        'data_dir = "../data"',
        'reports_dir = "../reports"',
        'indicator = "family_title_rate"',
        "year_from = 2021",
        "year_to = 2026",
        'geography_date = ""',
    ):
        assert line in params[0].source
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")
