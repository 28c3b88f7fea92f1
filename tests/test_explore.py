"""Exploration library (hoctap.explore) on hand-worked examples, and notebook 05 end to end
through papermill on the demo sample."""

from __future__ import annotations

import math
import shutil
import unicodedata

import nbformat
import pandas as pd
import pytest

from hoctap import explore as ex
from hoctap.paths import NOTEBOOKS_DIR, SHIPPED_REFERENCE_DIR, Workspace

VIET = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def _ind(rows, indicator="family_title_rate", year=2026) -> pd.DataFrame:
    """indicators.csv-shaped rows: (level, code, name, num, den, schools rep/exp, villages rep/known)."""
    out = []
    for level, code, name, num, den, sr, se, vr, vk, *yr in rows:
        out.append({
            "year": yr[0] if yr else year, "geo_level": level, "geo_code": code, "geo_name": name,
            "indicator": indicator, "numerator": num, "denominator": den,
            "rate_pct": 100 * num / den if den else None, "target_year": 2030, "target_pct": 80.0,
            "schools_reporting": sr, "schools_expected": se, "villages_reporting": vr, "villages_known": vk,
        })
    df = pd.DataFrame(out)
    for c in ("numerator", "denominator", "schools_reporting", "schools_expected", "villages_reporting",
              "villages_known"):
        df[c] = df[c].astype("Int64")
    return df


TARGETS = pd.DataFrame({"indicator": ["family_title_rate", "family_title_rate"],
                        "target_year": [2025, 2030], "target_pct": [70.0, 80.0]})


# ---- chance ---------------------------------------------------------------------------------


def test_wilson_three_of_three():
    # p = 1, n = 3, z = 1.959964, z² = 3.841459, z²/n = 1.280486, 1 + z²/n = 2.280486
    # centre = (1 + 3.841459/6) / 2.280486 = 0.719250
    # half = (1.959964 / 2.280486) * sqrt(0 + 3.841459/36) = 0.859451 * 0.326656 = 0.280745
    # -> 43.85% .. 100%: a small commune's 100% is compatible with a rate below half
    lo, hi = ex.wilson_interval(3, 3)
    assert lo == pytest.approx(43.85, abs=0.01)
    assert hi == pytest.approx(100.0)


def test_wilson_zero_of_ten_and_undefined():
    # p = 0, n = 10: z²/n = 0.384146; centre = 0.192073 / 1.384146 = 0.138767
    # half = 1.959964/1.384146 * sqrt(3.841459/400) = 1.416009 * 0.097998 = 0.138767 -> 0% .. 27.75%
    lo, hi = ex.wilson_interval(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-9)
    assert hi == pytest.approx(27.75, abs=0.01)
    assert all(math.isnan(v) for v in ex.wilson_interval(0, 0))
    assert all(math.isnan(v) for v in ex.wilson_interval(pd.NA, 10))


def test_wilson_middle():
    # 50 of 100: centre = (0.5 + 3.841459/200)/1.038415 = 0.5; half = 1.959964/1.038415*sqrt(0.0025+0.0000960)
    # = 1.887456 * 0.050951 = 0.096168 -> 40.38% .. 59.62%
    lo, hi = ex.wilson_interval(50, 100)
    assert lo == pytest.approx(40.38, abs=0.01)
    assert hi == pytest.approx(59.62, abs=0.01)


def test_funnel_limits():
    # area 50%, n = 100: se = sqrt(0.5*0.5/100) = 0.05
    # 95%:   50 ± 1.959964*5 = 50 ± 9.80  -> 40.20 .. 59.80
    # 99.8%: 50 ± 3.090232*5 = 50 ± 15.45 -> 34.55 .. 65.45
    # n = 4: se = 0.25, 99.8%: 50 ± 77.3 -> clipped to 0 .. 100
    lim = ex.funnel_limits(50, [100, 4])
    r = lim.iloc[0]
    assert (r["lower_95"], r["upper_95"]) == (pytest.approx(40.20, abs=0.01), pytest.approx(59.80, abs=0.01))
    assert (r["lower_998"], r["upper_998"]) == (pytest.approx(34.55, abs=0.01), pytest.approx(65.45, abs=0.01))
    assert lim.iloc[1]["lower_998"] == 0.0 and lim.iloc[1]["upper_998"] == 100.0


