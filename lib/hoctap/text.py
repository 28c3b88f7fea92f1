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


# Matching of headers and labels (matching.py) compares words, not one folded string, so that
# word order, extra words and typos can be scored. Abbreviations are expanded as whole words:
# first those whose accented spelling says more than the folded one (CĐHT is Cộng đồng, ĐH is
# not DH), then the folded ones. A folded "cdht" is decided by its context (_cdht_readings).
_ACCENTED_WORD_ABBREVIATIONS = {
    "gđht": "gia đình học tập",
    "cđht": "cộng đồng học tập",
    "đvht": "đơn vị học tập",
    "tthtcđ": "trung tâm học tập cộng đồng",
    "nlđ": "người lao động",
    "đk": "đăng ký",
    "đh": "đại học",
}
_FOLDED_WORD_ABBREVIATIONS = {
    "gdht": "gia dinh hoc tap",
    "dhht": "dong ho hoc tap",
    "dvht": "don vi hoc tap",
    "xhht": "xa hoi hoc tap",
    "tthtcd": "trung tam hoc tap cong dong",
    "dh": "dong ho",
    "cb": "can bo",
    "gv": "giao vien",
    "nv": "nhan vien",
    "cc": "cong chuc",
    "vc": "vien chuc",
    "cbgvnv": "can bo giao vien nhan vien",
    "cbccvc": "can bo cong chuc vien chuc",
    "hkh": "hoi khuyen hoc",
    "hvkh": "hoi vien khuyen hoc",
    "hv": "hoi vien",
    "kh": "khuyen hoc",
    "nld": "nguoi lao dong",
    "sl": "so luong",
    "ts": "tong so",
    "dk": "dang ky",
    "ki": "ky",
    "tdp": "to dan pho",
    "cq": "co quan",
    "dn": "doanh nghiep",
    "cntt": "cong nghe thong tin",
    "udcntt": "ung dung cong nghe thong tin",
    "sdt": "so dien thoai",
    "dt": "dien thoai",
}
_TITLE_LIST = {"gdht", "dhht", "cdht"}
_PERSON_WORDS = {
    "nguoi",
    "nld",
    "cb",
    "gv",
    "nv",
    "cc",
    "vc",
    "cbgvnv",
    "cbccvc",
    "hv",
    "hvkh",
    "vien",
}
_PERSON_PHRASES = (" lao dong ", " can bo ", " cong chuc ", " ca nhan ")
_VILLAGE_WORDS = {"thon", "buon", "lang", "xom", "ap", "tdp"}
# Phrases that carry no meaning for matching, or say the same thing in other words.
_MATCH_SYNONYMS = (
    (re.compile(r" (?:duoc )?cong nhan "), " dat "),
    (re.compile(r" danh hieu "), " "),
    (re.compile(r" co khong "), " "),  # a yes/no hint: "(Có/Không)"
    (re.compile(r" so luong "), " so "),
    (re.compile(r" ti le "), " ty le "),
    (re.compile(r" ho (?:gia dinh|dan) (?!hoc tap)"), " ho "),  # "hộ gia đình" is a household
    (re.compile(r" truong hoc (?!tap )"), " truong "),  # "Tên trường học" is the school's name
)
_SLASH_DC = re.compile(r"(?<!\w)[đd]\s*/\s*c(?!\w)")
# A hint in brackets says how to fill the cell, not what it holds: a choice list
# "(Cơ quan/Tổ chức/Doanh nghiệp)", "(Có/Không)" or a date format "(dd/mm/yyyy)". A bracket
# without a slash may qualify the count ("(%)", "(đạt GĐHT)") and stays.
_BRACKET = re.compile(r"\(([^()]*)\)")
_DATE_FORMAT = re.compile(r"(?<!\w)[dmy]{1,4}(?:\s*[/.-]\s*[dmy]{1,4}){1,2}(?!\w)")
# Initials written with dots: "S.T.T" is STT, "Đ.K" is ĐK.
_DOTTED = re.compile(r"(?<![\w.])(?:[^\W\d_]\.)+[^\W\d_](?!\w)\.?")
_WORD = re.compile(r"[0-9a-z]+")
_ANY_WORD = re.compile(r"\w+")


