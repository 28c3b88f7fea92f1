"""The period reviews' series chart: a panel per indicator, targets, statuses, the projection.

Labels are placed by a search that keeps them clear of every line, marker and other label; the
projection is the least-squares line itself (``periods.projection``), labelled as such.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg", force=False)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from hoctap.analysis.periods import PROJECTION_YEAR, projection  # noqa: E402
from hoctap.report.charts import (  # noqa: E402
    FONT,
    MARKER_PT,
    PROJECTION_LABEL,
    SMALL,
    TARGET_LW,
    TREND,
    WIDTH_IN,
    _finish,
    _legend_height,
    _num,
    _plain,
    _Sheet,
    _status,
    _status_marker,
    _title_height,
    clipped,
    status_handles,
    style,
    target_handles,
    target_label,
    target_linestyle,
    trend_line,
    value_label,
)
from hoctap.report.meta import Meta, decimal, is_missing  # noqa: E402

CROWDED: list[str] = []  # labels that found no clear place (white box over a line), for checks
_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.9}


class _Placer:
    """Puts labels where no line, marker or earlier label is: tries candidate offsets in order
    and keeps the first that is clear (else the least crowded one)."""

    PAD_PT = 1.2

    def __init__(self, ax: Axes, renderer):
        self.ax, self.r = ax, renderer
        self.paths: list[Path] = []
        self.boxes: list[Bbox] = []  # markers
        self.labels: list[Bbox] = []
        self.frame = ax.get_window_extent(renderer)
        self.px = ax.figure.dpi / 72

    def line(self, xs, ys) -> None:
        if len(xs) >= 2:
            self.paths.append(Path(self.ax.transData.transform(np.column_stack([xs, ys]))))

    def markers(self, xs, ys, size_pt: float = MARKER_PT) -> None:
        half = (size_pt / 2 + 0.8) * self.px
        for px, py in self.ax.transData.transform(np.column_stack([xs, ys])):
            self.boxes.append(Bbox.from_extents(px - half, py - half, px + half, py + half))

    def _cost(self, bb: Bbox) -> float:
        f = self.frame
        outside = max(0, f.x0 - bb.x0) + max(0, bb.x1 - f.x1) + max(0, f.y0 - bb.y0) + max(0, bb.y1 - f.y1)
        labels = sum(bb.overlaps(b) for b in self.labels)
        marks = sum(bb.overlaps(b) for b in self.boxes)
        lines = sum(p.intersects_bbox(bb, filled=True) for p in self.paths)
        return 10_000 * labels + 1000 * marks + 100 * lines + outside

    def place(self, text: str, candidates, **kw) -> Text:
        """``candidates``: (anchor in data units, dx, dy in points, ha, va), in order of preference."""
        best = None
        for xy, dx, dy, ha, va in candidates:
            t = self.ax.annotate(text, xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **kw)
            bb = t.get_window_extent(self.r).padded(self.PAD_PT * self.px)
            cost = self._cost(bb)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, t, bb)
            else:
                t.remove()
            if cost == 0:
                break
        self.labels.append(best[2])
        if best[0]:
            CROWDED.append(text)
        return best[1]


def _around(xy, d: float = 5.0) -> list:
    """Offsets around a point, nearest first."""
    offsets = [
        (0, d, "center", "bottom"),
        (0, -d, "center", "top"),
        (d, d * 0.6, "left", "bottom"),
        (-d, d * 0.6, "right", "bottom"),
        (d, -d * 0.6, "left", "top"),
        (-d, -d * 0.6, "right", "top"),
        (d + 1, 0, "left", "center"),
        (-d - 1, 0, "right", "center"),
        (0, 2.6 * d, "center", "bottom"),
        (0, -2.6 * d, "center", "top"),
        (-d, 2.6 * d, "right", "bottom"),
        (-d, -2.6 * d, "right", "top"),
    ]
    return [(xy, *o) for o in offsets]


def _year_ticks(first: int, last: int, width_in: float) -> list[int]:
    """Every year if there is room for it, else every other year ending on the last one."""
    if width_in / max(1, last - first) > 0.34:
        return list(range(first, last + 1))
    ticks = list(range(first, last + 1, 2))
    if ticks[-1] == last - 1:  # 2021, 2023, ..., 2029 -> ..., 2027, 2030
        ticks[-1] = last
    elif ticks[-1] != last:
        ticks.append(last)
    return ticks


def series_chart(
    area: pd.DataFrame,
    meta: Mapping[str, Meta],
    targets: pd.DataFrame,
    projections: Mapping[str, float],
    years: Sequence[int],
    year_from: int,
    year_to: int,
    area_name: str,
    show_projection: bool,
    years_text: str,
    projection_year: int = PROJECTION_YEAR,
) -> Figure:
    """Small multiples: per indicator the yearly rate with its status, the targets, the trend.

    Each target is drawn from the previous target year (or the period's start) to its own year,
    in its year's line style, labelled with its year. The projection is the least-squares line
    of ``periods.projection`` from the first year with data to ``projection_year``, clipped to
    0-100, light and dashed; it is drawn for an indicator whose ``projections`` value is given.
    """
    codes = [c for c in meta if c in set(area["indicator"])]
    last_year = years[-1] if len(years) else year_to
    x_end = max(year_to, projection_year if show_projection else year_to)
    ncol = 2
    nrow = max(1, math.ceil(len(codes) / ncol))
    plot_h, head_h, vgap, tick_h = 0.94, 0.36, 0.12, 0.2
    with style():
        present = set()
        target_years = set()
        for code in codes:
            s = area[(area["indicator"] == code) & area["rate_pct"].notna()]
            present |= {st for st in (_status(v) for v in s["status"]) if st}
            for t in targets[targets["indicator"] == code].itertuples():
                if year_from <= int(t.target_year) <= x_end:
                    target_years.add(int(t.target_year))
        lines = [
            Line2D([0], [0], color="#555555", linewidth=1.6, label=f"Tỷ lệ đạt các năm {years_text}"),
            *target_handles(sorted(target_years)),
        ]
        if show_projection:
            lines.append(Line2D([0, 1], [0, 0], label=f"{PROJECTION_LABEL} đến năm {projection_year}", **TREND))
        handles = [lines, status_handles()]
        legend_h = _legend_height(len(handles))
        title = f"Tỷ lệ đạt các chỉ tiêu qua các năm, toàn {area_name}"
        top_h = _title_height(title)
        row_block = head_h + plot_h + vgap
        sheet = _Sheet(top_h + nrow * row_block + tick_h + legend_h + 0.08)
        fig = sheet.fig
        sheet.title(title)
        col_gap = 0.22
        ytick_w = sheet.text_w("100%", SMALL) + 0.1
        col_w = (WIDTH_IN - 0.06 - col_gap) / 2
        plot_w = col_w - ytick_w
        ticks = _year_ticks(year_from, x_end, plot_w)
        for k, code in enumerate(codes):
            col, row = k % ncol, k // ncol
            x0 = 0.03 + col * (col_w + col_gap)
            y0 = top_h + row * row_block
            last_in_col = k + ncol >= len(codes)
            mid = x0 + ytick_w + plot_w / 2
            sheet.text(mid, y0 + 0.03, meta[code].short_label, ha="center", va="top", fontsize=FONT + 0.5,
                       fontweight="bold")  # fmt: skip
            sheet.target_key(mid, y0 + 0.2, _series_targets(targets[targets["indicator"] == code], year_from, x_end),
                             align="center")  # fmt: skip
            ax = sheet.axes(x0 + ytick_w, y0 + head_h, plot_w, plot_h)
            _series_panel(
                ax,
                sheet.renderer,
                area[area["indicator"] == code],
                meta[code],
                targets[targets["indicator"] == code],
                projections.get(code),
                year_from,
                x_end,
                last_year,
                show_projection,
                projection_year,
            )
            ax.set_xticks(range(year_from, x_end + 1), minor=True)
            ax.set_xticks(ticks)
            ax.set_xticklabels([str(t) for t in ticks] if last_in_col else [])
        sheet.legend(handles)
    return _finish(fig)


def _series_targets(targets: pd.DataFrame, year_from: int, x_end: int) -> list[tuple[int, float]]:
    """(year, value) of the indicator's targets that fall within the chart, by year."""
    rows = sorted((int(t.target_year), float(t.target_pct)) for t in targets.itertuples())
    return [(y, v) for y, v in rows if year_from <= y <= x_end]


def _series_panel(ax, renderer, s, m, targets, proj, year_from, x_end, last_year, show_projection, projection_year):
    s = s.sort_values("year")
    s = s[s["rate_pct"].notna()]
    xs = s["year"].astype(int).tolist()
    ys = [clipped(v)[0] for v in s["rate_pct"].astype(float)]
    statuses = [_status(v) for v in s["status"]]
    ax.set_xlim(year_from - 0.45, x_end + 0.45)
    ax.set_ylim(0, 125)  # room above 100% for a label
    ax.spines["left"].set_bounds(0, 100)
    ax.set_yticks(range(0, 101, 25))
    ax.set_yticklabels([f"{t}%" for t in range(0, 101, 25)])
    ax.tick_params(axis="both", pad=1.5)
    ax.tick_params(axis="x", which="minor", length=1.5)
    _plain(ax, "y")
    if last_year < x_end:
        ax.axvspan(last_year + 0.5, x_end + 0.45, color="#eeeeee", zorder=0, linewidth=0)
    placer = _Placer(ax, renderer)
    # each target from the previous target's year (or the start) to its own: the line it is judged by
    x0 = year_from - 0.45
    for ty, tp in _series_targets(targets, year_from, x_end):
        ax.plot(
            [x0, ty],
            [tp, tp],
            color="#000000",
            linestyle=target_linestyle(ty),
            linewidth=TARGET_LW,
            dash_capstyle="butt",
            zorder=2,
            label=target_label(ty, tp),
        )
        placer.line([x0, ty], [tp, tp])
        x0 = ty
    # the trend, under the observed line
    trend = None
    if show_projection and xs and not is_missing(proj) and xs[-1] < projection_year:
        tx, tyv = trend_line(s["year"], s["rate_pct"], projection_year)
        if tx:
            ax.plot(tx, tyv, zorder=3, label=PROJECTION_LABEL, **{**TREND, "color": m.colour})
            placer.line(tx, tyv)
            trend = (tx, tyv)
    if xs:
        ax.plot(xs, ys, color=m.colour, linewidth=1.6, zorder=4, solid_capstyle="round")
        placer.line(xs, ys)
        for x, y, st in zip(xs, ys, statuses, strict=True):
            if st:
                _status_marker(ax, x, y, st)
            else:
                ax.plot([x], [y], marker="o", markersize=2.5, color="#000000", zorder=6)
        placer.markers(xs, ys)
    kw = {"fontsize": SMALL, "zorder": 7, "bbox": _LABEL_BOX}
    if xs:
        last = s.iloc[-1]
        text = value_label(last["rate_pct"], _num(last.get("target_pct")))
        placer.place(text, _around((xs[-1], ys[-1])), fontweight="bold", **kw)
    if trend:
        fit = np.polyfit(s["year"].astype(float), s["rate_pct"].astype(float), 1)
        _v, note = clipped(float(np.polyval(fit, projection_year)))
        value = note or decimal(projection(s["year"], s["rate_pct"], projection_year), 1) + "%"
        end = (trend[0][-1], trend[1][-1])
        cands = [(end, -3, dy, "right", va) for d in (4, 12, 20, 28) for dy, va in ((d, "bottom"), (-d, "top"))]
        placer.place(f"Dự báo {projection_year}: {value}", cands, style="italic", **kw)
