"""Charts of the reports (matplotlib, Agg): Vietnamese text, targets drawn and labelled.

Each indicator keeps its colour, hatch and marker in every chart, and bars have dark outlines,
so a black-and-white print still tells them apart. Figures are embedded as PNG at 220 dpi by
default (SVG hatch patterns show seams in some PDF viewers); ``to_img(fmt="svg")`` is available.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from html import escape

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .meta import Meta, is_missing, pct, target_pct, vn_key  # noqa: E402

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
            label = (
                pct(rate, target=target, status=r.get("status"))
                if rate is not None
                else "— (chưa có số liệu)"
            )
            if target is not None:
                label += f"  (chỉ tiêu {target_pct(target)})"
            ax.text(max(rate or 0, target or 0) + 1.5, y, label, va="center", ha="left", fontsize=8)
        ax.set_yticks(range(n))
        ax.set_yticklabels(
            [
                (
                    meta[r["indicator"]].short_label
                    if r["indicator"] in meta
                    else str(r.get("label", ""))
                )
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


def commune_chart(
    communes: pd.DataFrame, meta: Mapping[str, Meta], codes: Sequence[str], year: int
) -> Figure:
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
        fig.suptitle(
            f"Tỷ lệ đạt các danh hiệu theo xã, thị trấn năm {year}", fontsize=10, fontweight="bold"
        )
        fig.supxlabel("Tỷ lệ đạt (%); đường gạch: chỉ tiêu", fontsize=8)
    return fig


def to_img(fig: Figure, alt: str, fmt: str = "png", dpi: int = 220) -> str:
    """The figure as an <img> with a data URI (SVG, or PNG at ``dpi``); closes the figure."""
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
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<img src="data:{mime};base64,{data}" alt="{escape(alt, quote=True)}" '
        f'style="width:{min(width_in / WIDTH_IN, 1) * 100:.0f}%">'
    )
