"""The data catalog: paths from patterns, columns checked on read and write, atomic writes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from hoctap import catalog
from hoctap.catalog import DATASETS, Catalog, Dataset
from hoctap.errors import HoctapError
from hoctap.io import write_csv
from hoctap.paths import PROJECT_ROOT, Workspace

PACKAGE = PROJECT_ROOT / "lib" / "hoctap"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace.at(tmp_path / "data", tmp_path / "reports")


def _issues(n: int = 2) -> pd.DataFrame:
    return pd.DataFrame({c: [f"{c}{i}" for i in range(n)] for c in catalog.ISSUE_COLUMNS})


def test_paths_follow_the_patterns_on_the_workspace_folders(ws):
    cat = Catalog(ws)
    assert cat.path("intake", year=2025) == ws.processed(2025) / "intake.csv"
    assert cat.path("schools", year=2025).parent == ws.processed(2025)
    keys = {"kind": "so-ket", "year_from": 2021, "year_to": 2025}
    assert cat.path("period_summary", **keys) == ws.period(**keys) / "summary.csv"
    assert cat.path("period_html", **keys) == ws.reports_period(**keys) / "so-ket-2021-2025.html"
    assert cat.path("annual_pdf", year=2025) == ws.reports_year(2025) / "bao-cao-nam-2025.pdf"
    assert cat.path("feedback", year=2025, school_id="TH01") == ws.feedback_dir(2025) / "TH01.xlsx"
    notebook = cat.path("year_notebook", year=2025, notebook="01-clean.ipynb")
    assert notebook.parent == ws.reports_year(2025)
    assert cat.path("index") == ws.reports_dir / "index.html"
    assert cat.path("runs_log") == ws.processed_root / "runs.log"
    with pytest.raises(TypeError, match="year"):
        cat.path("intake")
    with pytest.raises(KeyError):
        cat.path("no-such-dataset", year=2025)


def test_every_dataset_has_a_known_format_root_and_unique_path():
    assert len({d.name for d in DATASETS}) == len(DATASETS)
    assert len({d.pattern for d in DATASETS}) == len(DATASETS)
    for name in (
        "intake",
        "issues",
        "schools",
        "villages",
        "orgs",
        "completeness",
        "indicators",
        "period_indicators",
        "period_summary",
        "period_candidates",
        "period_notes",
        "runs_log",
    ):
        assert name in catalog.BY_NAME
    assert "detail" in catalog.dataset("issues").columns
    with pytest.raises(ValueError):
        Dataset("x", "elsewhere/{year}/x.csv", "csv")
    with pytest.raises(ValueError):
        Dataset("x", "processed/{year}/x.xml", "xml")


def test_write_orders_declared_columns_first_then_extras_then_tail(ws):
    cat = Catalog(ws)
    df = _issues()[list(reversed(catalog.ISSUE_COLUMNS))].assign(extra="e")
    path = cat.write("issues", df, year=2025)
    back = cat.read("issues", year=2025)
    assert list(back.columns) == [*catalog.ISSUE_COLUMNS, "extra"]
    assert path == cat.path("issues", year=2025) and cat.exists("issues", year=2025)
    indicators = pd.DataFrame(
        {c: [1] for c in ("x", *catalog.INDICATOR_DIAGNOSTICS[::-1], *catalog.INDICATOR_COLUMNS[::-1])}
    )
    cat.write("indicators", indicators, year=2025)
    assert list(cat.read("indicators", year=2025).columns) == [
        *catalog.INDICATOR_COLUMNS,
        *catalog.INDICATOR_DIAGNOSTICS,
        "x",
    ]
    order = (*catalog.ROW_TAIL, "households_total", *catalog.VILLAGE_COLUMNS)
    villages = pd.DataFrame({c: [1] for c in order})
    cat.write("villages", villages, year=2025)
    assert list(cat.read("villages", year=2025).columns) == [
        *catalog.VILLAGE_COLUMNS,
        "households_total",
        *catalog.ROW_TAIL,
    ]


def test_read_names_the_file_and_the_missing_column(ws):
    cat = Catalog(ws)
    path = cat.path("issues", year=2025)
    write_csv(path, _issues().drop(columns=["detail"]))  # an issues.csv from before "detail"
    with pytest.raises(HoctapError) as info:
        cat.read("issues", year=2025)
    text = str(info.value)
    assert "\n" not in text and str(path) in text and "detail" in text and "thiếu cột" in text
    assert "hoctap clean --year 2025" in text
    assert cat.read("intake", optional=True, year=2025) is None
    with pytest.raises(HoctapError, match="chưa có tệp"):
        cat.read("intake", year=2025)


def test_a_write_with_a_missing_column_leaves_the_old_file_whole(ws):
    cat = Catalog(ws)
    path = cat.write("issues", _issues(3), year=2025)
    before = path.read_bytes()
    with pytest.raises(HoctapError, match="severity"):
        cat.write("issues", _issues(1).drop(columns=["severity"]), year=2025)
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary beside it
    assert not list(ws.staging_dir.glob("*.tmp*"))  # nor in the staging folder


def test_text_and_log(ws):
    cat = Catalog(ws)
    keys = {"kind": "tong-ket", "year_from": 2021, "year_to": 2030}
    cat.write("period_notes", "Xã A\n", **keys)
    assert cat.read("period_notes", **keys) == "Xã A\n"
    cat.append("runs_log", {"command": "clean", "note": "tiếng Việt"})
    cat.append("runs_log", {"command": "indicators"})
    assert [e["command"] for e in cat.read("runs_log")] == ["clean", "indicators"]
    with pytest.raises(TypeError):
        cat.read("annual_html", year=2025)


def test_the_code_declares_the_catalog_columns():
    from hoctap.analysis import indicators, periods
    from hoctap.cleaning import ledgers

    assert ledgers.ISSUE_COLUMNS == list(catalog.ISSUE_COLUMNS)
    assert ledgers.INTAKE_COLUMNS == list(catalog.INTAKE_COLUMNS)
    assert indicators.COLUMNS == [*catalog.INDICATOR_COLUMNS, *catalog.INDICATOR_DIAGNOSTICS]
    assert periods.SUMMARY_COLUMNS == list(catalog.SUMMARY_COLUMNS)
    assert periods.CANDIDATE_COLUMNS == list(catalog.CANDIDATE_COLUMNS)


# ---- no file name of a dataset outside the catalog -------------------------------------------


def _file_names() -> set[str]:
    """The fixed last parts of the catalog's patterns (``intake.csv``, ``bao-cao-nam-``...)."""
    names = set()
    for d in DATASETS:
        last = d.pattern.rsplit("/", 1)[-1]
        fixed = [p for p in re.split(r"\{[^}]*\}", last) if len(p) > 1]
        names.update(p for p in fixed if not re.fullmatch(r"[-.]?\w{0,5}", p))
    return names


