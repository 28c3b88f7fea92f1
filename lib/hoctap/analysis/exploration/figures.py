"""The figures of notebook 05, each a matplotlib Figure with a Vietnamese title.

The indicator's colour, hatch and marker come from hoctap.analysis.indicators.INDICATORS; shapes,
hatches and direct labels carry the meaning so that a black-and-white print reads the same.
``Chart`` turns a figure into the PNG the notebook stores, with its title as text alternative.
"""

from __future__ import annotations

import math

import pandas as pd

from hoctap.analysis.exploration.comparisons import indicator_rows
from hoctap.analysis.exploration.labels import (
    frac_text,
    indicator_style,
    num_text,
    pct_text,
    target_text,
)
from hoctap.analysis.exploration.statistics import (
    as_float,
    funnel_limits,
    pearson,
    percent,
    wilson_interval,
)

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.unicode_minus": False,
    "hatch.linewidth": 0.5,
}
WIDTH_IN = 8.0
GREY = "#555555"
_BAND_MARKER = {"above_998": "^", "above_95": "^", "within": "o", "below_95": "v", "below_998": "v"}
_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 1}


def _plt():
    """pyplot, on the Agg backend unless the caller (e.g. Jupyter) already chose one."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _zip(*columns):
    return zip(*columns, strict=False)


def _tidy(ax, axis: str = "x") -> None:
    ax.grid(axis=axis, color="#bbbbbb", linewidth=0.4, linestyle=":")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _pct_axis(ax, axis: str = "x", lo: float = 0, hi: float = 100) -> None:
    ticks = [t for t in range(0, 101, 20) if lo <= t <= hi]
    (ax.set_xticks if axis == "x" else ax.set_yticks)(ticks)
    (ax.set_xticklabels if axis == "x" else ax.set_yticklabels)([f"{t}%" for t in ticks])


def fig_communes(ct: pd.DataFrame, indicator: str, year: int):
    """Each commune's rate with its Wilson 95% interval and its count, the area rate and target."""
    plt = _plt()
    st = indicator_style(indicator)
    n = len(ct)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.38 * n + 1.8), layout="constrained")
        for i, r in enumerate(ct.itertuples()):
            if math.isnan(r.rate_pct):
                ax.text(1, i, "— (không có mẫu số)", va="center", fontsize=8)
                continue
            ax.plot([r.ci_low, r.ci_high], [i, i], color="#000000", linewidth=1.2)
            for end in (r.ci_low, r.ci_high):
                ax.plot([end, end], [i - 0.15, i + 0.15], color="#000000", linewidth=1.2)
            ax.plot(
                r.rate_pct,
                i,
                marker=st["marker"],
                markersize=8,
                color=st["colour"],
                markeredgecolor="#000000",
                linestyle="none",
            )
            ax.text(
                101.5,
                i,
                f"{pct_text(r.rate_pct)} ({frac_text(r.numerator, r.denominator)})",
                va="center",
                fontsize=8,
            )
        area = ct["area_rate_pct"].iloc[0] if n else math.nan
        if not math.isnan(area):
            ax.axvline(area, color=GREY, linewidth=1.2)
            ax.text(
                area,
                n - 0.3,
                f"Toàn địa bàn {pct_text(area)}",
                ha="center",
                va="bottom",
                fontsize=8,
                color=GREY,
                bbox=_LABEL_BOX,
            )
        tgt = ct["target_pct"].dropna()
        if len(tgt):
            t = float(tgt.iloc[0])
            ax.axvline(t, color="#000000", linestyle="--", linewidth=1.1)
            ax.text(
                t,
                -0.9,
                f"Chỉ tiêu {target_text(t)}",
                ha="center",
                va="top",
                fontsize=8,
                bbox=_LABEL_BOX,
            )
        ax.set_yticks(range(n))
        ax.set_yticklabels(ct["geo_name"].tolist())
        ax.set_ylim(-1.4, n + 0.2)
        ax.set_xlim(0, 130)
        _pct_axis(ax)
        ax.set_xlabel("Tỷ lệ (%); đoạn thẳng: khoảng tin cậy 95% (Wilson); trong ngoặc: tử số/mẫu số")
        _tidy(ax)
        ax.set_title(f"{st['short_label']}: các xã năm {year}, tỷ lệ và khoảng tin cậy 95%")
    return fig


