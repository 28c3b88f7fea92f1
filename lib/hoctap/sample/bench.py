"""``python -m hoctap.sample.bench --n 2000``: time clean_year against a plain openpyxl read of the same files,
then incremental builds of the demo sample against a full build measured in the same run.

Synthetic workbooks (labelled as such) are cached in the temp folder between runs, keyed by N
and a format version, so the timing measures reading and cleaning, not generating. The demo
sample is generated afresh: its full build is the reference of the incremental ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd

from hoctap.catalog import Catalog
from hoctap.intake import schema
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace

FORMAT_VERSION = 1
YEAR = 2024
COMMUNES = [
    ("TT-PHUTUC", "Thị trấn Phú Túc"),
    ("X-CHUDRANG", "Chư Drăng"),
    ("X-CHUGU", "Chư Gu"),
    ("X-CHUNGOC", "Chư Ngọc"),
    ("X-CHURCAM", "Chư Rcăm"),
    ("X-DATBANG", "Đất Bằng"),
    ("X-IAHDREH", "Ia Hdreh"),
    ("X-IAMLAH", "Ia Mlah"),
    ("X-IARMOK", "Ia Rmok"),
    ("X-IARSAI", "Ia Rsai"),
    ("X-IARSUOM", "Ia Rsươm"),
    ("X-KRONGNANG", "Krông Năng"),
    ("X-PHUCAN", "Phú Cần"),
    ("X-UAR", "Uar"),
]


def _school(i: int) -> tuple[str, str, str, str]:
    code, commune = COMMUNES[i % len(COMMUNES)]
    return f"BX{i:05d}", f"Trường Tiểu học Giả Lập Số {i}", code, commune


def _write_one(args: tuple[int, str]) -> None:
    i, folder = args
    rng = random.Random(i)
    sid, name, _, commune = _school(i)
    wb = openpyxl.Workbook(write_only=True)
    info = {
        "template_id": "HTSD-01",
        "school_code": sid,
        "school_name": name,
        "commune": commune,
        "school_level": "Tiểu học",
        "year": YEAR,
        "report_date": f"{rng.randint(1, 9):02d}/12/{YEAR}",
        "preparer": "Người lập (giả lập)",
        "phone": "0900000000",
    }
    ws = wb.create_sheet("ThongTin")
    ws.append([schema.INFO.title])
    ws.append([])
    for f in schema.INFO.fields:
        ws.append([f.label, info[f.name]])
    ws = wb.create_sheet("DonVi")
    ws.append([schema.UNIT.title])
    ws.append([])
    staff = rng.randint(15, 80)
    unit = {
        "school_unit_title": rng.choice(["Có", "Không"]),
        "staff_total": staff,
        "staff_citizen": rng.randint(0, staff),
        "members_total": staff,
        "members_policy": rng.randint(0, staff),
        "cadres_total": 5,
        "cadres_clc_it": rng.randint(0, 5),
    }
    for f in schema.UNIT.fields:
        ws.append([f.label, unit[f.name]])
    ws = wb.create_sheet("DiaBan")
    ws.append([schema.VILLAGES.title])
    ws.append(["Dữ liệu giả lập (synthetic)"])
    ws.append([f.label for f in schema.VILLAGES.fields])
    for v in range(rng.randint(4, 9)):
        h = rng.randint(40, 300)
        reg = rng.randint(0, h)
        clans = rng.randint(2, 15)
        workers = rng.randint(50, 600)
        ws.append(
            [
                v + 1,
                f"Thôn {i}-{v + 1}",
                h,
                reg,
                rng.randint(0, reg),
                clans,
                rng.randint(0, clans),
                rng.choice(["Có", "Không"]),
                workers,
                rng.randint(0, workers),
            ]
        )
    ws = wb.create_sheet("CoQuan")
    ws.append([schema.ORGS.title])
    ws.append([])
    ws.append([f.label for f in schema.ORGS.fields])
    for o in range(2):
        t = rng.randint(5, 60)
        ws.append([o + 1, f"Cơ quan {i}-{o + 1}", "Cơ quan", "Có", t, rng.randint(0, t)])
    wb.save(Path(folder) / f"truong-{i:05d}.xlsx")


def build(n: int, root: Path) -> Workspace:
    """A workspace with N synthetic submissions and a registry holding their schools (cached)."""
    data = root / "data"
    raw = data / "raw" / str(YEAR)
    done = root / ".complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        raw.mkdir(parents=True)
        shutil.copytree(SHIPPED_REFERENCE_DIR, data / "reference", dirs_exist_ok=True)
        reg = [
            {
                "school_id": sid,
                "name": name,
                "aliases": "",
                "commune_code": code,
                "level": "Tiểu học",
                "active_from": 2021,
                "active_to": "",
                "note": "Dữ liệu giả lập (synthetic)",
            }
            for sid, name, code, _ in map(_school, range(n))
        ]
        pd.DataFrame(reg).to_csv(data / "reference" / "schools.csv", index=False)
        with mp.get_context("fork").Pool(2) as pool:
            pool.map(_write_one, [(i, str(raw)) for i in range(n)], chunksize=50)
        done.write_text("ok")
    return Workspace.at(data, root / "reports")


def _cpu() -> float:
    """User+system CPU seconds of this process and its finished children (the reading pool)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _openpyxl_read(path: Path) -> None:
    pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)


