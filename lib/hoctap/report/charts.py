"""Charts of the reports (matplotlib, Agg): Vietnamese text, targets and statuses drawn and labelled.

Rules an official's black-and-white print needs:

- every figure is ``WIDTH_IN`` wide, the width it is printed at, so its point sizes are the
  printed ones; no text is smaller than ``MIN_PT``; a figure fits an A4 page with its caption;
- an indicator keeps its colour and hatch in every chart (dark outlines, so grey still differs);
  its marker is not used: in these small multiples the marker shape says the status;
- a target is black, its year in its label and in its line style (2025 dashed, 2030 dotted);
- a status is a black marker: the shape says good (circle) or bad (triangle), the fill says final
  (filled: "Đạt", "Chưa đạt") or interim (open: "Đúng tiến độ", "Chậm tiến độ");
- value labels sit in columns beside the bars, or where a search finds them clear of every line,
  marker and other label; a value clipped at 0 or 100 prints "≤ 0%" or "≥ 100%";
- the projection is the least-squares line itself (``periods.projection``), never a jump.

The data source and date belong in the caption, which the caller builds. Figures are embedded
as PNG at 220 dpi by default (SVG hatch patterns show seams in some PDF viewers).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager, patheffects  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from hoctap import programme  # noqa: E402
from hoctap.analysis.periods import PROJECTION_YEAR  # noqa: E402
from hoctap.report import blocks  # noqa: E402
from hoctap.report.meta import DASH, Meta, is_missing, pct, target_pct  # noqa: E402
from hoctap.vocabulary import STATUS_BEHIND, STATUS_MET, STATUS_NOT_MET, STATUS_ON_TRACK, STATUSES  # noqa: E402

RC = {
    "font.family": "serif",
    "font.serif": ["Liberation Serif", "Times New Roman", "Tinos", "DejaVu Serif"],
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.titleweight": "bold",
    "axes.edgecolor": "#000000",
    "axes.linewidth": 0.6,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "hatch.linewidth": 0.5,
    "svg.fonttype": "path",
    "svg.hashsalt": "hoctap",
    "axes.unicode_minus": False,
}
WIDTH_IN = 6.3  # the text width of A4 with 30/15 mm margins: the width every chart is printed at
MAX_HEIGHT_IN = 8.4  # a figure and a three-line caption on one page of text
MIN_PT = 7.0  # the smallest text on paper
FONT = 8.0  # value labels, row names
SMALL = 7.5  # ticks, legends, target labels
TITLE = 9.5  # the figure's own title

PROJECTION_LABEL = "Dự báo (xu hướng)"
STATUS_ORDER = STATUSES  # Đạt, Đúng tiến độ, Chậm tiến độ, Chưa đạt
# status -> (marker, face colour); edges are black. Circle: good, triangle down: bad;
# filled: judged at a target year, open: on the way there.
STATUS_MARKERS = {
    STATUS_MET: ("o", "#000000"),
    STATUS_ON_TRACK: ("o", "#ffffff"),
    STATUS_BEHIND: ("v", "#ffffff"),
    STATUS_NOT_MET: ("v", "#000000"),
}
MARKER_PT = 5.5
TREND = {"color": "#555555", "alpha": 0.7, "linewidth": 1.1, "linestyle": (0, (2.5, 1.5))}


@contextmanager
def style():
    with plt.rc_context(RC):
        yield


def _num(x) -> float | None:
    return None if is_missing(x) else float(x)


def _status(x) -> str | None:
    return None if is_missing(x) or str(x).strip() not in STATUS_MARKERS else str(x).strip()


# ---- shared vocabulary of the charts --------------------------------------------------------------


def target_linestyle(year: int):
    """The line style of a target of ``year``: the midterm dashed, the final dotted, others dash-dot.

    Fine patterns (in line widths), so even a target tick one bar high shows three dashes or six dots.
    """
    if int(year) == programme.MIDTERM_YEAR:
        return (0, (3, 1.6))
    if int(year) == programme.END_YEAR:
        return (0, (1, 1.1))
    return (0, (4, 1.5, 1, 1.5))


TARGET_LW = 1.5
HALO = [patheffects.withStroke(linewidth=TARGET_LW + 1.8, foreground="white")]


def target_label(years: int | Sequence[int], value) -> str:
    """ "Chỉ tiêu 2025: 70%" (the year is always said: 2025 and 2030 targets differ)."""
    ys = [int(years)] if isinstance(years, int | np.integer) else sorted({int(y) for y in years})
    return f"Chỉ tiêu {', '.join(str(y) for y in ys)}: {target_pct(value)}"


def clipped(raw, lo: float = 0.0, hi: float = 100.0) -> tuple[float, str | None]:
    """(the value drawn, "≥ 100%"/"≤ 0%" when it had to be clipped, else None)."""
    v = float(raw)
    if v > hi and not math.isclose(v, hi, abs_tol=1e-9):
        return hi, f"≥ {target_pct(hi)}"
    if v < lo and not math.isclose(v, lo, abs_tol=1e-9):
        return lo, f"≤ {target_pct(lo)}"
    return min(hi, max(lo, v)), None


def value_label(rate, target=None, status=None) -> str:
    """A rate as printed in a chart: "69,6%" (sided like the tables), "≥ 100%" when clipped."""
    if is_missing(rate):
        return DASH
    _v, note = clipped(rate)
    return note or pct(rate, target=target, status=status)


def trend_line(years, rates, to_year: int = PROJECTION_YEAR) -> tuple[list[float], list[float]]:
    """The least-squares line of ``periods.projection`` from the first year with data to ``to_year``,
    clipped to 0-100: its vertices (the ends, and where it meets 0 or 100)."""
    pts = [(int(y), float(r)) for y, r in zip(years, rates, strict=True) if not is_missing(r)]
    if len({y for y, _ in pts}) < 2:
        return [], []
    slope, intercept = np.polyfit([p[0] for p in pts], [p[1] for p in pts], 1)
    x0 = float(min(p[0] for p in pts))
    xs = {x0, float(to_year)}
    if slope:
        for bound in (0.0, 100.0):
            xc = (bound - intercept) / slope
            if x0 < xc < to_year:
                xs.add(float(xc))
    xs_sorted = sorted(xs)
    return xs_sorted, [min(100.0, max(0.0, slope * x + intercept)) for x in xs_sorted]


def print_scale(fig: Figure) -> float:
    """Printed size / figure size: a figure wider than the text width is shrunk to it."""
    return min(1.0, WIDTH_IN / fig.get_size_inches()[0])


def status_handles(present: Sequence[str] | None = None) -> list[Line2D]:
    return [
        Line2D(
            [0],
            [0],
            linestyle="none",
            marker=STATUS_MARKERS[s][0],
            markerfacecolor=STATUS_MARKERS[s][1],
            markeredgecolor="#000000",
            markeredgewidth=0.8,
            markersize=MARKER_PT,
            label=s,
        )
        for s in STATUS_ORDER
        if present is None or s in present
    ]


def target_handles(years: Sequence[int]) -> list[Line2D]:
    return [
        Line2D(
            [0, 1],
            [0, 0],
            color="#000000",
            linewidth=TARGET_LW,
            linestyle=target_linestyle(y),
            label=f"Chỉ tiêu năm {y}",
        )
        for y in sorted({int(y) for y in years})
    ]


def bar_style(m: Meta | None, linewidth: float) -> dict:
    """An indicator's bar in every chart: its colour and hatch, a dark outline (grey prints apart)."""
    return {
        "color": m.colour if m else "#999999",
        "hatch": m.hatch if m else "//",
        "edgecolor": "#000000",
        "linewidth": linewidth,
    }


