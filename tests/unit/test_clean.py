"""clean_year on crafted corpora: outcomes per file, ledger invariants, versions, duplicates,
history outliers, geography, idempotence, raw files untouched and atomic writes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from builders import corpus
from builders.corpus import Book, default_info, village, write_xlsx
from hoctap import io
from hoctap.cleaning.clean import clean_year
from hoctap.errors import HoctapError
from hoctap.intake.workbook import read_workbook
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace

YEAR = corpus.YEAR
TABLES = (
    "intake.csv",
    "issues.csv",
    "schools.parquet",
    "villages.parquet",
    "orgs.parquet",
    "completeness.csv",
    "removed.csv",
)


def _ws(root: Path) -> Workspace:
    shutil.copytree(SHIPPED_REFERENCE_DIR, root / "data" / "reference")
    (root / "data" / "raw").mkdir(parents=True)
    return Workspace.at(root / "data", root / "reports")


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The whole corpus cleaned once (twice, for the idempotence test)."""
    ws = _ws(tmp_path_factory.mktemp("corpus"))
    cases = corpus.build_corpus(ws.raw(YEAR))
    before = _digests(ws.raw_root)
    result = clean_year(ws, YEAR)
    first = {name: (ws.processed(YEAR) / name).read_bytes() for name in TABLES}
    frames = {name: pd.read_parquet(ws.processed(YEAR) / name) for name in TABLES if name.endswith(".parquet")}
    feedback = _digests(ws.feedback_dir(YEAR))
    again = clean_year(ws, YEAR)
    return {
        "ws": ws,
        "cases": cases,
        "result": result,
        "again": again,
        "first": first,
        "frames": frames,
        "before": before,
        "feedback": feedback,
    }


def test_each_case_has_its_outcome(run):
    res = run["result"]
    intake = res.intake.set_index("path")
    for case in run["cases"]:
        rel = f"{YEAR}/{case.filename}"
        assert intake.loc[rel, "status"] == case.status, case.name
        used = res.villages[(res.villages["source_path"] == rel) & (res.villages["status"] == "used")]
        assert len(used) == case.rows_used, case.name
        codes = set(res.issues.loc[res.issues["path"] == rel, "code"])
        assert set(case.codes) <= codes, (case.name, codes)
        if case.status == "rejected":
            assert intake.loc[rel, "reason"], case.name
            assert intake.loc[rel, "n_errors"] >= 1


def test_ledger_every_file_once_every_row_once(run):
    ws, res = run["ws"], run["result"]
    found = sorted(p.relative_to(ws.raw_root).as_posix() for p in ws.raw(YEAR).rglob("*") if p.is_file())
    assert sorted(res.intake["path"]) == found
    for rel in found:
        status = res.intake.set_index("path").loc[rel, "status"]
        if status == "ignored":
            assert (res.issues["path"] == rel).any()
            continue
        sub = read_workbook(ws.raw_root / rel)
        if sub.fatal:  # unreadable: the reason is in issues.csv, no rows anywhere
            assert (res.issues["path"] == rel).any()
            assert not (res.villages["source_path"] == rel).any()
            continue
        for table, rows in ((res.villages, sub.villages), (res.orgs, sub.orgs)):
            mine = table[table["source_path"] == rel]
            assert sorted(mine["source_row"]) == sorted(r.source_row for r in rows), rel
    keys = res.villages[["source_path", "source_row"]]
    assert not keys.duplicated().any()
    assert set(res.villages["status"]) <= {
        "used",
        "quarantined",
        "duplicate",
        "conflict-lost",
        "superseded",
        "rejected",
    }


