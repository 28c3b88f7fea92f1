"""Processed-table builders: rows of schools/villages/orgs.parquet in the contract's dtypes.

Shared by the indicator, period and geography tests; every figure is written by hand there.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hoctap.catalog import Catalog
from hoctap.paths import Workspace

NA = pd.NA
SCHOOL_COUNTS = [
    "staff_total",
    "staff_citizen",
    "members_total",
    "members_policy",
    "cadres_total",
    "cadres_clc_it",
]
VILLAGE_COUNTS = [
    "households_total",
    "households_registered",
    "households_family_title",
    "clans_total",
    "clans_title",
    "workers_total",
    "workers_citizen",
]
ORG_COUNTS = ["org_staff_total", "org_staff_citizen"]


def school(
    year,
    sid,
    commune,
    title,
    staff=(NA, NA),
    members=(NA, NA),
    cadres=(NA, NA),
    status="used",
    report_date=None,
):
    """One schools.parquet row; pairs are (total, part)."""
    return {
        "year": year,
        "school_id": sid,
        "school_name": f"Trường {sid}",
        "school_code": sid,
        "registered": True,
        "commune_code": commune,
        "commune_raw": commune,
        "school_level": "Tiểu học",
        "report_date": pd.Timestamp(report_date or dt.date(year, 12, 1)),
        "template_id": "HTSD-01",
        "preparer": "Người lập",
        "phone": "0900000000",
        "school_unit_title": title,
        "staff_total": staff[0],
        "staff_citizen": staff[1],
        "members_total": members[0],
        "members_policy": members[1],
        "cadres_total": cadres[0],
        "cadres_clc_it": cadres[1],
        "source_path": f"{year}/{sid}.xlsx",
        "status": status,
    }


def village(
    year,
    commune,
    name,
    households=(NA, NA),
    clans=(NA, NA),
    community=NA,
    workers=(NA, NA),
    status="used",
    school_id="KP001",
    row=10,
):
    """One villages.parquet row; pairs are (total, titled)."""
    from hoctap.text import fold

    return {
        "year": year,
        "commune_code": commune,
        "village": name,
        "village_key": fold(name),
        "households_total": households[0],
        "households_registered": NA,
        "households_family_title": households[1],
        "clans_total": clans[0],
        "clans_title": clans[1],
        "community_title": community,
        "workers_total": workers[0],
        "workers_citizen": workers[1],
        "school_id": school_id,
        "source_path": f"{year}/{school_id}.xlsx",
        "source_row": row,
        "report_date": pd.Timestamp(dt.date(year, 12, 1)),
        "status": status,
    }


def org(year, commune, name, title, staff=(NA, NA), status="used", school_id="KP001", row=5):
    from hoctap.text import fold

    return {
        "year": year,
        "commune_code": commune,
        "org_name": name,
        "org_key": fold(name),
        "org_type": "Cơ quan",
        "org_unit_title": title,
        "org_staff_total": staff[0],
        "org_staff_citizen": staff[1],
        "school_id": school_id,
        "source_path": f"{year}/{school_id}.xlsx",
        "source_row": row,
        "report_date": pd.Timestamp(dt.date(year, 12, 1)),
        "status": status,
    }


def _frame(rows, counts, flags, template):
    cols = list(template(2021, "X", "X", NA).keys()) if rows == [] else list(rows[0].keys())
    df = pd.DataFrame(rows, columns=cols)
    for c in cols:
        if c in counts or c == "source_row":
            df[c] = pd.array(df[c].tolist(), dtype="Int64")
        elif c in flags:
            df[c] = pd.array(df[c].tolist(), dtype="boolean")
        elif c == "report_date":
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        elif c == "year":
            df[c] = df[c].astype("int64")
        else:
            df[c] = df[c].astype("string")
    return df


def schools_df(rows):
    return _frame(rows, SCHOOL_COUNTS, ["school_unit_title", "registered"], lambda *a: school(*a))


def villages_df(rows):
    return _frame(rows, VILLAGE_COUNTS, ["community_title"], lambda y, c, n, _t: village(y, c, n))


def orgs_df(rows):
    return _frame(rows, ORG_COUNTS, ["org_unit_title"], lambda y, c, n, t: org(y, c, n, t))


def write_year(ws: Workspace, year, schools=(), villages=(), orgs=(), completeness=None):
    folder = ws.processed(year)
    folder.mkdir(parents=True, exist_ok=True)
    schools_df(list(schools)).to_parquet(folder / "schools.parquet", index=False)
    villages_df(list(villages)).to_parquet(folder / "villages.parquet", index=False)
    orgs_df(list(orgs)).to_parquet(folder / "orgs.parquet", index=False)
    if completeness is not None:
        df = pd.DataFrame(completeness)
        if "year" not in df:
            df.insert(0, "year", year)
        Catalog(ws).write("completeness", df, year=year)


def row(table, geo, indicator, year=None):
    sub = table[(table["geo_code"] == geo) & (table["indicator"] == indicator)]
    if year is not None:
        sub = sub[sub["year"] == year]
    assert len(sub) == 1, (geo, indicator, len(sub))
    return sub.iloc[0]


REGISTRY = """school_id,name,aliases,commune_code,level,active_from,active_to,note
S1,Trường Tiểu học Một,,X-CHUGU,Tiểu học,2021,,Dữ liệu giả lập
S2,Trường THCS Hai,,X-CHUGU,THCS,2021,,Dữ liệu giả lập
S3,Trường Mầm non Ba,,X-IARSAI,Mầm non,2021,,Dữ liệu giả lập
S4,Trường THCS Bốn,,X-IARSAI,THCS,2021,2023,Dữ liệu giả lập
S5,Trường Tiểu học Năm,,X-UAR,Tiểu học,2021,,Dữ liệu giả lập
"""