def fig_funnel(ct: pd.DataFrame, indicator: str, year: int):
    """Funnel plot: rate against denominator, with 95% and 99.8% limits around the area rate.

    The denominator axis turns logarithmic when communes differ in size by more than 50 times,
    so that a small commune is not squeezed against the axis.
    """
    from matplotlib.lines import Line2D

    plt = _plt()
    st = indicator_style(indicator)
    data = ct.dropna(subset=["rate_pct"])
    data = data.loc[data["denominator"].astype(float) > 0]
    area = float(ct["area_rate_pct"].iloc[0]) if len(ct) else math.nan
    dens = data["denominator"].astype(float)
    nmax = float(dens.max()) if len(data) else 10.0
    nmin = float(dens.min()) if len(data) else 1.0
    log = nmax / max(nmin, 1.0) > 50
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 5.4), layout="constrained")
        lo_n = max(1.0, nmin * 0.7) if log else max(1.0, nmax / 300)
        hi_n = nmax * 1.4
        grid = [lo_n * (hi_n / lo_n) ** (k / 300) for k in range(301)]
        lim = funnel_limits(area, grid)
        ax.axhline(area, color=GREY, linewidth=1.2)
        for side in ("lower", "upper"):
            ax.plot(
                lim["denominator"],
                lim[f"{side}_95"],
                color="#000000",
                linestyle="--",
                linewidth=0.9,
            )
            ax.plot(
                lim["denominator"],
                lim[f"{side}_998"],
                color="#000000",
                linestyle=":",
                linewidth=1.2,
            )
        # Communes on the same point (same count and rate) share one marker and one label.
        points: dict[tuple[float, float], list] = {}
        for r in data.itertuples():
            points.setdefault((float(r.denominator), round(r.rate_pct, 9)), []).append(r)
        for (den, rate), rs in points.items():
            band = rs[0].band
            ax.plot(
                den,
                rate,
                marker=_BAND_MARKER[band],
                markersize=8,
                color=st["colour"] if band != "within" else "white",
                markeredgecolor="#000000",
                linestyle="none",
            )
            ax.annotate(
                ", ".join(r.geo_name for r in rs),
                (den, rate),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7.5,
            )
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(lambda v, _p: num_text(v))
            ax.set_xlim(lo_n, hi_n)
        else:
            ax.set_xlim(0, hi_n)
            ax.xaxis.set_major_formatter(lambda v, _p: num_text(v))
        rates = data["rate_pct"].tolist()
        if math.isnan(area):
            ax.set_ylim(0, 105)
        else:
            ax.set_ylim(max(0, min([area - 20, *rates]) - 5), min(105, max([area + 20, *rates]) + 5))
        ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0f}%")
        ax.set_xlabel(
            f"Mẫu số ({st['units'] or 'số đơn vị'}){', thang logarit' if log else ''}: "
            "mẫu số càng lớn, giới hạn càng hẹp"
        )
        ax.set_ylabel("Tỷ lệ (%)")
        marker = {"markeredgecolor": "#000000", "linestyle": "none"}
        handles = [
            Line2D([0], [0], color=GREY, linewidth=1.2, label=f"Toàn địa bàn {pct_text(area)}"),
            Line2D([0], [0], color="#000000", linestyle="--", linewidth=0.9, label="Giới hạn 95%"),
            Line2D([0], [0], color="#000000", linestyle=":", linewidth=1.2, label="Giới hạn 99,8%"),
            Line2D(
                [0],
                [0],
                marker="^",
                color=st["colour"],
                **marker,
                label="Cao hơn, vượt mức ngẫu nhiên",
            ),
            Line2D(
                [0],
                [0],
                marker="v",
                color=st["colour"],
                **marker,
                label="Thấp hơn, vượt mức ngẫu nhiên",
            ),
            Line2D([0], [0], marker="o", color="white", **marker, label="Trong giới hạn ngẫu nhiên"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7.5, frameon=False)
        _tidy(ax, "y")
        ax.set_title(f"Biểu đồ phễu: {st['short_label']} theo xã năm {year}")
    return fig


def fig_trends(ind: pd.DataFrame, indicator: str, year_from: int, year_to: int):
    """One small panel per commune: its rate by year with the 95% interval, beside the area
    rate."""
    plt = _plt()
    st = indicator_style(indicator)
    com = indicator_rows(ind, indicator, "commune").copy()
    com["year"] = com["year"].astype(int)
    area = indicator_rows(ind, indicator, "area").copy()
    area["year"] = area["year"].astype(int)
    area = area.sort_values("year")
    area_rate = [percent(a, b) for a, b in _zip(area["numerator"], area["denominator"])]
    names = com.groupby("geo_code")["geo_name"].first().sort_values()
    ncol = min(4, max(1, len(names)))
    nrow = max(1, math.ceil(len(names) / ncol))
    years = list(range(int(year_from), int(year_to) + 1))
    with plt.rc_context(RC):
        fig, axes = plt.subplots(
            nrow,
            ncol,
            figsize=(WIDTH_IN, 2.2 * nrow + 0.8),
            sharex=True,
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        for k, (code, name) in enumerate(names.items()):
            ax = axes[k // ncol][k % ncol]
            g = com.loc[com["geo_code"] == code].sort_values("year")
            rate = [percent(a, b) for a, b in _zip(g["numerator"], g["denominator"])]
            ci = [wilson_interval(a, b) for a, b in _zip(g["numerator"], g["denominator"])]
            ax.fill_between(
                g["year"],
                [c[0] for c in ci],
                [c[1] for c in ci],
                facecolor="none",
                edgecolor=st["colour"],
                hatch=st["hatch"],
                linewidth=0,
            )
            ax.plot(area["year"], area_rate, color=GREY, linestyle="--", linewidth=1)
            ax.plot(
                g["year"],
                rate,
                color=st["colour"],
                marker=st["marker"],
                markeredgecolor="#000000",
                linewidth=1.6,
            )
            if len(rate) and not math.isnan(rate[-1]):
                ax.annotate(
                    pct_text(rate[-1]),
                    (g["year"].iloc[-1], rate[-1]),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                )
            ax.set_title(name, fontsize=9)
            _tidy(ax, "y")
        for k in range(len(names), nrow * ncol):
            axes[k // ncol][k % ncol].set_visible(False)
        ax0 = axes[0][0]
        ax0.set_xticks(years)
        ax0.set_xticklabels([str(y) if (y - years[0]) % 2 == 0 else "" for y in years], fontsize=7)
        ax0.set_ylim(0, 100)
        _pct_axis(ax0, "y")
        fig.suptitle(
            f"Diễn biến {st['short_label']} theo xã, {year_from}-{year_to}",
            fontsize=10,
            fontweight="bold",
        )
        fig.supxlabel(
            "Đường liền có dấu: tỷ lệ của xã; vùng gạch chéo: khoảng tin cậy 95%; nét gạch: toàn địa bàn",
            fontsize=8,
        )
    return fig


def fig_breakdown(
    bd: pd.DataFrame,
    indicator: str,
    title: str,
    group_label: str = "group",
    reference_pct: float | None = None,
    reference_label: str = "Toàn địa bàn",
):
    """Bars of a breakdown (``rate_pct``, ``numerator``, ``denominator`` per ``group_label``),
    hatched in the indicator's colour, with the interval and the count written on each bar, and
    an optional reference line (the area's or the commune's rate) to read each group against."""
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=3.2, foreground="white")]
    plt = _plt()
    st = indicator_style(indicator)
    bd = bd.reset_index(drop=True)
    n = len(bd)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.4 * max(n, 2) + 1.5), layout="constrained")
        if not n:
            ax.text(50, 0.5, "Không có số liệu cho cách phân tích này", ha="center", va="center")
        for i, r in bd.iterrows():
            y = n - 1 - i
            rate = as_float(r["rate_pct"])
            if math.isnan(rate):
                ax.text(1, y, "— (không có mẫu số)", va="center", fontsize=8)
                continue
            lo, hi = wilson_interval(r["numerator"], r["denominator"])
            ax.barh(
                y,
                rate,
                height=0.62,
                color=st["colour"],
                hatch=st["hatch"],
                edgecolor="#000000",
                linewidth=0.7,
            )
            ax.plot([lo, hi], [y, y], color="#000000", linewidth=1.2, path_effects=halo)
            ax.text(
                max(hi, rate) + 1.5,
                y,
                f"{pct_text(rate)} ({frac_text(r['numerator'], r['denominator'])})",
                va="center",
                fontsize=8,
            )
        if reference_pct is not None and not math.isnan(as_float(reference_pct)):
            ax.axvline(reference_pct, color="#000000", linestyle="--", linewidth=1.1)
            ax.text(
                reference_pct,
                max(n, 2) - 0.45,
                f"{reference_label} {pct_text(reference_pct)}",
                ha="center",
                va="bottom",
                fontsize=8,
                bbox=_LABEL_BOX,
            )
        ax.set_yticks(range(n))
        ax.set_yticklabels([str(v) for v in reversed(bd[group_label].tolist())])
        ax.set_ylim(-0.6, max(n, 2) + 0.2)
        ax.set_xlim(0, 128)
        _pct_axis(ax)
        ax.set_xlabel("Tỷ lệ (%); đoạn thẳng: khoảng tin cậy 95%; trong ngoặc: tử số/mẫu số")
        _tidy(ax)
        ax.set_title(title)
    return fig


