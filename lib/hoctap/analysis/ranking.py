"""Communes ranked against their targets: the one ranking that every document prints.

The annual report ranks a year's commune rows (``indicators.csv``) against the target that
governs that year; a review ranks its last year against the period's target (``summary.csv``).
Both are the same computation, so it lives here, in the analysis layer, and not in a report.
"""

from __future__ import annotations

import pandas as pd

from hoctap.vocabulary import GOOD

COLUMNS = ["geo_code", "geo_name", "n", "n_good", "margin", "rank"]


def commune_ranking(
    rows: pd.DataFrame, rate: str = "rate_pct", target: str = "target_pct", status: str = "status"
) -> pd.DataFrame:
    """Communes by their mean margin over target (rate minus target, percentage points), best first.

    Only indicators with both a rate and a target count; ``n`` is how many, ``n_good`` how many
    of them are met or on track. Equal margins are ordered by name. ``rows`` may hold other
    geography levels: only ``geo_level == "commune"`` rows are ranked.
    """
    com = rows[rows["geo_level"] == "commune"] if "geo_level" in rows else rows
    com = com.dropna(subset=[rate, target])
    if not len(com):
        return pd.DataFrame(columns=COLUMNS)
    com = com.assign(
        margin=com[rate].astype(float) - com[target].astype(float),
        good=com[status].isin(GOOD),
    )
    out = (
        com.groupby(["geo_code", "geo_name"], dropna=False)
        .agg(n=("margin", "size"), n_good=("good", "sum"), margin=("margin", "mean"))
        .reset_index()
        .sort_values(["margin", "geo_name"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    out["rank"] = range(1, len(out) + 1)
    return out[COLUMNS]
