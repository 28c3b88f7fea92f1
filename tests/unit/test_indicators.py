"""Indicators: hand-worked examples for every indicator and rule, on hand-written processed tables.

Every expected figure is computed by hand in the comment beside it. Fixture tables use the
processed-table contract of docs/architecture.md: counts Int64 (<NA> = missing), yes/no
``boolean``, text ``string``, report_date datetime64[ns].
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders.tables import (
    NA,
    REGISTRY,
    org,
    orgs_df,
    row,
    school,
    schools_df,
    village,
    villages_df,
    write_year,
)
from hoctap.analysis import indicators, views
from hoctap.errors import HoctapError
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace
from hoctap.reference import Reference


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """The shipped communes, changes and targets, with a 5-school registry to count by hand.

    Active in 2024: S1, S2 (X-CHUGU), S3 (X-IARSAI), S5 (X-UAR); S4 closed after 2023.
    """
    (workspace.reference_dir / "schools.csv").write_text(REGISTRY, encoding="utf-8")
    return workspace


def _year_2024(ws: Workspace) -> None:
    """Two communes of the old geography (2024-12-10), every indicator, with traps.

    X-CHUGU
      villages  Thôn 1: hh 100/60, clans 10/5, community yes, workers 50/20
                Thôn 2: hh 200/<NA>, clans 20/12, community no,  workers <NA>/30
                Thôn 3: quarantined (hh 1000/1000): out of everything
      schools   S1 titled:     staff 20/15, members 40/30, cadres 5/2
                S2 not titled: staff 30/30, members 10/10, cadres <NA>/1
      orgs      UBND xã titled: staff 12/6;  HTX not titled: staff 8/8
    X-IARSAI
      villages  Buôn A: hh 50/35, clans <NA>/3, community <NA>, workers 40/10
      schools   S3 titled, staff <NA>/5 (missing total), members 20/20, cadres 4/4
      orgs      none
    """
    write_year(
        ws,
        2024,
        schools=[
            school(2024, "S1", "X-CHUGU", True, (20, 15), (40, 30), (5, 2)),
            school(2024, "S2", "X-CHUGU", False, (30, 30), (10, 10), (NA, 1)),
            school(
                2024,
                "S3",
                "X-IARSAI",
                True,
                (NA, 5),
                (20, 20),
                (4, 4),
                report_date=dt.date(2024, 12, 10),
            ),
        ],
        villages=[
            village(2024, "X-CHUGU", "Thôn 1", (100, 60), (10, 5), True, (50, 20), school_id="S1"),
            village(2024, "X-CHUGU", "Thôn 2", (200, NA), (20, 12), False, (NA, 30), school_id="S1"),
            village(
                2024,
                "X-CHUGU",
                "Thôn 3",
                (1000, 1000),
                (10, 10),
                True,
                (10, 10),
                status="quarantined",
                school_id="S2",
            ),
            village(2024, "X-IARSAI", "Buôn A", (50, 35), (NA, 3), NA, (40, 10), school_id="S3"),
        ],
        orgs=[
            org(2024, "X-CHUGU", "UBND xã Chư Gu", True, (12, 6), school_id="S1"),
            org(2024, "X-CHUGU", "HTX Chư Gu", False, (8, 8), school_id="S1"),
        ],
        completeness={
            "school_id": ["S1", "S2", "S3", "S5"],
            "school_name": ["Một", "Hai", "Ba", "Năm"],
            "commune_code": ["X-CHUGU", "X-CHUGU", "X-IARSAI", "X-UAR"],
            "submitted": [True, True, True, False],
            "on_time": [True, True, False, False],
            "report_date": ["2024-12-01", "2024-12-01", "2024-12-10", ""],
            "status": ["", "", "", ""],
            "expected": [True, True, True, True],
            "registered": [True, True, True, True],
        },
    )


# (indicator, X-CHUGU num/den, X-IARSAI num/den); area = sum.
HAND_2024 = [
    # Thôn 1 60/100; Thôn 2 has no titled count: out. Buôn A 35/50.
    ("family_title_rate", (60, 100), (35, 50)),
    # Thôn 1 5/10 + Thôn 2 12/20; Buôn A has no clan total: out.
    ("clan_title_rate", (17, 30), (0, 0)),
    # villages answering: Thôn 1 yes, Thôn 2 no; Buôn A unanswered: out.
    ("community_title_rate", (1, 2), (0, 0)),
    # S1 yes, S2 no | S3 yes.
    ("school_unit_title_rate", (1, 2), (1, 1)),
    # S1 yes, S2 no, UBND yes, HTX no | S3 yes.
    ("unit_title_rate", (2, 4), (1, 1)),
    # Thôn 1 20/50; Thôn 2 has no total: out | Buôn A 10/40.
    ("worker_citizen_rate", (20, 50), (10, 40)),
    # only titled schools: S1 15/20 (S2 30/30 not titled) | S3 titled but total missing: out.
    ("school_staff_citizen_rate", (15, 20), (0, 0)),
    # titled units: S1 15/20 + UBND 6/12 = 21/32 (HTX not titled) | S3 out (missing total).
    ("unit_staff_citizen_rate", (21, 32), (0, 0)),
    # S1 30/40 + S2 10/10 | S3 20/20.
    ("member_policy_rate", (40, 50), (20, 20)),
    # S1 2/5; S2 missing total: out | S3 4/4.
    ("cadre_clc_it_rate", (2, 5), (4, 4)),
]


@pytest.mark.parametrize("code,chugu,iarsai", HAND_2024)
def test_every_indicator_by_hand(ws, code, chugu, iarsai):
    _year_2024(ws)
    table = indicators.build_year(ws, 2024)
    for geo, (num, den) in (
        ("X-CHUGU", chugu),
        ("X-IARSAI", iarsai),
        ("AREA", (chugu[0] + iarsai[0], chugu[1] + iarsai[1])),
    ):
        r = row(table, geo, code)
        assert (r["numerator"], r["denominator"]) == (num, den), geo
        if den:
            assert r["rate_pct"] == pytest.approx(100 * num / den, abs=1e-9)
        else:  # zero denominator: undefined, never 0, and no status
            assert math.isnan(r["rate_pct"]) and pd.isna(r["status"])
    assert r["label"] == indicators.BY_CODE[code].label


def test_written_csv_has_every_contract_column(ws):
    _year_2024(ws)
    indicators.build_year(ws, 2024)
    path = ws.processed(2024) / "indicators.csv"
    written = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)
    required = (
        "year geo_level geo_code geo_name indicator label numerator denominator rate_pct target_year "
        "target_pct status schools_reporting schools_expected villages_reporting villages_known "
        "reporting_rate_pct on_time_rate_pct geography_date"
    ).split()
    assert all(c in written.columns for c in required)
    # 14 old communes valid on 2024-12-10 + the area, for each of the ten indicators.
    assert len(written) == 10 * 15
    assert set(written["geography_date"]) == {"2024-12-10"}
    zero = written[(written["geo_code"] == "X-IARSAI") & (written["indicator"] == "community_title_rate")].iloc[0]
    assert zero["rate_pct"] == "" and zero["status"] == "" and zero["denominator"] == "0"
    area = written[written["geo_code"] == "AREA"].iloc[0]
    assert area["geo_level"] == "area" and area["geo_name"] == "huyện Krông Pa"
    chugu = written[written["geo_code"] == "X-CHUGU"].iloc[0]
    assert chugu["geo_name"] == "xã Chư Gu"


def test_coverage_by_hand(ws):
    """Schools expected 2024 (registry): X-CHUGU S1,S2 = 2; X-IARSAI S3 = 1 (S4 closed 2023); X-UAR S5 = 1;
    area 4. Reporting (used): X-CHUGU 2, X-IARSAI 1, area 3. Villages used: X-CHUGU Thôn 1, Thôn 2 = 2
    (Thôn 3 quarantined), known 3 (quarantined Thôn 3 was still seen); X-IARSAI 1/1; area 3/4.
    completeness: X-CHUGU 2/2 submitted, 2/2 on time -> 100, 100; X-IARSAI 1/1 submitted, marked late
    by completeness.csv -> 100, 0; X-UAR 0/1 -> 0, 0; area 3/4 = 75, 2/4 = 50.
    """
    _year_2024(ws)
    t = indicators.build_year(ws, 2024)
    expect = {
        "X-CHUGU": (2, 2, 2, 3, 100.0, 100.0),
        "X-IARSAI": (1, 1, 1, 1, 100.0, 0.0),
        "X-UAR": (0, 1, 0, 0, 0.0, 0.0),
        "AREA": (3, 4, 3, 4, 75.0, 50.0),
    }
    for geo, values in expect.items():
        r = row(t, geo, "family_title_rate")
        got = tuple(
            r[c]
            for c in (
                "schools_reporting",
                "schools_expected",
                "villages_reporting",
                "villages_known",
                "reporting_rate_pct",
                "on_time_rate_pct",
            )
        )
        assert got == values, geo
    # a commune without any expected school: undefined reporting rate, not 0
    assert math.isnan(row(t, "X-DATBANG", "family_title_rate")["reporting_rate_pct"])


def test_status_on_track_and_behind(ws):
    """Family rate, target 70 in 2025. 2021: both communes 50/100 = 50 %.
    Line 2021 -> 2025 at 2023: 50 + (70 - 50) * 2 / 4 = 60.
    2023: X-CHUGU 60/100 = 60 -> on the line -> "Đúng tiến độ"; X-IARSAI 59/100 -> "Chậm tiến độ".
    Area 2021: 100/200 = 50; 2023: 119/200 = 59.5 < 60 -> "Chậm tiến độ".
    2022 is missing: the line needs only its first year.
    """
    for y, a, b in ((2021, 50, 50), (2023, 60, 59)):
        write_year(
            ws,
            y,
            schools=[school(y, "S1", "X-CHUGU", True)],
            villages=[
                village(y, "X-CHUGU", "Thôn 1", (100, a)),
                village(y, "X-IARSAI", "Buôn A", (100, b)),
            ],
        )
    t = indicators.build_year(ws, 2023)
    assert row(t, "X-CHUGU", "family_title_rate")["status"] == "Đúng tiến độ"
    assert row(t, "X-CHUGU", "family_title_rate")["trajectory_pct"] == pytest.approx(60.0)
    assert row(t, "X-IARSAI", "family_title_rate")["status"] == "Chậm tiến độ"
    area = row(t, "AREA", "family_title_rate")
    assert (area["rate_pct"], area["baseline_year"], area["target_year"], area["status"]) == (
        59.5,
        2021,
        2025,
        "Chậm tiến độ",
    )
    # The first year with data is its own baseline: on its own line by definition, so it is not
    # judged (a 0% would otherwise read "Đúng tiến độ").
    t21 = indicators.build_year(ws, 2021)
    assert pd.isna(row(t21, "X-IARSAI", "family_title_rate")["status"])


def test_target_met_exactly_and_missed_by_a_hair(ws):
    """2025 is a target year: 70/100 = 70 against 70 -> "Đạt"; 6999/10000 = 69.99 -> "Chưa đạt"
    (and prints "69,99%", never "70,0%")."""
    from hoctap.fmt import pct

    write_year(
        ws,
        2025,
        schools=[school(2025, "S1", "XM-IARSAI", True)],
        villages=[
            village(2025, "XM-IARSAI", "Thôn 1", (100, 70)),
            village(2025, "XM-UAR", "Buôn B", (10000, 6999)),
        ],
    )
    t = indicators.build_year(ws, 2025)
    met = row(t, "XM-IARSAI", "family_title_rate")
    assert (met["rate_pct"], met["target_year"], met["target_pct"], met["status"]) == (
        70.0,
        2025,
        70.0,
        "Đạt",
    )
    miss = row(t, "XM-UAR", "family_title_rate")
    assert miss["status"] == "Chưa đạt"
    assert pct(miss["rate_pct"], target=miss["target_pct"], status=miss["status"]) == "69,99%"


def test_merger_across_1_july_2025(ws):
    """2025 is on the new communes (deadline 2025-12-10). XM-IARSAI = X-CHURCAM + X-CHUGU + X-IARSAI.
    2024 clan rates carried to 2025's geography for the baseline: X-CHUGU 5/10 + X-IARSAI 4/4 = 9/14
    = 64.285714...; 2025 XM-IARSAI 6/10 = 60 < 65 -> "Chưa đạt" (2025 is a target year).
    Community title 2030: baseline 2024 (1 of 2 villages yes = 50), 2025: 1/1 = 100; line at 2025:
    50 + (75 - 50) * 1/6 = 54.1666... -> "Đúng tiến độ".
    Schools expected 2025 in XM-IARSAI: S1, S2 (X-CHUGU) + S3 (X-IARSAI) = 3.
    """
    write_year(
        ws,
        2024,
        schools=[school(2024, "S1", "X-CHUGU", True)],
        villages=[
            village(2024, "X-CHUGU", "Thôn 1", clans=(10, 5), community=True),
            village(2024, "X-IARSAI", "Buôn A", clans=(4, 4), community=False),
        ],
    )
    write_year(
        ws,
        2025,
        schools=[school(2025, "S1", "XM-IARSAI", True)],
        villages=[village(2025, "XM-IARSAI", "Thôn 1", clans=(10, 6), community=True)],
    )
    t = indicators.build_year(ws, 2025)
    assert set(t.loc[t["geo_level"] == "commune", "geo_code"]) == {
        "XM-PHUTUC",
        "XM-IADREH",
        "XM-IARSAI",
        "XM-UAR",
    }
    clan = row(t, "XM-IARSAI", "clan_title_rate")
    assert clan["baseline_year"] == 2024 and clan["baseline_pct"] == pytest.approx(900 / 14)
    assert (clan["rate_pct"], clan["status"]) == (60.0, "Chưa đạt")
    com = row(t, "XM-IARSAI", "community_title_rate")
    assert com["trajectory_pct"] == pytest.approx(50 + 25 / 6) and com["status"] == "Đúng tiến độ"
    assert com["schools_expected"] == 3
    assert com["villages_known"] == 2  # Thôn 1 (both years) and Buôn A, followed into the new commune


def test_no_target_no_status(ws):
    """No target year >= 2031 in targets.csv: rate computed, target and status empty."""
    write_year(
        ws,
        2031,
        schools=[school(2031, "S1", "XM-IARSAI", True)],
        villages=[village(2031, "XM-IARSAI", "Thôn 1", (10, 9))],
    )
    r = row(indicators.build_year(ws, 2031), "XM-IARSAI", "family_title_rate")
    assert r["rate_pct"] == 90.0 and pd.isna(r["target_year"]) and pd.isna(r["status"])


def test_missing_tables_tell_to_clean(ws):
    with pytest.raises(HoctapError, match=r"hoctap clean --year 2026"):
        indicators.build_year(ws, 2026)


def test_governing_target_and_line():
    targets = pd.DataFrame({"indicator": ["a", "a"], "target_year": [2025, 2030], "target_pct": [70.0, 80.0]})
    assert indicators.governing_target(targets, "a", 2024) == (2025, 70.0)
    assert indicators.governing_target(targets, "a", 2025) == (2025, 70.0)
    assert indicators.governing_target(targets, "a", 2026) == (2030, 80.0)
    assert indicators.governing_target(targets, "a", 2031) is None
    # 2027 on the line from 2021 (40) to 2030 (80): 40 + 40 * 6/9 = 66.666...
    assert indicators.trajectory(2021, 40.0, 2030, 80.0, 2027) == pytest.approx(200 / 3)
    assert indicators.status(66.0, 2027, 2030, 80.0, 2021, 40.0) == "Chậm tiến độ"
    assert indicators.status(67.0, 2027, 2030, 80.0, 2021, 40.0) == "Đúng tiến độ"
    assert indicators.status(math.nan, 2027, 2030, 80.0, 2021, 40.0) is None


def test_indicator_metadata_matches_spec():
    """Labels are the exact labels of indicators.md; colours, hatches and markers all distinct."""
    assert [i.code for i in indicators.INDICATORS] == [c for c, *_ in HAND_2024]
    assert len({i.colour.lower() for i in indicators.INDICATORS}) == 10
    assert len({i.hatch for i in indicators.INDICATORS}) == 10 and len({i.marker for i in indicators.INDICATORS}) == 10
    assert indicators.BY_CODE["community_title_rate"].numerator_unit == "thôn, buôn, tổ dân phố"
    assert indicators.BY_CODE["family_title_rate"].label == 'Tỷ lệ hộ gia đình đạt danh hiệu "Gia đình học tập"'


# ---- properties ------------------------------------------------------------------------------

OLD = ["TT-PHUTUC", "X-CHUGU", "X-IARSAI", "X-UAR", "X-DATBANG"]
count = st.integers(min_value=0, max_value=500)


@st.composite
def pair(draw):
    total = draw(st.one_of(st.just(NA), count))
    part = draw(st.one_of(st.just(NA), st.integers(0, 500 if total is NA else total)))
    return total, part


@st.composite
def year_rows(draw):
    n_v = draw(st.integers(0, 8))
    villages = [
        village(
            2024,
            draw(st.sampled_from(OLD)),
            f"Thôn {i}",
            draw(pair()),
            draw(pair()),
            draw(st.sampled_from([True, False, NA])),
            draw(pair()),
            status=draw(st.sampled_from(["used", "used", "quarantined"])),
        )
        for i in range(n_v)
    ]
    n_s = draw(st.integers(0, 5))
    schools = [
        school(
            2024,
            f"T{i}",
            draw(st.sampled_from(OLD)),
            draw(st.sampled_from([True, False, NA])),
            draw(pair()),
            draw(pair()),
            draw(pair()),
            status=draw(st.sampled_from(["used", "quarantined"])),
        )
        for i in range(n_s)
    ]
    n_o = draw(st.integers(0, 4))
    orgs = [
        org(
            2024,
            draw(st.sampled_from(OLD)),
            f"Cơ quan {i}",
            draw(st.sampled_from([True, False, NA])),
            draw(pair()),
        )
        for i in range(n_o)
    ]
    return schools, villages, orgs


_REF = Reference(SHIPPED_REFERENCE_DIR)


@pytest.mark.slow  # 25 full computations (13 s): in `make test`, not `make test-fast`
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(year_rows(), st.sampled_from([dt.date(2024, 12, 10), dt.date(2025, 12, 10)]))
def test_communes_add_up_to_area_and_rates_stay_in_range(rows, on):
    """On the year's own geography and carried across the merger: Σ communes = area, 0 <= rate <= 100."""
    schools, villages, orgs = rows
    t = indicators.compute(schools_df(schools), villages_df(villages), orgs_df(orgs), _REF, 2024, on)
    for code, g in t.groupby("indicator"):
        com, area = g[g["geo_level"] == "commune"], g[g["geo_level"] == "area"].iloc[0]
        for col in (
            "numerator",
            "denominator",
            "schools_reporting",
            "villages_reporting",
            "villages_known",
        ):
            assert com[col].sum() == area[col], (code, col)
        rates = g["rate_pct"].dropna()
        assert ((rates >= 0) & (rates <= 100)).all()
        assert (g.loc[g["denominator"] == 0, "rate_pct"].isna()).all()


