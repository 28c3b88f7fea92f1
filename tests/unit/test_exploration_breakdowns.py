"""hoctap.analysis.exploration.breakdowns: the indicator recomputed by group through the
indicator definitions, and registered against awarded households."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from builders.exploration import mapped, registered_villages
from hoctap.analysis.exploration import breakdowns as bd
from hoctap.analysis.exploration.comparisons import Exploration
from hoctap.analysis.exploration.statistics import wilson_interval
from hoctap.paths import SHIPPED_REFERENCE_DIR
from hoctap.reference import Reference


@pytest.fixture
def reference(tmp_path) -> Reference:
    shutil.copytree(SHIPPED_REFERENCE_DIR, tmp_path / "reference")
    return Reference(tmp_path / "reference")


def test_registered_vs_awarded():
    g = bd.registered_vs_awarded(registered_villages()).set_index("commune_code")
    # X: the quarantined row and the row missing "registered" are left out: 150 hh, 90 reg,
    # 80 awarded
    assert (
        g.loc["X", "households_total"],
        g.loc["X", "households_registered"],
        g.loc["X", "households_family_title"],
    ) == (150, 90, 80)
    assert g.loc["X", "registered_pct"] == pytest.approx(60.0)  # 90/150
    assert g.loc["X", "awarded_pct"] == pytest.approx(160 / 3)  # 80/150 = 53.33
    assert g.loc["X", "awarded_of_registered_pct"] == pytest.approx(800 / 9)  # 80/90 = 88.89
    assert g.loc["X", "awarded_unregistered"] == 10  # second village: 20 awarded, 10 registered
    assert g.loc["Y", "awarded_of_registered_pct"] == pytest.approx(50.0)


def test_registered_vs_awarded_counts_a_split_share():
    # A village split between two communes counts 0.25 of its households in this one:
    # 0.25 * 100 = 25 households, 0.25 * 80 = 20 registered, 0.25 * 60 = 15 awarded
    v = registered_villages().iloc[[0]].assign(weight=0.25)
    g = bd.registered_vs_awarded(v).set_index("commune_code")
    assert (
        g.loc["X", "households_total"],
        g.loc["X", "households_registered"],
        g.loc["X", "households_family_title"],
    ) == (25, 20, 15)
    assert str(g["households_total"].dtype) == "Int64"
    # 0.125 of it: 12.5 households, 10 registered, 7.5 awarded: fractions stay fractions
    g = bd.registered_vs_awarded(v.assign(weight=0.125)).set_index("commune_code")
    assert str(g["households_total"].dtype) == "Float64"
    assert (g.loc["X", "households_total"], g.loc["X", "households_family_title"]) == (12.5, 7.5)
    assert g.loc["X", "awarded_of_registered_pct"] == pytest.approx(75.0)  # 7.5 / 10


def test_breakdown_uses_the_indicator_definitions():
    m = mapped()
    labels = {"villages": m["villages"]["school_id"].map({"S1": "g1", "S2": "g2", "S3": "g3"})}
    out = bd.breakdown(m, "family_title_rate", labels).set_index("group")
    # g1: Thôn 1 only (80/100; the "duplicate" Buôn Ma row from S1 is not used)
    # g2: Thôn 2 + Buôn Ma = (20 + 3) / (50 + 10) = 23/60 = 38.33%
    # g3: Thôn 9 has no awarded count: left out of the indicator, not read as 0 -> no group
    assert (out.loc["g1", "numerator"], out.loc["g1", "denominator"]) == (80, 100)
    assert (out.loc["g2", "numerator"], out.loc["g2", "denominator"]) == (23, 60)
    assert out.loc["g2", "rate_pct"] == pytest.approx(230 / 6)
    assert "g3" not in out.index
    lo, hi = wilson_interval(23, 60)
    assert out.loc["g2", "ci_low"] == pytest.approx(lo)
    assert out.loc["g2", "ci_high"] == pytest.approx(hi)
    assert bd.breakdown(m, "family_title_rate", labels, commune="B").empty  # one commune only


def test_breakdown_titled_staff_only():
    # school_staff_citizen_rate counts staff of titled schools only: S1 (5/10) and S3 (30/30);
    # S2 has no title and stays out of numerator and denominator.
    m = mapped()
    labels = {"schools": m["schools"]["school_id"].map({"S1": "x", "S2": "x", "S3": "y"})}
    out = bd.breakdown(m, "school_staff_citizen_rate", labels).set_index("group")
    assert (out.loc["x", "numerator"], out.loc["x", "denominator"]) == (5, 10)
    assert (out.loc["y", "numerator"], out.loc["y", "denominator"]) == (30, 30)


def test_school_levels_registry_first_then_submission(reference):
    schools = pd.DataFrame({"school_id": ["KP001", "NEW1", "NEW2"], "school_level": ["Tiểu học", "THCS", None]})
    lv = bd.school_levels(reference, schools)
    assert lv["KP001"] == "Mầm non"  # the registry says Mầm non; the submission's "Tiểu học" loses
    assert lv["NEW1"] == "THCS"  # unregistered: the submission's Cấp học
    assert lv["NEW2"] == bd.UNKNOWN_LEVEL


def test_breakdowns_on_an_exploration(reference):
    comp = pd.DataFrame(
        {
            "school_id": ["S1", "S2", "S3", "S4"],
            "submitted": [True, True, True, False],
            "on_time": [True, False, True, False],
        }
    )
    data = Exploration(reference, dt.date(2026, 12, 31), [2026], pd.DataFrame(), {2026: mapped()}, {2026: comp})
    t = bd.breakdown_by_timeliness(data, "family_title_rate", 2026).set_index("group")
    # on time: S1 (Thôn 1: 80/100); late: S2 (Thôn 2 + Buôn Ma: 23/60)
    assert (t.loc[bd.ON_TIME, "numerator"], t.loc[bd.ON_TIME, "denominator"]) == (80, 100)
    assert (t.loc[bd.LATE, "numerator"], t.loc[bd.LATE, "denominator"]) == (23, 60)
    lv = bd.breakdown_by_level(data, "family_title_rate", 2026)
    # S1 Mầm non, S2 THCS (not in the registry: the submission's level); in the template's order
    assert lv["group"].tolist() == ["Mầm non", "THCS"]
    v = bd.breakdown_by_village(data, "family_title_rate", 2026, "A")
    assert v["group"].tolist() == ["Buôn Ma", "Thôn 2", "Thôn 1"]  # 30%, 40%, 80%: lowest first
    assert bd.breakdown_by_village(data, "school_unit_title_rate", 2026, "A").empty
    # no commune with a rate (furthest_behind gave None): nothing to break down, same columns
    none = bd.breakdown_by_village(data, "family_title_rate", 2026, None)
    assert none.empty and none.columns.tolist() == v.columns.tolist()
    no_comp = Exploration(reference, dt.date(2026, 12, 31), [2026], pd.DataFrame(), {2026: mapped()}, {2026: None})
    assert bd.breakdown_by_timeliness(no_comp, "family_title_rate", 2026).empty
