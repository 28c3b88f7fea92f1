"""The PDF renderer: the HTML page of a ``Document`` laid out on A4 by WeasyPrint.

The paged-media rules (margins, page numbers, breaks) are in ``resources/report.css``, so the
PDF and the HTML carry the same content and styling.

A page is self-contained (its stylesheet inline, its images embedded), so the same page, the
same WeasyPrint and the same fonts give the same PDF: with a ``cache`` folder, a page rendered
before is copied from there (a technical annex is unchanged when only the analyst's narrative
changed, and its layout costs two seconds). Each cached PDF is checked against the sha256
recorded beside it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from pathlib import Path

from hoctap.io import atomic_path, write_bytes, write_text
from hoctap.report import html
from hoctap.report.blocks import Document

KEEP = 60  # cached PDFs kept, the most recently used
FONT_CACHES = ("/var/cache/fontconfig", "~/.cache/fontconfig", "~/.fontconfig")


@functools.cache
def _engine() -> bytes:
    """WeasyPrint's and pydyf's versions and the state of fontconfig's caches (which change when
    a font is installed or removed)."""
    from importlib import metadata

    parts = [f"{name}:{metadata.version(name)}" for name in ("weasyprint", "pydyf", "fonttools")]
    for folder in FONT_CACHES:
        try:
            st = os.stat(os.path.expanduser(folder))
            parts.append(f"{folder}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}:absent")
    return "\n".join(parts).encode()


def _cached(cache: Path, key: str) -> bytes | None:
    try:
        data = (cache / f"{key}.pdf").read_bytes()
        if hashlib.sha256(data).hexdigest() != (cache / f"{key}.sha256").read_text(encoding="ascii").strip():
            return None
        os.utime(cache / f"{key}.sha256")
        return data
    except (OSError, ValueError):
        return None


def _keep(cache: Path, key: str, data: bytes) -> None:
    try:
        write_bytes(cache / f"{key}.pdf", data)
        write_text(cache / f"{key}.sha256", hashlib.sha256(data).hexdigest() + "\n")
        stamps = sorted(cache.glob("*.sha256"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in stamps[KEEP:]:
            old.with_suffix(".pdf").unlink(missing_ok=True)
            old.unlink(missing_ok=True)
    except OSError:  # a read-only or full disk: rendered again next time
        return


def write_pdf(doc: Document | str, path: Path, cache: Path | None = None) -> Path:
    """Write ``doc`` (a Document, or its rendered HTML page) to ``path`` atomically; from
    ``cache`` when the same page was rendered there before."""
    page = doc if isinstance(doc, str) else html.render(doc)
    path = Path(path)
    key = hashlib.sha256(_engine() + b"\0" + page.encode("utf-8")).hexdigest() if cache is not None else ""
    if cache is not None and (data := _cached(Path(cache), key)) is not None:
        write_bytes(path, data)
        return path
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    with atomic_path(path) as tmp:
        HTML(string=page, base_url=str(path.parent), media_type="print").write_pdf(str(tmp))
        data = tmp.read_bytes() if cache is not None else b""
    if cache is not None:
        _keep(Path(cache), key, data)
    return path
