"""Report charts, checked on real matplotlib figures drawn from small hand-made frames.

What an official printing the report in black and white needs: no text under 7 pt at the printed
width, the target year in every target label and line style, the status visible, labels clear of
lines, markers and each other, all ten indicators for the communes, the projection along the
least-squares line and a clipped value printed "≥ 100%".
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D, _get_dash_pattern
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from hoctap.analysis.periods import projection
from hoctap.report import chart_communes, chart_series, charts
from hoctap.report.meta import indicator_meta

META = indicator_meta()
CODES = list(META)
# (rate 2025, target year, target, status) for the area, as the sample's 2025 report has them
AREA_2025 = {
    "family_title_rate": (69.63, 2025, 70, "Chưa đạt"),
    "clan_title_rate": (62.73, 2025, 65, "Chưa đạt"),
    "community_title_rate": (59.26, 2030, 75, "Đúng tiến độ"),
    "school_unit_title_rate": (82.69, 2025, 80, "Đạt"),
    "unit_title_rate": (84.62, 2030, 90, "Đúng tiến độ"),
    "worker_citizen_rate": (35.54, 2025, 35, "Đạt"),
    "school_staff_citizen_rate": (61.55, 2025, 60, "Đạt"),
    "unit_staff_citizen_rate": (54.0, 2030, 80, "Chậm tiến độ"),
    "member_policy_rate": (99.76, 2025, 100, "Chưa đạt"),
    "cadre_clc_it_rate": (39.78, 2025, 40, None),
}
TARGETS = pd.DataFrame(
    [(c, 2025, t) for c, (_r, y, t, _s) in AREA_2025.items() if y == 2025]
    + [(c, 2030, t + 10 if y == 2025 else t) for c, (_r, y, t, _s) in AREA_2025.items()],
    columns=["indicator", "target_year", "target_pct"],
)
TARGETS.loc[TARGETS["indicator"].eq("member_policy_rate"), "target_pct"] = 100
YEARS = [2021, 2022, 2023, 2024, 2025]


def _area() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"indicator": c, "rate_pct": r, "target_year": y, "target_pct": t, "status": s}
            for c, (r, y, t, s) in AREA_2025.items()
        ]
    )


def _communes(names: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for c, (r, y, t, _s) in AREA_2025.items():
        for name in names:
            rate = float(min(100.0, max(0.0, r + rng.normal(0, 8))))
            status = ("Đạt" if rate >= t else "Chưa đạt") if y == 2025 else "Đúng tiến độ"
            rows.append(
                {
                    "geo_name": name,
                    "indicator": c,
                    "rate_pct": rate,
                    "target_year": y,
                    "target_pct": t,
                    "status": status,
                }
            )
    return pd.DataFrame(rows)


NEW_COMMUNES = ["xã Ia Dreh", "xã Ia Rsai", "xã Phú Túc", "xã Uar"]
OLD_COMMUNES = ["thị trấn Phú Túc"] + [f"xã Thử Nghiệm {k}" for k in range(1, 14)]


def _series() -> pd.DataFrame:
    """Five years per indicator rising to the 2025 rate; member policy's trend passes 100 by 2030."""
    rows = []
    for c, (r, y, t, s) in AREA_2025.items():
        step = 4.0 if c == "member_policy_rate" else 5.0
        for k, year in enumerate(YEARS):
            status = s if year == 2025 else ("Đúng tiến độ" if k % 2 else "Chậm tiến độ")
            rows.append(
                {
                    "year": year,
                    "indicator": c,
                    "rate_pct": r - step * (4 - k),
                    "target_year": y,
                    "target_pct": t,
                    "status": status,
                }
            )
    return pd.DataFrame(rows)


def _drawn(fig):
    fig.canvas.draw()
    return fig


