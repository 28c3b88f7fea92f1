"""hoctap.analysis.exploration.figures: every figure draws, carries a Vietnamese title and
becomes a PNG for the notebook."""

from __future__ import annotations

import pandas as pd
import pytest

from builders.exploration import TARGETS, indicator_table, is_vietnamese, mapped
from hoctap.analysis.exploration import breakdowns, comparisons
from hoctap.analysis.exploration import figures as fg


@pytest.fixture
def ind() -> pd.DataFrame:
    t = indicator_table
    return pd.concat(
        [
            t(
                [
                    ("area", "AREA", "", 150, 300, 9, 10, 40, 40),
                    ("commune", "A", "xã A", 3, 3, 1, 1, 2, 2),
                    ("commune", "B", "xã B", 60, 100, 2, 4, 10, 10),
                ],
                year=2025,
            ),
            t(
                [
                    ("area", "AREA", "", 160, 300, 9, 10, 40, 40),
                    ("commune", "A", "xã A", 3, 3, 1, 1, 2, 2),
                    ("commune", "B", "xã B", 70, 100, 4, 4, 10, 10),
                ],
                year=2026,
            ),
            t(
                [
                    ("commune", "A", "xã A", 1, 2, 1, 1, 2, 2),
                    ("commune", "B", "xã B", 30, 100, 4, 4, 10, 10),
                ],
                year=2026,
                indicator="worker_citizen_rate",
            ),
        ]
    )


def test_figures_have_vietnamese_titles(ind, tmp_path):
    ct = comparisons.commune_table(ind, "family_title_rate", 2026, TARGETS)
    m = mapped()
    bd = breakdowns.breakdown(m, "family_title_rate", {"villages": m["villages"]["village"]})
    rva = breakdowns.registered_vs_awarded(m["villages"], by="geo_code")
    rel = comparisons.relationship(ind, "family_title_rate", "worker_citizen_rate", 2026)
    figs = [
        fg.fig_communes(ct, "family_title_rate", 2026),
        fg.fig_funnel(ct, "family_title_rate", 2026),
        fg.fig_trends(ind, "family_title_rate", 2025, 2026),
        fg.fig_breakdown(bd, "family_title_rate", "Theo thôn, buôn", reference_pct=50),
        fg.fig_breakdown(bd.iloc[0:0], "family_title_rate", "Không có nhóm nào"),
        fg.fig_registered(rva, 2026, {"A": "xã A"}),
        fg.fig_relationship(rel, "family_title_rate", "worker_citizen_rate", 2026),
        fg.fig_coverage(comparisons.coverage_flags(ind, "family_title_rate"), "family_title_rate"),
    ]
    for i, fig in enumerate(figs):
        chart = fg.Chart(fig)
        assert is_vietnamese(chart.title), chart.title
        assert chart.png.startswith(b"\x89PNG")
        bundle = chart._repr_mimebundle_()
        assert bundle["text/plain"] == f"Hình: {chart.title}"
        chart.save(tmp_path / f"{i}.png")
        assert (tmp_path / f"{i}.png").stat().st_size > 5000
    assert fg.figure_title(fg.fig_trends(ind, "family_title_rate", 2025, 2026)) == (
        "Diễn biến Gia đình học tập theo xã, 2025-2026"
    )  # the suptitle, not a panel's


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_breakdown_figures_carry_their_title_and_reference_line():
    m = mapped()
    bd = breakdowns.breakdown(m, "family_title_rate", {"villages": m["villages"]["village"]})
    fig = fg.fig_by_level(bd, "family_title_rate", 2026, 61.5)
    assert fg.figure_title(fig) == "Gia đình học tập theo cấp học của trường báo cáo, năm 2026"
    assert "Toàn địa bàn 61,5%" in _texts(fig)
    fig = fg.fig_by_timeliness(bd, "worker_citizen_rate", 2026, 40)
    assert fg.figure_title(fig) == ("CDHT (người lao động): trường nộp đúng hạn và nộp muộn, năm 2026")
    fig = fg.fig_by_village(bd, "family_title_rate", 2026, "xã A", 45)
    assert fg.figure_title(fig) == "Các thôn, buôn của xã A năm 2026: Gia đình học tập"
    # bars labelled with rate and counts: Thôn 1 80/100, Buôn Ma 3/10 (the duplicate is out)
    assert {"Cả xã 45,0%", "80,0% (80/100)", "30,0% (3/10)"} <= set(_texts(fig))
    fig = fg.fig_by_village(bd.iloc[0:0], "family_title_rate", 2026, None, float("nan"))
    assert fg.figure_title(fig) == "Các thôn, buôn của — năm 2026: Gia đình học tập"
    assert _texts(fig) == ["Không có số liệu cho cách phân tích này"]  # no reference line