def _status_marker(ax: Axes, x, y, status: str | None, **kw) -> None:
    """The status's marker at (x, y); x and y may be lists (one line for many markers)."""
    if status is None:
        return
    marker, face = STATUS_MARKERS[status]
    ax.plot(
        x if isinstance(x, list) else [x],
        y if isinstance(y, list) else [y],
        linestyle="none",
        marker=marker,
        markerfacecolor=face,
        markeredgecolor="#000000",
        markeredgewidth=0.8,
        markersize=MARKER_PT,
        clip_on=False,
        zorder=6,
        **kw,
    )


# ---- layout in inches -----------------------------------------------------------------------------


class _Sheet:
    """A figure of the print width laid out in inches from its top-left corner."""

    def __init__(self, height: float):
        self.w, self.h = WIDTH_IN, height
        self.fig = Figure(figsize=(self.w, self.h), dpi=100)
        FigureCanvasAgg(self.fig)
        self.renderer = self.fig.canvas.get_renderer()

    def axes(self, left: float, top: float, width: float, height: float) -> Axes:
        return self.fig.add_axes((left / self.w, 1 - (top + height) / self.h, width / self.w, height / self.h))

    def text_w(self, s: str, size: float, weight: str = "normal", style: str = "normal") -> float:
        fp = FontProperties(family=_serif(), size=size, weight=weight, style=style)
        w, _h, _d = self.renderer.get_text_width_height_descent(s, fp, ismath=False)
        return w / self.fig.dpi

    def text(self, x: float, y: float, s: str, **kw) -> Text:
        """Text at (x, y) inches from the top-left corner."""
        return self.fig.text(x / self.w, 1 - y / self.h, s, **kw)

    def target_key(self, x: float, y: float, targets: Sequence[tuple[int, float]], align: str = "left") -> None:
        """Each target's label ("Chỉ tiêu 2025: 70%") after a sample of its line style, on one line
        whose top is at ``y`` inches; ``x`` is its left end, or its centre with ``align="center"``."""
        items = [(year, target_label(year, value)) for year, value in targets]
        width = sum(0.36 + self.text_w(label, SMALL) for _y, label in items) + 0.15 * max(0, len(items) - 1)
        tx = x - width / 2 if align == "center" else x
        for year, label in items:
            fy = 1 - (y + 0.062) / self.h
            sample = Line2D(
                [tx / self.w, (tx + 0.3) / self.w],
                [fy, fy],
                color="#000000",
                linewidth=TARGET_LW,
                linestyle=target_linestyle(year),
                dash_capstyle="butt",
                transform=self.fig.transFigure,
            )
            self.fig.add_artist(sample)
            self.text(tx + 0.36, y, label, ha="left", va="top", fontsize=SMALL)
            tx += 0.36 + self.text_w(label, SMALL) + 0.15

    def title(self, text: str, top: float = 0.08) -> float:
        """The figure title, wrapped to the width; returns the height it takes (inches)."""
        lines = _wrap(text, self.w - 0.2, lambda s: self.text_w(s, TITLE, "bold"))
        self.text(self.w / 2, top, "\n".join(lines), ha="center", va="top", fontsize=TITLE, fontweight="bold")
        return top + 0.18 * len(lines) + 0.08

    def legend(self, rows: list[list], bottom: float = 0.06, ncol: int = 4) -> None:
        """A framed legend, one row per list of handles (matplotlib fills columns first)."""
        blank = Line2D([], [], linestyle="none", label=" ")
        grid = [[*r, *[blank] * (ncol - len(r))] for r in rows]
        handles = [grid[i][j] for j in range(ncol) for i in range(len(grid))]
        self.fig.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, bottom / self.h),
            ncol=ncol,
            fontsize=SMALL,
            frameon=True,
            edgecolor="#000000",
            fancybox=False,
            handlelength=2.4,
            columnspacing=1.0,
            borderpad=0.5,
        )


