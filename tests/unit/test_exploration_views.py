"""hoctap.analysis.exploration.views: the Vietnamese tables and sentences of notebook 05, on
hand-worked inputs (every rate with its counts, figures formatted the Vietnamese way)."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from builders.exploration import (
    TARGETS,
    coverage_years,
    four_communes,
    indicator_table,
    mapped,
    registered_villages,
    three_years,
)
from hoctap.analysis.exploration import breakdowns, comparisons, views
from hoctap.paths import SHIPPED_REFERENCE_DIR
from hoctap.reference import Reference


def test_table_communes():
    ct = comparisons.commune_table(four_communes(), "family_title_rate", 2026, TARGETS)
    t = views.table_communes(ct)
    assert t.index.name == "Xã" and t.index.tolist() == ["Xã D", "Xã C", "Xã B", "Xã A"]
    # A: 3/3 = 100%, Wilson 43.85%-100%, z 1.73 within chance, 100 - 80 = +20 points
    assert t.loc["Xã A"].tolist() == [
        "3/3",
        "100,0%",
        "43,9% – 100,0%",
        "trong giới hạn dao động ngẫu nhiên",
        "80% (2030)",
        "+20,0 điểm %",
        "1/1",
        "2/2",
    ]
    # C: 30/100, Wilson: centre = (0.3 + 0.019207)/1.038415 = 0.307399,
    # half = 1.887456 * sqrt(0.0021 + 0.000096) = 0.088450 -> 21.89% .. 39.58%; z = -4
    assert t.loc["Xã C"].tolist() == [
        "30/100",
        "30,0%",
        "21,9% – 39,6%",
        "thấp hơn, vượt giới hạn 99,8%",
        "80% (2030)",
        "-50,0 điểm %",
        "3/3",
        "9/10",
    ]
    # D: no denominator: a row of dashes, not of zeros
    assert t.loc["Xã D"].tolist() == ["0/0", "—", "—", "—", "80% (2030)", "—", "0/2", "0/5"]


def test_table_changes_marks_changes_beyond_chance():
    t = views.table_changes(comparisons.year_changes(three_years(), "family_title_rate"))
    assert t.columns.tolist() == ["Năm 2024", "Năm 2025", "Năm 2026"]
    # +20 points on 100 households is beyond chance (z 2.83); +6.7 on 3 households is not
    assert t.loc["Xã A"].tolist() == ["40,0%", "60,0% (+20,0*)", "66,7% (+6,7)"]
    # B has no 2025: its 2026 figure carries no change
    assert (t.loc["Xã B", "Năm 2024"], t.loc["Xã B", "Năm 2026"]) == ("50,0%", "50,0%")
    assert t.loc["Xã B", "Năm 2025"] == "—"  # no data that year: a dash, never NaN


def test_table_and_message_of_coverage_flags():
    fl = comparisons.coverage_flags(coverage_years(), "family_title_rate")
    t = views.table_flags(fl)
    assert t.index.tolist() == [("Xã A", "2025"), ("Xã E", "2025")]
    assert t.loc[("Xã A", "2025")].tolist()[:4] == [
        "60,0%",
        "+10,0 điểm %",
        "100,0% (+50,0 điểm %)",
        "80,0% (0,0 điểm %)",
    ]
    assert t.loc[("Xã E", "2025"), "Thôn có số liệu"] == "80,0% (-20,0 điểm %)"
    assert t.loc[("Xã A", "2025"), "Ghi chú"].startswith("Tỷ lệ tăng 10,0 điểm %")
    assert len(views.table_flags(fl, only_flagged=False)) == 8  # 4 communes x 2 years
    assert views.flags_message(fl) == ("Có **2** trường hợp (xã, năm) cần kiểm tra nguồn số liệu trước khi kết luận:")
    calm = fl.assign(flag=False)
    assert views.flags_message(calm).startswith("Không có xã, năm nào")
    assert views.table_flags(calm).empty


def test_table_breakdown_and_registered():
    m = mapped()
    bd = breakdowns.breakdown(m, "family_title_rate", {"villages": m["villages"]["school_id"].map({"S2": "Nhóm 2"})})
    t = views.table_breakdown(bd, "Nhóm")
    # Thôn 2 + Buôn Ma = 23/60 = 38.33%
    assert t.index.name == "Nhóm" and t.loc["Nhóm 2", "Đạt/tổng số"] == "23/60"
    assert t.loc["Nhóm 2", "Tỷ lệ"] == "38,3%"
    r = views.table_registered(breakdowns.registered_vs_awarded(registered_villages()), {"X": "Xã X"})
    # X: 150 households, 90 registered (60%), 80 awarded (53.3%), 80/90 = 88.9%, 10 beyond
    assert r.loc["Xã X"].tolist() == ["150", "90 (60,0%)", "80 (53,3%)", "88,9%", "10"]
    assert "Y" in r.index  # a commune without a name keeps its code


def test_table_relationship():
    a = indicator_table([("commune", "A", "Xã A", 1, 2, 1, 1, 1, 1), ("commune", "B", "Xã B", 3, 4, 1, 1, 1, 1)])
    b = indicator_table(
        [("commune", "A", "Xã A", 1, 10, 1, 1, 1, 1), ("commune", "B", "Xã B", 0, 0, 1, 1, 1, 1)],
        indicator="worker_citizen_rate",
    )
    rel = comparisons.relationship(pd.concat([a, b]), "family_title_rate", "worker_citizen_rate", 2026)
    t = views.table_relationship(rel, "family_title_rate", "worker_citizen_rate")
    assert t.columns.tolist() == ["Gia đình học tập", "CDHT (người lao động)"]
    assert t.loc["Xã A"].tolist() == ["50,0% (1/2)", "10,0% (1/10)"]
    assert t.loc["Xã B"].tolist() == ["75,0% (3/4)", "— (0/0)"]


@pytest.mark.parametrize("synthetic", [True, False])
def test_describe_says_what_is_explored_and_labels_the_sample(tmp_path, synthetic):
    ref_dir = tmp_path / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref_dir)
    if not synthetic:  # a real registry: notes of its own, none saying "giả lập"
        path = ref_dir / "schools.csv"
        path.write_text(
            path.read_text(encoding="utf-8").replace("Dữ liệu giả lập (synthetic)", "Theo danh sách của phòng"),
            encoding="utf-8",
        )
    ind = pd.concat([four_communes().assign(year=2025), four_communes()])
    data = comparisons.Exploration(Reference(ref_dir), dt.date(2026, 12, 31), [2025, 2026], ind, {}, {})
    assert data.reference.synthetic is synthetic
    text = views.describe(data, "family_title_rate")
    assert 'Tỷ lệ hộ gia đình đạt danh hiệu "Gia đình học tập"' in text
    assert "**Các năm có số liệu:** 2025, 2026; so sánh chính cho năm 2026." in text
    assert "4 xã, thị trấn có hiệu lực ngày 31/12/2026 (Xã A, Xã B, Xã C, Xã D)" in text
    assert ("dữ liệu giả lập" in text) is synthetic
