"""The commune charts: all ten indicators as small multiples, communes on each panel's axis.

With the four communes after 1 July 2025 one figure holds them; with the fourteen before, the
panels are split over figures that each fit a page with its caption (``commune_charts``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg", force=False)
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from hoctap.report.charts import (  # noqa: E402
    FONT,
    HALO,
    MAX_HEIGHT_IN,
    SMALL,
    TARGET_LW,
    WIDTH_IN,
    _finish,
    _legend_height,
    _num,
    _plain,
    _Sheet,
    _status,
    _status_marker,
    _title_height,
    _units,
    bar_style,
    clipped,
    status_handles,
    style,
    target_handles,
    target_label,
    target_linestyle,
    value_label,
)
from hoctap.report.meta import Meta, is_missing, vn_key  # noqa: E402


def commune_charts(
    communes: pd.DataFrame,
    meta: Mapping[str, Meta],
    codes: Sequence[str],
    year: int,
    max_height: float | None = MAX_HEIGHT_IN,
) -> list[Figure]:
    """Small multiples, one panel per indicator (every one of ``codes`` with rows), the communes
    on each panel's axis, the target line and its label, the status beside each value.

    Two panels a row; as many figures as it takes to keep each within ``max_height`` inches: the
    4 communes formed on 1/7/2025 take one page, the 14 before it two (6 + 4 indicators).
    ``max_height=None``: one figure, however tall.
    """
    present = set(communes["indicator"])
    codes = [c for c in codes if c in present]
    names = sorted(communes["geo_name"].dropna().unique(), key=vn_key)
    with style():
        probe = _Sheet(1.0)
        g = _PanelGrid(
            n=max(len(names), 1),
            row_h=0.2 if len(names) <= 6 else 0.13,
            name_w=max([probe.text_w(str(s), SMALL) for s in names] or [0.8]) + 0.08,
            value_w=0.2 + probe.text_w("100,00%", SMALL),
        )
        heads = {}  # code -> (name, [(target year, value)], target labels fit on the name's line)
        for code in codes:
            sub = communes[communes["indicator"] == code]
            tgt = sorted(
                {
                    (int(r.target_year), float(r.target_pct))
                    for r in sub.itertuples()
                    if not is_missing(r.target_pct) and not is_missing(r.target_year)
                }
            )
            name = meta[code].short_label if code in meta else code
            width = probe.text_w(name, FONT, "bold") + sum(probe.text_w(target_label(*t), SMALL) + 0.5 for t in tgt)
            heads[code] = (name, tgt, width < g.col_w)
        if not all(fits for _n, _t, fits in heads.values()):
            g.head_h += 0.15
        handles = [
            [
                Patch(facecolor="#cccccc", edgecolor="#000000", linewidth=0.6, label=f"Tỷ lệ đạt năm {year}"),
                *target_handles(sorted({y for _n, t, _f in heads.values() for y, _v in t})),
            ],
            status_handles(),
        ]
        legend_h = _legend_height(len(handles))
        title = f"Tỷ lệ đạt các chỉ tiêu theo {_units(names)} năm {year}"
        top_h = _title_height(title + " (1/2)")
        if max_height:
            rows_fit = max(1, int((max_height - top_h - legend_h - 0.05) // g.block_h))
        else:
            rows_fit = max(1, math.ceil(len(codes) / 2))
        chunks = [codes[i : i + 2 * rows_fit] for i in range(0, len(codes), 2 * rows_fit)] or [[]]
        figs = []
        for k, chunk in enumerate(chunks):
            nrow = max(1, math.ceil(len(chunk) / 2))
            sheet = _Sheet(top_h + nrow * g.block_h + legend_h + 0.05)
            sheet.title(title + (f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else ""))
            for j, code in enumerate(chunk):
                x0 = 0.04 + (j % 2) * (g.col_w + g.col_gap)
                y0 = top_h + (j // 2) * g.block_h
                _commune_panel(
                    sheet, g, communes[communes["indicator"] == code], meta.get(code), names, heads[code], x0, y0
                )
            sheet.legend(handles)
            figs.append(_finish(sheet.fig))
    return figs


@dataclass
class _PanelGrid:
    """Geometry of the commune panels, in inches."""

    n: int  # communes
    row_h: float
    name_w: float
    value_w: float
    head_h: float = 0.23
    tick_h: float = 0.19
    vgap: float = 0.08
    col_gap: float = 0.3

    @property
    def col_w(self) -> float:
        return (WIDTH_IN - 0.08 - self.col_gap) / 2

    @property
    def plot_h(self) -> float:
        return self.n * self.row_h + 0.06

    @property
    def bars_w(self) -> float:
        return self.col_w - self.name_w - self.value_w

    @property
    def block_h(self) -> float:
        return self.head_h + self.plot_h + self.tick_h + self.vgap


def _commune_panel(sheet: _Sheet, g: _PanelGrid, sub, m, names, head, x0: float, y0: float) -> None:
    name, targets, fits = head
    n = len(names)
    # head: the name (bold), then the targets' labels, on its line if they fit
    sheet.text(x0, y0 + 0.03, name, ha="left", va="top", fontsize=FONT, fontweight="bold")
    if fits:
        sheet.target_key(x0 + sheet.text_w(name, FONT, "bold") + 0.2, y0 + 0.035, targets)
    else:
        sheet.target_key(x0 + 0.02, y0 + 0.19, targets)
    ax = sheet.axes(x0 + g.name_w, y0 + g.head_h, g.bars_w, g.plot_h)
    tab = sheet.axes(x0 + g.name_w + g.bars_w, y0 + g.head_h, g.value_w, g.plot_h)
    pad = 0.03 / g.row_h
    ylim = (-0.5 - pad, n - 0.5 + pad)
    for a in (ax, tab):
        a.set_ylim(*ylim)
    tab.set_xlim(0, g.value_w)
    tab.axis("off")
    sub = sub.drop_duplicates("geo_name").set_index("geo_name")
    bars_y, bars_x, marks = [], [], {}
    for j, gname in enumerate(names):
        y = n - 1 - j
        r = sub.loc[gname] if gname in sub.index else None
        rate = None if r is None else _num(r.get("rate_pct"))
        status = None if r is None else _status(r.get("status"))
        if rate is not None:
            bars_y.append(y)
            bars_x.append(clipped(rate)[0])
        marks.setdefault(status, []).append(y)
        text = value_label(rate, None if r is None else _num(r.get("target_pct")), status)
        tab.text(0.27, y, text, ha="left", va="center", fontsize=SMALL)
    for status, ys in marks.items():
        _status_marker(tab, [0.15] * len(ys), ys, status)
    if bars_y:  # one call for the panel: as fast as one bar
        ax.barh(bars_y, bars_x, height=0.66, **bar_style(m, 0.6))
    for year, value in targets:
        ax.plot(
            [value, value],
            list(ylim),
            color="#000000",
            linewidth=TARGET_LW,
            linestyle=target_linestyle(year),
            dash_capstyle="butt",
            path_effects=HALO,
            zorder=4,
            label=target_label(year, value),
        )
    ax.set_yticks(range(n))
    ax.set_yticklabels(list(reversed(names)), fontsize=SMALL)
    ax.tick_params(axis="y", length=0, pad=3)
    ax.set_xlim(0, 104)
    ax.spines["bottom"].set_bounds(0, 100)
    ax.set_xticks(range(0, 101, 25))
    ax.set_xticklabels([f"{t}%" for t in range(0, 101, 25)])
    ax.tick_params(axis="x", pad=1.5)
    _plain(ax)


def commune_chart(communes: pd.DataFrame, meta: Mapping[str, Meta], codes: Sequence[str], year: int) -> Figure:
    """Every indicator for the communes in one figure (see ``commune_charts``, which splits a
    figure too tall for a page: use it when the communes may be many)."""
    return commune_charts(communes, meta, codes, year, max_height=None)[0]


# ---- embedding ------------------------------------------------------------------------------------
