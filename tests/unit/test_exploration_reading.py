"""hoctap.analysis.exploration.reading: the generated Vietnamese reading, marked as a draft."""

from __future__ import annotations

import pandas as pd

from builders.exploration import TARGETS, four_communes, indicator_table
from hoctap.analysis.exploration import comparisons as cmp
from hoctap.analysis.exploration.reading import DRAFT_NOTE, draft_reading


def _read(ind: pd.DataFrame, year: int = 2026) -> str:
    ct = cmp.commune_table(ind, "family_title_rate", year, TARGETS)
    return draft_reading(
        ct,
        cmp.year_changes(ind, "family_title_rate"),
        cmp.coverage_flags(ind, "family_title_rate"),
        "family_title_rate",
        year,
    )


def test_reading_names_the_commune_behind_and_whether_it_is_chance():
    text = _read(four_communes().loc[lambda d: d["geo_code"] != "D"])
    assert "Toàn địa bàn đạt 50,0%." in text
    assert "Thấp nhất là **Xã C**: 30,0% (30/100, khoảng tin cậy 95% từ 21,9% đến 39,6%)" in text
    assert "thấp hơn toàn địa bàn 20,0 điểm %" in text
    assert "vượt giới hạn 99,8%" in text  # C is 4 standard errors below the area
    assert "còn thiếu 50,0 điểm %" in text  # 30 against the 2030 target of 80
    assert "Cao nhất là **Xã A**: 100,0% (3/3" in text
    assert "đã vượt 20,0 điểm %" in text  # 100 against 80
    assert "trong giới hạn dao động ngẫu nhiên" in text  # 3 of 3 is not evidence
    assert "Xã B (2/4 trường)" in text  # coverage below 80%
    assert text.endswith(DRAFT_NOTE) and "người phân tích thay" in DRAFT_NOTE


def test_reading_lists_changes_beyond_chance_and_flags():
    # 2026 area (no area row): (600 + 500) / 2000 = 55%. Funnel z = ±0.05 / sqrt(0.55*0.45/1000)
    # = ±3.18: both beyond 99.8%. A: 40% -> 60% of 1000, z = 0.2 / sqrt(0.25*0.002) = 8.94,
    # beyond chance, while its schools went from 2/4 to 4/4: flagged.
    t = indicator_table
    ind = pd.concat(
        [
            t(
                [
                    ("commune", "A", "Xã A", 400, 1000, 2, 4, 10, 10),
                    ("commune", "B", "Xã B", 500, 1000, 4, 4, 10, 10),
                ],
                year=2025,
            ),
            t(
                [
                    ("commune", "A", "Xã A", 600, 1000, 4, 4, 10, 10),
                    ("commune", "B", "Xã B", 500, 1000, 4, 4, 10, 10),
                ],
                year=2026,
            ),
        ]
    )
    text = _read(ind)
    assert "Toàn địa bàn đạt 55,0%." in text
    assert (
        "Khác biệt với toàn địa bàn vượt mức ngẫu nhiên: Xã B (thấp hơn, vượt giới hạn "
        "99,8%); Xã A (cao hơn, vượt giới hạn 99,8%)."
    ) in text
    assert "So với năm 2025, thay đổi vượt mức ngẫu nhiên ở: Xã A (tăng 20,0 điểm %)." in text
    assert ("Cần kiểm tra trước khi kết luận (tỷ lệ thay đổi cùng lúc với độ bao phủ báo cáo): Xã A.") in text
    assert "Độ bao phủ dưới 80%" not in text  # every school reported in 2026


def test_reading_when_differences_may_be_chance_or_there_is_no_data():
    # 2/3 and 5/10 around 7/13 = 53.8%: both well inside the funnel
    ind = indicator_table([("commune", "A", "Xã A", 2, 3, 1, 1, 1, 1), ("commune", "B", "Xã B", 5, 10, 1, 1, 1, 1)])
    text = _read(ind)
    assert "Không xã nào khác toàn địa bàn vượt giới hạn 95%" in text
    assert "thay đổi vượt mức ngẫu nhiên ở" not in text and "Cần kiểm tra" not in text
    one = _read(ind.loc[ind["geo_code"] == "A"])
    assert "Thấp nhất là **Xã A**" in one and "Cao nhất" not in one  # one commune: named once
    empty = _read(indicator_table([("commune", "D", "Xã D", 0, 0, 0, 2, 0, 5)]))
    assert empty == (
        'Năm 2026 chưa có xã nào có số liệu cho chỉ tiêu Tỷ lệ hộ gia đình đạt danh hiệu "Gia đình học tập".'
    )
