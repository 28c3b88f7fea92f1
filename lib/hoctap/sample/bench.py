"""``python -m hoctap.sample.bench --n 2000``: time clean_year against a plain openpyxl read of the
same files; then a national-scale year (``--national``, 45,000 workbooks) cleaned the same way, with
its peak memory and the cost of checking its stage; then incremental builds of the demo sample
against a full build measured in the same run.

Synthetic workbooks (labelled as such) are cached in the temp folder between runs, keyed by N and
a format version, so the timing measures reading and cleaning, not generating. They are made fast
(``_Template``): openpyxl writes one workbook, and every file is that workbook with its sheets'
cells rendered the way openpyxl renders them, zipped by ``zipfile``. The demo sample is generated
afresh: its full build is the reference of the incremental ratios.
"""

from __future__ import annotations

import argparse
import io as _io
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pandas as pd

from hoctap import hashing, stages
from hoctap.intake import schema
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace

FORMAT_VERSION = 2
YEAR = 2024
# Vietnam has had 3,321 communes since 1 July 2025 and has about 45,000 schools (preschool to upper
# secondary): the synthetic registry keeps that ratio, about 13.6 schools per commune, at any N.
NATION_SCHOOLS = 45_000
NATION_COMMUNES = 3_321
SYNTHETIC = "Dữ liệu giả lập (synthetic)"
SHEET_NAMES = tuple(s.name for s in schema.SHEETS)


def _communes(n: int) -> list[tuple[str, str]]:
    """(code, name) of the synthetic communes of an N-school registry."""
    count = max(1, round(n * NATION_COMMUNES / NATION_SCHOOLS))
    return [(f"XGL-{k:04d}", f"Giả Lập {k:04d}") for k in range(count)]


def _school(i: int, communes: list[tuple[str, str]]) -> tuple[str, str, str, str]:
    code, commune = communes[i % len(communes)]
    return f"BX{i:05d}", f"Trường Tiểu học Giả Lập Số {i}", code, commune


def _content(i: int, communes: list[tuple[str, str]]) -> list[list[list]]:
    """The rows of each sheet (ThongTin, DonVi, DiaBan, CoQuan) of school ``i``'s workbook."""
    rng = random.Random(i)
    sid, name, _, commune = _school(i, communes)
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
    villages = [[schema.VILLAGES.title], [SYNTHETIC], [f.label for f in schema.VILLAGES.fields]]
    for v in range(rng.randint(4, 9)):
        h = rng.randint(40, 300)
        reg = rng.randint(0, h)
        clans = rng.randint(2, 15)
        workers = rng.randint(50, 600)
        villages.append(
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
    orgs = [[schema.ORGS.title], [], [f.label for f in schema.ORGS.fields]]
    for o in range(2):
        t = rng.randint(5, 60)
        orgs.append([o + 1, f"Cơ quan {i}-{o + 1}", "Cơ quan", "Có", t, rng.randint(0, t)])
    return [
        [[schema.INFO.title], [], *([f.label, info[f.name]] for f in schema.INFO.fields)],
        [[schema.UNIT.title], [], *([f.label, unit[f.name]] for f in schema.UNIT.fields)],
        villages,
        orgs,
    ]


def _openpyxl_bytes(sheets: list[list[list]]) -> bytes:
    """The workbook as openpyxl (write-only) saves it: the template, and the reference of the check."""
    wb = openpyxl.Workbook(write_only=True)
    for name, rows in zip(SHEET_NAMES, sheets, strict=True):
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = _io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xml_text(text: str) -> str:
    # openpyxl escapes &, <, > and writes every other non-ASCII character as a reference
    return escape(text).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _sheet_data(rows: list[list]) -> str:
    """``<sheetData>`` as openpyxl's write-only worksheet renders these rows (numbers and text)."""
    out = ["<sheetData>"]
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(v, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{_xml_text(v)}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}" t="n"><v>{v}</v></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData>")
    return "".join(out)


_DATE = (YEAR, 12, 1, 0, 0, 0)
_SHEET_MEMBER = re.compile(r"xl/worksheets/sheet(\d+)\.xml")