def test_columns_and_types(run):
    ws = run["ws"]
    out = ws.processed(YEAR)
    intake = io.read_csv(out / "intake.csv")
    for col in [
        "path",
        "sha256",
        "size_bytes",
        "status",
        "school_id",
        "school_name",
        "commune_code",
        "report_date",
        "n_errors",
        "n_warnings",
        "reason",
        "year",
    ]:
        assert col in intake.columns
    issues = io.read_csv(out / "issues.csv")
    for col in [
        "path",
        "school_id",
        "sheet",
        "row",
        "column",
        "field",
        "value",
        "code",
        "severity",
        "message",
        "year",
    ]:
        assert col in issues.columns
    assert set(issues["severity"]) <= {"error", "warning", "info"}
    comp = io.read_csv(out / "completeness.csv")
    for col in [
        "school_id",
        "school_name",
        "commune_code",
        "submitted",
        "on_time",
        "report_date",
        "status",
        "expected",
        "registered",
        "year",
    ]:
        assert col in comp.columns
    v = pd.read_parquet(out / "villages.parquet")
    assert str(v["households_total"].dtype) == "Int64" and str(v["community_title"].dtype) == "boolean"
    assert str(v["report_date"].dtype) == "datetime64[ns]"
    assert v.loc[v["source_path"] == f"{YEAR}/sub/variants.xlsx", "households_total"].tolist()[0] == 1234
    s = pd.read_parquet(out / "schools.parquet")
    for col in [
        "school_id",
        "school_name",
        "school_code",
        "registered",
        "commune_code",
        "commune_raw",
        "school_level",
        "report_date",
        "template_id",
        "preparer",
        "phone",
        "school_unit_title",
        "staff_total",
        "staff_citizen",
        "members_total",
        "members_policy",
        "cadres_total",
        "cadres_clc_it",
        "source_path",
        "status",
        "year",
    ]:
        assert col in s.columns
    assert (
        s.loc[s["school_id"] == "KP022", "commune_code"].item() == "X-DATBANG"
    )  # name without "Trường", no code, no diacritics
    assert bool(s.loc[s["school_id"].str.startswith("CHUADK"), "registered"].item()) is False
    o = pd.read_parquet(out / "orgs.parquet")
    assert {
        "commune_code",
        "org_name",
        "org_type",
        "org_unit_title",
        "org_staff_total",
        "org_staff_citizen",
        "school_id",
        "source_path",
        "source_row",
        "status",
    } <= set(o.columns)


def test_messages_name_the_cell_and_the_fix(run):
    iss = run["result"].issues
    msg = iss.loc[iss["code"] == "formula_no_cache", "message"].item()
    assert "DiaBan!I4" in msg
    msg = iss.loc[iss["code"] == "commune_unknown", "message"].item()
    assert "Ia Rsaii Mới" in msg and "có phải" in msg and "Ia Rsai" in msg
    part = iss.loc[iss["code"] == "part_whole", "message"].item()
    assert part.startswith('Ô DiaBan!E7: số hộ đạt "Gia đình học tập" (150) lớn hơn tổng số hộ (100)')


def test_rerun_is_identical_and_raw_untouched(run):
    ws = run["ws"]
    for name in TABLES:
        now = (ws.processed(YEAR) / name).read_bytes()
        if name.endswith(".csv"):
            assert now == run["first"][name], name
        else:
            pd.testing.assert_frame_equal(pd.read_parquet(ws.processed(YEAR) / name), run["frames"][name])
    assert _digests(ws.raw_root) == run["before"]
    assert _digests(ws.feedback_dir(YEAR)) == run["feedback"] and run["feedback"]


def test_summary_and_completeness_and_feedback(run):
    res, ws = run["result"], run["ws"]
    text = res.summary_text()
    assert "tìm thấy 22" in text and "bỏ qua 3" in text and "bị từ chối 8" in text
    assert "[lỗi] commune_unknown: 1 lần, 1 tệp (2024/unknown-commune.xlsx)" in text
    comp = res.completeness.set_index("school_id")
    assert comp.loc["KP001", "submitted"] and comp.loc["KP001", "on_time"] and comp.loc["KP001", "status"] == "accepted"
    assert not comp.loc["KP002", "submitted"] and comp.loc["KP002", "status"] == "missing"
    assert comp.loc["KP036", "status"] == "rejected"
    assert comp["expected"].sum() == len(
        pd.read_csv(ws.reference_dir / "schools.csv").query(
            "active_from <= 2024 and (active_to != active_to or active_to >= 2024)"
        )
    )
    fb = ws.feedback_dir(YEAR) / "KP025.xlsx"
    rows = [[c for c in r] for r in openpyxl.load_workbook(fb).active.iter_rows(values_only=True)]
    assert ("Tệp", "Trang", "Ô", "Mức độ", "Mã", "Cần sửa") in [tuple(r) for r in rows]
    assert any(r[4] == "percent_in_count" and "DiaBan!C4" in r[5] for r in rows if r[4])
    assert (ws.feedback_dir(YEAR) / "KP001.xlsx").is_file()


def test_missing_year_folder_is_a_one_line_error(workspace):
    with pytest.raises(HoctapError) as err:
        clean_year(workspace, 2027)
    assert "2027" in str(err.value) and "\n" not in str(err.value)


