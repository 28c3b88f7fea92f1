"""The ledgers of a year: issues.csv, intake.csv, completeness.csv, removed.csv as frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePath

import pandas as pd

from hoctap import catalog
from hoctap.cleaning import rules
from hoctap.cleaning.assess import Assessed, carry
from hoctap.intake.discovery import FileEntry
from hoctap.reference import Reference, on_time

ISSUE_COLUMNS = list(catalog.ISSUE_COLUMNS)


INTAKE_COLUMNS = list(catalog.INTAKE_COLUMNS)
REMOVED_COLUMNS = list(catalog.REMOVED_COLUMNS)


def issues_frame(issues: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    df["year"] = df["year"].astype("int64")
    df["row"] = pd.array([None if v in (None, "") else int(v) for v in (i["row"] for i in issues)], dtype="Int64")
    for c in ISSUE_COLUMNS:
        if c not in ("year", "row"):
            df[c] = df[c].fillna("").astype("string")
    df = df.drop_duplicates()
    return df.sort_values(
        ["path", "sheet", "row", "column", "code", "message"], kind="stable", na_position="first"
    ).reset_index(drop=True)


def intake_frame(entries: list[FileEntry], assessed: list[Assessed], issues: pd.DataFrame, year: int) -> pd.DataFrame:
    by_rel = {a.rel: a for a in assessed}
    counts = issues.groupby(["path", "severity"]).size().to_dict()
    # the first message of each (file, code), in the ledger's order: one pass, not one scan of
    # every issue per rejected file (thousands of rejections in a national year)
    first: dict[tuple[str, str], str] = {}
    if any(a.reason_code for a in assessed):
        for key in zip(issues["path"], issues["code"], issues["message"], strict=True):
            first.setdefault(key[:2], key[2])
    rows = []
    for e in entries:
        a = by_rel.get(e.rel)
        n_err = int(counts.get((e.rel, "error"), 0))
        n_warn = int(counts.get((e.rel, "warning"), 0))
        if a is None:
            rows.append(
                {
                    "year": year,
                    "path": e.rel,
                    "sha256": e.sha256,
                    "size_bytes": e.size,
                    "status": "ignored",
                    "school_id": "",
                    "school_name": "",
                    "commune_code": "",
                    "report_date": "",
                    "n_errors": n_err,
                    "n_warnings": n_warn,
                    "reason": rules.message(e.code or "ignored_file", value=Path(e.rel).name, **e.params),
                }
            )
            continue
        reason = ""
        if a.reason_code:
            reason = first.get((e.rel, a.reason_code), a.reason_code)
        d = a.sub.info.get("report_date")
        rows.append(
            {
                "year": year,
                "path": e.rel,
                "sha256": e.sha256,
                "size_bytes": e.size,
                "status": a.status,
                "school_id": a.school_id,
                "school_name": a.sub.info.get("school_name") or "",
                "commune_code": a.commune_code or "",
                "report_date": d.isoformat() if d else "",
                "n_errors": n_err,
                "n_warnings": n_warn,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows, columns=INTAKE_COLUMNS).sort_values("path", kind="stable").reset_index(drop=True)


def completeness(ref: Reference, year: int, geo: dt.date, assessed: list[Assessed]) -> pd.DataFrame:
    active = ref.schools_active(year)
    rows: dict[str, dict] = {}
    for r in active.itertuples():
        rows[r.school_id] = {
            "year": year,
            "school_id": r.school_id,
            "school_name": r.name,
            "commune_code": carry(ref, r.commune_code, geo) or r.commune_code,
            "expected": True,
            "registered": True,
            "submitted": False,
            "on_time": False,
            "report_date": "",
            "status": "missing",
        }
    registry = set(ref.schools["school_id"])
    for a in sorted(assessed, key=lambda a: a.rel):
        if not a.school_id or a.status == "superseded":
            continue
        row = rows.setdefault(
            a.school_id,
            {
                "year": year,
                "school_id": a.school_id,
                "school_name": a.sub.info.get("school_name") or "",
                "commune_code": a.commune_code or "",
                "expected": False,
                "registered": a.school_id in registry,
                "submitted": False,
                "on_time": False,
                "report_date": "",
                "status": "missing",
            },
        )
        if a.status == "accepted":
            d = a.sub.info.get("report_date")
            row.update(
                submitted=True,
                on_time=on_time(ref.settings, year, d),
                report_date=d.isoformat() if d else "",
                status="accepted",
            )
        elif row["status"] == "missing":
            row["status"] = "rejected"
    df = pd.DataFrame(list(rows.values()), columns=list(catalog.COMPLETENESS_COLUMNS))
    return df.sort_values("school_id", kind="stable").reset_index(drop=True)


def removed_frame(
    intake: pd.DataFrame,
    previous: pd.DataFrame | None,
    removed_before: pd.DataFrame | None,
    year: int,
    today: dt.date,
) -> pd.DataFrame:
    """The files an earlier cleaning of the year listed that are no longer under raw/<year>/.

    ``previous`` is the intake ledger the run replaces, ``removed_before`` the removals already
    recorded: they stay listed, with the day they were first found gone, until a file comes
    back under the same path. A figure that changed because a file was taken away is then
    explained in the ledger, not only by an absence. A file whose bytes are still there under
    another path (moved, renamed) is not gone.
    """
    present = set(intake["path"].astype(str))
    kept = {h for h in intake["sha256"].astype(str) if h and h != "nan"}
    rows: dict[str, dict] = {}
    for frame, detected in ((removed_before, None), (previous, today.isoformat())):
        if frame is None or "path" not in frame:
            continue
        digests = frame["sha256"].astype(str) if "sha256" in frame else pd.Series("nan", index=frame.index)
        gone = frame[~frame["path"].astype(str).isin(present) & ~digests.isin(kept)]  # 45,000 rows a national year
        for rec in gone.to_dict("records"):
            path = str(rec.get("path", ""))
            if not path or path in rows:
                continue
            rows[path] = {c: rec.get(c) for c in REMOVED_COLUMNS} | {"year": year}
            if detected is not None:
                rows[path]["detected"] = detected
    df = pd.DataFrame(list(rows.values()), columns=REMOVED_COLUMNS)
    df["year"] = df["year"].astype("int64")
    return df.sort_values("path", kind="stable").reset_index(drop=True)


def removed_text(removed: pd.DataFrame) -> str:
    """One Vietnamese line naming the files gone since an earlier cleaning (the first five)."""
    paths = removed["path"].astype(str)
    more = f" và {len(paths) - 5} tệp khác" if len(paths) > 5 else ""
    return (
        f"Tệp đã có ở lần làm sạch trước, nay không còn trong thư mục: {len(paths)} "
        f"({', '.join(paths.head(5))}{more}); xem {PurePath(catalog.dataset('removed').pattern).name}."
    )