class _Template:
    """The zip members of an openpyxl-made workbook; a file is them with its own ``<sheetData>``."""

    def __init__(self, communes: list[tuple[str, str]]) -> None:
        with zipfile.ZipFile(_io.BytesIO(_openpyxl_bytes(_content(0, communes)))) as zf:
            self.members = [(info.filename, zf.read(info)) for info in zf.infolist()]
        fixed = f"{_DATE[0]}-{_DATE[1]:02d}-{_DATE[2]:02d}T00:00:00Z".encode()
        self.members = [
            (n, re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + fixed, d)) for n, d in self.members
        ]
        self.sheets: dict[str, tuple[str, str]] = {}
        for name, data in self.members:
            if _SHEET_MEMBER.fullmatch(name):
                text = data.decode("utf-8")
                head, rest = text.split("<sheetData>", 1)
                self.sheets[name] = (head, rest.split("</sheetData>", 1)[1])

    def workbook(self, sheets: list[list[list]]) -> bytes:
        buf = _io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.members:
                m = _SHEET_MEMBER.fullmatch(name)
                if m:
                    head, tail = self.sheets[name]
                    data = (head + _sheet_data(sheets[int(m.group(1)) - 1]) + tail).encode("utf-8")
                zf.writestr(zipfile.ZipInfo(name, date_time=_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
        return buf.getvalue()


_TEMPLATE: _Template | None = None  # built in the parent, inherited by the forked writers


def _write_range(args: tuple[int, int, str, int]) -> None:
    start, stop, folder, n = args
    communes = _communes(n)
    for i in range(start, stop):
        Path(folder, f"truong-{i:05d}.xlsx").write_bytes(_TEMPLATE.workbook(_content(i, communes)))


def _check_sample(raw: Path, n: int, communes: list[tuple[str, str]]) -> None:
    """A few files are what openpyxl itself writes (sheet XML byte for byte) and what it reads back."""
    for i in sorted({0, n // 2, n - 1}):
        path = raw / f"truong-{i:05d}.xlsx"
        sheets = _content(i, communes)
        with zipfile.ZipFile(path) as mine, zipfile.ZipFile(_io.BytesIO(_openpyxl_bytes(sheets))) as ref:
            for name in ref.namelist():
                if _SHEET_MEMBER.fullmatch(name) and mine.read(name) != ref.read(name):
                    raise SystemExit(f"{path}: {name} khác với bản openpyxl ghi")
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            for name, rows in zip(SHEET_NAMES, sheets, strict=True):
                got = [[v for v in r if v is not None] for r in wb[name].iter_rows(values_only=True)]
                if got != [list(r) for r in rows]:
                    raise SystemExit(f"{path}: trang {name} đọc bằng openpyxl không khớp dữ liệu đã ghi")
        finally:
            wb.close()


def build(n: int, root: Path) -> Workspace:
    """A workspace with N synthetic submissions and a registry holding their schools (cached)."""
    global _TEMPLATE
    data = root / "data"
    raw = data / "raw" / str(YEAR)
    done = root / ".complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        raw.mkdir(parents=True)
        shutil.copytree(SHIPPED_REFERENCE_DIR, data / "reference", dirs_exist_ok=True)
        communes = _communes(n)
        shipped = pd.read_csv(data / "reference" / "communes.csv", dtype=str, keep_default_na=False)
        blank = dict.fromkeys(shipped.columns, "")
        extra = pd.DataFrame(
            [{**blank, "code": c, "name": name, "kind": "xã", "valid_from": "2021-01-01"} for c, name in communes],
            columns=shipped.columns,
        )
        pd.concat([shipped, extra]).to_csv(data / "reference" / "communes.csv", index=False)
        reg = [
            {
                "school_id": sid,
                "name": name,
                "aliases": "",
                "commune_code": code,
                "level": "Tiểu học",
                "active_from": 2021,
                "active_to": "",
                "note": SYNTHETIC,
            }
            for sid, name, code, _ in (_school(i, communes) for i in range(n))
        ]
        pd.DataFrame(reg).to_csv(data / "reference" / "schools.csv", index=False)
        _TEMPLATE = _Template(communes)
        step = 500
        with mp.get_context("fork").Pool(2) as pool:
            pool.map(_write_range, [(s, min(n, s + step), str(raw), n) for s in range(0, n, step)], chunksize=1)
        _check_sample(raw, n, communes)
        done.write_text("ok")
    return Workspace.at(data, root / "reports")


def _cpu() -> float:
    """User+system CPU seconds of this process and its finished children (the reading pool)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _openpyxl_read(path: Path) -> None:
    pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)


def _openpyxl_rate(files: list[Path]) -> tuple[float, float]:
    """(workbooks per second, CPU ms per workbook) of a plain openpyxl read of every sheet."""
    c0, t0 = _cpu(), time.perf_counter()
    for f in files:
        _openpyxl_read(f)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return len(files) / wall, 1000 * cpu / len(files)


# ---- memory of the process tree -------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (Linux /proc: the children of each of its threads)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) bytes of one process; PSS shares the pages a forked worker still has in common
    with its parent among them, RSS counts those pages in each process."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


class TreeMemory:
    """Peak memory of this process and all its children together (the reading pool's workers),
    sampled every ``interval`` seconds: ``ru_maxrss`` gives only the largest child, and only once
    it has ended."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.rss = self.pss = self.children = 0
        self.supported = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        me = os.getpid()
        kids = _descendants(me)
        both = [_memory(p) for p in (me, *kids)]
        self.rss = max(self.rss, sum(r for r, _ in both))
        self.pss = max(self.pss, sum(p for _, p in both))
        self.children = max(self.children, len(kids))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeMemory:
        if self.supported:
            self.sample()
            self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        if self.supported:
            self._stop.set()
            self._thread.join()
            self.sample()

    def text(self) -> str:
        if not self.supported:
            return "không đo được (cần /proc của Linux)"
        mb = 1 << 20
        return (
            f"{self.pss / mb:.0f} MB PSS, {self.rss / mb:.0f} MB RSS cộng dồn (tiến trình chính và "
            f"{self.children} tiến trình con; RSS đếm nhiều lần các trang dùng chung sau fork)"
        )


def _disk(folder: Path) -> tuple[int, int]:
    """(bytes on disk, files) below ``folder``."""
    used = count = 0
    for root, _, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            used += st.st_blocks * 512
            count += 1
    return used, count


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB".replace(",", ".")


# ---- incremental builds ---------------------------------------------------------------------


def stage_check(ws: Workspace, year: int) -> tuple[float, float, int, int]:
    """Seconds of ``stages.check`` of the year's cleaning without the digest cache, then with it
    (in a fresh process state both times), the files it hashes, and the cache file's size."""
    stage = stages.clean_stage(ws, year)
    stages.write_stamp(ws, stage, stages.fingerprint(ws, stage), 0.0)
    cache_file = stages.digests(ws).path
    out = []
    for cold in (True, False):
        hashing.forget()
        if cold:
            cache_file.unlink(missing_ok=True)
        t0 = time.perf_counter()
        state = stages.check(ws, stage)
        out.append(time.perf_counter() - t0)
    files = sum(1 for k in state.fingerprint if k.startswith("data:")) + len((state.stamp or {}).get("products", {}))
    return out[0], out[1], files, cache_file.stat().st_size


def national(n: int, baseline_n: int, root: Path) -> None:
    """A year of ``n`` workbooks (the country's schools): clean_year once, its peak memory, the
    disk it takes, and the check of its stage with and without the digest cache."""
    from hoctap.cleaning.clean import clean_year

    print(f"--- Quy mô toàn quốc: {n} trường, {len(_communes(n))} xã (dữ liệu giả lập) ---")
    t0 = time.perf_counter()
    ws = build(n, root)
    print(f"Bộ {n} bảng tính giả lập: {root} ({time.perf_counter() - t0:.1f} s để chuẩn bị)")
    shutil.rmtree(ws.processed_root, ignore_errors=True)
    shutil.rmtree(ws.reports_year(YEAR), ignore_errors=True)
    files = sorted(ws.raw(YEAR).glob("*.xlsx"))
    sample = files[:: max(1, len(files) // baseline_n)][:baseline_n]
    rate_base, cpu_base = _openpyxl_rate(sample)
    print(
        f"pandas.read_excel(openpyxl), mọi trang, đo trên {len(sample)} tệp lấy đều trong {n} tệp: "
        f"{rate_base:.1f} bảng tính/giây (CPU {cpu_base:.2f} ms/bảng tính); cả {n} tệp sẽ mất khoảng "
        f"{n / rate_base / 60:.0f} phút"
    )
    with TreeMemory() as mem:
        c0, t0 = _cpu(), time.perf_counter()
        result = clean_year(ws, YEAR)
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
    accepted = int((result.intake["status"] == "accepted").sum())
    rate = n / wall
    print(
        f"clean_year lần đầu: {n} tệp ({accepted} được dùng) trong {wall:.1f} s = {rate:.0f} bảng tính/giây, "
        f"nhanh gấp {rate / rate_base:.1f} lần (mục tiêu ≥ 5 lần, ≤ 90 s; CPU {1000 * cpu / n:.2f} ms/bảng tính, "
        "cả tiến trình con)"
    )
    print(f"Bộ nhớ đỉnh khi làm sạch: {mem.text()} (mục tiêu ≤ 2 GB)")
    raw_bytes, raw_files = _disk(ws.raw(YEAR))
    proc_bytes, _ = _disk(ws.processed_root)
    fb_bytes, fb_files = _disk(ws.feedback_dir(YEAR))
    print(
        f"Dung lượng: thư mục thô raw/{YEAR} {_mb(raw_bytes)} ({raw_files} tệp), processed/ {_mb(proc_bytes)}, "
        f"phản hồi reports/{YEAR}/phan-hoi {_mb(fb_bytes)} ({fb_files} tệp)"
    )
    cold, warm, hashed, size = stage_check(ws, YEAR)
    print(
        f"Kiểm tra bước làm sạch năm {YEAR} (như hoctap status, {hashed} tệp đầu vào và sản phẩm): "
        f"{cold:.2f} s khi chưa có bộ nhớ đệm mã băm, {warm:.2f} s khi có "
        f"(processed/.stamps/digests.json, {_mb(size)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Đo tốc độ làm sạch so với đọc bằng openpyxl")
    parser.add_argument("--n", type=int, default=2000, help="số bảng tính giả lập")
    parser.add_argument("--baseline-n", type=int, default=None, help="số tệp đọc bằng openpyxl (mặc định: tất cả)")
    parser.add_argument("--dir", default=None, help="thư mục lưu bộ tệp giả lập (mặc định: thư mục tạm)")
    parser.add_argument(
        "--national",
        type=int,
        default=NATION_SCHOOLS,
        help=f"số bảng tính của phần quy mô toàn quốc (mặc định {NATION_SCHOOLS}; 0: bỏ qua)",
    )
    parser.add_argument(
        "--national-baseline-n",
        type=int,
        default=1000,
        help="số tệp (lấy đều) đọc bằng openpyxl để so sánh ở phần quy mô toàn quốc",
    )
    parser.add_argument(
        "--incremental",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="đo thêm lập lại bộ dữ liệu mẫu: toàn bộ, không có gì thay đổi, touch, một báo cáo năm, một tệp thay đổi (vài phút)",
    )
    args = parser.parse_args(argv)
    from hoctap.cleaning.clean import clean_year

    root = Path(args.dir or Path(tempfile.gettempdir()) / f"hoctap-bench-v{FORMAT_VERSION}-{args.n}")
    print(f"--- {args.n} trường, {len(_communes(args.n))} xã (dữ liệu giả lập) ---")
    t0 = time.perf_counter()
    ws = build(args.n, root)
    print(f"Bộ {args.n} bảng tính giả lập: {root} ({time.perf_counter() - t0:.1f} s để chuẩn bị)")
    shutil.rmtree(ws.processed(YEAR), ignore_errors=True)
    shutil.rmtree(ws.reports_year(YEAR), ignore_errors=True)
    runs = []
    with TreeMemory() as mem:
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
    print(
        f"Bộ nhớ đỉnh: tiến trình chính {peak_self:.0f} MB, tiến trình con lớn nhất {peak_children:.0f} MB; "
        f"cả cây tiến trình khi làm sạch: {mem.text()}"
    )
    if args.national:
        base = Path(args.dir).parent if args.dir else Path(tempfile.gettempdir())
        national(args.national, args.national_baseline_n, base / f"hoctap-bench-v{FORMAT_VERSION}-{args.national}")
    if args.incremental:
        from hoctap.sample.bench_builds import builds

        print("--- Lập lại bộ dữ liệu mẫu (2021-2026) ---")
        builds(Path(tempfile.gettempdir()) / "hoctap-bench-incremental")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
