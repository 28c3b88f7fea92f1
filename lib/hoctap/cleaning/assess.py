"""The verdict on one file: identity (school, commune on its date), year and date checks, issue rows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from hoctap.cleaning import rules
from hoctap.intake import schema
from hoctap.intake.workbook import Finding, Submission
from hoctap.reference import Reference, year_geography_date
from hoctap.text import nfc, school_key


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


TECHNICAL_PARAMS = (
    "technical",
    "exception",
    "error_detail",
)  # Finding.params keys for the detail column


_EXCEPTION_TEXT = re.compile(r"^[A-Z][A-Za-z0-9_.]*(?:Error|Exception|Exc|Warning)\b")


_TECHNICAL_VI = "lỗi kỹ thuật khi đọc tệp"


_CELL_PARAMS = ("cell", "value", "sheet", "row")  # what the school wrote: never rewritten


def issue_row(rel: str, year: int, f: Finding, school_id: str = "", **extra) -> dict:
    params = {
        "cell": f.cell,
        "value": f.value,
        "sheet": f.sheet,
        "row": f.row or "",
        **f.params,
        **extra,
    }
    technical = [str(params.pop(k)) for k in TECHNICAL_PARAMS if params.get(k)]
    for k, v in params.items():  # no exception name reaches a message: it goes to "detail"
        if k not in _CELL_PARAMS and isinstance(v, str) and _EXCEPTION_TEXT.match(v):
            technical.append(v)
            params[k] = _TECHNICAL_VI
    return {
        "year": year,
        "path": rel,
        "school_id": school_id,
        "sheet": nfc(f.sheet),
        "row": f.row,
        "column": f.column,
        "cell": nfc(f.cell) if f.row else "",
        "field": f.field,
        "value": nfc(f.value),
        "code": f.code,
        "severity": rules.severity(f.code),
        "message": nfc(rules.message(f.code, **params)),
        "detail": nfc(" | ".join(dict.fromkeys(technical)))[:500],
    }


@lru_cache(maxsize=4096)
def _resolve(ref: Reference, name: str, on: dt.date):
    return ref.resolve_commune(name, on)


@lru_cache(maxsize=4096)
def carry(ref: Reference, code: str, on: dt.date) -> str | None:
    """The commune valid on ``on`` that ``code`` became (itself when still valid)."""
    succ = ref.successors(code, on)
    return next(iter(succ)) if len(succ) == 1 else None


@lru_cache(maxsize=16)
def _registry_ids(ref: Reference) -> frozenset[str]:
    return frozenset(ref.schools["school_id"])


@lru_cache(maxsize=16)
def _school_index(ref: Reference) -> dict[str, list[tuple[str, str]]]:
    """(registry commune, school_id) of every name and alias, by school key, in registry order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for skey, reg_commune, sid in ref._school_keys:
        out.setdefault(skey, []).append((reg_commune, sid))
    return out


@lru_cache(maxsize=8192)
def _find_school(ref: Reference, code: str, name: str, commune: str | None, on: dt.date) -> tuple[str, ...]:
    """Reference.find_school through an index of the registry's names: the same answer, without
    a pass over the whole registry per file (a national registry holds 45,000 schools)."""
    code = code.strip()
    if code in _registry_ids(ref):
        return (code,)
    key = school_key(name)
    if not key:
        return ()
    hits: list[str] = []
    for reg_commune, sid in _school_index(ref).get(key, ()):
        if sid in hits:
            continue
        if commune is None or reg_commune == commune or commune in ref.successors(reg_commune, on):
            hits.append(sid)
    return tuple(hits)


def assess(
    rel: str, sub: Submission, ref: Reference, folder_year: int | None, today: dt.date | None = None
) -> Assessed:
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
        a.issues.append(
            issue_row(
                rel,
                year,
                Finding(
                    sub.fatal,
                    params={
                        "detail": detail,
                        "value": detail,
                        "technical": technical,
                        "expected": "20 MB" if sub.fatal == "file_too_large" else "200 MB",
                    },
                ),
            )
        )
        return a
    for f in sub.findings:
        a.issues.append(issue_row(rel, year, f))
    info_sheet = sub.sheets.get("info")
    blocking = [
        i
        for i in a.issues
        if i["severity"] == "error"
        and (rules.rule(i["code"]).scope == "file" or (info_sheet and i["sheet"] == info_sheet))
    ]
    cells = sub.info_cells
    if folder_year is not None and isinstance(info.get("year"), int) and info["year"] != folder_year:
        a.issues.append(
            issue_row(
                rel,
                year,
                cell_finding("wrong_year", cells.get("year", ""), "year", str(info["year"])),
                expected=folder_year,
            )
        )
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
                code, cands = (
                    "commune_ambiguous",
                    ", ".join(ref.commune_label(c) for c in match.candidates),
                )
            else:
                near = ref.commune_candidates(commune_name)
                code, cands = "commune_unknown", (f" (có phải: {', '.join(near)}?)" if near else "")
            a.issues.append(
                issue_row(
                    rel,
                    year,
                    cell_finding(code, cells.get("commune", ""), "commune", commune_name),
                    candidates=cands,
                )
            )
            blocking.append(a.issues[-1])
        else:
            a.commune_named = match.code
            if match.via_change:
                a.issues.append(
                    issue_row(
                        rel,
                        year,
                        cell_finding("commune_changed", cells.get("commune", ""), "commune", commune_name),
                        expected=ref.commune_label(match.code),
                    )
                )
            a.commune_code = carry(ref, match.code, geo) or match.code
    if info.get("school_name") and a.commune_named:
        on = geo if founded else (report_date or geo)
        hits = _find_school(ref, str(info.get("school_code") or ""), info["school_name"], a.commune_named, on)
        if len(hits) >= 1:
            a.school_id, a.registered = sorted(hits)[0], True
            if len(hits) > 1:
                a.issues.append(
                    issue_row(
                        rel,
                        year,
                        cell_finding(
                            "school_ambiguous",
                            cells.get("school_name", ""),
                            "school_name",
                            info["school_name"],
                        ),
                        candidates=", ".join(sorted(hits)),
                    )
                )
        else:
            a.school_id = f"CHUADK-{a.commune_code}-{school_key(info['school_name'])[:40]}"
            a.issues.append(
                issue_row(
                    rel,
                    year,
                    cell_finding(
                        "unregistered_school",
                        cells.get("school_name", ""),
                        "school_name",
                        info["school_name"],
                    ),
                )
            )
    if isinstance(report_date, dt.date) and year:
        for f in _date_findings(
            report_date, year, founded, ref, cells.get("report_date", ""), today or dt.date.today()
        ):
            a.issues.append(issue_row(rel, year, f))
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
        (
            "report_date_before_commune",
            born is not None and d < born,
            f"{born:%d/%m/%Y}" if born else "",
            {"commune": ref.commune_label(founded[0]) if founded else ""},
        ),
    )
    for code, hit, expected, extra in checks:
        if hit:
            f = cell_finding(code, addr, "report_date", f"{d:%d/%m/%Y}")
            f.params = {"expected": expected, "swap": swap, **extra}
            out.append(f)
    return out


def cell_finding(code: str, addr: str, fname: str, value: str) -> Finding:
    sheet, _, ref = addr.partition("!")
    col = "".join(ch for ch in ref if ch.isalpha())
    row = int("".join(ch for ch in ref if ch.isdigit()) or 0) or None
    return Finding(code, sheet=sheet, row=row, column=col, field=fname, value=value)


LABELS = {f.name: f.label for s in schema.SHEETS for f in s.fields}