@pytest.fixture(scope="module")
def figures() -> dict[str, list]:
    series = _series()
    projections = {c: projection(g["year"], g["rate_pct"]) for c, g in series.groupby("indicator")}
    return {
        "area": [_drawn(charts.area_chart(_area(), META, 2025, "huyện Krông Pa"))],
        "commune4": [_drawn(f) for f in chart_communes.commune_charts(_communes(NEW_COMMUNES), META, CODES, 2025)],
        "commune14": [_drawn(f) for f in chart_communes.commune_charts(_communes(OLD_COMMUNES), META, CODES, 2024)],
        "series": [
            _drawn(
                chart_series.series_chart(
                    series, META, TARGETS, projections, YEARS, 2021, 2025, "huyện Krông Pa", True, "2021-2025"
                )
            )
        ],
    }


def _all(figures):
    return [f for figs in figures.values() for f in figs]


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _panels(fig) -> list:
    """The bar axes of a figure: axes holding bars."""
    return [ax for ax in fig.axes if any(isinstance(p, Rectangle) and p.get_height() > 0 for p in ax.patches)]


def test_every_text_is_at_least_7_pt_at_the_printed_width(figures):
    for fig in _all(figures):
        assert fig.get_size_inches()[0] == pytest.approx(charts.WIDTH_IN)
        assert fig.get_size_inches()[1] <= charts.MAX_HEIGHT_IN
        scale = charts.print_scale(fig)
        small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() * scale < 7]
        assert not small
    # a figure made wider than the text width is shrunk when printed: its sizes count shrunk
    wide = charts.area_chart(_area(), META, 2025, "huyện Krông Pa")
    wide.set_size_inches(charts.WIDTH_IN * 2, 5)
    assert charts.print_scale(wide) == pytest.approx(0.5)
    assert charts.to_image(wide)[2] == 1


def test_no_two_texts_overlap(figures):
    for fig in _all(figures):
        r = fig.canvas.get_renderer()
        boxes = [(t.get_text(), t.get_window_extent(r)) for t in _texts(fig)]
        clashes = [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)]
        assert not clashes


def _data_lines(fig) -> list[Line2D]:
    return [ln for ax in fig.axes for ln in ax.lines if ln.get_visible() and len(ln.get_xdata())]


def test_labels_clear_of_lines_and_markers(figures):
    for fig in _all(figures):
        r = fig.canvas.get_renderer()
        lines = _data_lines(fig)
        for t in _texts(fig):
            bb = t.get_window_extent(r)
            for ln in lines:
                pts = ln.get_transform().transform(np.column_stack([ln.get_xdata(), ln.get_ydata()]))
                if ln.get_marker() not in ("None", "", None, " "):
                    half = ln.get_markersize() / 2 * fig.dpi / 72
                    for px, py in pts:
                        marker = Bbox.from_extents(px - half, py - half, px + half, py + half)
                        assert not bb.overlaps(marker), (t.get_text(), ln.get_label())
                if ln.get_linestyle() not in ("None", "", " ") and len(pts) > 1:
                    assert not Path(pts).intersects_bbox(bb, filled=True), (t.get_text(), ln.get_label())
    assert not chart_series.CROWDED  # every series label found a clear place


def test_target_labels_carry_the_year_and_years_differ_in_line_style(figures):
    area = figures["area"][0]
    targets = [ln for ln in _data_lines(area) if ln.get_label().startswith("Chỉ tiêu")]
    assert len(targets) == 10
    by_year = {}
    for ln in targets:
        year = int(ln.get_label().split()[2].rstrip(":"))
        by_year.setdefault(year, set()).add(ln._unscaled_dash_pattern[1])
    assert set(by_year) == {2025, 2030}
    assert all(len(p) == 1 for p in by_year.values())  # one style per year
    assert by_year[2025] != by_year[2030]
    texts = [t.get_text() for t in _texts(area)]
    assert "Chỉ tiêu 2025: 70%" in texts and "Chỉ tiêu 2030: 75%" in texts
    for fig in _all(figures):  # no target is named without its year
        named = [t.get_text() for t in _texts(fig) if t.get_text().startswith("Chỉ tiêu")]
        assert named and all(re.match(r"Chỉ tiêu (năm )?\d{4}", t) for t in named)

    series = figures["series"][0]
    texts = [t.get_text() for t in _texts(series)]
    assert "Chỉ tiêu 2025: 70%" in texts and "Chỉ tiêu 2030: 80%" in texts and "Chỉ tiêu 2030: 100%" in texts
    for ln in _data_lines(series):
        if ln.get_label().startswith("Chỉ tiêu "):
            year = int(ln.get_label().split()[2].rstrip(":"))
            assert ln._unscaled_dash_pattern == _get_dash_pattern(charts.target_linestyle(year))


