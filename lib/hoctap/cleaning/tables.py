"""The processed tables of a year (schools, villages, organizations) and the duplicate/conflict rule."""

from __future__ import annotations

import datetime as dt
from operator import itemgetter

import pandas as pd

from hoctap.catalog import ORG_COLUMNS, ROW_TAIL, SCHOOL_COLUMNS, SCHOOL_TAIL, VILLAGE_COLUMNS
from hoctap.cleaning.assess import Assessed, issue_row
from hoctap.intake import schema
from hoctap.intake.workbook import Finding
from hoctap.text import fold


def _error_rows(a: Assessed, sheet: str | None) -> set[int]:
    return {
        int(i["row"])
        for i in a.issues
        if i["sheet"] == sheet and i["severity"] == "error" and i["row"] not in (None, "")
    }


def _ts(d: dt.date | None):
    return pd.Timestamp(d) if d else pd.NaT


def _columns() -> tuple[list[str], list[str], list[str]]:
    village_fields = [f.name for f in schema.VILLAGES.fields if f.kind not in ("ignore", "text")]
    return (
        [*SCHOOL_COLUMNS, *[f.name for f in schema.UNIT.fields], *SCHOOL_TAIL],
        [*VILLAGE_COLUMNS, *village_fields, *ROW_TAIL],
        [*ORG_COLUMNS, *ROW_TAIL],
    )


def tables(assessed: list[Assessed], year: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    school_cols, village_cols, org_cols = _columns()
    school_rows, village_rows, org_rows = [], [], []
    # every row starts from every column set to None, so that _frame reads them all in one pass
    blank = {"villages": dict.fromkeys(village_cols), "orgs": dict.fromkeys(org_cols)}
    for a in assessed:
        sub = a.sub
        if sub.fatal:
            continue
        row_status = {"accepted": None, "superseded": "superseded", "rejected": "rejected"}[a.status]
        report_date = _ts(sub.info.get("report_date"))
        common = {
            "year": year,
            "commune_code": a.commune_code,
            "school_id": a.school_id or None,
            "source_path": a.rel,
            "report_date": report_date,
        }
        if a.status == "accepted":
            unit_errors = any(i["sheet"] == sub.sheets.get("unit") and i["severity"] == "error" for i in a.issues)
            school_rows.append(
                {
                    "year": year,
                    "school_id": a.school_id,
                    "school_name": sub.info.get("school_name"),
                    "school_code": sub.info.get("school_code"),
                    "registered": a.registered,
                    "commune_code": a.commune_code,
                    "commune_raw": sub.info.get("commune"),
                    "school_level": sub.info.get("school_level"),
                    "report_date": report_date,
                    "template_id": sub.info.get("template_id"),
                    "preparer": sub.info.get("preparer"),
                    "phone": sub.info.get("phone"),
                    **{f.name: sub.unit.get(f.name) for f in schema.UNIT.fields},
                    "source_path": a.rel,
                    "status": "quarantined" if unit_errors else "used",
                }
            )
        for role, records, sink, name_field in (
            ("villages", sub.villages, village_rows, "village"),
            ("orgs", sub.orgs, org_rows, "org_name"),
        ):
            if not records:
                continue
            bad = _error_rows(a, sub.sheets.get(role))
            key_field = "village_key" if role == "villages" else "org_key"
            start = blank[role].copy()
            start.update(common)
            for r in records:
                row = start.copy()
                row.update(r.values)
                row["source_row"] = r.source_row
                row["status"] = row_status or ("quarantined" if r.source_row in bad else "used")
                row[name_field] = name = r.values.get(name_field)
                row[key_field] = r.key or fold(name or "")
                sink.append(row)
    schools = _frame(school_rows, school_cols, ["school_id", "source_path"])
    villages = _frame(village_rows, village_cols, ["source_path", "source_row"])
    orgs = _frame(org_rows, org_cols, ["source_path", "source_row"])
    return schools, villages, orgs


_KINDS = {f.name: f.kind for s in schema.SHEETS for f in s.fields}


def _frame(rows: list[dict], columns: list[str], sort: list[str]) -> pd.DataFrame:
    """Typed columns built straight from the rows (no frame of objects first: a national year has
    hundreds of thousands of village rows)."""
    try:  # the rows transposed into columns in C; a row without some column reads it as None
        values = list(zip(*map(itemgetter(*columns), rows), strict=True))
    except KeyError:
        values = list(zip(*([r.get(c) for c in columns] for r in rows), strict=True))
    data = {}
    for c, raw in zip(columns, values or [()] * len(columns), strict=True):
        kind = _KINDS.get(c)
        raw = list(raw)
        if c in ("year", "source_row"):
            data[c] = pd.Series(raw, dtype=object).infer_objects().astype("int64")
        elif c == "report_date":
            data[c] = pd.Series(pd.DatetimeIndex(raw), dtype="datetime64[ns]")  # Timestamps and NaT (``_ts``)
        elif c == "registered":
            data[c] = pd.Series(raw, dtype=object).infer_objects().astype("bool")
        elif kind == "count":
            data[c] = pd.array([None if v is None else int(v) for v in raw], dtype="Int64")
        elif kind == "yesno":
            data[c] = pd.array([None if v is None else bool(v) for v in raw], dtype="boolean")
        else:
            data[c] = pd.array([None if v is None else str(v) for v in raw], dtype="string")
    df = pd.DataFrame({c: pd.Series(v).reset_index(drop=True) for c, v in data.items()}, columns=columns)
    return df.sort_values(sort, kind="stable").reset_index(drop=True)


def _figures(row: pd.Series, fields: list[str]) -> tuple:
    return tuple(None if pd.isna(row[f]) else row[f] for f in fields)


def duplicates(df: pd.DataFrame, role: str, name_field: str, year: int, assessed: list[Assessed]) -> list[dict]:
    """Same village/org twice for one commune: identical -> duplicate [info]; else conflict [warning]."""
    if df.empty:
        return []
    key = "village_key" if role == "villages" else "org_key"
    fields = [
        f.name
        for f in (schema.VILLAGES if role == "villages" else schema.ORGS).fields
        if f.kind in ("count", "yesno", "org_type")
    ]
    used = df[(df["status"] == "used") & df[key].notna() & (df[key] != "")]
    dup = used[used.duplicated(["commune_code", key], keep=False)]
    sheets = {a.rel: a.sub.sheets.get(role, "") for a in assessed}
    out = []
    statuses = df["status"].copy()
    for _, group in dup.groupby(["commune_code", key], sort=True):
        # latest report_date wins; on the same date the higher school_id (the demo's ground truth agrees)
        group = group.sort_values(
            ["report_date", "school_id", "source_path", "source_row"],
            ascending=[False, False, True, True],
        )
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
    f = Finding(
        code,
        sheet=sheet,
        row=int(row["source_row"]),
        column="",
        field=name_field,
        value=str(row[name_field]),
        params=params,
    )
    return issue_row(row["source_path"], year, f, str(row["school_id"]))