def _book(code, name, commune, date, villages=None, **unit):
    info = default_info(school_code=code, school_name=name, commune=commune, report_date=date)
    info["year"] = int(date[-4:]) if isinstance(date, str) else date.year
    return Book(info=info, villages=villages or corpus.default_villages(), unit=corpus.default_unit(**unit))


def test_versions_latest_wins_same_date_conflict(workspace):
    raw = workspace.raw(YEAR)
    write_xlsx(_book("KP001", "MN Hoa Sen", "Phú Túc", "01/12/2024"), raw / "a-old.xlsx")
    write_xlsx(_book("KP001", "MN Hoa Sen", "Phú Túc", "05/12/2024"), raw / "a-new.xlsx")
    write_xlsx(_book("KP001", "MN Hoa Sen", "Phú Túc", "05/12/2024"), raw / "copy" / "a-new-copy.xlsx")
    write_xlsx(
        _book("KP002", "TH Lê Lợi", "Phú Túc", "05/12/2024", [village("Thôn 9", 10)]),
        raw / "b1.xlsx",
    )
    write_xlsx(
        _book("KP002", "TH Lê Lợi", "Phú Túc", "05/12/2024", [village("Thôn 9", 20)]),
        raw / "b2.xlsx",
    )
    res = clean_year(workspace, YEAR)
    st = res.intake.set_index("path")["status"]
    assert (
        st["2024/a-new.xlsx"] == "accepted"
        and st["2024/a-old.xlsx"] == "superseded"
        and st["2024/copy/a-new-copy.xlsx"] == "superseded"
    )
    assert st["2024/b1.xlsx"] == "rejected" and st["2024/b2.xlsx"] == "rejected"
    conflict = res.issues[res.issues["code"] == "version_conflict"]
    assert sorted(conflict["path"]) == ["2024/b1.xlsx", "2024/b2.xlsx"] and (conflict["severity"] == "error").all()
    v = res.villages
    assert set(v.loc[v["source_path"] == "2024/a-old.xlsx", "status"]) == {"superseded"}
    assert set(v.loc[v["source_path"] == "2024/b1.xlsx", "status"]) == {"rejected"}
    assert list(res.schools["school_id"]) == ["KP001"]


def test_duplicates_merge_and_conflicts_between_schools(workspace):
    raw = workspace.raw(YEAR)
    write_xlsx(
        _book(
            "KP001",
            "MN Hoa Sen",
            "Phú Túc",
            "05/12/2024",
            [village("Thôn 1", 100), village("Thôn 2", 120)],
        ),
        raw / "a.xlsx",
    )
    write_xlsx(
        _book(
            "KP002",
            "TH Lê Lợi",
            "Phú Túc",
            "06/12/2024",
            [village("thon 1", 100), village("Thôn 2", 150)],
        ),
        raw / "b.xlsx",
    )
    res = clean_year(workspace, YEAR)
    v = res.villages.set_index(["source_path", "village"])["status"]
    assert v[("2024/b.xlsx", "thon 1")] == "used" and v[("2024/a.xlsx", "Thôn 1")] == "duplicate"
    assert v[("2024/b.xlsx", "Thôn 2")] == "used" and v[("2024/a.xlsx", "Thôn 2")] == "conflict-lost"
    iss = res.issues
    assert (iss.loc[iss["code"] == "duplicate_merged", "severity"] == "info").all()
    conflict = iss[iss["code"] == "conflict"]
    assert sorted(conflict["school_id"]) == ["KP001", "KP002"] and (conflict["severity"] == "warning").all()
    assert (res.villages["status"] == "used").sum() == 2


def test_outliers_against_history_follow_commune_changes(workspace):
    ref = workspace.reference_dir
    write_xlsx(
        _book(
            "KP016",
            "MN Sơn Ca",
            "Chư Ngọc",
            "05/12/2024",
            [village("Thôn Sơn Ca", 100), village("Thôn Ổn", 100)],
            staff_total=40,
        ),
        workspace.raw(2024) / "a.xlsx",
    )
    clean_year(workspace, 2024)
    rows = [
        village("Thôn Sơn Ca", 100, households_total=200, households_family_title=150),
        village("Thôn Ổn", 105),
    ]
    write_xlsx(
        _book("KP016", "MN Sơn Ca", "Chư Ngọc", "05/12/2025", rows, staff_total=80),
        workspace.raw(2025) / "a.xlsx",
    )
    res = clean_year(workspace, 2025)
    assert ref.is_dir()
    assert set(res.villages["commune_code"]) == {"XM-PHUTUC"}
    iss = res.issues
    assert "commune_changed" in set(iss["code"])
    count = iss[iss["code"] == "outlier_count"]
    assert set(count["field"]) == {"households_total", "households_family_title", "staff_total"}
    assert "DiaBan!C4" in set(count["cell"])
    rate = iss[iss["code"] == "outlier_rate"]
    # 25% -> 75% of households; staff citizens 30/40 -> 30/80; Thôn Ổn (+5) is not flagged
    assert set(rate["field"]) == {"households_family_title", "staff_citizen"}
    assert (iss.loc[iss["code"].str.startswith("outlier"), "severity"] == "warning").all()