def test_views_print_vietnamese_headers_and_numbers():
    """The notebook views: 14552/22406 = 64.95%, target 70 in 2025, 53 of 59 schools."""
    table = pd.DataFrame(
        [
            {
                "year": 2024,
                "geo_level": "area",
                "geo_code": "AREA",
                "geo_name": "huyện Krông Pa",
                "indicator": "family_title_rate",
                "numerator": 14552,
                "denominator": 22406,
                "rate_pct": 14552 / 22406 * 100,
                "target_year": 2025,
                "target_pct": 70.0,
                "status": "Đúng tiến độ",
                "schools_reporting": 53,
                "schools_expected": 59,
                "villages_reporting": 83,
                "villages_known": 96,
                "reporting_rate_pct": 89.83,
                "on_time_rate_pct": 81.36,
            },
            {
                "year": 2024,
                "geo_level": "commune",
                "geo_code": "X-UAR",
                "geo_name": "xã Uar",
                "indicator": "family_title_rate",
                "numerator": 3,
                "denominator": 3,
                "rate_pct": 100.0,
                "target_year": 2025,
                "target_pct": 70.0,
                "status": "Đúng tiến độ",
                "schools_reporting": 3,
                "schools_expected": 4,
                "villages_reporting": 3,
                "villages_known": 5,
                "reporting_rate_pct": 75.0,
                "on_time_rate_pct": 50.0,
            },
        ]
    )
    area = views.area_view(table)
    assert area.iloc[0].to_dict() == {
        "Chỉ tiêu": 'Tỷ lệ hộ gia đình đạt danh hiệu "Gia đình học tập"',
        "Số đạt": "14.552",
        "Tổng số": "22.406",
        "Tỷ lệ": "64,9%",
        "Chỉ tiêu kế hoạch": "70% (năm 2025)",
        "Đánh giá": "Đúng tiến độ",
        "Trường báo cáo": "53/59",
        "Thôn báo cáo": "83/96",
    }
    assert views.commune_view(table).loc["xã Uar", "Gia đình học tập"] == "100,0%"
    cov = views.coverage_view(table).iloc[0]
    assert (cov["Trường báo cáo / dự kiến"], cov["Tỷ lệ đúng hạn"]) == ("3/4", "50,0%")