def _finish(fig: Figure) -> Figure:
    """Pin the serif family on every text: "serif" is resolved when the figure is drawn, and a
    figure drawn outside ``style()`` would get wider glyphs than its layout was measured with."""
    family = _serif()
    for t in fig.findobj(Text):
        t.set_fontfamily(family)
    return fig


def serif_family() -> str:
    """The serif font family the charts are drawn in."""
    return _serif()


@functools.cache
def _serif() -> str:
    """The first of RC's serif fonts that is installed (one name: a list logs every miss)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in RC["font.serif"] if name in installed), "serif")


def _title_height(text: str) -> float:
    """Inches from the figure's top to the first panel under a title of ``text`` (it may wrap)."""
    probe = _Sheet(1.0)
    lines = len(_wrap(text, WIDTH_IN - 0.2, lambda s: probe.text_w(s, TITLE, "bold")))
    return 0.16 + 0.18 * lines + 0.1


def _legend_height(rows: int) -> float:
    return 0.2 + 0.17 * rows


def _wrap(text: str, width: float, measure) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if cur and measure(trial) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return [*lines, cur] if cur else lines


def _plain(ax: Axes, grid_axis: str = "x") -> None:
    ax.grid(axis=grid_axis, color="#d4d4d4", linewidth=0.4)  # solid: dotted and dashed lines are targets
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _units(names: Sequence[str]) -> str:
    """ "xã" or "xã, thị trấn": what the chart's communes are, from their names."""
    kinds = [k for k in ("xã", "thị trấn", "phường") if any(str(n).lower().startswith(k + " ") for n in names)]
    return ", ".join(kinds or ["xã"])


# ---- annual report: the area's indicators ---------------------------------------------------------


