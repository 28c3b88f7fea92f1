"""The synthetic sample: deterministic, labelled, and each intended defect really on disk."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineError, CalamineWorkbook

from hoctap.errors import HoctapError
from hoctap.intake import schema
from hoctap.paths import Workspace
from hoctap.reference import Reference
from hoctap.sample.demo import generate
from hoctap.text import label_key, sheet_key

YEARS = range(2021, 2027)
BOOKS = {".xlsx", ".xlsm", ".xls", ".ods"}


pytestmark = pytest.mark.slow  # the demo sample is built by the whole pipeline (session fixture)


@pytest.fixture(scope="module")
def demo(demo_sample) -> Workspace:
    """The session's demo sample 2021-2026 (read-only)."""
    return demo_sample


def _truth(ws: Workspace, year: int) -> dict:
    return json.loads((ws.data_dir / "demo_truth" / f"{year}.json").read_text("utf-8"))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _book(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}


def _sheet(book: dict, sheet: schema.Sheet) -> list[list]:
    keys = {sheet_key(sheet.name), *(sheet_key(a) for a in sheet.aliases)}
    return next(rows for name, rows in book.items() if sheet_key(name) in keys)


def _pairs(rows: list[list]) -> dict[str, object]:
    out = {}
    for row in rows:
        cells = [c for c in row if c != ""]
        if len(cells) >= 2:
            out[label_key(cells[-2])] = cells[-1]
        elif len(cells) == 1:
            out.setdefault(label_key(cells[0]), "")
    return out


def _field(book: dict, sheet: schema.Sheet, name: str) -> object:
    return _pairs(_sheet(book, sheet)).get(label_key(sheet.field(name).label), "")


def _table(book: dict, sheet: schema.Sheet) -> list[dict]:
    """Rows of a clean table sheet as {field: value} (bad-case files carry no layout variation)."""
    rows = _sheet(book, sheet)
    keys = {label_key(f.label): f.name for f in sheet.fields}
    h = next(i for i, r in enumerate(rows) if sum(label_key(c) in keys for c in r) >= 3)
    cols = {j: keys[label_key(c)] for j, c in enumerate(rows[h]) if label_key(c) in keys}
    out = []
    for r in rows[h + 1 :]:
        rec = {cols[j]: v for j, v in enumerate(r) if j in cols}
        name = rec.get("village") or rec.get("org_name")
        if name and name != "Tổng cộng":
            out.append(rec)
    return out


def test_same_seed_gives_byte_identical_files(demo, tmp_path):
    again = Workspace.at(tmp_path / "data", tmp_path / "reports")
    generate(again, years=[2021, 2025])
    for year in (2021, 2025):
        assert _files(again.raw(year)) == _files(demo.raw(year))
        assert _truth(again, year) == _truth(demo, year)
    other = Workspace.at(tmp_path / "other", tmp_path / "r2")
    generate(other, years=[2025], seed=1)
    assert _files(other.raw(2025)) != _files(demo.raw(2025))


def test_truth_lists_exactly_the_files_on_disk(demo):
    for year in YEARS:
        truth = _truth(demo, year)
        on_disk = set(_files(demo.raw(year)))
        assert set(truth["files"]) == on_disk
        assert not any(p.startswith("demo_truth") for p in on_disk)
        formats = {}
        for rel, f in truth["files"].items():
            formats[f["format"]] = formats.get(f["format"], 0) + 1
            ext = Path(rel).suffix.lower()
            if f["format"] in ("xlsx", "xlsm", "xls", "ods", "pdf", "docx"):
                assert ext == "." + f["format"], rel
        counts = truth["counts"]
        assert all(counts[f"format:{k}"] == v for k, v in formats.items())
        n = len(truth["files"])
        assert 55 <= n <= 70
        varied = sum(bool(set(f["variations"]) - {"old_template"}) for f in truth["files"].values())
        assert 0.1 * n <= varied <= 0.3 * n, varied
        bad = sum(f["status"] in ("rejected", "ignored") for f in truth["files"].values())
        assert 2 <= bad <= 12


def test_registry_changes_and_templates_by_year(demo):
    for year in YEARS:
        truth = _truth(demo, year)
        ids = {f["school_id"] for f in truth["files"].values()}
        assert ("KP017" in truth["expected_schools"]) == (year <= 2023)
        assert ("KP053" in truth["expected_schools"]) == (year >= 2024)
        assert ("KP017" in ids) == (year <= 2023 and "KP017" not in truth["missing_schools"])
        checked = 0
        for rel, f in truth["files"].items():
            if f["status"] != "accepted" or f["format"] not in ("xlsx", "xlsm"):
                continue
            book = _book(demo.raw(year) / rel)
            has_orgs = any(sheet_key(n) in ("coquan", "coquantochuc") for n in book)
            assert has_orgs == (year >= 2023), rel
            assert (label_key("Mẫu biểu") in _pairs(_sheet(book, schema.INFO))) == (year >= 2023)
            checked += 1
        assert checked, f"{year}: no accepted xlsx/xlsm file to check"