def fig_by_level(bd: pd.DataFrame, indicator: str, year: int, area_pct: float | None = None):
    """``fig_breakdown`` of ``breakdown_by_level``, against the area rate."""
    title = f"{indicator_style(indicator)['short_label']} theo cấp học của trường báo cáo, năm {year}"
    return fig_breakdown(bd, indicator, title, reference_pct=area_pct)


def fig_by_village(
    bd: pd.DataFrame,
    indicator: str,
    year: int,
    commune_name: str | None,
    commune_pct: float | None = None,
):
    """``fig_breakdown`` of ``breakdown_by_village``, against the commune's own rate."""
    title = f"Các thôn, buôn của {commune_name or '—'} năm {year}: {indicator_style(indicator)['short_label']}"
    return fig_breakdown(bd, indicator, title, reference_pct=commune_pct, reference_label="Cả xã")


def fig_by_timeliness(bd: pd.DataFrame, indicator: str, year: int, area_pct: float | None = None):
    """``fig_breakdown`` of ``breakdown_by_timeliness``, against the area rate."""
    title = f"{indicator_style(indicator)['short_label']}: trường nộp đúng hạn và nộp muộn, năm {year}"
    return fig_breakdown(bd, indicator, title, reference_pct=area_pct)


def fig_registered(rva: pd.DataFrame, year: int, names: dict[str, str] | None = None):
    """Per commune: share of households registered, and share awarded, side by side."""
    plt = _plt()
    st = indicator_style("family_title_rate")
    rva = rva.reset_index(drop=True)
    n = len(rva)
    label = [(names or {}).get(c, c) for c in rva.iloc[:, 0]]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.62 * n + 1.8), layout="constrained")
        for i, r in rva.iterrows():
            y = n - 1 - i
            ax.barh(
                y + 0.19,
                r["registered_pct"],
                height=0.36,
                color="white",
                hatch="...",
                edgecolor="#000000",
                linewidth=0.7,
            )
            ax.barh(
                y - 0.19,
                r["awarded_pct"],
                height=0.36,
                color=st["colour"],
                hatch=st["hatch"],
                edgecolor="#000000",
                linewidth=0.7,
            )
            registered = frac_text(r["households_registered"], r["households_total"])
            ax.text(
                as_float(r["registered_pct"]) + 1.2,
                y + 0.19,
                f"đăng ký {pct_text(r['registered_pct'])} ({registered})",
                va="center",
                fontsize=7.5,
            )
            ax.text(
                as_float(r["awarded_pct"]) + 1.2,
                y - 0.19,
                f"đạt {pct_text(r['awarded_pct'])}, bằng {pct_text(r['awarded_of_registered_pct'])} số hộ đăng ký",
                va="center",
                fontsize=7.5,
            )
        ax.set_yticks(range(n))
        ax.set_yticklabels(list(reversed(label)))
        ax.set_xlim(0, 150)
        _pct_axis(ax)
        ax.set_xlabel("Tỷ lệ trên tổng số hộ (%); chấm: đăng ký; gạch màu: đạt danh hiệu")
        _tidy(ax)
        ax.set_title(f'Hộ đăng ký và hộ đạt "Gia đình học tập" theo xã năm {year}')
    return fig


