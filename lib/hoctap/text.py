"""Text normalization: what makes two spellings of a name or a label the same key.

Every comparison of names and labels in hoctap goes through these functions, so a rule
about spelling is decided once (see submission-template.md, "Tolerated variations").
"""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# Abbreviations expanded before diacritics are dropped: CĐHT and CDHT differ only by the đ.
_TITLE_ABBREVIATIONS = (
    ("gđht", "gia đình học tập"),
    ("dhht", "dòng họ học tập"),
    ("cđht", "cộng đồng học tập"),
    ("đvht", "đơn vị học tập"),
    ("cdht", "công dân học tập"),
    ("cb,gv,nv", "cán bộ, giáo viên, nhân viên"),
    ("cb, gv, nv", "cán bộ, giáo viên, nhân viên"),
    ("cbgvnv", "cán bộ, giáo viên, nhân viên"),
    ("tthtcđ", "trung tâm học tập cộng đồng"),
)

_COMMUNE_PREFIXES = ("thị trấn", "thi tran", "tt.", "tt ", "xã", "xa ", "phường", "phuong ")

# School level words, longest first so "TH&THCS" is not read as "TH".
_SCHOOL_LEVEL_ABBREVIATIONS = (
    ("th&thcs", "tiểu học và trung học cơ sở"),
    ("th-thcs", "tiểu học và trung học cơ sở"),
    ("th và thcs", "tiểu học và trung học cơ sở"),
    ("ptdtbt", "phổ thông dân tộc bán trú"),
    ("ptdtnt", "phổ thông dân tộc nội trú"),
    ("thpt", "trung học phổ thông"),
    ("thcs", "trung học cơ sở"),
    ("mn", "mầm non"),
    ("mg", "mẫu giáo"),
    ("th", "tiểu học"),
)


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def clean_text(value: object) -> str:
    """Trimmed, inner whitespace collapsed, NFC: the form every text field is stored in."""
    if value is None:
        return ""
    text = nfc(str(value)).replace("\u00a0", " ")
    return _WS.sub(" ", text).strip()


def strip_diacritics(value: str) -> str:
    text = nfc(value).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(value: object) -> str:
    """Key for matching: no case, diacritics, apostrophes, hyphens, spaces or punctuation."""
    text = strip_diacritics(clean_text(value)).lower()
    return _NON_ALNUM.sub("", text)


def _expand(text: str, table: tuple[tuple[str, str], ...], whole_words: bool) -> str:
    for short, long in table:
        if whole_words:
            pattern = r"(?<![\w&-])" + re.escape(short) + r"(?![\w&-])"
        else:
            pattern = re.escape(short)
        text = re.sub(pattern, long, text)
    return text


def label_key(value: object) -> str:
    """Key of a sheet label or column header, with the title abbreviations expanded."""
    text = clean_text(value).lower()
    return fold(_expand(text, _TITLE_ABBREVIATIONS, whole_words=False))


def commune_key(value: object) -> str:
    """Key of a commune name: prefixes such as xã, thị trấn, TT. removed, then folded."""
    text = clean_text(value).lower()
    changed = True
    while changed:
        changed = False
        for prefix in _COMMUNE_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):].strip()
                changed = True
    return fold(text)


def school_key(value: object) -> str:
    """Key of a school name: without "Trường", level abbreviations expanded, folded."""
    text = clean_text(value).lower()
    if text.startswith("trường "):
        text = text[len("trường "):]
    elif text.startswith("truong "):
        text = text[len("truong "):]
    text = _expand(text, _SCHOOL_LEVEL_ABBREVIATIONS, whole_words=True)
    return fold(text)


def sheet_key(value: object) -> str:
    """Key of a sheet name: leading numbering such as "2." dropped, then folded."""
    text = re.sub(r"^\s*\d+\s*[.)-]?\s*", "", clean_text(value))
    return fold(text)
