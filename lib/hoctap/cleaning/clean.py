"""The cleaning stage of one year: raw workbooks -> processed tables, ledgers and feedback.

Every file found gets one intake row; every data row read lands in exactly one processed
table with a status; every problem is one issues.csv row whose severity comes from rules.csv.
Outputs are written atomically and sorted, so a rerun on the same inputs is identical.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hoctap.catalog import Catalog
from hoctap.cleaning import rules
from hoctap.cleaning.assess import Assessed, assess, issue_row
from hoctap.cleaning.history import outliers
from hoctap.cleaning.ledgers import completeness, intake_frame, issues_frame, removed_frame, removed_text
from hoctap.cleaning.tables import duplicates, tables
from hoctap.errors import InputError
from hoctap.intake.discovery import Version, choose_versions, discover
from hoctap.intake.sandbox import Failure, Sandbox
from hoctap.intake.workbook import Finding, Submission, read_workbook
from hoctap.paths import Workspace
from hoctap.reference import Reference, year_geography_date

# "detail" holds the technical text (an exception's words) that the Vietnamese message leaves out.
PARALLEL_MIN_FILES = 24


# An exception's name ("CalamineError", "XmlError: ...") is for the detail column, not for a school.


# ---- the year -------------------------------------------------------------------------------


@dataclass
class CleanResult:
    year: int
    intake: pd.DataFrame
    issues: pd.DataFrame
    schools: pd.DataFrame
    villages: pd.DataFrame
    orgs: pd.DataFrame
    completeness: pd.DataFrame
    removed: pd.DataFrame | None = None

    def summary_text(self) -> str:
        """Import summary in the manner of DHIS2, in Vietnamese."""
        st = self.intake["status"].value_counts()
        rows = pd.concat([self.villages["status"], self.orgs["status"]]).value_counts()
        lines = [
            f"TÓM TẮT TIẾP NHẬN NĂM {self.year}",
            f"Tệp: tìm thấy {len(self.intake)}; được dùng {st.get('accepted', 0)}; bị từ chối {st.get('rejected', 0)}; "
            f"bị thay thế {st.get('superseded', 0)}; bỏ qua {st.get('ignored', 0)}.",
            f"Dòng số liệu (thôn và cơ quan): được dùng {rows.get('used', 0)}; cách ly {rows.get('quarantined', 0)}; "
            f"gộp trùng {rows.get('duplicate', 0)}; xung đột (bản không được chọn) {rows.get('conflict-lost', 0)}.",
        ]
        if self.removed is not None and len(self.removed):
            lines.insert(2, removed_text(self.removed))
        if len(self.schools):
            q = int((self.schools["status"] == "quarantined").sum())
            lines.append(
                f"Trường: {len(self.schools)} báo cáo được dùng, trong đó {q} có số liệu nhà trường bị cách ly."
            )
        if len(self.issues):
            names = {"error": "lỗi", "warning": "cảnh báo", "info": "thông tin"}
            lines.append("Vấn đề theo mã và mức độ:")
            grouped = self.issues.groupby(["severity", "code"], sort=False)
            order = {"error": 0, "warning": 1, "info": 2}
            for (sev, code), g in sorted(grouped, key=lambda kv: (order.get(kv[0][0], 3), kv[0][1])):
                files = sorted(set(g["path"].astype(str)))
                shown = ", ".join(files[:5]) + (f" và {len(files) - 5} tệp khác" if len(files) > 5 else "")
                lines.append(f"  - [{names.get(sev, sev)}] {code}: {len(g)} lần, {len(files)} tệp ({shown})")
        else:
            lines.append("Không có vấn đề nào.")
        return "\n".join(lines)


_REFS: dict[str, Reference] = {}


def _reference_key(ref_dir: Path) -> str:
    """Path plus the state of the reference files, so an edited CSV is reloaded."""
    ref_dir = Path(ref_dir)
    stamp = (
        tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in ref_dir.iterdir() if p.is_file()))
        if ref_dir.is_dir()
        else ()
    )
    return f"{ref_dir}|{hash(stamp)}"


def _reference(ref_dir: Path, key: str | None = None) -> Reference:
    """One Reference per process and per state of the reference files.

    Workers forked after it is loaded share its tables instead of parsing the CSVs again.
    """
    key = key or _reference_key(ref_dir)
    if key not in _REFS:
        if len(_REFS) > 8:
            _REFS.clear()
        ref = Reference(ref_dir)
        _ = ref.communes, ref.changes, ref.schools, ref.settings
        _REFS[key] = ref
    return _REFS[key]


def _read_and_assess(job: tuple[Path, str, str, str, int]) -> Assessed:
    path, rel, ref_dir, ref_key, year = job
    return assess(rel, read_workbook(path), _reference(Path(ref_dir), ref_key), year)


def _read_failed(job: tuple[Path, str, str, str, int], failure: Failure) -> Assessed:
    """The verdict of a file whose reading died (timeout, memory, crash): rejected, with why."""
    path, rel, ref_dir, ref_key, year = job
    sub = Submission(
        path=Path(path),
        fatal=failure.code,
        fatal_detail=failure.detail,
        fatal_technical=failure.technical,
    )
    return assess(rel, sub, _reference(Path(ref_dir), ref_key), year)


def _pool(n_files: int = PARALLEL_MIN_FILES) -> Sandbox:
    """Bounded reader processes: always, since a file must never take the run down with it."""
    return Sandbox(workers=max(1, min(2, os.cpu_count() or 1, n_files)))


def _map(pool, fn, jobs: list, on_error=None, sizes: list[int] | None = None):
    """``fn`` over ``jobs``; with ``on_error`` (reading) always in the pool, contained per job.

    Trusted jobs (feedback) run in this process when there are few of them.
    """
    if pool is None or (on_error is None and len(jobs) < PARALLEL_MIN_FILES):
        return [fn(j) for j in jobs]
    return pool.map(fn, jobs, on_error, sizes)


def clean_year(ws: Workspace, year: int, progress=None) -> CleanResult:
    """Read every file under raw/<year>/, write the processed tables, ledgers and feedback."""
    say = progress or (lambda *_: None)
    raw_dir = ws.raw(year)
    if not raw_dir.is_dir():
        raise InputError(f"Không có thư mục dữ liệu thô của năm {year}: {raw_dir}", path=raw_dir)
    ref_key = _reference_key(ws.reference_dir)
    ref = _reference(ws.reference_dir, ref_key)
    geo = year_geography_date(ref.settings, year)
    entries = discover(ws.raw_root, raw_dir)
    readable = [e for e in entries if not e.ignored]
    say(f"Năm {year}: tìm thấy {len(entries)} tệp, đọc {len(readable)} tệp bảng tính...")
    with _pool(len(readable)) if readable else contextlib.nullcontext() as pool, _no_cycle_collection():
        jobs = [(e.path, e.rel, str(ws.reference_dir), ref_key, year) for e in readable]
        assessed = _map(pool, _read_and_assess, jobs, on_error=_read_failed, sizes=[e.size for e in readable])
        return _finish(ws, ref, year, geo, entries, assessed, pool, say)


@contextlib.contextmanager
def _no_cycle_collection():
    """The cycle collector off while the run builds what it keeps to its end (a Submission per
    file, a dict per table row): each of its passes would walk millions of live objects again,
    which at a national scale cost more than building the tables. Cycles made meanwhile are
    collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _finish(ws, ref, year, geo, entries, assessed, pool, say) -> CleanResult:
    say("Đối chiếu phiên bản, trùng lặp và lịch sử...")

    # versions: among files that passed, per school, the latest report_date wins
    by_school: dict[str, list[Assessed]] = defaultdict(list)
    for a in assessed:
        if a.status == "accepted":
            by_school[a.school_id].append(a)
    by_rel = {a.rel: a for a in assessed}
    for group in by_school.values():
        verdict = choose_versions([Version(a.rel, a.sub.info["report_date"], a.sub.fingerprint()) for a in group])
        for rel, (status, other) in verdict.items():
            a = by_rel[rel]
            if status == "accepted":
                continue
            date_txt = a.sub.info["report_date"].strftime("%d/%m/%Y")
            if status == "version_conflict":
                a.status, a.reason_code = "rejected", "version_conflict"
            else:
                a.status, a.reason_code = "superseded", "superseded"
                a.issues = [i for i in a.issues if i["severity"] == "error" and rules.rule(i["code"]).scope == "file"]
            a.issues.append(
                issue_row(
                    rel,
                    year,
                    Finding(a.reason_code, value=date_txt, params={"other": other}),
                    a.school_id,
                )
            )

    issues = [i for a in assessed for i in a.issues]
    for e in entries:
        if e.ignored:
            issues.append(
                issue_row(
                    e.rel,
                    year,
                    Finding(e.code or "ignored_file", value=Path(e.rel).name, params=e.params),
                )
            )

    schools, villages, orgs = tables(assessed, year)
    issues += duplicates(villages, "villages", "village", year, assessed)
    issues += duplicates(orgs, "orgs", "org_name", year, assessed)
    issues += outliers(ws, ref, year, geo, villages, schools, assessed)

    issues_df = issues_frame(issues)
    intake_df = intake_frame(entries, assessed, issues_df, year)
    completeness_df = completeness(ref, year, geo, assessed)
    cat = Catalog(ws)
    removed_df = removed_frame(intake_df, *_history(cat, year), year, dt.date.today())
    if len(removed_df):
        say(removed_text(removed_df))
    out = ws.processed(year)
    say(f"Ghi các bảng vào {out}...")
    for name, df in (
        ("intake", intake_df),
        ("issues", issues_df),
        ("schools", schools),
        ("villages", villages),
        ("orgs", orgs),
        ("completeness", completeness_df),
        ("removed", removed_df),
    ):
        cat.write(name, df, year=year)
    from hoctap.cleaning.feedback import feedback_jobs, write_one

    say(f"Ghi phản hồi cho từng trường vào {ws.feedback_dir(year)}...")

    _map(pool, write_one, feedback_jobs(ws, year, assessed, issues_df))
    say(f"Đã ghi kết quả vào {out}")
    return CleanResult(year, intake_df, issues_df, schools, villages, orgs, completeness_df, removed_df)


def _history(cat: Catalog, year: int) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The intake ledger this run replaces and the removals recorded before; a ledger that no
    longer reads (edited by hand, damaged) is no history, never a reason to stop."""
    out = []
    for name in ("intake", "removed"):
        try:
            out.append(cat.read(name, optional=True, year=year, dtype=str))
        except Exception:  # any damage: pandas' parser errors, a missing column, undecodable bytes
            out.append(None)
    return out[0], out[1]