def test_funnel_z_and_band():
    # 60/100 against 50%: (0.6-0.5)/0.05 = 2.0 > 1.96 -> beyond 95%, within 99.8%
    assert ex.funnel_z(60, 100, 50) == pytest.approx(2.0)
    assert ex.funnel_band(2.0) == "above_95"
    # 30/100: -4.0 -> beyond 99.8% below
    assert ex.funnel_band(ex.funnel_z(30, 100, 50)) == "below_998"
    # 3/3 = 100% against 50%: (1-0.5)/sqrt(0.25/3) = 0.5/0.288675 = 1.732 -> within chance
    assert ex.funnel_z(3, 3, 50) == pytest.approx(1.7321, abs=1e-4)
    assert ex.funnel_band(ex.funnel_z(3, 3, 50)) == "within"
    assert ex.funnel_band(ex.funnel_z(0, 0, 50)) == "within"


def test_two_proportion_z():
    # 40/100 -> 60/100: pooled 0.5, se = sqrt(0.25*(1/100+1/100)) = 0.070711, z = 0.2/0.070711 = 2.828
    assert ex.two_proportion_z(40, 100, 60, 100) == pytest.approx(2.8284, abs=1e-4)
    assert math.isnan(ex.two_proportion_z(1, 0, 1, 1))


# ---- communes side by side ----------------------------------------------------------------


def test_commune_table_counts_intervals_funnel_and_gap():
    ind = _ind([
        ("area", "AREA", "", 150, 300, 9, 10, 40, 40),  # 50%
        ("commune", "A", "Xã A", 3, 3, 1, 1, 2, 2),  # 100%, z 1.73 -> within
        ("commune", "B", "Xã B", 60, 100, 2, 4, 10, 10),  # 60%, z 2.0 -> above 95
        ("commune", "C", "Xã C", 30, 100, 3, 3, 9, 10),  # 30%, z -4 -> below 99.8
        ("commune", "D", "Xã D", 0, 0, 0, 2, 0, 5),  # undefined
    ])
    ct = ex.commune_table(ind, "family_title_rate", 2026, TARGETS)
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
    ind = _ind([("commune", "A", "Xã A", 3, 3, 1, 1, 2, 2), ("commune", "B", "Xã B", 60, 100, 2, 4, 10, 10)],
               year=2024)
    ct = ex.commune_table(ind, "family_title_rate", 2024, TARGETS)
    assert ct["area_rate_pct"].iloc[0] == pytest.approx(6300 / 103)
    assert (ct["target_year"] == 2025).all() and (ct["target_pct"] == 70).all()  # 2024 -> 2025 target


def test_year_changes():
    ind = pd.concat([
        _ind([("commune", "A", "Xã A", 40, 100, 1, 1, 1, 1)], year=2024),
        _ind([("commune", "A", "Xã A", 60, 100, 1, 1, 1, 1)], year=2025),  # +20 pp, z 2.83
        _ind([("commune", "A", "Xã A", 2, 3, 1, 1, 1, 1)], year=2026),  # 66.7%: +6.7 pp on 3 -> chance
        _ind([("commune", "B", "Xã B", 5, 10, 1, 1, 1, 1)], year=2024),
        _ind([("commune", "B", "Xã B", 5, 10, 1, 1, 1, 1)], year=2026),  # 2025 missing: no change
    ])
    ch = ex.year_changes(ind, "family_title_rate").set_index(["geo_code", "year"])
    assert ch.loc[("A", 2025), "change_pp"] == pytest.approx(20.0)
    assert ch.loc[("A", 2025), "z"] == pytest.approx(2.8284, abs=1e-4)
    assert bool(ch.loc[("A", 2025), "beyond_chance"])
    assert ch.loc[("A", 2026), "change_pp"] == pytest.approx(200 / 3 - 60)
    assert not bool(ch.loc[("A", 2026), "beyond_chance"])
    assert math.isnan(ch.loc[("B", 2026), "change_pp"])
    assert math.isnan(ch.loc[("A", 2024), "change_pp"])


# ---- data-quality signals -----------------------------------------------------------------