def fig_relationship(rel: pd.DataFrame, x: str, y: str, year: int):
    """Scatter of two indicators across communes, each point labelled with its commune and
    drawn with both 95% intervals, so a pattern among a few communes is not over-read."""
    plt = _plt()
    sx, sy = indicator_style(x), indicator_style(y)
    r = pearson(rel["rate_x_pct"], rel["rate_y_pct"])
    d = rel.dropna(subset=["rate_x_pct", "rate_y_pct"]).sort_values("rate_y_pct")
    d = d.reset_index(drop=True)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 5.6), layout="constrained")
        xs, ys = [], []
        for k, row in d.iterrows():
            xlo, xhi = wilson_interval(row["numerator_x"], row["denominator_x"])
            ylo, yhi = wilson_interval(row["numerator_y"], row["denominator_y"])
            ax.plot([xlo, xhi], [row["rate_y_pct"]] * 2, color=GREY, linewidth=0.9)
            ax.plot([row["rate_x_pct"]] * 2, [ylo, yhi], color=GREY, linewidth=0.9)
            ax.plot(
                row["rate_x_pct"],
                row["rate_y_pct"],
                marker=sx["marker"],
                markersize=9,
                color=sx["colour"],
                markeredgecolor="#000000",
                linestyle="none",
                zorder=3,
            )
            left = k % 2 == 1  # alternate sides so that neighbours' labels do not collide
            ax.annotate(
                row["geo_name"],
                (row["rate_x_pct"], row["rate_y_pct"]),
                xytext=(-8 if left else 8, 0),
                textcoords="offset points",
                ha="right" if left else "left",
                va="center",
                fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
            )
            xs += [xlo, xhi]
            ys += [ylo, yhi]
        xs, ys = [v for v in xs if not math.isnan(v)], [v for v in ys if not math.isnan(v)]
        for setter, vals in ((ax.set_xlim, xs), (ax.set_ylim, ys)):
            if vals:
                lo, hi = min(vals), max(vals)
                pad = max(3.0, (hi - lo) * 0.25)
                setter(max(0, lo - pad), min(100, hi + pad))
        ax.xaxis.set_major_formatter(lambda v, _p: f"{v:.0f}%")
        ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0f}%")
        ax.set_xlabel(f"{sx['short_label']} (%)")
        ax.set_ylabel(f"{sy['short_label']} (%)")
        note = (
            f"Hệ số tương quan Pearson r = {num_text(r, 2)} trên {len(d)} xã"
            if not math.isnan(r)
            else f"Chưa đủ xã để tính hệ số tương quan ({len(d)} xã)"
        )
        ax.text(
            0.01,
            0.99,
            note + "; đoạn thẳng xám: khoảng tin cậy 95%.\nTương quan không "
            "phải quan hệ nhân quả; với ít xã, đây chỉ là gợi ý.",
            transform=ax.transAxes,
            va="top",
            fontsize=7.5,
        )
        _tidy(ax, "both")
        ax.set_title(f"{sx['short_label']} và {sy['short_label']} theo xã năm {year}")
    return fig


