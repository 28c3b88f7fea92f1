"""The build benchmark of ``make bench``: the demo sample built whole, then rebuilt after each
change an analyst makes, every time through the ``hoctap`` command as the analyst runs it.

Targets (issue 14, 2 cores, environment warm): nothing changed ≤ 5 % of a full build, one
school's file changed ≤ 50 %, the full build ≤ 60 s, one annual report ≤ 5 s. The issue's
baselines (measured before this work on the same machine) are printed beside each figure.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import openpyxl

from hoctap.catalog import Catalog
from hoctap.intake import schema
from hoctap.paths import Workspace

BASELINE = {"full": 188.0, "annual": 19.2}  # seconds, issue 14's "now" column


def _hoctap(ws: Workspace, *args: str) -> tuple[float, list[str]]:
    """Seconds of one ``hoctap`` command and the stages it built (its log line)."""
    dirs = ["--data-dir", str(ws.data_dir), "--reports-dir", str(ws.reports_dir)]
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "hoctap", *args, *dirs], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"hoctap {' '.join(args)} thất bại: {out.stderr.strip()}")
    return seconds, Catalog(ws).read("runs_log")[-1].get("built", [])


def change_one_school(ws: Workspace, year: int) -> str:
    """One accepted workbook of ``year`` resubmitted with one village figure lowered by 3."""
    intake = Catalog(ws).read("intake", year=year)
    for rel in sorted(intake.loc[intake["status"] == "accepted", "path"]):
        if not rel.endswith(".xlsx"):
            continue
        path = ws.raw_root / rel
        wb = openpyxl.load_workbook(path)
        if schema.VILLAGES.name not in wb.sheetnames:
            continue
        sheet = wb[schema.VILLAGES.name]
        for row in range(1, sheet.max_row + 1):
            cell = sheet.cell(row, 5)  # households with the "Gia đình học tập" title, a part of a whole
            if isinstance(cell.value, int) and cell.value > 10:
                cell.value -= 3
                wb.save(path)
                return rel
    raise SystemExit(f"không tìm được tệp nào của năm {year} để sửa")


def _settle_disk() -> None:
    """Write back what earlier parts of the bench left in the page cache (the national year is
    700 MB), so that it is not timed as part of the next command."""
    if hasattr(os, "sync"):
        os.sync()


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %"


def builds(root: Path) -> dict[str, float]:
    """Each measured build, printed as it ends; the seconds by name."""
    from hoctap.sample.demo import generate

    shutil.rmtree(root, ignore_errors=True)
    ws = Workspace.at(root / "data", root / "reports")
    generate(ws)
    jobs = os.environ.get("HOCTAP_JOBS") or "mặc định"
    _settle_disk()
    out: dict[str, float] = {}
    out["full"], built = _hoctap(ws, "run", "--all")
    print(
        f"Lập toàn bộ dữ liệu mẫu (hoctap run --all, {len(built)} bước, số bước song song: {jobs}): "
        f"{out['full']:.1f} s (mục tiêu ≤ 60 s; trước: {BASELINE['full']:.0f} s, "
        f"nhanh gấp {BASELINE['full'] / out['full']:.1f} lần)"
    )
    out["nothing"], built = _hoctap(ws, "run", "--all")
    print(
        f"Không có gì thay đổi: {out['nothing']:.1f} s = {_pct(out['nothing'], out['full'])} thời gian lập toàn bộ "
        f"(mục tiêu ≤ 5 %), lập lại {len(built)} bước"
    )
    year = max(ws.raw_years())
    some = next(p for p in sorted(ws.raw(year).rglob("*")) if p.is_file())
    os.utime(some)
    out["touch"], built = _hoctap(ws, "run", "--all")
    print(f"Sau `touch` một tệp (nội dung không đổi): {out['touch']:.1f} s, lập lại {len(built)} bước")
    _settle_disk()
    runs = []
    for day in (20, 22, 23):  # a new signing date each time: the document and its annex are laid out again
        date = dt.date(year, 12, day).isoformat()
        seconds, built = _hoctap(ws, "report", "annual", "--year", str(year), "--date", date)
        runs.append(seconds)
    out["annual"] = statistics.median(runs)
    print(
        f"Một báo cáo năm {year}, số liệu đã làm sạch, ngày ký khác (hoctap report annual --date ..., trung vị của "
        f"3 lần: {', '.join(f'{s:.1f}' for s in runs)} s): {out['annual']:.1f} s (mục tiêu ≤ 5 s; trước: "
        f"{BASELINE['annual']:.1f} s, nhanh gấp {BASELINE['annual'] / out['annual']:.1f} lần), lập lại {len(built)} "
        f"bước: {', '.join(built)}"
    )
    narrative = Catalog(ws).path("annual_narrative", year=year)
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    out["annual-text"], built = _hoctap(ws, "report", "annual", "--year", str(year), "--date", date)
    print(
        f"Cùng báo cáo sau khi sửa tệp nhận định ({narrative.name}): {out['annual-text']:.1f} s, "
        f"lập lại {len(built)} bước: {', '.join(built)}"
    )
    shutil.rmtree(Catalog(ws).path("chart_cache"), ignore_errors=True)
    date = dt.date(year, 12, 21).isoformat()
    out["annual-cold"], built = _hoctap(ws, "report", "annual", "--year", str(year), "--date", date)
    print(
        f"Cùng báo cáo, ngày ký khác, vẽ lại mọi biểu đồ (bộ nhớ đệm biểu đồ trống): {out['annual-cold']:.1f} s, "
        f"lập lại {len(built)} bước: {', '.join(built)}"
    )
    _hoctap(ws, "run", "--all")  # the annual report back to its default date
    for year in (max(ws.raw_years()), max(ws.raw_years()) - 1):
        rel = change_one_school(ws, year)
        key = f"one-{year}"
        out[key], built = _hoctap(ws, "run", "--all")
        print(
            f"Một tệp của một trường năm {year} thay đổi ({rel}): {out[key]:.1f} s = {_pct(out[key], out['full'])} "
            f"thời gian lập toàn bộ (mục tiêu ≤ 50 %), lập lại {len(built)} bước: {', '.join(built)}"
        )
    return out