def test_coverage_flags():
    ind = pd.concat([
        # A: rate 50 -> 60 (+10 pp) while schools 2/4 -> 4/4 (+50 pp): flagged
        _ind([("commune", "A", "Xã A", 50, 100, 2, 4, 8, 10)], year=2024),
        _ind([("commune", "A", "Xã A", 60, 100, 4, 4, 8, 10)], year=2025),
        # B: rate +10 pp, coverage unchanged: real movement, not flagged
        _ind([("commune", "B", "Xã B", 50, 100, 4, 4, 10, 10)], year=2024),
        _ind([("commune", "B", "Xã B", 60, 100, 4, 4, 10, 10)], year=2025),
        # C: rate +2 pp only, villages 5/10 -> 10/10 (+50 pp): not flagged (rate barely moved)
        _ind([("commune", "C", "Xã C", 50, 100, 4, 4, 5, 10)], year=2024),
        _ind([("commune", "C", "Xã C", 52, 100, 4, 4, 10, 10)], year=2025),
        # E: rate -10 pp while villages 10/10 -> 8/10 (-20 pp): flagged
        _ind([("commune", "E", "Xã E", 50, 100, 4, 4, 10, 10)], year=2024),
        _ind([("commune", "E", "Xã E", 40, 100, 4, 4, 8, 10)], year=2025),
    ])
    fl = ex.coverage_flags(ind, "family_title_rate").set_index(["geo_code", "year"])
    assert bool(fl.loc[("A", 2025), "flag"])
    assert fl.loc[("A", 2025), "schools_coverage_change_pp"] == pytest.approx(50.0)
    assert "trường báo cáo tăng" in fl.loc[("A", 2025), "reason"]
    assert not bool(fl.loc[("B", 2025), "flag"])
    assert not bool(fl.loc[("C", 2025), "flag"])
    assert bool(fl.loc[("E", 2025), "flag"]) and "thôn" in fl.loc[("E", 2025), "reason"]
    assert not fl.xs(2024, level="year")["flag"].any()  # no previous year, nothing to compare


# ---- breakdowns ---------------------------------------------------------------------------


def test_registered_vs_awarded():
    v = pd.DataFrame({
        "commune_code": ["X", "X", "X", "X", "Y"],
        "households_total": [100, 50, 70, 40, 10],
        "households_registered": [80, 10, 70, None, 10],
        "households_family_title": [60, 20, 70, 30, 5],
        "status": ["used", "used", "quarantined", "used", "used"],
    })
    for c in ("households_total", "households_registered", "households_family_title"):
        v[c] = v[c].astype("Int64")
    g = ex.registered_vs_awarded(v).set_index("commune_code")
    # X: the quarantined row and the row missing "registered" are left out: 150 hh, 90 reg, 80 awarded
    assert (g.loc["X", "households_total"], g.loc["X", "households_registered"],
            g.loc["X", "households_family_title"]) == (150, 90, 80)
    assert g.loc["X", "registered_pct"] == pytest.approx(60.0)  # 90/150
    assert g.loc["X", "awarded_pct"] == pytest.approx(160 / 3)  # 80/150 = 53.33
    assert g.loc["X", "awarded_of_registered_pct"] == pytest.approx(800 / 9)  # 80/90 = 88.89
    assert g.loc["X", "awarded_unregistered"] == 10  # second village: 20 awarded, 10 registered
    assert g.loc["Y", "awarded_of_registered_pct"] == pytest.approx(50.0)


def test_pearson_and_relationship():
    assert ex.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert ex.pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(ex.pearson([1, 2], [1, 2]))  # fewer than 3 communes: no correlation
    a = _ind([("commune", "A", "Xã A", 1, 2, 1, 1, 1, 1), ("commune", "B", "Xã B", 3, 4, 1, 1, 1, 1)])
    b = _ind([("commune", "A", "Xã A", 1, 10, 1, 1, 1, 1), ("commune", "B", "Xã B", 0, 0, 1, 1, 1, 1)],
             indicator="worker_citizen_rate")
    rel = ex.relationship(pd.concat([a, b]), "family_title_rate", "worker_citizen_rate", 2026).set_index("geo_code")
    assert rel.loc["A", "rate_x_pct"] == 50.0 and rel.loc["A", "rate_y_pct"] == 10.0
    assert rel.loc["B", "denominator_y"] == 0 and math.isnan(rel.loc["B", "rate_y_pct"])


