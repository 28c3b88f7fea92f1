"""The exploration package as a whole: its layers, the API notebook 05 uses, and notebook 05
end to end through papermill on the demo sample."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

import hoctap
from exploration_samples import is_vietnamese
from hoctap.analysis import exploration as ex
from hoctap.paths import NOTEBOOKS_DIR, Workspace

PACKAGE = Path(ex.__file__).parent
NOTEBOOK = NOTEBOOKS_DIR / "05-explore.ipynb"
# Each module may import only modules of the package of a lower rank.
RANK = {"statistics": 0, "labels": 1, "comparisons": 2, "breakdowns": 3, "views": 4,
        "figures": 4, "reading": 4}


def _hoctap_imports(path: Path) -> set[str]:
    """Every hoctap module ``path`` imports (at the top or inside a function), dotted."""
    package = ["hoctap", "analysis", "exploration"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "hoctap"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1])
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
    assert "from hoctap.analysis import exploration as ex" in code
    assert used <= set(ex.__all__), used - set(ex.__all__)
    assert set(ex.__all__) - used <= {"Exploration"}  # the type load returns
    assert all(hasattr(ex, name) for name in ex.__all__)


# ---- notebook 05 end to end ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory) -> Workspace:
    """The demo sample 2021-2026, cleaned and with indicators: built once for the module."""
    from hoctap.analysis.indicators import build_year
    from hoctap.cleaning.clean import clean_year
    from hoctap.sample.demo import generate

    root = tmp_path_factory.mktemp("explore")
    ws = Workspace.at(root / "data", root / "reports")
    generate(ws, years=range(2021, 2027))
    for year in range(2021, 2027):
        clean_year(ws, year)
        build_year(ws, year)
    return ws


def test_notebook_is_committed_clean_with_its_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in ('data_dir = "../data"', 'reports_dir = "../reports"',
                 'indicator = "family_title_rate"', "year_from = 2021", "year_to = 2026",
                 'geography_date = ""'):
        assert line in params[0].source
    assert all(not c.get("outputs") and not c.get("execution_count")
               for c in nb.cells if c.cell_type == "code")


def test_notebook_runs_on_the_demo_through_papermill(demo_workspace, tmp_path):
    import papermill as pm

    out = tmp_path / "05-explore.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
        parameters={"data_dir": str(demo_workspace.data_dir),
                    "reports_dir": str(demo_workspace.reports_dir)},
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs
                if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 6
    titles = [o["data"].get("text/plain", "") for o in images]
    for title in titles:
        assert title.startswith("Hình: ") and is_vietnamese(title), title
    assert len(set(titles)) == len(titles)  # every figure has its own title
    assert any("theo cấp học của trường báo cáo" in t for t in titles)
    assert any(t.startswith("Hình: Các thôn, buôn của xã") for t in titles)
    markdown = "\n".join(o["data"]["text/markdown"] for o in outputs
                         if "text/markdown" in o.get("data", {}))
    assert "dữ liệu giả lập" in markdown  # the sample is labelled as synthetic
    assert "Thấp nhất là **" in markdown and "người phân tích thay" in markdown  # the reading
    html = "\n".join(o["data"].get("text/html", "") for o in outputs if "data" in o)
    assert "Đạt/tổng số" in html
