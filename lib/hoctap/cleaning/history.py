"""Consistency over time (WHO): counts and rates against the village's or school's own past years."""

from __future__ import annotations

import pandas as pd

from hoctap.catalog import Catalog
from hoctap.cleaning.assess import LABELS, Assessed, carry, cell_finding, issue_row
from hoctap.intake import schema
from hoctap.intake.workbook import Finding
from hoctap.paths import Workspace

COUNT_VILLAGE = schema.count_fields(schema.VILLAGES)


COUNT_ORG = schema.count_fields(schema.ORGS)


COUNT_UNIT = schema.count_fields(schema.UNIT)


RATES = {
    "villages": (
        ("households_family_title", "households_total"),
        ("clans_title", "clans_total"),
        ("workers_citizen", "workers_total"),
    ),
    "unit": (
        ("staff_citizen", "staff_total"),
        ("members_policy", "members_total"),
        ("cadres_clc_it", "cadres_total"),
    ),
}


def _history(ws: Workspace, year: int, name: str) -> list[pd.DataFrame]:
    out = []
    for y in range(year - 3, year):
        if Catalog(ws).exists(name, year=y):
            try:
                df = Catalog(ws).read(name, year=y)
            except Exception:
                continue
            out.append(df[df["status"] == "used"])
    return out


def outliers(ws, ref, year, geo, villages, schools, assessed) -> list[dict]:
    """WHO consistency over time: ratio to the mean of up to 3 previous years, rate moves > 30 points."""
    cells = {a.rel: a for a in assessed}
    out: list[dict] = []
    vh = _history(ws, year, "villages")
    if vh and not villages.empty:
        hist = pd.concat(vh, ignore_index=True)
        hist["commune_code"] = [(carry(ref, c, geo) or c) if isinstance(c, str) else c for c in hist["commune_code"]]
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
    sh = _history(ws, year, "schools")
    if sh and not schools.empty:
        hist = pd.concat(sh, ignore_index=True)
        per_year = hist.groupby(["school_id", "year"])[COUNT_UNIT].mean()
        means = per_year.groupby(level=0).mean()
        last = per_year.groupby(level=0).tail(1).droplevel(1)
        for _, row in schools[schools["status"] == "used"].iterrows():
            if row["school_id"] not in means.index:
                continue
            a = cells[row["source_path"]]
            out += _check_history(
                row,
                means.loc[row["school_id"]],
                last.loc[row["school_id"]],
                COUNT_UNIT,
                RATES["unit"],
                a.sub.unit_cells,
                a,
                year,
            )
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
        if (
            any(pd.isna(x) for x in (row[part], row[whole], last[part], last[whole]))
            or not row[whole]
            or not last[whole]
        ):
            continue
        now = 100 * float(row[part]) / float(row[whole])
        before = 100 * float(last[part]) / float(last[whole])
        if abs(now - before) > 30:
            out.append(_hist_issue("outlier_rate", part, addr, f"{now:.0f}", f"{before:.0f}", a, year))
    return out


def _hist_issue(code, fname, addr, value, expected, a: Assessed, year) -> dict:
    cell = addr.get(fname, "")
    f = cell_finding(code, cell, fname, str(value)) if "!" in cell else Finding(code, field=fname, value=str(value))
    f.params = {"field_label": LABELS[fname][:1].lower() + LABELS[fname][1:], "expected": expected}
    return issue_row(a.rel, year, f, a.school_id)