def test_coverage_flags_ignore_an_area_wide_rise():
    # The area rises 10 points too: A's +10 is the common trend (excess 0), not flagged even though
    # its school coverage moved by 50 points. F rises 20 (excess +10) with coverage +50: flagged.
    ind = pd.concat([
        _ind([("area", "AREA", "", 100, 200, 8, 8, 20, 20)], year=2024),  # 50%
        _ind([("area", "AREA", "", 120, 200, 8, 8, 20, 20)], year=2025),  # 60%
        _ind([("commune", "A", "Xã A", 50, 100, 2, 4, 10, 10)], year=2024),
        _ind([("commune", "A", "Xã A", 60, 100, 4, 4, 10, 10)], year=2025),
        _ind([("commune", "F", "Xã F", 50, 100, 2, 4, 10, 10)], year=2024),
        _ind([("commune", "F", "Xã F", 70, 100, 4, 4, 10, 10)], year=2025),
    ])
    fl = ex.coverage_flags(ind, "family_title_rate").set_index(["geo_code", "year"])
    assert fl.loc[("A", 2025), "excess_change_pp"] == pytest.approx(0.0)
    assert not bool(fl.loc[("A", 2025), "flag"])
    assert fl.loc[("F", 2025), "excess_change_pp"] == pytest.approx(10.0)
    assert bool(fl.loc[("F", 2025), "flag"])
    assert fl.loc[("F", 2025), "coverage_change_pp"] == pytest.approx(50.0)


def test_coverage_flags_school_indicator_ignores_village_coverage():
    # school_unit_title_rate counts schools: a village coverage jump is no reason to doubt it
    ind = pd.concat([
        _ind([("commune", "A", "Xã A", 2, 4, 4, 4, 5, 10)], year=2024, indicator="school_unit_title_rate"),
        _ind([("commune", "A", "Xã A", 3, 4, 4, 4, 10, 10)], year=2025, indicator="school_unit_title_rate"),
    ])
    fl = ex.coverage_flags(ind, "school_unit_title_rate").set_index(["geo_code", "year"])
    assert fl.loc[("A", 2025), "rate_change_pp"] == pytest.approx(25.0)
    assert not bool(fl.loc[("A", 2025), "flag"])


# ---- breakdowns through the indicator definitions ------------------------------------------


def _mapped():
    """Unit tables as hoctap.indicators.map_tables returns them (geo_code, weight)."""
    schools = pd.DataFrame({
        "school_id": ["S1", "S2", "S3"], "geo_code": ["A", "A", "B"], "weight": [1.0, 1.0, 1.0],
        "status": ["used", "used", "used"], "school_level": ["Mầm non", "THCS", None],
        "school_unit_title": pd.array([True, False, True], dtype="boolean"),
        "staff_total": pd.array([10, 20, 30], dtype="Int64"), "staff_citizen": pd.array([5, 10, 30], dtype="Int64"),
    })
    villages = pd.DataFrame({
        "village": ["Thôn 1", "Thôn 2", "Buôn Ma", "Buôn Ma", "Thôn 9"],
        "village_key": ["thon1", "thon2", "buonma", "buonma", "thon9"],
        "school_id": ["S1", "S2", "S2", "S1", "S3"], "geo_code": ["A", "A", "A", "A", "B"],
        "weight": [1.0] * 5, "status": ["used", "used", "used", "duplicate", "used"],
        "households_total": pd.array([100, 50, 10, 10, 40], dtype="Int64"),
        "households_registered": pd.array([90, 40, 10, 10, 30], dtype="Int64"),
        "households_family_title": pd.array([80, 20, 3, 3, None], dtype="Int64"),
    })
    orgs = pd.DataFrame(columns=["school_id", "geo_code", "weight", "status"])
    return {"schools": schools, "villages": villages, "orgs": orgs}


