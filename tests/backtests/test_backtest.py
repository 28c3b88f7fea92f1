"""Backtests: the cleaned demo years against the figures the generator meant to write.

The demo writes, outside raw/, what every file should become and the true figures of every row
(``demo_truth/<year>.json``). Here the expected indicator figures are summed from that truth
file with plain Python, independently of pandas and of the library's aggregation, and compared
with what ``clean`` and ``indicators`` produced from the workbooks themselves. 2024 is an
ordinary year on the old communes; 2025 is the stress year (every bad case, the merger).
"""

from __future__ import annotations

import json
import math
import shutil
from collections import defaultdict

import pandas as pd
import pytest

from hoctap.cleaning.clean import clean_year
from hoctap.io import read_csv
from hoctap.paths import SHIPPED_REFERENCE_DIR

YEARS = (2024, 2025)


pytestmark = pytest.mark.slow  # every test reads the demo sample, cleaned by the whole pipeline


@pytest.fixture(scope="module")
def demo(demo_sample):
    """The session's demo sample (2021-2026, cleaned, with indicators) and its truth for YEARS."""
    ws = demo_sample
    assert (ws.reference_dir / "schools.csv").read_bytes() == (SHIPPED_REFERENCE_DIR / "schools.csv").read_bytes()
    truth = {y: json.loads((ws.data_dir / "demo_truth" / f"{y}.json").read_text(encoding="utf-8")) for y in YEARS}
    return ws, truth


def _used(rows):
    return [r for r in rows if r["status"] == "used"]


def expected_area(truth: dict) -> dict[str, tuple[int, int]]:
    """Numerator and denominator of each indicator for the whole area, summed by hand."""
    villages = _used(truth["villages"])
    schools = _used(truth["schools"])
    orgs = _used(truth["orgs"])
    out: dict[str, tuple[int, int]] = {}

    def ratio(code, rows, num, den):
        pairs = [(r["figures"][num], r["figures"][den]) for r in rows]
        pairs = [(n, d) for n, d in pairs if n is not None and d is not None]
        out[code] = (sum(n for n, _ in pairs), sum(d for _, d in pairs))

    ratio("family_title_rate", villages, "households_family_title", "households_total")
    ratio("clan_title_rate", villages, "clans_title", "clans_total")
    ratio("worker_citizen_rate", villages, "workers_citizen", "workers_total")
    ratio("member_policy_rate", schools, "members_policy", "members_total")
    ratio("cadre_clc_it_rate", schools, "cadres_clc_it", "cadres_total")
    titled = [s for s in schools if s["figures"]["school_unit_title"] is True]
    ratio("school_staff_citizen_rate", titled, "staff_citizen", "staff_total")
    community = [v["figures"]["community_title"] for v in villages if v["figures"]["community_title"] is not None]
    out["community_title_rate"] = (sum(community), len(community))
    school_titles = [
        s["figures"]["school_unit_title"] for s in schools if s["figures"]["school_unit_title"] is not None
    ]
    out["school_unit_title_rate"] = (sum(school_titles), len(school_titles))
    org_titles = [o["figures"]["org_unit_title"] for o in orgs if o["figures"]["org_unit_title"] is not None]
    out["unit_title_rate"] = (
        sum(school_titles) + sum(org_titles),
        len(school_titles) + len(org_titles),
    )
    titled_orgs = [o for o in orgs if o["figures"]["org_unit_title"] is True]
    out["unit_staff_citizen_rate"] = (
        out["school_staff_citizen_rate"][0] + sum(o["figures"]["org_staff_citizen"] for o in titled_orgs),
        out["school_staff_citizen_rate"][1] + sum(o["figures"]["org_staff_total"] for o in titled_orgs),
    )
    return out


@pytest.mark.parametrize("year", YEARS)
def test_every_file_gets_the_status_the_generator_meant(demo, year):
    ws, truth = demo
    intake = read_csv(ws.processed(year) / "intake.csv", dtype=str, keep_default_na=False)
    got = {p.split("/", 1)[1]: s for p, s in zip(intake["path"], intake["status"], strict=True)}
    want = {path: f["status"] for path, f in truth[year]["files"].items()}
    assert got == want


@pytest.mark.parametrize("year", YEARS)
def test_used_village_rows_hold_the_true_figures(demo, year):
    ws, truth = demo
    villages = pd.read_parquet(ws.processed(year) / "villages.parquet")
    used = villages[villages["status"] == "used"]
    got = {
        (r.school_id, r.village_key): (
            int(r.households_total),
            int(r.households_family_title),
            int(r.workers_citizen),
        )
        for r in used.itertuples()
    }
    want = {
        (v["school_id"], v["village_key"]): (
            v["figures"]["households_total"],
            v["figures"]["households_family_title"],
            v["figures"]["workers_citizen"],
        )
        for v in _used(truth[year]["villages"])
    }
    assert got == want


