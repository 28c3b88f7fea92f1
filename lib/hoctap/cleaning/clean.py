"""The cleaning stage of one year: raw workbooks -> processed tables, ledgers and feedback.

Every file found gets one intake row; every data row read lands in exactly one processed
table with a status; every problem is one issues.csv row whose severity comes from rules.csv.
Outputs are written atomically and sorted, so a rerun on the same inputs is identical.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from hoctap import io
from hoctap.cleaning import rules
from hoctap.errors import HoctapError
from hoctap.intake import schema
from hoctap.intake.discovery import FileEntry, Version, choose_versions, discover
from hoctap.intake.sandbox import Failure, Sandbox
from hoctap.intake.workbook import Finding, Submission, read_workbook
from hoctap.paths import Workspace
from hoctap.reference import Reference, on_time, year_geography_date
from hoctap.text import fold, nfc, school_key

COUNT_VILLAGE = schema.count_fields(schema.VILLAGES)
COUNT_ORG = schema.count_fields(schema.ORGS)
COUNT_UNIT = schema.count_fields(schema.UNIT)
RATES = {
    "villages": (("households_family_title", "households_total"), ("clans_title", "clans_total"), ("workers_citizen", "workers_total")),
    "unit": (("staff_citizen", "staff_total"), ("members_policy", "members_total"), ("cadres_clc_it", "cadres_total")),
}
LABELS = {f.name: f.label for s in schema.SHEETS for f in s.fields}
# "detail" holds the technical text (an exception's words) that the Vietnamese message leaves out.
ISSUE_COLUMNS = ["year", "path", "school_id", "sheet", "row", "column", "cell", "field", "value", "code", "severity", "message",
                 "detail"]
INTAKE_COLUMNS = ["year", "path", "sha256", "size_bytes", "status", "school_id", "school_name", "commune_code",
                  "report_date", "n_errors", "n_warnings", "reason"]
PARALLEL_MIN_FILES = 24


# ---- one file ---------------------------------------------------------------------------------

@dataclass
class Assessed:
    """A submission with its identity resolved and its file-level verdict."""

    rel: str
    sub: Submission
    issues: list[dict] = field(default_factory=list)
    status: str = "accepted"  # accepted | rejected | superseded
    reason_code: str = ""
    school_id: str = ""
    registered: bool = False
    commune_code: str | None = None
    commune_named: str | None = None


TECHNICAL_PARAMS = ("technical", "exception", "error_detail")  # Finding.params keys for the detail column
# An exception's name ("CalamineError", "XmlError: ...") is for the detail column, not for a school.
_EXCEPTION_TEXT = re.compile(r"^[A-Z][A-Za-z0-9_.]*(?:Error|Exception|Exc|Warning)\b")
_TECHNICAL_VI = "lỗi kỹ thuật khi đọc tệp"
_CELL_PARAMS = ("cell", "value", "sheet", "row")  # what the school wrote: never rewritten


def _issue(rel: str, year: int, f: Finding, school_id: str = "", **extra) -> dict:
    params = {"cell": f.cell, "value": f.value, "sheet": f.sheet, "row": f.row or "", **f.params, **extra}
    technical = [str(params.pop(k)) for k in TECHNICAL_PARAMS if params.get(k)]
    for k, v in params.items():  # no exception name reaches a message: it goes to "detail"
        if k not in _CELL_PARAMS and isinstance(v, str) and _EXCEPTION_TEXT.match(v):
            technical.append(v)
            params[k] = _TECHNICAL_VI
    return {
        "year": year, "path": rel, "school_id": school_id, "sheet": nfc(f.sheet), "row": f.row, "column": f.column,
        "cell": nfc(f.cell) if f.row else "", "field": f.field, "value": nfc(f.value), "code": f.code,
        "severity": rules.severity(f.code), "message": nfc(rules.message(f.code, **params)),
        "detail": nfc(" | ".join(dict.fromkeys(technical)))[:500],
    }


@lru_cache(maxsize=4096)
def _resolve(ref: Reference, name: str, on: dt.date):
    return ref.resolve_commune(name, on)


@lru_cache(maxsize=4096)
def _carry(ref: Reference, code: str, on: dt.date) -> str | None:
    """The commune valid on ``on`` that ``code`` became (itself when still valid)."""
    succ = ref.successors(code, on)
    return next(iter(succ)) if len(succ) == 1 else None


@lru_cache(maxsize=16)
def _registry_ids(ref: Reference) -> frozenset[str]:
    return frozenset(ref.schools["school_id"])


@lru_cache(maxsize=8192)
def _find_school(ref: Reference, code: str, name: str, commune: str | None, on: dt.date) -> tuple[str, ...]:
    if code.strip() in _registry_ids(ref):  # the first step of Reference.find_school, without a set per call
        return (code.strip(),)
    return tuple(ref.find_school(code, name, commune, on))


def assess(rel: str, sub: Submission, ref: Reference, folder_year: int | None, today: dt.date | None = None) -> Assessed:
    """File verdict and identity; ``folder_year`` None (hoctap check) skips the year-folder rule.

    ``today`` (default: the day of the run) bounds the report date: see ``_date_findings``.
    """
    a = Assessed(rel, sub)
    info = sub.info
    year = folder_year or info.get("year") or 0
    if sub.fatal:
        a.status, a.reason_code = "rejected", sub.fatal
        detail = sub.fatal_detail or ""
        technical = sub.fatal_technical or ""  # exception text (workbook.read_workbook), for "detail"
        if _EXCEPTION_TEXT.match(detail):  # e.g. "CalamineError": the school reads a sentence instead
            detail, technical = "không mở được bằng trình đọc bảng tính", technical or detail
        a.issues.append(_issue(rel, year, Finding(sub.fatal, params={"detail": detail, "value": detail, "technical": technical,
                                                                    "expected": "20 MB" if sub.fatal == "file_too_large" else "200 MB"})))
        return a
    for f in sub.findings:
        a.issues.append(_issue(rel, year, f))
    info_sheet = sub.sheets.get("info")
    blocking = [i for i in a.issues if i["severity"] == "error" and (rules.rule(i["code"]).scope == "file" or (info_sheet and i["sheet"] == info_sheet))]
    cells = sub.info_cells
    if folder_year is not None and isinstance(info.get("year"), int) and info["year"] != folder_year:
        a.issues.append(_issue(rel, year, _cell_finding("wrong_year", cells.get("year", ""), "year", str(info["year"])), expected=folder_year))
        blocking.append(a.issues[-1])
    report_date = info.get("report_date")
    geo = year_geography_date(ref.settings, year) if year else None
    commune_name = info.get("commune")
    founded = None  # (commune, valid_from) when the report date is before the commune existed
    if commune_name and geo:
        on = report_date or geo
        match = _resolve(ref, commune_name, on)
        if match.code is None and report_date:
            later = _resolve(ref, commune_name, geo)
            born = _valid_from(ref, later.named_code) if later.code else None
            if born and report_date < born:  # a new commune, dated before it existed: a date problem
                match, founded = later, (later.named_code, born)
        if match.code is None and match.named_code is None and not match.candidates and report_date:
            match = _resolve(ref, commune_name, geo)
        if match.code is None:
            if match.candidates:
                code, cands = "commune_ambiguous", ", ".join(ref.commune_label(c) for c in match.candidates)
            else:
                near = ref.commune_candidates(commune_name)
                code, cands = "commune_unknown", (f" (có phải: {', '.join(near)}?)" if near else "")
            a.issues.append(_issue(rel, year, _cell_finding(code, cells.get("commune", ""), "commune", commune_name), candidates=cands))
            blocking.append(a.issues[-1])
        else:
            a.commune_named = match.code
            if match.via_change:
                a.issues.append(_issue(rel, year, _cell_finding("commune_changed", cells.get("commune", ""), "commune", commune_name),
                                       expected=ref.commune_label(match.code)))
            a.commune_code = _carry(ref, match.code, geo) or match.code
    if info.get("school_name") and a.commune_named:
        on = geo if founded else (report_date or geo)
        hits = _find_school(ref, str(info.get("school_code") or ""), info["school_name"], a.commune_named, on)
        if len(hits) >= 1:
            a.school_id, a.registered = sorted(hits)[0], True
            if len(hits) > 1:
                a.issues.append(_issue(rel, year, _cell_finding("school_ambiguous", cells.get("school_name", ""), "school_name", info["school_name"]),
                                       candidates=", ".join(sorted(hits))))
        else:
            a.school_id = f"CHUADK-{a.commune_code}-{school_key(info['school_name'])[:40]}"
            a.issues.append(_issue(rel, year, _cell_finding("unregistered_school", cells.get("school_name", ""), "school_name", info["school_name"])))
    if isinstance(report_date, dt.date) and year:
        for f in _date_findings(report_date, year, founded, ref, cells.get("report_date", ""), today or dt.date.today()):
            a.issues.append(_issue(rel, year, f))
    for i in a.issues:
        i["school_id"] = a.school_id
    if blocking:
        a.status, a.reason_code = "rejected", blocking[0]["code"]
    return a


def _valid_from(ref: Reference, code: str | None) -> dt.date | None:
    if not code:
        return None
    row = ref.communes.loc[ref.communes["code"] == code, "valid_from_date"]
    return row.iloc[0] if len(row) and isinstance(row.iloc[0], dt.date) else None


def _date_findings(d: dt.date, year: int, founded, ref: Reference, addr: str, today: dt.date) -> list[Finding]:
    """Report dates that cannot be right: after the run, before the report's year, before the
    commune existed. An English-locale spreadsheet reads 05/12 as 12 May: when the day/month
    swap gives a date that passes every check, the message suggests it."""
    first = dt.date(year, 1, 1)
    born = founded[1] if founded else None

    def fine(x: dt.date) -> bool:
        return first <= x <= today and (born is None or x >= born)

    swap = ""
    if d.day <= 12 and d.day != d.month:
        other = dt.date(d.year, d.day, d.month)
        if fine(other):
            swap = f"; có thể là ngày {other:%d/%m/%Y} bị đảo ngày/tháng (máy tính đặt ngày theo kiểu tháng/ngày/năm)"
    out = []
    checks = (
        ("report_date_future", d > today, f"{today:%d/%m/%Y}", {}),
        ("report_date_before_year", d < first, str(year), {}),
        ("report_date_before_commune", born is not None and d < born, f"{born:%d/%m/%Y}" if born else "",
         {"commune": ref.commune_label(founded[0]) if founded else ""}),
    )
    for code, hit, expected, extra in checks:
        if hit:
            f = _cell_finding(code, addr, "report_date", f"{d:%d/%m/%Y}")
            f.params = {"expected": expected, "swap": swap, **extra}
            out.append(f)
    return out


def _cell_finding(code: str, addr: str, fname: str, value: str) -> Finding:
    sheet, _, ref = addr.partition("!")
    col = "".join(ch for ch in ref if ch.isalpha())
    row = int("".join(ch for ch in ref if ch.isdigit()) or 0) or None
    return Finding(code, sheet=sheet, row=row, column=col, field=fname, value=value)


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
        if len(self.schools):
            q = int((self.schools["status"] == "quarantined").sum())
            lines.append(f"Trường: {len(self.schools)} báo cáo được dùng, trong đó {q} có số liệu nhà trường bị cách ly.")
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
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in ref_dir.iterdir() if p.is_file())) if ref_dir.is_dir() else ()
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
    sub = Submission(path=Path(path), fatal=failure.code, fatal_detail=failure.detail,
                     fatal_technical=failure.technical)
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
        raise HoctapError(f"Không có thư mục dữ liệu thô của năm {year}: {raw_dir}")
    ref_key = _reference_key(ws.reference_dir)
    ref = _reference(ws.reference_dir, ref_key)
    geo = year_geography_date(ref.settings, year)
    entries = discover(ws.raw_root, raw_dir)
    readable = [e for e in entries if not e.ignored]
    say(f"Năm {year}: tìm thấy {len(entries)} tệp, đọc {len(readable)} tệp bảng tính...")
    with _pool(len(readable)) if readable else contextlib.nullcontext() as pool:
        jobs = [(e.path, e.rel, str(ws.reference_dir), ref_key, year) for e in readable]
        assessed = _map(pool, _read_and_assess, jobs, on_error=_read_failed, sizes=[e.size for e in readable])
        return _finish(ws, ref, year, geo, entries, assessed, pool, say)


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
            a.issues.append(_issue(rel, year, Finding(a.reason_code, value=date_txt, params={"other": other}), a.school_id))

    issues = [i for a in assessed for i in a.issues]
    for e in entries:
        if e.ignored:
            issues.append(_issue(e.rel, year, Finding(e.code or "ignored_file", value=Path(e.rel).name, params=e.params)))

    schools, villages, orgs = _tables(assessed, year)
    issues += _duplicates(villages, "villages", "village", year, assessed)
    issues += _duplicates(orgs, "orgs", "org_name", year, assessed)
    issues += _outliers(ws, ref, year, geo, villages, schools, assessed)

    issues_df = _issues_frame(issues)
    intake_df = _intake_frame(entries, assessed, issues_df, year)
    completeness_df = _completeness(ref, year, geo, assessed)
    out = ws.processed(year)
    say(f"Ghi các bảng vào {out}...")
    io.write_csv(out / "intake.csv", intake_df)
    io.write_csv(out / "issues.csv", issues_df)
    io.write_parquet(out / "schools.parquet", schools)
    io.write_parquet(out / "villages.parquet", villages)
    io.write_parquet(out / "orgs.parquet", orgs)
    io.write_csv(out / "completeness.csv", completeness_df)
    from hoctap.cleaning.feedback import feedback_jobs, write_one

    say(f"Ghi phản hồi cho từng trường vào {ws.feedback_dir(year)}...")

    _map(pool, write_one, feedback_jobs(ws, year, assessed, issues_df))
    say(f"Đã ghi kết quả vào {out}")
    return CleanResult(year, intake_df, issues_df, schools, villages, orgs, completeness_df)


# ---- tables ---------------------------------------------------------------------------------

def _error_rows(a: Assessed, sheet: str | None) -> set[int]:
    return {int(i["row"]) for i in a.issues if i["sheet"] == sheet and i["severity"] == "error" and i["row"] not in (None, "")}


def _ts(d: dt.date | None):
    return pd.Timestamp(d) if d else pd.NaT


def _tables(assessed: list[Assessed], year: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    school_rows, village_rows, org_rows = [], [], []
    for a in assessed:
        sub = a.sub
        if sub.fatal:
            continue
        row_status = {"accepted": None, "superseded": "superseded", "rejected": "rejected"}[a.status]
        common = {"year": year, "commune_code": a.commune_code, "school_id": a.school_id or None,
                  "source_path": a.rel, "report_date": _ts(sub.info.get("report_date"))}
        if a.status == "accepted":
            unit_errors = any(i["sheet"] == sub.sheets.get("unit") and i["severity"] == "error" for i in a.issues)
            school_rows.append({
                "year": year, "school_id": a.school_id, "school_name": sub.info.get("school_name"),
                "school_code": sub.info.get("school_code"), "registered": a.registered, "commune_code": a.commune_code,
                "commune_raw": sub.info.get("commune"), "school_level": sub.info.get("school_level"),
                "report_date": _ts(sub.info.get("report_date")), "template_id": sub.info.get("template_id"),
                "preparer": sub.info.get("preparer"), "phone": sub.info.get("phone"),
                **{f.name: sub.unit.get(f.name) for f in schema.UNIT.fields},
                "source_path": a.rel, "status": "quarantined" if unit_errors else "used",
            })
        for role, records, sink, name_field in (("villages", sub.villages, village_rows, "village"), ("orgs", sub.orgs, org_rows, "org_name")):
            bad = _error_rows(a, sub.sheets.get(role))
            for r in records:
                status = row_status or ("quarantined" if r.source_row in bad else "used")
                row = {**common, **{k: v for k, v in r.values.items()}, "source_row": r.source_row, "status": status}
                row[name_field] = r.values.get(name_field)
                row["village_key" if role == "villages" else "org_key"] = r.key or fold(row[name_field] or "")
                sink.append(row)
    schools = _frame(school_rows, ["year", "school_id", "school_name", "school_code", "registered", "commune_code", "commune_raw",
                                   "school_level", "report_date", "template_id", "preparer", "phone",
                                   *[f.name for f in schema.UNIT.fields], "source_path", "status"], ["school_id", "source_path"])
    villages = _frame(village_rows, ["year", "commune_code", "village", "village_key", *[f.name for f in schema.VILLAGES.fields if f.kind not in ("ignore", "text")],
                                     "school_id", "source_path", "source_row", "report_date", "status"], ["source_path", "source_row"])
    orgs = _frame(org_rows, ["year", "commune_code", "org_name", "org_key", "org_type", "org_unit_title", "org_staff_total", "org_staff_citizen",
                             "school_id", "source_path", "source_row", "report_date", "status"], ["source_path", "source_row"])
    return schools, villages, orgs


_KINDS = {f.name: f.kind for s in schema.SHEETS for f in s.fields}


def _frame(rows: list[dict], columns: list[str], sort: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        kind = _KINDS.get(c)
        raw = [r.get(c) for r in rows]
        if c in ("year", "source_row"):
            df[c] = df[c].astype("int64")
        elif c == "report_date":
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        elif c == "registered":
            df[c] = df[c].astype("bool")
        elif kind == "count":
            df[c] = pd.array([None if v is None else int(v) for v in raw], dtype="Int64")
        elif kind == "yesno":
            df[c] = pd.array([None if v is None else bool(v) for v in raw], dtype="boolean")
        else:
            df[c] = pd.array([None if v is None else str(v) for v in raw], dtype="string")
    return df.sort_values(sort, kind="stable").reset_index(drop=True)


def _figures(row: pd.Series, fields: list[str]) -> tuple:
    return tuple(None if pd.isna(row[f]) else row[f] for f in fields)


def _duplicates(df: pd.DataFrame, role: str, name_field: str, year: int, assessed: list[Assessed]) -> list[dict]:
    """Same village/org twice for one commune: identical -> duplicate [info]; else conflict [warning]."""
    if df.empty:
        return []
    key = "village_key" if role == "villages" else "org_key"
    fields = [f.name for f in (schema.VILLAGES if role == "villages" else schema.ORGS).fields if f.kind in ("count", "yesno", "org_type")]
    used = df[(df["status"] == "used") & df[key].notna() & (df[key] != "")]
    dup = used[used.duplicated(["commune_code", key], keep=False)]
    sheets = {a.rel: a.sub.sheets.get(role, "") for a in assessed}
    out = []
    statuses = df["status"].copy()
    for _, group in dup.groupby(["commune_code", key], sort=True):
        # latest report_date wins; on the same date the higher school_id (the demo's ground truth agrees)
        group = group.sort_values(["report_date", "school_id", "source_path", "source_row"], ascending=[False, False, True, True])
        winner = group.iloc[0]
        win_fig = _figures(winner, fields)
        where_w = f"{winner['school_id']} - {winner['source_path']} dòng {winner['source_row']}"
        merged = []
        for idx, row in group.iloc[1:].iterrows():
            where = f"{row['school_id']} - {row['source_path']} dòng {row['source_row']}"
            if _figures(row, fields) == win_fig:
                statuses.loc[idx] = "duplicate"
                merged.append(where)
                out.append(_row_issue("duplicate_merged", row, sheets, name_field, year, other=where_w))
            else:
                statuses.loc[idx] = "conflict-lost"
                out.append(_row_issue("conflict", row, sheets, name_field, year, other=where_w, winner=where_w))
                out.append(_row_issue("conflict", winner, sheets, name_field, year, other=where, winner=where_w))
        if merged:  # the kept row's school is told too: its figures were reported by others as well
            out.append(_row_issue("duplicate_merged", winner, sheets, name_field, year, other="; ".join(merged)))
    df["status"] = statuses.astype("string")
    return out


def _row_issue(code: str, row: pd.Series, sheets: dict, name_field: str, year: int, **params) -> dict:
    sheet = sheets.get(row["source_path"], "")
    f = Finding(code, sheet=sheet, row=int(row["source_row"]), column="", field=name_field, value=str(row[name_field]), params=params)
    return _issue(row["source_path"], year, f, str(row["school_id"]))


# ---- history --------------------------------------------------------------------------------

def _history(ws: Workspace, year: int, name: str) -> list[pd.DataFrame]:
    out = []
    for y in range(year - 3, year):
        path = ws.processed(y) / name
        if path.is_file():
            try:
                df = pd.read_parquet(path)
            except Exception:
                continue
            out.append(df[df["status"] == "used"])
    return out


def _outliers(ws, ref, year, geo, villages, schools, assessed) -> list[dict]:
    """WHO consistency over time: ratio to the mean of up to 3 previous years, rate moves > 30 points."""
    cells = {a.rel: a for a in assessed}
    out: list[dict] = []
    vh = _history(ws, year, "villages.parquet")
    if vh and not villages.empty:
        hist = pd.concat(vh, ignore_index=True)
        hist["commune_code"] = [(_carry(ref, c, geo) or c) if isinstance(c, str) else c for c in hist["commune_code"]]
        per_year = hist.groupby(["commune_code", "village_key", "year"])[COUNT_VILLAGE].mean()
        means = per_year.groupby(level=[0, 1]).mean()
        last = per_year.groupby(level=[0, 1]).tail(1).droplevel(2)
        current = villages[villages["status"].isin(["used", "duplicate", "conflict-lost"])]
        for _, row in current.iterrows():
            k = (row["commune_code"], row["village_key"])
            if k not in means.index:
                continue
            a = cells[row["source_path"]]
            rec = next((r for r in a.sub.villages if r.source_row == row["source_row"]), None)
            addr = {f: f"{a.sub.sheets.get('villages')}!{c}" for f, c in (rec.cells.items() if rec else [])}
            out += _check_history(row, means.loc[k], last.loc[k], COUNT_VILLAGE, RATES["villages"], addr, a, year)
    sh = _history(ws, year, "schools.parquet")
    if sh and not schools.empty:
        hist = pd.concat(sh, ignore_index=True)
        per_year = hist.groupby(["school_id", "year"])[COUNT_UNIT].mean()
        means = per_year.groupby(level=0).mean()
        last = per_year.groupby(level=0).tail(1).droplevel(1)
        for _, row in schools[schools["status"] == "used"].iterrows():
            if row["school_id"] not in means.index:
                continue
            a = cells[row["source_path"]]
            out += _check_history(row, means.loc[row["school_id"]], last.loc[row["school_id"]], COUNT_UNIT, RATES["unit"], a.sub.unit_cells, a, year)
    return out


def _check_history(row, mean, last, counts, rates, addr, a: Assessed, year) -> list[dict]:
    out = []
    for f in counts:
        v, m = row[f], mean[f]
        if pd.isna(v) or pd.isna(m):
            continue
        v, m = float(v), float(m)
        change = abs(v - m)
        if change >= 10 and (m == 0 or not (1 - 0.33) <= v / m <= (1 + 0.33)):
            out.append(_hist_issue("outlier_count", f, addr, int(v), f"{m:.0f}".replace(".", ","), a, year))
    for part, whole in rates:
        if any(pd.isna(x) for x in (row[part], row[whole], last[part], last[whole])) or not row[whole] or not last[whole]:
            continue
        now = 100 * float(row[part]) / float(row[whole])
        before = 100 * float(last[part]) / float(last[whole])
        if abs(now - before) > 30:
            out.append(_hist_issue("outlier_rate", part, addr, f"{now:.0f}", f"{before:.0f}", a, year))
    return out


def _hist_issue(code, fname, addr, value, expected, a: Assessed, year) -> dict:
    cell = addr.get(fname, "")
    f = _cell_finding(code, cell, fname, str(value)) if "!" in cell else Finding(code, field=fname, value=str(value))
    f.params = {"field_label": LABELS[fname][:1].lower() + LABELS[fname][1:], "expected": expected}
    return _issue(a.rel, year, f, a.school_id)


# ---- ledgers --------------------------------------------------------------------------------

def _issues_frame(issues: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    df["year"] = df["year"].astype("int64")
    df["row"] = pd.array([None if v in (None, "") else int(v) for v in (i["row"] for i in issues)], dtype="Int64")
    for c in ISSUE_COLUMNS:
        if c not in ("year", "row"):
            df[c] = df[c].fillna("").astype("string")
    df = df.drop_duplicates()
    return df.sort_values(["path", "sheet", "row", "column", "code", "message"], kind="stable", na_position="first").reset_index(drop=True)


def _intake_frame(entries: list[FileEntry], assessed: list[Assessed], issues: pd.DataFrame, year: int) -> pd.DataFrame:
    by_rel = {a.rel: a for a in assessed}
    counts = issues.groupby(["path", "severity"]).size().to_dict()
    rows = []
    for e in entries:
        a = by_rel.get(e.rel)
        n_err = int(counts.get((e.rel, "error"), 0))
        n_warn = int(counts.get((e.rel, "warning"), 0))
        if a is None:
            rows.append({"year": year, "path": e.rel, "sha256": e.sha256, "size_bytes": e.size, "status": "ignored",
                         "school_id": "", "school_name": "", "commune_code": "", "report_date": "", "n_errors": n_err,
                         "n_warnings": n_warn, "reason": rules.message(e.code or "ignored_file", value=Path(e.rel).name, **e.params)})
            continue
        reason = ""
        if a.reason_code:
            hit = issues[(issues["path"] == e.rel) & (issues["code"] == a.reason_code)]
            reason = hit["message"].iloc[0] if len(hit) else a.reason_code
        d = a.sub.info.get("report_date")
        rows.append({"year": year, "path": e.rel, "sha256": e.sha256, "size_bytes": e.size, "status": a.status,
                     "school_id": a.school_id, "school_name": a.sub.info.get("school_name") or "",
                     "commune_code": a.commune_code or "", "report_date": d.isoformat() if d else "",
                     "n_errors": n_err, "n_warnings": n_warn, "reason": reason})
    return pd.DataFrame(rows, columns=INTAKE_COLUMNS).sort_values("path", kind="stable").reset_index(drop=True)


def _completeness(ref: Reference, year: int, geo: dt.date, assessed: list[Assessed]) -> pd.DataFrame:
    active = ref.schools_active(year)
    rows: dict[str, dict] = {}
    for r in active.itertuples():
        rows[r.school_id] = {"year": year, "school_id": r.school_id, "school_name": r.name,
                             "commune_code": _carry(ref, r.commune_code, geo) or r.commune_code, "expected": True,
                             "registered": True, "submitted": False, "on_time": False, "report_date": "", "status": "missing"}
    registry = set(ref.schools["school_id"])
    for a in sorted(assessed, key=lambda a: a.rel):
        if not a.school_id or a.status == "superseded":
            continue
        row = rows.setdefault(a.school_id, {
            "year": year, "school_id": a.school_id, "school_name": a.sub.info.get("school_name") or "",
            "commune_code": a.commune_code or "", "expected": False, "registered": a.school_id in registry,
            "submitted": False, "on_time": False, "report_date": "", "status": "missing"})
        if a.status == "accepted":
            d = a.sub.info.get("report_date")
            row.update(submitted=True, on_time=on_time(ref.settings, year, d), report_date=d.isoformat() if d else "", status="accepted")
        elif row["status"] == "missing":
            row["status"] = "rejected"
    df = pd.DataFrame(list(rows.values()), columns=["year", "school_id", "school_name", "commune_code", "expected", "registered",
                                                      "submitted", "on_time", "report_date", "status"])
    return df.sort_values("school_id", kind="stable").reset_index(drop=True)


# ---- views for notebook 01 -----------------------------------------------------------------


def intake_view(intake: pd.DataFrame) -> pd.DataFrame:
    """Files by status, in Vietnamese, for the analyst reading the executed notebook."""
    from hoctap.vocabulary import INTAKE_WORDS_FOR_SCHOOLS as STATUS_VI

    counts = intake["status"].value_counts()
    order = [s for s in ("accepted", "superseded", "rejected", "ignored") if s in counts] + [
        s for s in counts.index if s not in STATUS_VI
    ]
    return pd.DataFrame({"Tình trạng": [STATUS_VI.get(s, s) for s in order], "Số tệp": [int(counts[s]) for s in order]})


def problem_files_view(intake: pd.DataFrame) -> pd.DataFrame:
    """Every file not used as it is, with the reason, so the analyst knows whom to call."""
    from hoctap.vocabulary import INTAKE_WORDS_FOR_SCHOOLS as STATUS_VI

    bad = intake[intake["status"] != "accepted"].sort_values(["status", "path"], kind="stable")
    return pd.DataFrame({
        "Tệp": bad["path"].to_numpy(),
        "Tình trạng": bad["status"].map(lambda s: STATUS_VI.get(s, s)).to_numpy(),
        "Lý do": bad["reason"].fillna("").to_numpy(),
    })


def issues_view(issues: pd.DataFrame) -> pd.DataFrame:
    """Problems counted by severity and rule, with the rule's wording, most serious first."""
    from hoctap.vocabulary import SEVERITY_WORDS_FOR_SCHOOLS as SEVERITY_VI

    if not len(issues):
        return pd.DataFrame(columns=["Mức độ", "Mã", "Số lần", "Số tệp"])
    order = {"error": 0, "warning": 1, "info": 2}
    g = (issues.groupby(["severity", "code"], sort=False)
         .agg(n=("code", "size"), files=("path", "nunique")).reset_index())
    g = g.assign(_o=g["severity"].map(order)).sort_values(["_o", "n"], ascending=[True, False], kind="stable")
    return pd.DataFrame({
        "Mức độ": g["severity"].map(lambda s: SEVERITY_VI.get(s, s)).to_numpy(),
        "Mã": g["code"].to_numpy(),
        "Số lần": g["n"].to_numpy(),
        "Số tệp": g["files"].to_numpy(),
    })