# ---- incremental builds ---------------------------------------------------------------------


def _run_all(ws: Workspace) -> tuple[float, list[str]]:
    """``hoctap run --all`` as the analyst runs it: seconds, and the stages it built (its log line)."""
    args = ["run", "--all", "--data-dir", str(ws.data_dir), "--reports-dir", str(ws.reports_dir)]
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "hoctap", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"hoctap run --all thất bại: {out.stderr.strip()}")
    runs = [e for e in Catalog(ws).read("runs_log") if e["command"] == "run --all"]
    return seconds, runs[-1].get("built", [])


def _change_one_school(ws: Workspace, year: int) -> str:
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


def incremental(root: Path) -> None:
    """The demo sample built whole, again with nothing changed, again after one school's file changed."""
    from hoctap.sample.demo import generate

    shutil.rmtree(root, ignore_errors=True)
    ws = Workspace.at(root / "data", root / "reports")
    generate(ws)
    full, built = _run_all(ws)
    print(f"Lập mọi báo cáo từ dữ liệu mẫu (hoctap run --all, {len(built)} bước): {full:.1f} s")
    nothing, built = _run_all(ws)
    print(
        f"Không có gì thay đổi: {nothing:.1f} s = {100 * nothing / full:.1f} % thời gian lập toàn bộ "
        f"(mục tiêu ≤ 5 %), lập lại {len(built)} bước"
    )
    year = max(ws.raw_years())
    rel = _change_one_school(ws, year)
    one, built = _run_all(ws)
    print(
        f"Một tệp của một trường năm {year} thay đổi ({rel}): {one:.1f} s = {100 * one / full:.1f} % thời gian "
        f"lập toàn bộ (mục tiêu ≤ 50 %), lập lại {len(built)} bước: {', '.join(built)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Đo tốc độ làm sạch so với đọc bằng openpyxl")
    parser.add_argument("--n", type=int, default=2000, help="số bảng tính giả lập")
    parser.add_argument("--baseline-n", type=int, default=None, help="số tệp đọc bằng openpyxl (mặc định: tất cả)")
    parser.add_argument("--dir", default=None, help="thư mục lưu bộ tệp giả lập (mặc định: thư mục tạm)")
    parser.add_argument(
        "--incremental",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="đo thêm lập lại bộ dữ liệu mẫu: toàn bộ, không có gì thay đổi, một tệp thay đổi (vài phút)",
    )
    args = parser.parse_args(argv)
    from hoctap.cleaning.clean import clean_year

    root = Path(args.dir or Path(tempfile.gettempdir()) / f"hoctap-bench-v{FORMAT_VERSION}-{args.n}")
    t0 = time.perf_counter()
    ws = build(args.n, root)
    print(f"Bộ {args.n} bảng tính giả lập: {root} ({time.perf_counter() - t0:.1f} s để chuẩn bị)")
    shutil.rmtree(ws.processed(YEAR), ignore_errors=True)
    shutil.rmtree(ws.reports_year(YEAR), ignore_errors=True)
    runs = []
    for label in ("lần đầu (ghi mới mọi tệp)", "chạy lại (cùng đầu vào)"):
        c0, t0 = _cpu(), time.perf_counter()
        result = clean_year(ws, YEAR)
        runs.append((label, time.perf_counter() - t0, _cpu() - c0))
    accepted = int((result.intake["status"] == "accepted").sum())
    files = sorted(ws.raw(YEAR).glob("*.xlsx"))[: args.baseline_n or None]
    c0, t0 = _cpu(), time.perf_counter()
    for f in files:
        _openpyxl_read(f)
    t_base, cpu_base = time.perf_counter() - t0, _cpu() - c0
    rate_base = len(files) / t_base
    print(
        f"pandas.read_excel(openpyxl), mọi trang: {len(files)} tệp trong {t_base:.2f} s = {rate_base:.1f} bảng tính/giây "
        f"(CPU {1000 * cpu_base / len(files):.2f} ms/bảng tính)"
    )
    for label, wall, cpu in runs:
        rate = args.n / wall
        print(
            f"clean_year {label}: {args.n} tệp ({accepted} được dùng) trong {wall:.2f} s = {rate:.0f} bảng tính/giây, "
            f"nhanh gấp {rate / rate_base:.1f} lần (CPU {1000 * cpu / args.n:.2f} ms/bảng tính, cả tiến trình con)"
        )
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Bộ nhớ đỉnh: tiến trình chính {peak_self:.0f} MB, tiến trình con {peak_children:.0f} MB")
    if args.incremental:
        incremental(Path(tempfile.gettempdir()) / "hoctap-bench-incremental")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