def test_variations_are_really_on_disk(demo):
    ref = Reference(demo.reference_dir)
    seen = set()
    for year in YEARS:
        for rel, f in _truth(demo, year)["files"].items():
            if f["status"] != "accepted" or Path(rel).suffix not in BOOKS:
                continue
            path = demo.raw(year) / rel
            book = _book(path)
            v = set(f["variations"])
            seen |= v
            canonical = {s.name for s in schema.SHEETS}
            if "sheet_names" in v:
                assert not set(book) & canonical, rel
            elif "extra_sheet" not in v:
                assert set(book) <= canonical, rel
            if "sheet_order" in v:
                assert [n for n in book if n in canonical] != [s.name for s in schema.SHEETS][: len(book)]
            if "count_text" in v:
                assert any(isinstance(r[-1], str) and r[-1] for r in _sheet(book, schema.UNIT)[3:]), rel
            if "empty_code" in v:
                assert _field(book, schema.INFO, "school_code") == ""
            if "format_xlsm" in v:
                assert b"macroEnabled" in zipfile.ZipFile(path).read("[Content_Types].xml")
            if "total_formula" in v:
                import openpyxl

                ws = openpyxl.load_workbook(path)[_sheet_name(book, schema.VILLAGES)]
                formulas = [
                    c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=SUM")
                ]
                assert formulas
                cached = _sheet(book, schema.VILLAGES)[formulas[0].row - 1][formulas[0].column - 1]
                assert isinstance(cached, float) and cached > 0
            if "total_row" in v or "total_mismatch" in v:
                assert any("Tổng cộng" in r for r in _sheet(book, schema.VILLAGES))
            if "old_commune_name" in v:
                written = _field(book, schema.INFO, "commune")
                date = ref.resolve_commune(written, __import__("datetime").date(year, 12, 1))
                assert date.via_change, (rel, written)
            if "two_row_header" in v and path.suffix == ".xlsx":
                import openpyxl

                assert openpyxl.load_workbook(path)[_sheet_name(book, schema.VILLAGES)].merged_cells.ranges
    wanted = {
        "sheet_names",
        "sheet_order",
        "extra_sheet",
        "header_case",
        "header_no_diacritics",
        "header_linebreak",
        "header_abbrev",
        "column_order",
        "extra_columns",
        "title_block",
        "two_row_header",
        "blank_rows",
        "numbered_labels",
        "count_text",
        "yesno_symbols",
        "total_row",
        "total_formula",
        "total_mismatch",
        "school_name_variant",
        "empty_code",
        "commune_variant",
        "text_date",
        "format_xls",
        "format_ods",
        "format_xlsm",
        "old_template",
        "old_commune_name",
    }
    assert wanted <= seen, wanted - seen


def _sheet_name(book: dict, sheet: schema.Sheet) -> str:
    keys = {sheet_key(sheet.name), *(sheet_key(a) for a in sheet.aliases)}
    return next(n for n in book if sheet_key(n) in keys)