def test_breakdown_uses_the_indicator_definitions():
    m = _mapped()
    labels = {"villages": m["villages"]["school_id"].map({"S1": "g1", "S2": "g2", "S3": "g3"})}
    bd = ex.breakdown(m, "family_title_rate", labels).set_index("group")
    # g1: Thôn 1 only (80/100; the "duplicate" Buôn Ma row from S1 is not used)
    # g2: Thôn 2 + Buôn Ma = (20 + 3) / (50 + 10) = 23/60 = 38.33%
    # g3: Thôn 9 has no awarded count: left out of the indicator, not read as 0 -> no group
    assert (bd.loc["g1", "numerator"], bd.loc["g1", "denominator"]) == (80, 100)
    assert (bd.loc["g2", "numerator"], bd.loc["g2", "denominator"]) == (23, 60)
    assert bd.loc["g2", "rate_pct"] == pytest.approx(230 / 6)
    assert "g3" not in bd.index
    lo, hi = ex.wilson_interval(23, 60)
    assert (bd.loc["g2", "ci_low"], bd.loc["g2", "ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    # one commune only
    only_b = ex.breakdown(m, "family_title_rate", labels, commune="B")
    assert only_b.empty


def test_breakdown_titled_staff_only():
    # school_staff_citizen_rate counts staff of titled schools only: S1 (5/10) and S3 (30/30);
    # S2 has no title and stays out of numerator and denominator.
    m = _mapped()
    labels = {"schools": m["schools"]["school_id"].map({"S1": "x", "S2": "x", "S3": "y"})}
    bd = ex.breakdown(m, "school_staff_citizen_rate", labels).set_index("group")
    assert (bd.loc["x", "numerator"], bd.loc["x", "denominator"]) == (5, 10)
    assert (bd.loc["y", "numerator"], bd.loc["y", "denominator"]) == (30, 30)


def test_school_levels_registry_first_then_submission(tmp_path):
    ref_dir = tmp_path / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref_dir)
    from hoctap.reference import Reference

    ref = Reference(ref_dir)
    schools = pd.DataFrame({"school_id": ["KP001", "NEW1", "NEW2"],
                            "school_level": ["Tiểu học", "THCS", None]})
    lv = ex.school_levels(ref, schools)
    assert lv["KP001"] == "Mầm non"  # the registry says Mầm non; the submission's "Tiểu học" loses
    assert lv["NEW1"] == "THCS"  # unregistered: the submission's Cấp học
    assert lv["NEW2"] == ex.UNKNOWN_LEVEL


def test_breakdowns_on_an_exploration(tmp_path):
    ref_dir = tmp_path / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref_dir)
    from hoctap.reference import Reference

    m = _mapped()
    comp = pd.DataFrame({"school_id": ["S1", "S2", "S3", "S4"], "submitted": [True, True, True, False],
                         "on_time": [True, False, True, False]})
    data = ex.Exploration(Reference(ref_dir), None, [2026], pd.DataFrame(), {2026: m}, {2026: comp})
    t = ex.breakdown_by_timeliness(data, "family_title_rate", 2026).set_index("group")
    # on time: S1 (Thôn 1: 80/100); late: S2 (Thôn 2 + Buôn Ma: 23/60)
    assert (t.loc[ex.ON_TIME, "numerator"], t.loc[ex.ON_TIME, "denominator"]) == (80, 100)
    assert (t.loc[ex.LATE, "numerator"], t.loc[ex.LATE, "denominator"]) == (23, 60)
    lv = ex.breakdown_by_level(data, "family_title_rate", 2026)
    # S1 Mầm non, S2 THCS (not in the registry: the submission's level); ordered as the template lists them
    assert lv["group"].tolist() == ["Mầm non", "THCS"]
    v = ex.breakdown_by_village(data, "family_title_rate", 2026, "A")
    assert v["group"].tolist() == ["Buôn Ma", "Thôn 2", "Thôn 1"]  # 30%, 40%, 80%: lowest first
    assert ex.breakdown_by_village(data, "school_unit_title_rate", 2026, "A").empty


# ---- reading and figures ------------------------------------------------------------------


def _is_vietnamese(text: str) -> bool:
    return any(ch in VIET for ch in unicodedata.normalize("NFC", text.lower()))


def test_reading_names_the_commune_behind_and_whether_it_is_chance():
    ind = _ind([
        ("area", "AREA", "", 150, 300, 9, 10, 40, 40),
        ("commune", "A", "xã A", 3, 3, 1, 1, 2, 2),
        ("commune", "B", "xã B", 60, 100, 2, 4, 10, 10),
        ("commune", "C", "xã C", 30, 100, 3, 3, 9, 10),
    ])
    ct = ex.commune_table(ind, "family_title_rate", 2026, TARGETS)
    text = ex.reading(ct, ex.year_changes(ind, "family_title_rate"), ex.coverage_flags(ind, "family_title_rate"),
                      "family_title_rate", 2026)
    assert "Thấp nhất là **xã C**: 30,0% (30/100" in text
    assert "vượt giới hạn 99,8%" in text  # C is 4 standard errors below the area
    assert "còn thiếu 50,0 điểm %" in text  # 30 against the 2030 target of 80
    assert "Cao nhất là **xã A**: 100,0% (3/3" in text
    assert "trong giới hạn dao động ngẫu nhiên" in text  # 3 of 3 is not evidence
    assert "xã B (2/4 trường)" in text  # coverage below 80%
    assert "người phân tích thay" in text