def test_status_is_drawn_and_in_the_legend(figures):
    area = figures["area"][0]
    shown = {}
    for ln in _data_lines(area):
        key = (ln.get_marker(), ln.get_markerfacecolor())
        for status, (marker, face) in charts.STATUS_MARKERS.items():
            if key == (marker, face):
                shown[status] = shown.get(status, 0) + 1
    assert shown == {"Chưa đạt": 3, "Đúng tiến độ": 2, "Đạt": 3, "Chậm tiến độ": 1}  # no marker without status
    assert len({charts.STATUS_MARKERS[s] for s in charts.STATUS_ORDER}) == 4
    for fig in _all(figures):
        legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        assert set(charts.STATUS_ORDER) <= set(legend)


def test_commune_charts_show_all_ten_indicators(figures):
    four = figures["commune4"]
    assert len(four) == 1 and len(_panels(four[0])) == 10
    fourteen = figures["commune14"]
    assert len(fourteen) == 2 and sum(len(_panels(f)) for f in fourteen) == 10
    texts = {t.get_text() for f in fourteen for t in _texts(f)}
    assert {m.short_label for m in META.values()} <= texts
    assert any(t.startswith("Tỷ lệ đạt các chỉ tiêu theo xã, thị trấn năm 2024 (1/2)") for t in texts)
    for fig, n in ((four[0], 4), (fourteen[0], 14)):
        for ax in _panels(fig):
            assert len([p for p in ax.patches if p.get_height() > 0]) == n
    one = chart_communes.commune_chart(_communes(NEW_COMMUNES), META, CODES, 2025)
    assert len(_panels(one)) == 10


def test_projection_is_the_least_squares_line_clipped_to_100(figures):
    series = _series()
    fig = figures["series"][0]
    trends = [ln for ln in _data_lines(fig) if ln.get_label() == charts.PROJECTION_LABEL]
    assert len(trends) == 10
    for code, ln in zip(CODES, trends, strict=True):
        g = series[series["indicator"] == code]
        slope, intercept = np.polyfit(g["year"], g["rate_pct"], 1)
        xs, ys = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
        assert xs[0] == 2021 and xs[-1] == 2030
        assert np.allclose(ys, np.clip(slope * xs + intercept, 0, 100))
        assert ys[-1] == pytest.approx(projection(g["year"], g["rate_pct"]))
    texts = [t.get_text() for t in _texts(fig)]
    assert "Dự báo 2030: ≥ 100%" in texts  # member policy: 83.8 -> 99.8 over 2021-2025
    assert "100,0%" not in " ".join(texts)
    fam = series[series["indicator"] == "family_title_rate"]
    assert f"Dự báo 2030: {projection(fam['year'], fam['rate_pct']):.1f}%".replace(".", ",") in texts


def test_clipped_values_print_as_bounds():
    assert charts.value_label(104.2) == "≥ 100%"
    assert charts.value_label(-0.5) == "≤ 0%"
    assert charts.value_label(100.0) == "100,0%"  # a real 100 is a value, not a clip
    assert charts.value_label(69.96, target=70) == "69,96%"
    assert charts.clipped(120) == (100.0, "≥ 100%")
    xs, ys = charts.trend_line([2021, 2022, 2023], [80, 90, 100])
    assert xs == pytest.approx([2021, 2023, 2030]) and ys == pytest.approx([80.0, 100.0, 100.0])
    assert charts.target_label([2030, 2025], 100) == "Chỉ tiêu 2025, 2030: 100%"