def _literals(path: Path) -> list[tuple[int, str]]:
    """String constants of a module, docstrings left out (a docstring may name a file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def _offenders(root: Path) -> list[str]:
    names = _file_names()
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(n)}" for n in sorted(names)))
    hits = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "catalog.py":
            continue
        for line, text in _literals(path):
            if pattern.search(text):
                hits.append(f"{path.relative_to(root)}:{line}: {text!r}")
    return hits


def test_the_file_names_are_the_datasets_own():
    names = _file_names()
    assert {
        "intake.csv",
        "issues.csv",
        "schools.parquet",
        "indicators.csv",
        "notes.txt",
        "runs.log",
        "index.html",
        "bao-cao-nam-",
    } <= names


def test_no_dataset_file_name_outside_the_catalog():
    """Notebook names and resources (rules.csv, reference/*.csv) are not datasets and may stay."""
    assert _offenders(PACKAGE) == []


def test_the_file_name_check_can_fail(tmp_path):
    (tmp_path / "bad.py").write_text(
        '"""Reads processed/<Y>/issues.csv (a docstring may say so)."""\n'
        'PATH = "processed/2025/issues.csv"\n'
        'OK = "rules.csv"\n',
        encoding="utf-8",
    )
    assert _offenders(tmp_path) == ["bad.py:2: 'processed/2025/issues.csv'"]