@pytest.mark.parametrize("year", YEARS)
def test_area_indicators_match_hand_sums(demo, year):
    ws, truth = demo
    ind = read_csv(ws.processed(year) / "indicators.csv")
    area = ind[ind["geo_level"] == "area"].set_index("indicator")
    expected = expected_area(truth[year])
    assert set(expected) == set(area.index)
    for code, (num, den) in expected.items():
        row = area.loc[code]
        assert (row["numerator"], row["denominator"]) == (num, den), code
        assert math.isclose(row["rate_pct"], 100 * num / den), code


def test_merger_year_communes_are_the_new_ones(demo):
    """2025 reports are dated after 1 July 2025: four communes, each the sum of its old ones."""
    ws, truth = demo
    ind = read_csv(ws.processed(2025) / "indicators.csv")
    communes = ind[(ind["geo_level"] == "commune") & (ind["indicator"] == "family_title_rate")]
    assert sorted(communes["geo_code"]) == ["XM-IADREH", "XM-IARSAI", "XM-PHUTUC", "XM-UAR"]
    by_commune: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in _used(truth[2025]["villages"]):
        by_commune[v["commune_code"]][0] += v["figures"]["households_family_title"]
        by_commune[v["commune_code"]][1] += v["figures"]["households_total"]
    for row in communes.itertuples():
        assert [row.numerator, row.denominator] == by_commune[row.geo_code], row.geo_code


def test_expected_and_missing_schools(demo):
    """Not submitted = sent nothing, or sent only files that were rejected (corrupt, empty...)."""
    ws, truth = demo
    for year in YEARS:
        comp = read_csv(ws.processed(year) / "completeness.csv", dtype=str, keep_default_na=False)
        not_submitted = set(comp.loc[comp["submitted"].str.lower() == "false", "school_id"])
        files = truth[year]["files"].values()
        accepted = {f["school_id"] for f in files if f["status"] == "accepted"}
        only_rejected = {f["school_id"] for f in files if f["status"] == "rejected"} - accepted
        expected = set(truth[year]["expected_schools"])
        assert not_submitted == set(truth[year]["missing_schools"]) | (only_rejected & expected), year


def test_clean_year_returns_what_the_ground_truth_says(demo_sample, workspace):
    """clean_year's own result (not the files it wrote), on a private copy of the 2024-2025 raw files.

    Moved from test_clean.py; the sample comes from the session fixture instead of its own run.
    """
    shutil.copytree(demo_sample.data_dir / "demo_truth", workspace.data_dir / "demo_truth")
    for year in (2024, 2025):
        shutil.copytree(demo_sample.raw(year), workspace.raw(year))
    truth_dir = workspace.data_dir / "demo_truth"
    for year in (2024, 2025):
        res = clean_year(workspace, year)
        truth = json.loads((truth_dir / f"{year}.json").read_text(encoding="utf-8"))
        status = {p.split("/", 1)[1]: s for p, s in zip(res.intake["path"], res.intake["status"], strict=True)}
        assert {f: t["status"] for f, t in truth["files"].items()} == {f: status.get(f) for f in truth["files"]}
        got = {
            (p.split("/", 1)[1], k): s
            for p, k, s in zip(
                res.villages["source_path"],
                res.villages["village_key"],
                res.villages["status"],
                strict=True,
            )
        }
        # A village may be absent only when its whole file was refused before any row was read.
        missing = [t for t in truth["villages"] if (t["file"], t["village_key"]) not in got]
        files_with_rows = {f for f, _ in got}
        assert all(
            truth["files"][t["file"]]["status"] == "rejected" and t["file"] not in files_with_rows for t in missing
        ), missing
        for t in truth["villages"]:
            if (t["file"], t["village_key"]) in got:
                assert got[(t["file"], t["village_key"])] == t["status"], t
                if t["status"] == "used":
                    row = res.villages[
                        (res.villages["source_path"] == f"{year}/{t['file']}")
                        & (res.villages["village_key"] == t["village_key"])
                    ]
                    assert row["commune_code"].item() == t["commune_code"]
                    for k, v in t["figures"].items():
                        assert (None if pd.isna(row[k].item()) else row[k].item()) == v, (
                            t["file"],
                            k,
                        )
