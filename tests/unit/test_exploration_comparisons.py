"""hoctap.analysis.exploration.comparisons: communes side by side, changes, relationships and
coverage flags on hand-worked indicator tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from builders.exploration import (
    TARGETS,
    coverage_years,
    four_communes,
    indicator_table,
    three_years,
)
from hoctap.analysis.exploration import comparisons as cmp


def test_commune_table_counts_intervals_funnel_and_gap():
    ct = cmp.commune_table(four_communes(), "family_title_rate", 2026, TARGETS)
    # lowest first, undefined rate on top
    assert ct["geo_code"].tolist() == ["D", "C", "B", "A"]
    row = ct.set_index("geo_code")
    assert row.loc["A", "numerator"] == 3 and row.loc["A", "denominator"] == 3
    assert row.loc["A", "ci_low"] == pytest.approx(43.85, abs=0.01)
    assert row.loc["A", "band"] == "within"
    assert row.loc["B", "band"] == "above_95"
    assert row.loc["C", "band"] == "below_998"
    assert (row["area_rate_pct"] == 50.0).all()
    # 2026 -> the first target year >= 2026 is 2030 (80%): B 60 - 80 = -20 points
    assert row.loc["B", "target_year"] == 2030 and row.loc["B", "gap_pp"] == pytest.approx(-20.0)
    assert row.loc["B", "schools_coverage_pct"] == pytest.approx(50.0)  # 2 of 4 schools
    assert row.loc["C", "villages_coverage_pct"] == pytest.approx(90.0)  # 9 of 10 villages
    assert math.isnan(row.loc["D", "rate_pct"]) and row.loc["D", "band"] == "within"


def test_commune_table_without_area_row_is_ratio_of_sums():
    # (3 + 60) / (3 + 100) = 61.17%, not the mean of 100% and 60% (80%)
    ind = indicator_table(
        [
            ("commune", "A", "Xã A", 3, 3, 1, 1, 2, 2),
            ("commune", "B", "Xã B", 60, 100, 2, 4, 10, 10),
        ],
        year=2024,
    )
    ct = cmp.commune_table(ind, "family_title_rate", 2024, TARGETS)
    assert ct["area_rate_pct"].iloc[0] == pytest.approx(6300 / 103)
    assert (ct["target_year"] == 2025).all() and (ct["target_pct"] == 70).all()  # 2024 -> 2025


def test_commune_table_without_targets_uses_its_own_target_columns():
    ct = cmp.commune_table(four_communes(), "family_title_rate", 2026)
    row = ct.set_index("geo_code")
    assert (ct["target_year"] == 2030).all() and (ct["target_pct"] == 80.0).all()
    assert row.loc["A", "gap_pp"] == pytest.approx(20.0)  # 100% against 80%


def test_year_changes():
    ch = cmp.year_changes(three_years(), "family_title_rate").set_index(["geo_code", "year"])
    assert ch.loc[("A", 2025), "change_pp"] == pytest.approx(20.0)
    assert ch.loc[("A", 2025), "z"] == pytest.approx(2.8284, abs=1e-4)
    assert bool(ch.loc[("A", 2025), "beyond_chance"])
    assert ch.loc[("A", 2026), "change_pp"] == pytest.approx(200 / 3 - 60)
    assert not bool(ch.loc[("A", 2026), "beyond_chance"])
    assert math.isnan(ch.loc[("B", 2026), "change_pp"])  # 2025 missing: no change
    assert math.isnan(ch.loc[("A", 2024), "change_pp"])


def test_relationship_and_partner():
    a = indicator_table([("commune", "A", "Xã A", 1, 2, 1, 1, 1, 1), ("commune", "B", "Xã B", 3, 4, 1, 1, 1, 1)])
    b = indicator_table(
        [("commune", "A", "Xã A", 1, 10, 1, 1, 1, 1), ("commune", "B", "Xã B", 0, 0, 1, 1, 1, 1)],
        indicator="worker_citizen_rate",
    )
    rel = cmp.relationship(pd.concat([a, b]), "family_title_rate", "worker_citizen_rate", 2026)
    rel = rel.set_index("geo_code")
    assert rel.loc["A", "rate_x_pct"] == 50.0 and rel.loc["A", "rate_y_pct"] == 10.0
    assert rel.loc["B", "denominator_y"] == 0 and math.isnan(rel.loc["B", "rate_y_pct"])
    assert cmp.partner_indicator("family_title_rate") == "worker_citizen_rate"
    assert cmp.partner_indicator("clan_title_rate") == "family_title_rate"
    assert cmp.partner_indicator("clan_title_rate", "member_policy_rate") == "member_policy_rate"
    assert cmp.partner_indicator("clan_title_rate", "clan_title_rate") == "family_title_rate"


def test_furthest_behind_and_rate_of():
    ct = cmp.commune_table(four_communes(), "family_title_rate", 2026, TARGETS)
    assert cmp.furthest_behind(ct) == "C"  # D has no rate: not "behind"
    assert cmp.rate_of(ct) == 50.0 and cmp.rate_of(ct, "B") == 60.0
    assert math.isnan(cmp.rate_of(ct, "nowhere")) and math.isnan(cmp.rate_of(ct.iloc[0:0]))
    assert cmp.furthest_behind(ct.loc[ct["geo_code"] == "D"]) is None


def test_coverage_flags():
    fl = cmp.coverage_flags(coverage_years(), "family_title_rate").set_index(["geo_code", "year"])
    assert bool(fl.loc[("A", 2025), "flag"])
    assert fl.loc[("A", 2025), "schools_coverage_change_pp"] == pytest.approx(50.0)
    assert fl.loc[("A", 2025), "reason"] == (
        "Tỷ lệ tăng 10,0 điểm % so với xu hướng chung của toàn địa bàn, cùng năm tỷ lệ trường "
        "báo cáo tăng 50,0 điểm %: thay đổi có thể do thay đổi nguồn báo cáo, cần kiểm tra."
    )
    assert not bool(fl.loc[("B", 2025), "flag"]) and fl.loc[("B", 2025), "reason"] == ""
    assert not bool(fl.loc[("C", 2025), "flag"])
    assert bool(fl.loc[("E", 2025), "flag"])
    assert "giảm 10,0 điểm %" in fl.loc[("E", 2025), "reason"]
    assert "tỷ lệ thôn, buôn có số liệu giảm 20,0 điểm %" in fl.loc[("E", 2025), "reason"]
    assert not fl.xs(2024, level="year")["flag"].any()  # no previous year, nothing to compare


def test_coverage_flags_ignore_an_area_wide_rise():
    # The area rises 10 points too: A's +10 is the common trend (excess 0), not flagged even
    # though its school coverage moved by 50 points. F rises 20 (excess +10) with coverage +50.
    t = indicator_table
    ind = pd.concat(
        [
            t([("area", "AREA", "", 100, 200, 8, 8, 20, 20)], year=2024),  # 50%
            t([("area", "AREA", "", 120, 200, 8, 8, 20, 20)], year=2025),  # 60%
            t([("commune", "A", "Xã A", 50, 100, 2, 4, 10, 10)], year=2024),
            t([("commune", "A", "Xã A", 60, 100, 4, 4, 10, 10)], year=2025),
            t([("commune", "F", "Xã F", 50, 100, 2, 4, 10, 10)], year=2024),
            t([("commune", "F", "Xã F", 70, 100, 4, 4, 10, 10)], year=2025),
        ]
    )
    fl = cmp.coverage_flags(ind, "family_title_rate").set_index(["geo_code", "year"])
    assert fl.loc[("A", 2025), "excess_change_pp"] == pytest.approx(0.0)
    assert not bool(fl.loc[("A", 2025), "flag"])
    assert fl.loc[("F", 2025), "excess_change_pp"] == pytest.approx(10.0)
    assert bool(fl.loc[("F", 2025), "flag"])
    assert fl.loc[("F", 2025), "coverage_change_pp"] == pytest.approx(50.0)


def test_coverage_flags_school_indicator_ignores_village_coverage():
    # school_unit_title_rate counts schools: a village coverage jump is no reason to doubt it
    code = "school_unit_title_rate"
    ind = pd.concat(
        [
            indicator_table([("commune", "A", "Xã A", 2, 4, 4, 4, 5, 10)], year=2024, indicator=code),
            indicator_table([("commune", "A", "Xã A", 3, 4, 4, 4, 10, 10)], year=2025, indicator=code),
        ]
    )
    fl = cmp.coverage_flags(ind, code).set_index(["geo_code", "year"])
    assert fl.loc[("A", 2025), "rate_change_pp"] == pytest.approx(25.0)
    assert fl.loc[("A", 2025), "villages_coverage_change_pp"] == pytest.approx(50.0)
    # only school coverage counts (4/4 both years): the village jump is not "coverage moved"
    assert fl.loc[("A", 2025), "coverage_change_pp"] == pytest.approx(0.0)
    assert not bool(fl.loc[("A", 2025), "flag"])
