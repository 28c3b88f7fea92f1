"""Period reviews: one geography for every year, summary, projection, candidates, hand-checked.

The world (all figures synthetic):
  registry  S1, S2 in X-CHUGU; S3 in X-IARSAI; S5 in X-UAR; S6 in TT-PHUTUC; S7 in X-DATBANG
            (after 1 July 2025: S1-S3 -> XM-IARSAI, S5 -> XM-UAR, S6, S7 -> XM-PHUTUC).
  years     2021, 2023, 2024 on the old communes, 2025 on the new ones; 2022 missing.
  villages  Thôn 1 (X-CHUGU, then XM-IARSAI): households 100 with the title 50, 60, 70, 80 and
            workers 100 with the citizen title 30, 34, 35, 40 in 2021, 2023, 2024, 2025.
            Buôn B (X-UAR, then XM-UAR): households 100 with the title 60, 70, 80, 90; workers 100/50.
            Buôn C (X-IARMOK, then XM-IADREH): seen in 2024 without figures; 2025 households 100/10.
            Tổ 1 (XM-PHUTUC, 2025 only): households 100/95.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from builders.tables import REGISTRY, row, school, village, write_year
from hoctap.analysis import periods
from hoctap.errors import HoctapError
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace

PERIOD_REGISTRY = REGISTRY + (
    "S6,Trường Tiểu học Sáu,,TT-PHUTUC,Tiểu học,2021,,Dữ liệu giả lập\n"
    "S7,Trường THCS Bảy,,X-DATBANG,THCS,2021,,Dữ liệu giả lập\n"
)
FAMILY = {"Thôn 1": (50, 60, 70, 80), "Buôn B": (60, 70, 80, 90)}
WORKERS = (30, 34, 35, 40)
YEARS = (2021, 2023, 2024, 2025)


def _good_school(y, sid, commune, staff_citizen, title=True):
    """Meets every 2025 school target: members 10/10 (100), cadres 5/4 (80), staff 10/staff_citizen."""
    return school(y, sid, commune, title, (10, staff_citizen), (10, 10), (5, 4))


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    return _world(workspace)


@pytest.fixture(scope="module")
def so_ket(tmp_path_factory):
    """The review 2021-2025 on the new communes, built once for the tests that only read it."""
    root = tmp_path_factory.mktemp("periods")
    shutil.copytree(SHIPPED_REFERENCE_DIR, root / "data" / "reference")
    (root / "data" / "raw").mkdir()
    (root / "data" / "processed").mkdir()
    ws = _world(Workspace.at(root / "data", root / "reports"))
    return periods.build_period(ws, "so-ket", 2021, 2025, dt.date(2025, 12, 31))


def _world(workspace: Workspace) -> Workspace:
    (workspace.reference_dir / "schools.csv").write_text(PERIOD_REGISTRY, encoding="utf-8")
    for i, y in enumerate(YEARS):
        new = y >= 2025
        chugu, iarsai, uar = ("XM-IARSAI", "XM-IARSAI", "XM-UAR") if new else ("X-CHUGU", "X-IARSAI", "X-UAR")
        schools = [
            _good_school(y, "S1", chugu, 8),
            _good_school(y, "S2", chugu, 6, title=y != 2021),  # not titled in 2021: no school candidate
            _good_school(y, "S3", iarsai, 7),
            _good_school(y, "S5", uar, 9, title=y != 2023),  # not titled in 2023
        ]
        villages = [
            village(
                y,
                chugu,
                "Thôn 1",
                (100, FAMILY["Thôn 1"][i]),
                (10, 7),
                True,
                (100, WORKERS[i]),
                school_id="S1",
            ),
            village(
                y,
                uar,
                "Buôn B",
                (100, FAMILY["Buôn B"][i]),
                (10, 9),
                True,
                (100, 50),
                school_id="S5",
            ),
        ]
        if y == 2024:
            villages.append(village(y, "X-IARMOK", "Buôn C", school_id="S9"))
        if new:
            villages.append(village(y, "XM-IADREH", "Buôn C", (100, 10), school_id="S9"))
            villages.append(village(y, "XM-PHUTUC", "Tổ 1", (100, 95), (10, 10), True, (100, 90), school_id="S6"))
            schools.append(_good_school(y, "S6", "XM-PHUTUC", 10))  # S7 does not report: coverage 1/2
        write_year(workspace, y, schools=schools, villages=villages)
    return workspace


def test_period_on_the_new_communes(so_ket):
    res = so_ket
    assert res.years == [2021, 2023, 2024, 2025] and res.missing_years == [2022]
    t = res.indicators
    assert set(t["geography_date"]) == {"2025-12-31"}
    assert set(t.loc[t["geo_level"] == "commune", "geo_code"]) == {
        "XM-PHUTUC",
        "XM-IADREH",
        "XM-IARSAI",
        "XM-UAR",
    }
    # 2021 carried to the new commune: Thôn 1 50/100 (X-CHUGU) -> XM-IARSAI; area 2021 = (50 + 60) / 200 = 55.
    assert row(t, "XM-IARSAI", "family_title_rate", 2021)["rate_pct"] == 50.0
    assert row(t, "AREA", "family_title_rate", 2021)["rate_pct"] == 55.0
    # 2023 status against the 2025 target, line from 2021: 50 + (70 - 50) * 2/4 = 60; rate 60 -> on track.
    assert row(t, "XM-IARSAI", "family_title_rate", 2023)["status"] == "Đúng tiến độ"
    # written files, same columns as the annual table plus geography_date
    written = pd.read_csv(res.folder / "indicators.csv", encoding="utf-8-sig")
    assert list(written.columns) == list(t.columns) and len(written) == 4 * 10 * 5
    assert all(p.is_file() for p in res.files)


def test_summary_by_hand(so_ket):
    """XM-IARSAI family: 50 (2021) -> 80 (2025), +30 pp, target 2025 = 70 -> "Đạt", margin +10;
    projection: least squares through 50, 60, 70, 80 in 2021, 2023, 2024, 2025 reaches 115 -> clipped 100.
    XM-IARSAI workers 30, 34, 35, 40: x̄ = 2023.25, ȳ = 34.75, Sxy = 20.25, Sxx = 8.75,
    slope = 2.3142857; at 2030: 34.75 + 2.3142857 * 6.75 = 50.3714286.
    Area family: 55 (2021) -> 2025 (80 + 90 + 10 + 95) / 400 = 68.75 -> "Chưa đạt", change +13.75.
    Clan in XM-PHUTUC: one year only, no projection. Community title: no 2025 target, no result.
    """
    s = so_ket.summary
    fam = row(s, "XM-IARSAI", "family_title_rate")
    assert (fam["first_year"], fam["first_rate_pct"], fam["last_year"], fam["last_rate_pct"]) == (
        2021,
        50.0,
        2025,
        80.0,
    )
    assert (
        fam["change_pp"],
        fam["period_target_year"],
        fam["period_target_pct"],
        fam["result_status"],
    ) == (30.0, 2025, 70.0, "Đạt")
    assert fam["margin_pp"] == 10.0 and fam["projection_2030_pct"] == 100.0 and fam["is_projection"]
    assert fam["years_with_data"] == 4
    assert row(s, "XM-IARSAI", "worker_citizen_rate")["projection_2030_pct"] == pytest.approx(50.3714286)
    area = row(s, "AREA", "family_title_rate")
    assert (area["last_rate_pct"], area["result_status"], area["change_pp"]) == (
        68.75,
        "Chưa đạt",
        13.75,
    )
    one = row(s, "XM-PHUTUC", "clan_title_rate")
    assert one["years_with_data"] == 1 and pd.isna(one["projection_2030_pct"])
    # No 2025 target: judged, as in the annual report, against the line to its 2030 target.
    com = row(s, "XM-IARSAI", "community_title_rate")
    assert pd.isna(com["period_target_year"]) and com["judged_target_year"] == 2030
    assert com["result_status"] in ("Đúng tiến độ", "Chậm tiến độ")


def test_candidates_by_hand(so_ket):
    """Communes, 2025 targets (7 apply: family 70, clan 65, school unit 80, worker 35, school staff 60,
    members 100, cadres 40):
      XM-IARSAI (3/3 schools): family 80 (+10), clan 70 (+5), school unit 3/3 = 100 (+20),
        worker 40 (+5), staff 21/30 = 70 (+10), members 100 (+0), cadres 12/15 = 80 (+40) -> mean 90/7 = 12.857
      XM-UAR (1/1): 90 (+20), 90 (+25), 100 (+20), 50 (+15), 90 (+30), 100 (+0), 80 (+40) -> 150/7 = 21.429
      XM-PHUTUC: meets everything but only 1 of 2 schools reported (50 % < 90 %): not proposed.
      XM-IADREH: family 10 < 70: not proposed.
    Schools titled every year: S1 (2025 staff 8/10 = 80 %) and S3 (7/10 = 70 %); S2 missed 2021,
    S5 missed 2023, S6 reported only 2025.
    """
    c = so_ket.candidates
    com = c[c["candidate_kind"] == "commune"]
    assert com["code"].tolist() == ["XM-UAR", "XM-IARSAI"] and com["rank"].tolist() == [1, 2]
    assert com["score_pct"].tolist() == pytest.approx([150 / 7, 90 / 7])
    assert "Đạt cả 7 chỉ tiêu năm 2025" in com["reason"].iloc[0] and "1/1 trường báo cáo" in com["reason"].iloc[0]
    sch = c[c["candidate_kind"] == "school"]
    assert sch["code"].tolist() == ["S1", "S3"] and sch["score_pct"].tolist() == [80.0, 70.0]
    assert sch["commune_code"].tolist() == ["XM-IARSAI", "XM-IARSAI"]
    assert "tất cả 4 năm có số liệu (2021-2025)" in sch["reason"].iloc[0]


def test_old_geography_on_request(ws):
    """On 30 June 2025 (old communes), 2025 rows go back: Thôn 1 was seen in X-CHUGU, S3 is registered in
    X-IARSAI, Tổ 1 has no history but its school S6 is registered in TT-PHUTUC, Buôn C was seen in
    X-IARMOK. Family 2025: X-CHUGU 80/100, TT-PHUTUC 95/100, X-IARMOK 10/100."""
    res = periods.build_period(ws, "so-ket", 2021, 2025, dt.date(2025, 6, 30))
    t = res.indicators
    assert set(t["geography_date"]) == {"2025-06-30"} and t.loc[t["geo_level"] == "commune", "geo_code"].nunique() == 14
    assert row(t, "X-CHUGU", "family_title_rate", 2025)["rate_pct"] == 80.0
    assert row(t, "TT-PHUTUC", "family_title_rate", 2025)["rate_pct"] == 95.0
    assert row(t, "X-IARMOK", "family_title_rate", 2025)["rate_pct"] == 10.0
    assert row(t, "X-IARSAI", "school_unit_title_rate", 2025)["numerator"] == 1  # S3
    # area figures do not depend on the geography chosen
    new = periods.build_period(ws, "so-ket", 2021, 2025, dt.date(2025, 12, 31)).indicators
    old_area, new_area = (x[x["geo_level"] == "area"].reset_index(drop=True) for x in (t, new))
    pd.testing.assert_series_equal(old_area["numerator"], new_area["numerator"])


def test_helpers(so_ket):
    res = so_ket
    rank = periods.ranking(res.indicators, "family_title_rate")
    # 2025: XM-PHUTUC 95, XM-UAR 90, XM-IARSAI 80, XM-IADREH 10
    assert rank["geo_code"].tolist() == ["XM-PHUTUC", "XM-UAR", "XM-IARSAI", "XM-IADREH"]
    assert rank["rank"].tolist() == [1, 2, 3, 4]
    # +30 each for XM-IARSAI and XM-UAR (tie broken by name: "xã Ia Rsai" before "xã Uar"); one-year communes out
    best = periods.most_improved(res.summary, "family_title_rate")
    assert best["geo_code"].tolist() == ["XM-IARSAI", "XM-UAR"]
    behind = periods.behind_target(res.indicators)["family_title_rate"]
    assert behind["geo_code"].tolist() == ["XM-IADREH"] and behind["gap_pp"].tolist() == [-60.0]


def test_default_geography_date_and_no_data(ws, workspace):
    assert periods.default_geography_date(2025, today=dt.date(2026, 3, 1)) == dt.date(2025, 12, 31)
    assert periods.default_geography_date(2030, today=dt.date(2027, 3, 1)) == dt.date(2027, 3, 1)
    res = periods.build_period(ws, "tong-ket", 2021, 2030)
    assert res.missing_years == [2022, *range(2026, 2031)]
    assert res.geography_date == periods.default_geography_date(2030)
    # One rule everywhere: the last year with data (2025) is judged against its own (2025) target,
    # as its annual report judges it, not against the 2030 line: XM-IARSAI family 80 >= 70 -> met.
    fam = row(res.summary, "XM-IARSAI", "family_title_rate")
    assert (fam["result_status"], fam["judged_target_year"]) == ("Đạt", 2025)
    with pytest.raises(HoctapError, match="Chưa có số liệu"):
        periods.build_period(ws, "so-ket", 2016, 2020)


def test_projection_function():
    assert periods.projection([2021, 2022], [10.0, 20.0]) == 100.0  # 10 pp a year -> 100 clipped
    assert periods.projection([2021, 2022], [50.0, 40.0]) == 0.0  # clipped at 0
    assert periods.projection([2021, 2023], [10.0, 12.0]) == pytest.approx(19.0)  # 1 pp a year
    assert pd.isna(periods.projection([2021, 2022], [10.0, float("nan")]))
