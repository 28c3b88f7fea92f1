"""A small chart for the chart cache's tests: importable by name, and counts its drawings."""

from __future__ import annotations

from matplotlib.figure import Figure

DRAWN: list[tuple] = []


def bars(values: list[float], title: str) -> Figure:
    DRAWN.append((tuple(values), title))
    fig = Figure(figsize=(3, 2), dpi=100)
    ax = fig.add_subplot()
    ax.bar(range(len(values)), values)
    ax.set_title(title)
    return fig


def two(values: list[float]) -> list[Figure]:
    return [bars(values, "một"), bars(values[::-1], "hai")]