def fig_coverage(flags: pd.DataFrame, indicator: str, rate_pp: float = 5.0, coverage_pp: float = 10.0):
    """Each commune-year: change of coverage against the rate's change beyond the area's; the
    flagged ones (both moved) drawn as filled crosses and labelled, the rest as open circles."""
    plt = _plt()
    st = indicator_style(indicator)
    d = flags.dropna(subset=["excess_change_pp"])
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 5.4), layout="constrained")
        ax.axhspan(-rate_pp, rate_pp, color="#eeeeee", zorder=0)
        ax.axvspan(-coverage_pp, coverage_pp, color="#eeeeee", zorder=0)
        ax.axhline(0, color=GREY, linewidth=0.6)
        ax.axvline(0, color=GREY, linewidth=0.6)
        for r in d.itertuples():
            cov = 0.0 if math.isnan(r.coverage_change_pp) else r.coverage_change_pp
            if r.flag:
                ax.plot(
                    cov,
                    r.excess_change_pp,
                    marker="X",
                    markersize=10,
                    color=st["colour"],
                    markeredgecolor="#000000",
                    linestyle="none",
                    zorder=3,
                )
                ax.annotate(
                    f"{r.geo_name} {r.year}",
                    (cov, r.excess_change_pp),
                    xytext=(7, -3),
                    textcoords="offset points",
                    fontsize=7.5,
                    fontweight="bold",
                )
            else:
                ax.plot(
                    cov,
                    r.excess_change_pp,
                    marker="o",
                    markersize=5,
                    color="white",
                    markeredgecolor=GREY,
                    linestyle="none",
                    zorder=2,
                )
        ax.set_xlabel(
            "Thay đổi độ bao phủ so với năm trước (điểm %; trường báo cáo hoặc thôn có số liệu, lấy thay đổi lớn hơn)"
        )
        ax.set_ylabel(f"Thay đổi {st['short_label']} so với\nxu hướng chung toàn địa bàn (điểm %)")
        handles = [
            plt.Line2D(
                [0],
                [0],
                marker="X",
                markersize=9,
                color=st["colour"],
                markeredgecolor="#000000",
                linestyle="none",
                label="Cần kiểm tra: tỷ lệ và độ bao phủ cùng thay đổi mạnh",
            ),
            plt.Line2D(
                [0],
                [0],
                marker="o",
                color="white",
                markeredgecolor=GREY,
                linestyle="none",
                label="Không có dấu hiệu",
            ),
            plt.Rectangle(
                (0, 0),
                1,
                1,
                color="#eeeeee",
                label=f"Vùng xám: dưới {num_text(rate_pp)} điểm % (tỷ lệ) hoặc "
                f"{num_text(coverage_pp)} điểm % (độ bao phủ)",
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7.5, frameon=False)
        _tidy(ax, "both")
        ax.set_title(f"Tỷ lệ thay đổi cùng lúc với độ bao phủ báo cáo: {st['short_label']}")
    return fig


def figure_title(fig) -> str:
    """The title drawn on a figure (suptitle, else the first axes title)."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title()
    return ""


class Chart:
    """A figure for the notebook: a PNG with its drawn title as the text alternative.

    Jupyter and papermill store it as an ``image/png`` output whose ``text/plain`` is the title,
    whatever matplotlib backend the kernel runs; the figure is closed once rendered.
    """

    def __init__(self, fig, dpi: int = 110):
        import io

        plt = _plt()
        self.title = figure_title(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Title": self.title, "Software": None})
        plt.close(fig)
        self.png = buf.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/png": self.png, "text/plain": f"Hình: {self.title}"}

    def save(self, path) -> None:
        from hoctap.io import write_bytes

        write_bytes(path, self.png)