def _cdht_readings(words: list[str], i: int) -> tuple[str, ...]:
    """The reading(s) of a folded CDHT at ``words[i]``: CĐHT (a village's title) and CDHT (a
    person's) differ only by the đ. In a list "GDHT, DHHT, CDHT" it is the village title; after a
    word for people (người lao động, CB, GV...) the person's; with thôn, buôn, cộng đồng in the
    text the village's; else both readings are kept and the field scores decide.
    """
    near = words[max(0, i - 2) : i] + words[i + 1 : i + 3]
    community, citizen = "cong dong hoc tap", "cong dan hoc tap"
    if _TITLE_LIST.intersection(near):
        return (community,)
    before = f" {' '.join(words[:i])} "
    if _PERSON_WORDS.intersection(words[:i]) or any(p in before for p in _PERSON_PHRASES):
        return (citizen,)
    joined = f" {' '.join(words)} "
    if _VILLAGE_WORDS.intersection(words) or " cong dong " in joined or " to dan pho " in joined:
        return (community,)
    return (citizen, community)


def _drop_hint(m: re.Match) -> str:
    return " " if "/" in m.group(1) and "%" not in m.group(1) else m.group(0)


def match_readings(value: object) -> tuple[str, ...]:
    """Folded words of a label, abbreviations expanded, filler dropped: what matching compares.

    "Số hộ đạt GĐHT", "So ho dat GDHT" and 'Số hộ đạt danh hiệu "Gia đình học tập"' give the
    same words; so do "Ngày báo cáo (dd/mm/yyyy)" and "Ngày báo cáo" (a filling hint is no
    word of the label). One reading, or two when a folded CDHT has no deciding context.
    """
    text = _SLASH_DC.sub(" đồng chí ", clean_text(value).lower())
    text = _BRACKET.sub(_drop_hint, text)
    text = _DATE_FORMAT.sub(" ", text).replace("%", " phan tram ")
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    if "đ" in text:
        text = _ANY_WORD.sub(lambda m: _ACCENTED_WORD_ABBREVIATIONS.get(m.group(0), m.group(0)), text)
    words = _WORD.findall(strip_diacritics(text).lower())
    readings = [[]]
    for i, w in enumerate(words):
        options = _cdht_readings(words, i) if w == "cdht" else (_FOLDED_WORD_ABBREVIATIONS.get(w, w),)
        readings = [r + [o] for r in readings for o in options][:2]
    out = []
    for r in readings:
        joined = f" {' '.join(r)} "
        for pattern, repl in _MATCH_SYNONYMS:
            joined = pattern.sub(repl, joined)
        out.append(" ".join(joined.split()))
    return tuple(dict.fromkeys(out))


def match_words(value: object) -> str:
    """The first reading of ``match_readings``: the words of a canonical label."""
    return match_readings(value)[0]


def commune_key(value: object) -> str:
    """Key of a commune name: prefixes such as xã, thị trấn, TT. removed, then folded."""
    text = clean_text(value).lower()
    changed = True
    while changed:
        changed = False
        for prefix in _COMMUNE_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :].strip()
                changed = True
    return fold(text)


def school_key(value: object) -> str:
    """Key of a school name: without "Trường", level abbreviations expanded, folded."""
    text = clean_text(value).lower()
    if text.startswith("trường "):
        text = text[len("trường ") :]
    elif text.startswith("truong "):
        text = text[len("truong ") :]
    text = _expand(text, _SCHOOL_LEVEL_ABBREVIATIONS, whole_words=True)
    return fold(text)


def sheet_key(value: object) -> str:
    """Key of a sheet name: leading numbering such as "2." dropped, then folded."""
    text = re.sub(r"^\s*\d+\s*[.)-]?\s*", "", clean_text(value))
    return fold(text)
