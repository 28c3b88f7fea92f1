"""Charts drawn once for the same figures: the images of a chart function's result, kept in the
workspace (``processed/.cache/chart-images``) under a hash of what decides every pixel.

A report is rebuilt for reasons that leave its charts as they were (another issue date, the
analyst's narrative, a typo fixed in the template's wording), and drawing them is a third of
an annual report's notebook. The key is the chart function's name, its arguments (pickled:
the figures, labels and targets it draws), the image format, the code of the chart modules
and matplotlib's version; a chart is drawn again when any of them differs. A manifest records
each image's sha256, so a truncated or edited file is drawn again, never used; so is one drawn
with a font file that has changed since. ``hoctap run --force`` empties the cache.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import pickle
from pathlib import Path

from hoctap import hashing, io
from hoctap.report import blocks

Image = tuple[bytes, str, float]  # (bytes, MIME type, width as a share of the text width)
KEEP = 200  # manifests kept, the most recently used


@functools.cache
def _version(module: str) -> str:
    """The code of ``module`` and of what it imports, and matplotlib's version (read without
    importing it: a chart served from the cache needs no matplotlib)."""
    from importlib import metadata

    closure = hashing.code_closure(tuple(sorted({module, "hoctap.report.charts"})))
    parts = [f"{m}:{hashing.file_digest(hashing.modules()[m])}" for m in closure]
    parts.append(f"matplotlib:{metadata.version('matplotlib')}")
    return "\n".join(parts)


def _fonts() -> list[list]:
    """The font files the charts are drawn with, as (path, size, mtime): kept in the manifest, and
    an image is drawn again once one of them changed."""
    from matplotlib import font_manager

    from hoctap.report import charts

    out = []
    with charts.style():
        for weight in ("normal", "bold"):
            path = font_manager.findfont(font_manager.FontProperties(family=charts.serif_family(), weight=weight))
            st = os.stat(path)
            out.append([path, st.st_size, st.st_mtime_ns])
    return out


def _same_fonts(recorded) -> bool:
    try:
        return all((st := os.stat(path)).st_size == size and st.st_mtime_ns == mtime for path, size, mtime in recorded)
    except (OSError, TypeError, ValueError):
        return False


def key(module: str, function: str, args: tuple, fmt: str) -> str:
    payload = pickle.dumps((module, function, args, fmt, _version(module)), protocol=5)
    return hashlib.sha256(payload).hexdigest()


def _read(folder: Path, name: str) -> list[Image] | None:
    try:
        manifest = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        if not _same_fonts(manifest["fonts"]):
            return None
        out = []
        for i, item in enumerate(manifest["images"]):
            data = (folder / f"{name}-{i}.{item['ext']}").read_bytes()
            if hashlib.sha256(data).hexdigest() != item["sha256"]:
                return None
            out.append((data, str(item["mime"]), float(item["width"])))
        os.utime(folder / f"{name}.json")
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(folder: Path, name: str, images: list[Image]) -> None:
    """The images, then the manifest that makes them visible (each written atomically)."""
    try:
        items = []
        for i, (data, mime, width) in enumerate(images):
            ext = "svg" if mime == "image/svg+xml" else "png"
            io.write_bytes(folder / f"{name}-{i}.{ext}", data)
            items.append({"ext": ext, "mime": mime, "width": width, "sha256": hashlib.sha256(data).hexdigest()})
        io.write_text(folder / f"{name}.json", json.dumps({"images": items, "fonts": _fonts()}) + "\n")
        _prune(folder)
    except OSError:  # a read-only or full disk: the chart is simply drawn next time too
        return


def _prune(folder: Path) -> None:
    manifests = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in manifests[KEEP:]:
        for path in folder.glob(f"{old.stem}*"):
            path.unlink(missing_ok=True)


def images(folder: Path | None, chart: str, *args, fmt: str = "png") -> list[Image]:
    """The images of the chart function ``chart`` ("module:function", imported only when the
    chart has to be drawn: matplotlib costs half a second) called with ``args``, from ``folder``
    or drawn and kept there; ``folder`` None: drawn, not kept."""
    module, function = chart.split(":")
    folder = Path(folder) if folder is not None else None
    name = key(module, function, args, fmt) if folder is not None else ""
    if folder is not None and (found := _read(folder, name)) is not None:
        return found
    from hoctap.report import charts

    made = getattr(importlib.import_module(module), function)(*args)
    drawn = [charts.to_image(fig, fmt) for fig in (made if isinstance(made, list) else [made])]
    if folder is not None:
        _write(folder, name, drawn)
    return drawn


def figure(image: Image, alt: str, caption: str) -> blocks.Figure:
    """An image as a document figure with its caption."""
    data, mime, width = image
    return blocks.Figure(image=data, mime=mime, caption=caption, alt=alt, width=width)