def test_figures_have_vietnamese_titles(tmp_path):
    ind = pd.concat([
        _ind([("area", "AREA", "", 150, 300, 9, 10, 40, 40), ("commune", "A", "xã A", 3, 3, 1, 1, 2, 2),
              ("commune", "B", "xã B", 60, 100, 2, 4, 10, 10)], year=2025),
        _ind([("area", "AREA", "", 160, 300, 9, 10, 40, 40), ("commune", "A", "xã A", 3, 3, 1, 1, 2, 2),
              ("commune", "B", "xã B", 70, 100, 4, 4, 10, 10)], year=2026),
        _ind([("commune", "A", "xã A", 1, 2, 1, 1, 2, 2), ("commune", "B", "xã B", 30, 100, 4, 4, 10, 10)],
             year=2026, indicator="worker_citizen_rate"),
    ])
    ct = ex.commune_table(ind, "family_title_rate", 2026, TARGETS)
    bd = ex.breakdown(_mapped(), "family_title_rate", {"villages": _mapped()["villages"]["village"]})
    rva = ex.registered_vs_awarded(_mapped()["villages"], by="geo_code")
    figs = [
        ex.fig_communes(ct, "family_title_rate", 2026),
        ex.fig_funnel(ct, "family_title_rate", 2026),
        ex.fig_trends(ind, "family_title_rate", 2025, 2026),
        ex.fig_breakdown(bd, "family_title_rate", "Theo thôn, buôn", reference_pct=50),
        ex.fig_breakdown(bd.iloc[0:0], "family_title_rate", "Không có nhóm nào"),
        ex.fig_registered(rva, 2026, {"A": "xã A"}),
        ex.fig_relationship(ex.relationship(ind, "family_title_rate", "worker_citizen_rate", 2026),
                            "family_title_rate", "worker_citizen_rate", 2026),
        ex.fig_coverage(ex.coverage_flags(ind, "family_title_rate"), "family_title_rate"),
    ]
    for i, fig in enumerate(figs):
        chart = ex.Chart(fig)
        assert _is_vietnamese(chart.title), chart.title
        assert chart.png.startswith(b"\x89PNG")
        bundle = chart._repr_mimebundle_()
        assert bundle["text/plain"] == f"Hình: {chart.title}"
        chart.save(tmp_path / f"{i}.png")
        assert (tmp_path / f"{i}.png").stat().st_size > 5000


# ---- notebook 05 end to end ---------------------------------------------------------------

NOTEBOOK = NOTEBOOKS_DIR / "05-explore.ipynb"


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory) -> Workspace:
    """The demo sample 2021-2026, cleaned and with indicators: built once for the module."""
    from hoctap.clean import clean_year
    from hoctap.demo import generate
    from hoctap.indicators import build_year

    root = tmp_path_factory.mktemp("explore")
    ws = Workspace.at(root / "data", root / "reports")
    generate(ws, years=range(2021, 2027))
    for year in range(2021, 2027):
        clean_year(ws, year)
        build_year(ws, year)
    return ws


def test_notebook_is_committed_clean_with_its_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in ('data_dir = "../data"', 'reports_dir = "../reports"', 'indicator = "family_title_rate"',
                 "year_from = 2021", "year_to = 2026", 'geography_date = ""'):
        assert line in params[0].source
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def test_notebook_runs_on_the_demo_through_papermill(demo_workspace, tmp_path):
    import papermill as pm

    out = tmp_path / "05-explore.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(NOTEBOOKS_DIR), progress_bar=False,
        parameters={"data_dir": str(demo_workspace.data_dir), "reports_dir": str(demo_workspace.reports_dir)},
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 6
    titles = [o["data"].get("text/plain", "") for o in images]
    for title in titles:
        assert title.startswith("Hình: ") and _is_vietnamese(title), title
    assert len(set(titles)) == len(titles)  # every figure has its own title
    markdown = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
    assert "dữ liệu giả lập" in markdown  # the sample is labelled as synthetic
    assert "Thấp nhất là **" in markdown and "người phân tích thay" in markdown  # the written reading
    assert "Đạt/tổng số" in "\n".join(o["data"].get("text/html", "") for o in outputs if "data" in o)
