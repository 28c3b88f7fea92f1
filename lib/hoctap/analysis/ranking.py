"""How a year's figures are judged: the one rule every document, table and chart prints.

The rule (``docs/methodology.md``, "Đánh giá"): an indicator is judged against the first target
at or after the year (``indicators.governing_target``). In that target's year it is "Đạt" or
"Chưa đạt"; before it, "Đúng tiến độ" or "Chậm tiến độ" against the straight line from the
geography's baseline to that target. So an indicator with no target in 2021-2025 (the community,
unit and unit-staff rates) is judged against its 2030 line in 2021-2025, in the annual reports
and in the sơ kết alike; an indicator with no target at all is not judged.

The annual report, the reviews and the exploration take counts and rankings from here, computed
on the year's rows (``indicators.csv`` or the review's ``indicators.csv`` for that year), so the
same year shows the same figure, status and rank in every document.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hoctap.text import fold
from hoctap.vocabulary import GOOD, STATUS_BEHIND, STATUS_MET, STATUS_NOT_MET, STATUS_ON_TRACK

COLUMNS = ["geo_code", "geo_name", "n", "n_good", "margin", "rank"]


def benchmark(rows: pd.DataFrame) -> pd.Series:
    """The level each row was judged against: the straight line's value before the target year,
    the target itself in (and after) it."""
    traj = rows["trajectory_pct"] if "trajectory_pct" in rows else pd.Series(float("nan"), index=rows.index)
    return traj.astype(float).where(traj.notna(), rows["target_pct"].astype(float))


@dataclass(frozen=True)
class Tally:
    """How many of a year's indicators were judged, and how: the counts every document prints."""

    judged: int
    met: int
    on_track: int
    behind: int
    not_met: int
    unjudged: int  # a rate without a target, or a target without a rate

    @property
    def good(self) -> int:
        return self.met + self.on_track

    @property
    def bad(self) -> int:
        return self.behind + self.not_met


def tally(rows: pd.DataFrame) -> Tally:
    """Counts of statuses of the area's rows of one year (``geo_level == "area"`` when present)."""
    area = rows[rows["geo_level"] == "area"] if "geo_level" in rows else rows
    s = area["status"].astype("string")
    counts = {k: int((s == k).sum()) for k in (STATUS_MET, STATUS_ON_TRACK, STATUS_BEHIND, STATUS_NOT_MET)}
    judged = sum(counts.values())
    return Tally(
        judged,
        counts[STATUS_MET],
        counts[STATUS_ON_TRACK],
        counts[STATUS_BEHIND],
        counts[STATUS_NOT_MET],
        len(area) - judged,
    )


def commune_ranking(rows: pd.DataFrame) -> pd.DataFrame:
    """Communes of one year, best first: by the share of judged indicators met or on track, then
    by the mean margin over what each had to reach (``benchmark``, percentage points), then name.

    ``n`` is the number of judged indicators, ``n_good`` how many are met or on track; a margin
    is positive exactly when the indicator is met or on track, so the words and the statuses
    never disagree. Only ``geo_level == "commune"`` rows are ranked.
    """
    com = rows[rows["geo_level"] == "commune"] if "geo_level" in rows else rows
    com = com[com["status"].notna() & com["rate_pct"].notna()]
    if not len(com):
        return pd.DataFrame(columns=COLUMNS)
    com = com.assign(margin=com["rate_pct"].astype(float) - benchmark(com), good=com["status"].isin(GOOD))
    out = (
        com.groupby(["geo_code", "geo_name"], dropna=False)
        .agg(n=("margin", "size"), n_good=("good", "sum"), margin=("margin", "mean"))
        .reset_index()
    )
    out = out.assign(_share=out["n_good"] / out["n"], _name=out["geo_name"].map(fold))
    out = out.sort_values(["_share", "margin", "_name"], ascending=[False, False, True], kind="stable")
    out = out.reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    return out[COLUMNS]
