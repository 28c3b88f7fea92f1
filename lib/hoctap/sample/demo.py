"""The synthetic sample (``hoctap demo``): six years of school workbooks plus their ground truth.

The files imitate what a district office really receives by e-mail: mostly clean workbooks,
some with the tolerated variations of submission-template.md, a handful of bad ones, and
stray files. Beside raw/ (never inside it) ``demo_truth/<year>.json`` records what each file
was meant to be, so the cleaning stage can be backtested. Everything is derived from the seed
through per-year, per-school random streams: the same seed gives byte-identical files, and
generating one year alone gives the same files as generating all six.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter

from hoctap.errors import HoctapError
from hoctap.io import write_bytes, write_text
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace
from hoctap.reference import Reference
from hoctap.sample.demo_cases import FilePlan, _rng
from hoctap.sample.demo_files import (
    render,
    to_ods,
    to_xls,
    to_xlsx,
)
from hoctap.sample.demo_plan import _YearPlanner
from hoctap.sample.demo_world import SYNTHETIC, build_world

# Tolerated variations dealt out to about one file in six each year.

# Bad cases per year: every kind appears in 2025 (the merger year, the stress test) and in
# at least two other years; other years hold a handful.
# Bad kinds that live in a school's own workbook (the others are stray files or extra schools).


# ---- output -------------------------------------------------------------------------------------------


def _bytes_for(plan: FilePlan) -> bytes:
    if plan.raw is not None:
        return plan.raw
    r = _rng("render", plan.rel)
    sheets = render(plan.content, r, old_template=plan.content.orgs is None)
    if plan.fmt == "xls":
        data = to_xls(sheets)
    elif plan.fmt == "ods":
        data = to_ods(sheets)
    else:
        data = to_xlsx(sheets, macro=plan.fmt == "xlsm", description=f"{SYNTHETIC} - {plan.rel}")
    if plan.truncate:
        data = data[: int(len(data) * 0.55)]
    return data


def _truth(plan_year: _YearPlanner, seed: int) -> dict:
    files = {}
    schools = []
    villages = []
    orgs = []
    for p in sorted(plan_year.plans, key=lambda p: p.rel):
        files[p.rel] = {
            "status": p.status,
            "school_id": p.school_id,
            "format": p.fmt,
            "report_date": p.report_date.isoformat() if p.report_date else None,
            "problems": sorted(set(p.problems)),
            "variations": sorted(set(p.variations)),
            "subfolder": "/" in p.rel,
        }
        if p.school:
            school = {"file": p.rel, "file_status": p.status, **p.school}
            if p.status == "superseded":
                school["status"] = "superseded"  # an older version's figures are never used
            schools.append(school)
        villages += p.villages
        orgs += p.orgs
    counts = Counter()
    for f in files.values():
        counts[f"status:{f['status']}"] += 1
        counts[f"format:{f['format']}"] += 1
        for v in f["variations"]:
            counts[f"variation:{v}"] += 1
        for v in f["problems"]:
            counts[f"problem:{v}"] += 1
    return {
        "synthetic": True,
        "note": "DỮ LIỆU GIẢ LẬP - kết quả mong đợi của bộ dữ liệu mẫu, dùng để kiểm thử (backtest)",
        "year": plan_year.year,
        "seed": seed,
        "geography_date": plan_year.geo.isoformat(),
        "expected_schools": plan_year.expected,
        "missing_schools": sorted(plan_year.missing),
        "files": files,
        "schools": schools,
        "villages": villages,
        "orgs": orgs,
        "counts": dict(sorted(counts.items())),
    }


def _ensure_reference(ws: Workspace) -> None:
    """Copy the shipped reference files that the workspace lacks; never overwrite one."""
    ws.reference_dir.mkdir(parents=True, exist_ok=True)
    if ws.reference_dir.resolve() == SHIPPED_REFERENCE_DIR.resolve():
        return
    for src in SHIPPED_REFERENCE_DIR.iterdir():
        dst = ws.reference_dir / src.name
        if src.is_file() and not dst.exists():
            shutil.copy2(src, dst)


def _check_target(ws: Workspace, year: int) -> None:
    """Refuse to mix synthetic files into a folder holding files the demo did not write."""
    folder = ws.raw(year)
    if not folder.is_dir():
        return
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != "README.md"}
    if not present:
        return
    truth_path = ws.data_dir / "demo_truth" / f"{year}.json"
    known = set(json.loads(truth_path.read_text("utf-8"))["files"]) if truth_path.is_file() else set()
    foreign = sorted(present - known)
    if foreign:
        raise HoctapError(
            f"Thư mục {folder} đã có {len(foreign)} tệp không phải dữ liệu giả lập (ví dụ: {foreign[0]}); "
            "không ghi đè. Hãy dùng --data-dir khác cho bộ dữ liệu mẫu."
        )
    for rel in present:  # a previous demo run: replace it wholly
        (folder / rel).unlink()


def generate(ws: Workspace, years=range(2021, 2027), seed: int = 387, progress=None) -> dict:
    """Write the synthetic sample for ``years`` into ``ws`` and return a summary per year."""
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    _ensure_reference(ws)
    ref = Reference(ws.reference_dir)
    world = build_world(ref, seed)
    say(
        f"Tạo dữ liệu giả lập (hạt giống {seed}): {len(world.schools)} trường, {len(world.villages)} thôn, buôn, tổ dân phố."
    )
    summary: dict = {"seed": seed, "years": {}, "villages": len(world.villages)}
    for year in years:
        _check_target(ws, year)
        planner = _YearPlanner(world, year)
        plans = planner.build()
        folder = ws.raw(year)
        for p in plans:
            write_bytes(folder / p.rel, _bytes_for(p))
        truth = _truth(planner, seed)
        write_text(
            ws.data_dir / "demo_truth" / f"{year}.json",
            json.dumps(truth, ensure_ascii=False, indent=1, default=str) + "\n",
        )
        st = Counter(p.status for p in plans)
        summary["years"][year] = {
            "files": len(plans),
            **{f"status_{k}": v for k, v in sorted(st.items())},
        }
        say(
            f"Năm {year}: {len(plans)} tệp ({st['accepted']} hợp lệ, {st['superseded']} bản cũ, "
            f"{st['rejected']} bị từ chối, {st['ignored']} bỏ qua) -> {folder}"
        )
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    say(f"Xong sau {summary['seconds']:.1f} giây. Kết quả mong đợi: {ws.data_dir / 'demo_truth'}")
    return summary