def test_report_before_merge_is_carried_to_year_geography(workspace):
    write_xlsx(_book("KP016", "MN Sơn Ca", "Chư Ngọc", "20/06/2025"), workspace.raw(2025) / "a.xlsx")
    res = clean_year(workspace, 2025)
    assert res.schools["commune_code"].item() == "XM-PHUTUC"
    assert "commune_changed" not in set(res.issues["code"])  # the commune existed on its report date


def test_ambiguous_commune_rejects_the_file_and_names_candidates(workspace):
    path = workspace.reference_dir / "communes.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "TT-IARSAI,Ia Rsai,thị trấn,2021-01-01,2025-06-30,\n",
        encoding="utf-8",
    )
    write_xlsx(_book("KP035", "MN Bình Minh", "Ia Rsai", "05/12/2024"), workspace.raw(YEAR) / "a.xlsx")
    res = clean_year(workspace, YEAR)
    assert res.intake["status"].item() == "rejected"
    msg = res.issues.loc[res.issues["code"] == "commune_ambiguous", "message"].item()
    assert "thị trấn Ia Rsai" in msg and "xã Ia Rsai" in msg


def test_unit_error_quarantines_the_school(workspace):
    write_xlsx(
        _book("KP001", "MN Hoa Sen", "Phú Túc", "05/12/2024", staff_citizen=90),
        workspace.raw(YEAR) / "a.xlsx",
    )
    res = clean_year(workspace, YEAR)
    assert res.schools["status"].item() == "quarantined"
    assert (res.villages["status"] == "used").all()


def test_atomic_write_keeps_previous_file_on_real_failure(tmp_path):
    target = tmp_path / "t.parquet"
    good = pd.DataFrame({"a": [1, 2, 3]})
    io.write_parquet(target, good)
    bad = pd.DataFrame({"a": [1, "x", object()]})  # pyarrow cannot convert this column
    with pytest.raises((TypeError, ValueError)):  # pyarrow's ArrowTypeError/ArrowInvalid derive from these
        io.write_parquet(target, bad)
    pd.testing.assert_frame_equal(pd.read_parquet(target), good)

    class Exploding:
        def __str__(self):
            raise RuntimeError("boom mid-write")

    csv = tmp_path / "t.csv"
    io.write_csv(csv, pd.DataFrame({"a": ["x"] * 5}))
    before = csv.read_bytes()
    with pytest.raises(RuntimeError):
        io.write_csv(csv, pd.DataFrame({"a": ["y"] * 50_000 + [Exploding()]}, dtype=object))
    assert csv.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "t.csv",
        "t.parquet",
    ]  # no temporary left behind


def test_edited_reference_is_reloaded_between_runs(workspace):
    write_xlsx(_book("", "Trường Mầm non Mới Mở", "Phú Túc", "05/12/2024"), workspace.raw(YEAR) / "a.xlsx")
    first = clean_year(workspace, YEAR)
    assert "unregistered_school" in set(first.issues["code"])
    reg = workspace.reference_dir / "schools.csv"
    reg.write_text(
        reg.read_text(encoding="utf-8") + "KP099,Trường Mầm non Mới Mở,,TT-PHUTUC,Mầm non,2024,,\n",
        encoding="utf-8",
    )
    second = clean_year(workspace, YEAR)
    assert list(second.schools["school_id"]) == ["KP099"] and "unregistered_school" not in set(second.issues["code"])


