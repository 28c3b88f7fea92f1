"""Charts of the reports (matplotlib, Agg): Vietnamese text, targets drawn and labelled.

Each indicator keeps its colour, hatch and marker in every chart, and bars have dark outlines,
so a black-and-white print still tells them apart. Figures are embedded as PNG at 220 dpi by
default (SVG hatch patterns show seams in some PDF viewers); ``to_img(fmt="svg")`` is available.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from hoctap.analysis.periods import PROJECTION_YEAR  # noqa: E402
from hoctap.report import blocks  # noqa: E402
from hoctap.report.meta import Meta, decimal, is_missing, pct, target_pct, vn_key  # noqa: E402

RC = {
    "font.family": "serif",
    "font.serif": ["Liberation Serif", "Times New Roman", "Tinos", "DejaVu Serif"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.edgecolor": "#000000",
    "axes.linewidth": 0.6,
    "hatch.linewidth": 0.5,
    "svg.fonttype": "path",
    "svg.hashsalt": "hoctap",
    "axes.unicode_minus": False,
}
WIDTH_IN = 6.3  # the text width of A4 with 30/15 mm margins


@contextmanager
def style():
    with plt.rc_context(RC):
        yield


def _num(x) -> float | None:
    return None if is_missing(x) else float(x)


def area_chart(area: pd.DataFrame, meta: Mapping[str, Meta], year: int, area_name: str) -> Figure:
    """Rate of every indicator for the whole area against its governing target."""
    rows = [r for _, r in area.iterrows()]
    rows.sort(key=lambda r: list(meta).index(r["indicator"]) if r["indicator"] in meta else 99)
    n = len(rows)
    with style():
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.42 * n + 1.3), layout="constrained")
        target_years = set()
        for i, r in enumerate(rows):
            m = meta.get(r["indicator"])
            colour = m.colour if m else "#999999"
            hatch = m.hatch if m else "//"
            rate, target = _num(r.get("rate_pct")), _num(r.get("target_pct"))
            y = n - 1 - i
            if rate is not None:
                ax.barh(
                    y,
                    rate,
                    height=0.62,
                    color=colour,
                    hatch=hatch,
                    edgecolor="#000000",
                    linewidth=0.7,
                )
            if target is not None:
                ax.plot(
                    [target, target],
                    [y - 0.42, y + 0.42],
                    color="#000000",
                    linewidth=2.2,
                    solid_capstyle="butt",
                )
                if not is_missing(r.get("target_year")):
                    target_years.add(int(r["target_year"]))
            label = pct(rate, target=target, status=r.get("status")) if rate is not None else "— (chưa có số liệu)"
            if target is not None:
                label += f"  (chỉ tiêu {target_pct(target)})"
            ax.text(max(rate or 0, target or 0) + 1.5, y, label, va="center", ha="left", fontsize=8)
        ax.set_yticks(range(n))
        ax.set_yticklabels(
            [
                (meta[r["indicator"]].short_label if r["indicator"] in meta else str(r.get("label", "")))
                for r in reversed(rows)
            ]
        )
        ax.set_xlim(0, 140)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xticklabels([f"{t}%" for t in range(0, 101, 20)])
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel("Tỷ lệ đạt (%)")
        ax.grid(axis="x", color="#bbbbbb", linewidth=0.4, linestyle=":")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ty = ", ".join(str(t) for t in sorted(target_years))
        handles = [
            Patch(facecolor="#dddddd", edgecolor="#000000", label=f"Tỷ lệ đạt năm {year}"),
            Line2D(
                [0],
                [0],
                color="#000000",
                linewidth=2.2,
                label=f"Chỉ tiêu (năm {ty})" if ty else "Chỉ tiêu",
            ),
        ]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=2,
            fontsize=8,
            frameon=True,
            edgecolor="#000000",
        )
        ax.set_title(f"Kết quả các chỉ tiêu năm {year} so với chỉ tiêu, toàn {area_name}")
    return fig


def commune_chart(communes: pd.DataFrame, meta: Mapping[str, Meta], codes: Sequence[str], year: int) -> Figure:
    """Small multiples: one panel per indicator, one bar per commune, the target as a line."""
    codes = [c for c in codes if c in set(communes["indicator"])]
    names = sorted(communes["geo_name"].dropna().unique(), key=vn_key)
    ncol = 2 if len(codes) > 1 else 1
    nrow = (len(codes) + ncol - 1) // ncol
    per_row = 0.24 * len(names) + 1.0
    with style():
        fig, axes = plt.subplots(
            nrow,
            ncol,
            figsize=(WIDTH_IN, per_row * nrow + 0.4),
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        for k, code in enumerate(codes):
            ax = axes[k // ncol][k % ncol]
            m = meta.get(code)
            sub = communes[communes["indicator"] == code].set_index("geo_name")
            for j, name in enumerate(names):
                y = len(names) - 1 - j
                rate = _num(sub["rate_pct"].get(name)) if name in sub.index else None
                if rate is None:
                    ax.text(1, y, "—", va="center", fontsize=7)
                    continue
                ax.barh(
                    y,
                    rate,
                    height=0.66,
                    color=m.colour if m else "#999",
                    hatch=m.hatch if m else "//",
                    edgecolor="#000000",
                    linewidth=0.6,
                )
                ax.text(
                    min(rate, 100) + 1.5,
                    y,
                    pct(
                        rate,
                        target=_num(sub["target_pct"].get(name)),
                        status=sub["status"].get(name),
                    ),
                    va="center",
                    fontsize=6.5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4},
                )
            targets = sub["target_pct"].dropna().unique() if len(sub) else []
            for t in targets:
                ax.axvline(float(t), color="#000000", linestyle="--", linewidth=1.1)
                ax.text(
                    float(t),
                    len(names) - 0.35,
                    f"Chỉ tiêu {target_pct(t)}",
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
                )
            ax.set_yticks(range(len(names)))
            ax.set_yticklabels(list(reversed(names)))
            ax.set_ylim(-0.6, len(names) + 0.4)
            ax.set_xlim(0, 118)
            ax.set_xticks(range(0, 101, 25))
            ax.set_xticklabels([f"{t}%" for t in range(0, 101, 25)], fontsize=7)
            ax.set_title(m.short_label if m else code, fontsize=9)
            ax.grid(axis="x", color="#bbbbbb", linewidth=0.4, linestyle=":")
            ax.set_axisbelow(True)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        for k in range(len(codes), nrow * ncol):
            axes[k // ncol][k % ncol].set_visible(False)
        fig.suptitle(f"Tỷ lệ đạt các danh hiệu theo xã, thị trấn năm {year}", fontsize=10, fontweight="bold")
        fig.supxlabel("Tỷ lệ đạt (%); đường gạch: chỉ tiêu", fontsize=8)
    return fig


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


_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.2, "alpha": 0.8}


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
    """Small multiples: per indicator the yearly rate, the targets, the projection dashed.

    Each indicator keeps its colour and marker; the observed series is a solid line with filled
    markers, the projection a dashed line with an open marker, targets black: a black-and-white
    print still tells them apart.
    """
    codes = [c for c in meta if c in set(area["indicator"])]
    last_year = years[-1]
    x_end = max(year_to, projection_year if show_projection else year_to)
    ncol = 2
    nrow = (len(codes) + ncol - 1) // ncol
    with style():
        fig, axes = plt.subplots(
            nrow,
            ncol,
            figsize=(WIDTH_IN, 1.55 * nrow + 0.7),
            sharex=True,
            layout="constrained",
            squeeze=False,
        )
        for k, code in enumerate(codes):
            ax = axes[k // ncol][k % ncol]
            m = meta[code]
            s = area[area["indicator"] == code].sort_values("year")
            s = s[s["rate_pct"].notna()]
            xs, ys = s["year"].astype(int).tolist(), s["rate_pct"].astype(float).tolist()
            ax.plot(
                xs,
                ys,
                color=m.colour,
                marker=m.marker,
                markersize=4.5,
                markeredgecolor="#000000",
                markeredgewidth=0.6,
                linewidth=1.8,
                zorder=3,
            )
            panel_targets: dict[float, list[int]] = {}
            for t in targets[targets["indicator"] == code].itertuples():
                ty, tp = int(t.target_year), float(t.target_pct)
                if year_from <= ty <= x_end:
                    panel_targets.setdefault(tp, []).append(ty)
                    ax.plot(
                        [year_from - 0.3, ty],
                        [tp, tp],
                        color="#000000",
                        linestyle=":",
                        linewidth=0.9,
                        zorder=2,
                    )
                    ax.plot(
                        [ty],
                        [tp],
                        marker="_",
                        markersize=11,
                        markeredgewidth=2.2,
                        color="#000000",
                        zorder=2,
                    )
            proj = projections.get(code)
            proj = None if is_missing(proj) else float(proj)

            def level_at(year: int, xs=xs, ys=ys, proj=proj) -> float | None:
                """The value drawn at ``year`` (data, else projection): labels keep off it."""
                if year in xs:
                    return ys[xs.index(year)]
                if show_projection and proj is not None and xs and xs[-1] < year <= projection_year:
                    return ys[-1] + (proj - ys[-1]) * (year - xs[-1]) / (projection_year - xs[-1])
                return None

            # Each target's label sits at its marker, on the side away from the line drawn there.
            label_above: dict[int, bool] = {}
            for tp, tys in panel_targets.items():
                ty = max(tys)
                v = level_at(ty)
                above = v is None or v < tp
                label_above[ty] = above
                # Right-aligned at the marker: the label lies over the years leading to the target.
                ax.text(
                    ty + 0.25,
                    tp + (3 if above else -3),
                    f"CT {', '.join(str(v) for v in sorted(tys))}: {target_pct(tp)}",
                    ha="right",
                    va="bottom" if above else "top",
                    fontsize=6.2,
                    zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.2, "alpha": 0.85},
                )
            if xs:  # the last observed rate, on the side away from a target label at that year
                below = label_above.get(xs[-1], False)
                ax.annotate(
                    decimal(ys[-1], 1) + "%",
                    (xs[-1], ys[-1]),
                    textcoords="offset points",
                    xytext=(0, -11 if below else 6),
                    ha="center",
                    fontsize=6.5,
                    zorder=6,
                    bbox=_LABEL_BOX,
                )
            if show_projection and xs and proj is not None and xs[-1] < projection_year:
                ax.plot(
                    [xs[-1], projection_year],
                    [ys[-1], proj],
                    color=m.colour,
                    linestyle=(0, (4, 2)),
                    linewidth=1.3,
                    zorder=3,
                )
                ax.plot(
                    [projection_year],
                    [proj],
                    marker=m.marker,
                    markersize=4.5,
                    markerfacecolor="white",
                    markeredgecolor="#000000",
                    markeredgewidth=0.7,
                    linestyle="none",
                    zorder=4,
                )
                above = not label_above.get(projection_year, False)
                ax.annotate(
                    f"dự báo {decimal(proj, 1)}%",
                    (projection_year, proj),
                    textcoords="offset points",
                    xytext=(-4, 5 if above else -10),
                    ha="right",
                    fontsize=6.3,
                    style="italic",
                    zorder=4,
                    bbox=_LABEL_BOX,
                )
            ax.set_title(m.short_label, fontsize=8.5)
            ax.set_ylim(0, 112)
            ax.set_yticks(range(0, 101, 25))
            ax.set_yticklabels([f"{t}%" for t in range(0, 101, 25)], fontsize=6.5)
            ax.set_xlim(year_from - 0.4, x_end + 0.4)
            step = 1 if x_end - year_from <= 6 else 2
            ax.set_xticks(range(year_from, x_end + 1, step))
            ax.tick_params(axis="x", labelsize=6.5)
            ax.grid(axis="y", color="#bbbbbb", linewidth=0.4, linestyle=":")
            ax.set_axisbelow(True)
            if last_year < x_end:
                ax.axvspan(last_year + 0.5, x_end + 0.4, color="#eeeeee", zorder=0, linewidth=0)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        for k in range(len(codes), nrow * ncol):
            axes[k // ncol][k % ncol].set_visible(False)
        handles = [
            Line2D(
                [0],
                [0],
                color="#555555",
                marker="o",
                markeredgecolor="#000000",
                linewidth=1.8,
                label=f"Tỷ lệ đạt (các năm {years_text})",
            ),
            Line2D(
                [0],
                [0],
                color="#000000",
                linestyle=":",
                marker="_",
                markersize=9,
                markeredgewidth=2,
                label="Chỉ tiêu (CT) kế hoạch",
            ),
        ]
        if show_projection:
            handles.append(
                Line2D(
                    [0],
                    [0],
                    color="#555555",
                    linestyle=(0, (4, 2)),
                    marker="o",
                    markerfacecolor="white",
                    markeredgecolor="#000000",
                    label=f"Dự báo đến năm {projection_year} (xu hướng)",
                )
            )
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=len(handles),
            fontsize=7,
            frameon=True,
            edgecolor="#000000",
        )
        fig.suptitle(f"Tỷ lệ đạt các chỉ tiêu qua các năm, toàn {area_name}", fontsize=10, fontweight="bold")
    return fig