def test_each_bad_case_has_its_defect(demo):
    ref = Reference(demo.reference_dir)
    year = 2025
    truth = _truth(demo, year)
    found = set()
    by_school = {}
    for rel, f in truth["files"].items():
        path = demo.raw(year) / rel
        problems = set(f["problems"])
        by_school.setdefault((f["school_id"], f["status"]), []).append(rel)
        if "corrupt" in problems:
            with pytest.raises(CalamineError):
                _book(path)
        elif "lock_file" in problems:
            assert path.name.startswith("~$") and f["status"] == "ignored"
        elif "hidden_file" in problems:
            assert path.name.startswith(".") and f["status"] == "ignored"
        elif "other_format" in problems:
            assert path.suffix in (".pdf", ".docx") and f["status"] == "ignored"
        elif "empty" in problems:
            assert all(not any(c != "" for r in rows for c in r) for rows in _book(path).values())
        else:
            book = _book(path)
            assert "Dữ liệu giả lập" in str(_field(book, schema.INFO, "preparer"))
            assert any("DỮ LIỆU GIẢ LẬP" in str(c) for r in _sheet(book, schema.INFO) for c in r)
            villages = _table(book, schema.VILLAGES)
            if "wrong_year" in problems:
                assert int(_field(book, schema.INFO, "year")) != year
            if "unknown_commune" in problems:
                assert (
                    ref.resolve_commune(
                        _field(book, schema.INFO, "commune"),
                        __import__("datetime").date(year, 12, 1),
                    ).code
                    is None
                )
            if "unregistered_school" in problems:
                assert (
                    ref.find_school(
                        None,
                        _field(book, schema.INFO, "school_name"),
                        None,
                        __import__("datetime").date(year, 12, 1),
                    )
                    == []
                )
            if "part_whole" in problems:
                assert any(
                    isinstance(r["clans_title"], float) and r["clans_title"] > r["clans_total"] for r in villages
                )
            if "unit_part_whole" in problems:
                assert _field(book, schema.UNIT, "staff_citizen") > _field(book, schema.UNIT, "staff_total")
            if "awarded_without_registering" in problems:
                assert any(r["households_family_title"] > r["households_registered"] for r in villages)
            if "percent_in_count" in problems:
                assert any(str(r["households_family_title"]).endswith("%") for r in villages)
            if "negative_count" in problems:
                assert any(isinstance(r["clans_title"], float) and r["clans_title"] < 0 for r in villages)
            if "outlier" in problems:
                past = {v["village"]: v["figures"]["households_total"] for v in _truth(demo, year - 1)["villages"]}
                assert any(r["village"] in past and r["households_total"] > 1.5 * past[r["village"]] for r in villages)
        found |= problems
    dups = [rels for (sid, status), rels in by_school.items() if status == "rejected" and len(rels) == 2]
    assert dups
    a, b = (_book(demo.raw(year) / r) for r in dups[0])
    assert _field(a, schema.INFO, "report_date") == _field(b, schema.INFO, "report_date")
    assert _table(a, schema.VILLAGES) != _table(b, schema.VILLAGES)
    assert {
        "corrupt",
        "empty",
        "lock_file",
        "hidden_file",
        "other_format",
        "wrong_year",
        "unknown_commune",
        "unregistered_school",
        "part_whole",
        "unit_part_whole",
        "awarded_without_registering",
        "percent_in_count",
        "negative_count",
        "outlier",
        "duplicate_same_date",
        "superseded",
        "late",
        "village_duplicate",
        "village_conflict",
        "total_mismatch",
        "commune_via_change",
    } <= found


def test_figures_move_toward_targets_with_persistent_commune_gaps(demo):
    def rates(year):
        used = [v for v in _truth(demo, year)["villages"] if v["status"] == "used"]
        area = sum(v["figures"]["households_family_title"] for v in used) / sum(
            v["figures"]["households_total"] for v in used
        )
        by = {}
        for v in used:
            t = by.setdefault(v["old_commune_code"], [0, 0])
            t[0] += v["figures"]["households_family_title"]
            t[1] += v["figures"]["households_total"]
        return 100 * area, {c: a / b for c, (a, b) in by.items()}

    first, last = rates(2021), rates(2025)
    assert 40 <= first[0] <= 52 and 66 <= last[0] <= 76
    top = max(first[1], key=first[1].get)
    bottom = min(first[1], key=first[1].get)
    assert last[1][top] > last[1][bottom] + 0.1


def test_labelled_synthetic_and_reference_kept(demo, tmp_path):
    truth = _truth(demo, 2024)
    rel = next(r for r, f in truth["files"].items() if f["format"] == "xlsx" and f["status"] == "accepted")
    core = zipfile.ZipFile(demo.raw(2024) / rel).read("docProps/core.xml").decode()
    assert "GIẢ LẬP" in core
    # existing reference files are never overwritten; missing ones are copied
    ws = Workspace.at(tmp_path / "data", tmp_path / "reports")
    ws.reference_dir.mkdir(parents=True)
    shutil.copy(demo.reference_dir / "settings.toml", ws.reference_dir / "settings.toml")
    custom = (ws.reference_dir / "settings.toml").read_text("utf-8").replace("deadline_day = 10", "deadline_day = 15")
    (ws.reference_dir / "settings.toml").write_text(custom, "utf-8")
    generate(ws, years=[2021])
    assert (ws.reference_dir / "settings.toml").read_text("utf-8") == custom
    assert (ws.reference_dir / "schools.csv").is_file()
    # a folder holding real (non-demo) files is refused
    (ws.raw(2022)).mkdir(parents=True)
    (ws.raw(2022) / "bao cao that.xlsx").write_bytes(b"real")
    with pytest.raises(HoctapError, match="không ghi đè"):
        generate(ws, years=[2022])