def area_chart(area: pd.DataFrame, meta: Mapping[str, Meta], year: int, area_name: str) -> Figure:
    """Rate of every indicator for the whole area against its governing target, with its status.

    Bars on a 0-100 axis; beside them, in columns no line reaches, the status marker, the rate,
    the status in words and the target with its year.
    """
    rows = [r for _, r in area.iterrows()]
    order = list(meta)
    rows.sort(key=lambda r: order.index(r["indicator"]) if r["indicator"] in meta else 99)
    n = max(len(rows), 1)
    row_h = 0.3
    with style():
        cells = []
        for r in rows:
            rate, target = _num(r.get("rate_pct")), _num(r.get("target_pct"))
            ty = None if is_missing(r.get("target_year")) else int(r["target_year"])
            status = _status(r.get("status"))
            cells.append(
                {
                    "name": meta[r["indicator"]].short_label if r["indicator"] in meta else str(r.get("label", "")),
                    "rate": rate,
                    "target": target,
                    "target_year": ty,
                    "status": status,
                    "value": value_label(rate, target, status) if rate is not None else "chưa có số liệu",
                    "status_text": status or "",
                    "target_text": target_label(ty, target) if target is not None and ty else "chưa có chỉ tiêu",
                    "meta": meta.get(r["indicator"]),
                }
            )
        target_years = sorted({c["target_year"] for c in cells if c["target"] is not None and c["target_year"]})
        handles = [
            [
                Patch(facecolor="#cccccc", edgecolor="#000000", linewidth=0.7, label=f"Tỷ lệ đạt năm {year}"),
                *target_handles(target_years),
            ],
            status_handles(),
        ]
        legend_h = _legend_height(len(handles))
        title = f"Kết quả các chỉ tiêu năm {year} so với chỉ tiêu, toàn {area_name}"
        plot_top = _title_height(title)
        plot_h = n * row_h + 0.1
        sheet = _Sheet(plot_top + plot_h + 0.42 + legend_h + 0.1)
        fig = sheet.fig
        sheet.title(title)
        name_w = max([sheet.text_w(c["name"], FONT) for c in cells] or [1.0]) + 0.1
        value_w = max([sheet.text_w(c["value"], FONT) for c in cells] or [0.5])
        status_w = max(sheet.text_w(s, FONT) for s in STATUS_ORDER)
        tgt_w = max([sheet.text_w(c["target_text"], FONT) for c in cells] or [1.0])
        mark_w, gap = 0.16, 0.1
        table_w = mark_w + value_w + gap + status_w + gap + tgt_w
        left = 0.06 + name_w
        bars_w = WIDTH_IN - left - 0.22 - table_w - 0.04
        ax = sheet.axes(left, plot_top, bars_w, plot_h)
        tab = sheet.axes(left + bars_w + 0.22, plot_top, table_w, plot_h)
        ylim = (-0.5 - 0.1 / row_h / 2, n - 0.5 + 0.1 / row_h / 2)
        for a in (ax, tab):
            a.set_ylim(*ylim)
        tab.set_xlim(0, table_w)
        tab.axis("off")
        for i, c in enumerate(cells):
            y = n - 1 - i
            m = c["meta"]
            if c["rate"] is not None:
                drawn, _note = clipped(c["rate"])
                ax.barh(y, drawn, height=0.56, **bar_style(m, 0.7))
            if c["target"] is not None:
                ax.plot(
                    [c["target"], c["target"]],
                    [y - 0.47, y + 0.47],
                    color="#000000",
                    linewidth=TARGET_LW,
                    linestyle=target_linestyle(c["target_year"] or 0),
                    solid_capstyle="butt",
                    dash_capstyle="butt",
                    path_effects=HALO,
                    zorder=4,
                    label=c["target_text"],
                )
            _status_marker(tab, mark_w / 2, y, c["status"])
            x = mark_w + value_w
            tab.text(x, y, c["value"], ha="right", va="center", fontsize=FONT, fontweight="bold")
            tab.text(x + gap, y, c["status_text"], ha="left", va="center", fontsize=FONT)
            tab.text(x + gap + status_w + gap, y, c["target_text"], ha="left", va="center", fontsize=FONT)
        ax.set_yticks(range(n))
        ax.set_yticklabels([c["name"] for c in reversed(cells)], fontsize=FONT)
        ax.tick_params(axis="y", length=0, pad=4)
        ax.set_xlim(0, 104)
        ax.spines["bottom"].set_bounds(0, 100)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xticklabels([f"{t}%" for t in range(0, 101, 20)])
        ax.set_xlabel("Tỷ lệ đạt (%)", fontsize=SMALL, labelpad=2)
        _plain(ax)
        sheet.legend(handles)
    return _finish(fig)


# ---- annual report: the communes, every indicator ------------------------------------------------


def to_image(fig: Figure, fmt: str = "png", dpi: int = 220) -> tuple[bytes, str, float]:
    """(image bytes, MIME type, width as a share of the text width); closes the figure.

    SVG, or PNG at ``dpi``; no timestamps or software names, so a chart gives the same bytes.
    """
    buf = io.BytesIO()
    with style():
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
            mime = "image/svg+xml"
        else:
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
            mime = "image/png"
    plt.close(fig)
    width_in = fig.get_size_inches()[0]
    return buf.getvalue(), mime, min(width_in / WIDTH_IN, 1)


def figure(fig: Figure, alt: str, caption: str, fmt: str = "png") -> blocks.Figure:
    """The chart as a document figure with its caption."""
    image, mime, width = to_image(fig, fmt)
    return blocks.Figure(image=image, mime=mime, caption=caption, alt=alt, width=width)


# ---- period reviews: the series ------------------------------------------------------------------
