"""Notebooks are committed without outputs and all take the workspace as parameters."""

from __future__ import annotations

import ast

import nbformat
import pytest

from hoctap.nbhygiene import main as hygiene_main
from hoctap.nbhygiene import notebooks_with_outputs
from hoctap.paths import NOTEBOOKS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_notebooks_exist():
    """Exactly the shipped notebooks: a missing, renamed or stray one fails (the others are parametrized on this list)."""
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01-clean.ipynb",
        "02-indicators.ipynb",
        "03-annual-report.ipynb",
        "04-period-review.ipynb",
        "05-explore.ipynb",
    ]


def test_no_notebook_has_outputs():
    assert notebooks_with_outputs(NOTEBOOKS_DIR) == []


def test_hygiene_check_catches_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "x.ipynb")
    assert hygiene_main([str(tmp_path)]) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    # The names the cell really assigns (a comment or ``old_data_dir =`` does not count), to strings.
    assigned = {
        t.id: node.value
        for node in ast.parse(tagged[0].source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for name in ("data_dir", "reports_dir"):
        assert name in assigned, f"the parameters cell does not assign {name}"
        value = assigned[name]
        assert isinstance(value, ast.Constant) and isinstance(value.value, str), name
    assert nb.metadata["kernelspec"]["name"] == "python3"