def test_notebook_views_speak_vietnamese():
    import pandas as pd

    from hoctap.cleaning.views import intake_view, issues_view, problem_files_view

    intake = pd.DataFrame(
        {
            "path": ["2024/a.xlsx", "2024/b.xlsx", "2024/~$c.xlsx"],
            "status": ["accepted", "rejected", "ignored"],
            "reason": [None, "Tệp bị hỏng", "tệp tạm"],
        }
    )
    assert intake_view(intake).values.tolist() == [
        ["đã tiếp nhận", 1],
        ["bị từ chối", 1],
        ["bỏ qua (không phải biểu mẫu)", 1],
    ]
    assert problem_files_view(intake)["Tệp"].tolist() == ["2024/~$c.xlsx", "2024/b.xlsx"]
    issues = pd.DataFrame(
        {
            "path": ["a", "a", "b"],
            "severity": ["warning", "error", "error"],
            "code": ["conflict", "part_whole", "part_whole"],
        }
    )
    assert issues_view(issues).values.tolist() == [
        ["Lỗi (phải sửa)", "part_whole", 2, 2],
        ["Cảnh báo (kiểm tra lại)", "conflict", 1, 1],
    ]


def test_a_file_taken_away_is_listed_as_gone_until_it_comes_back(tmp_path):
    """removed.csv: a file an earlier cleaning listed, with its status then and the day it was
    found gone; kept through later runs, dropped when a file is back under the same path."""
    import datetime as dt

    ws = _ws(tmp_path)
    raw = ws.raw(YEAR)
    raw.mkdir(parents=True)
    books = {
        "a.xlsx": _book("KP001", "Trường Mầm non Hoa Sen", "Phú Túc", "10/11/2024"),
        "b.xlsx": _book("KP002", "Trường Tiểu học Lê Lợi", "Phú Túc", "10/11/2024"),
        "c.xlsx": _book("KP003", "Trường Tiểu học Nguyễn Du", "Phú Túc", "10/11/2024"),
    }
    for name, book in books.items():
        write_xlsx(book, raw / name)
    first = clean_year(ws, YEAR)
    assert first.removed.empty and list(first.removed.columns)[:3] == ["year", "path", "sha256"]
    digest = first.intake.set_index("path").loc[f"{YEAR}/b.xlsx", "sha256"]
    (raw / "b.xlsx").unlink()
    second = clean_year(ws, YEAR)
    gone = pd.read_csv(ws.processed(YEAR) / "removed.csv", dtype=str)
    assert gone[["path", "sha256", "status", "school_id"]].values.tolist() == [
        [f"{YEAR}/b.xlsx", digest, "accepted", "KP002"]
    ]
    assert gone["detected"].item() == dt.date.today().isoformat()
    assert "nay không còn trong thư mục: 1 (2024/b.xlsx)" in second.summary_text()
    assert "KP002" not in set(second.schools["school_id"])

    (ws.processed(YEAR) / "removed.csv").write_text(  # found gone on an earlier day: that day is kept
        (ws.processed(YEAR) / "removed.csv")
        .read_text(encoding="utf-8-sig")
        .replace(dt.date.today().isoformat(), "2024-12-01"),
        encoding="utf-8-sig",
    )
    (raw / "c.xlsx").unlink()
    third = clean_year(ws, YEAR)
    assert third.removed[["path", "detected"]].values.tolist() == [
        [f"{YEAR}/b.xlsx", "2024-12-01"],
        [f"{YEAR}/c.xlsx", dt.date.today().isoformat()],
    ]

    write_xlsx(books["b.xlsx"], raw / "b.xlsx")  # sent again under the same name
    fourth = clean_year(ws, YEAR)
    assert fourth.removed["path"].tolist() == [f"{YEAR}/c.xlsx"]

    (raw / "email").mkdir()
    (raw / "a.xlsx").rename(raw / "email" / "a (1).xlsx")  # moved, its bytes still there: not gone
    fifth = clean_year(ws, YEAR)
    assert fifth.removed["path"].tolist() == [f"{YEAR}/c.xlsx"]
    assert f"{YEAR}/email/a (1).xlsx" in set(fifth.intake["path"])


def test_a_damaged_earlier_ledger_is_no_history_and_no_failure(tmp_path):
    ws = _ws(tmp_path)
    raw = ws.raw(YEAR)
    raw.mkdir(parents=True)
    write_xlsx(_book("KP001", "Trường Mầm non Hoa Sen", "Phú Túc", "10/11/2024"), raw / "a.xlsx")
    ws.processed(YEAR).mkdir(parents=True)
    (ws.processed(YEAR) / "intake.csv").write_bytes(b'\xff\xfe\x00garbage\n"unterminated')
    (ws.processed(YEAR) / "removed.csv").write_text("no,columns,we,know\n1,2,3,4\n")
    result = clean_year(ws, YEAR)
    assert result.removed.empty
    assert result.intake["status"].tolist() == ["accepted"]
