"""Which template field a header or label stands for, whatever its spelling.

Real files retype the template: no diacritics, abbreviations (GĐHT, CDHT, CB,GV,NV), extra
words, another word order, typos. A text is reduced to folded words (``text.match_readings``)
and scored against every field's label and aliases of its sheet with RapidFuzz's
``token_sort_ratio``: word order does not count, but every word missing or added does.
``token_set_ratio`` and ``WRatio`` were measured and rejected: they score a text 100 (90 for
WRatio) against any label whose words it contains, and the template's own labels nest
("Tổng số hộ" in "Tổng số dòng họ", "Thôn" in 'Thôn đạt "Cộng đồng học tập"'), so two fields
would tie.

A fuzzy match needs ``THRESHOLD`` and a lead of ``MARGIN`` over the next field (the closest
template labels, "Số hộ đăng ký GĐHT" and "Số hộ đạt GĐHT", score 89 against each other, so
a header halfway between them is ambiguous rather than guessed). A score alone cannot tell
siblings apart: 'Số người lao động đăng ký "CDHT"' scores higher against 'Số người lao động
đạt "CDHT"' than a reworded 'Số lao động đạt "CDHT"' does, so a fuzzy match must also have the
words that tell the field from its siblings ("đăng ký", "đạt") and none it lacks ("tổng" of a
whole, guards such as "chưa", "tỷ lệ"; see _QUALIFIERS). Exact means the same words after
folding and expanding abbreviations; anything less is reported as an info. Fields are given
one-to-one per sheet: exact matches first (the canonical label before an alias, then the first
in the sheet), then fuzzy ones by score. Scores are cached by text: headers repeat across
thousands of files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from hoctap.intake import schema
from hoctap.text import clean_text, match_readings

THRESHOLD = 85.0
MARGIN = 8.0
EXACT = 100.0
# A header that is the first two or more words of a label, or of a label after its "Tổng"
# ("Tên cơ quan, tổ chức", "Số hộ đăng ký" under a lost parent cell, "Số lượng hộ") scores at
# least this: a shortened label. When it begins two labels ("Số hội viên") both score it and the
# margin makes it ambiguous. The head of the label, not any run of its words: "Dòng họ" (a parent
# cell) is in "... trong GĐHT, DHHT, CĐHT" too, and folded words collide ("Số hộ đạt" has the
# words of "Số dòng họ đạt ...").
SHORTENED = 90.0
# Shorter texts ("TT", "Xã", "Năm") only match exactly: one letter changes their meaning.
MIN_FUZZY_CHARS = 4
# Words that change what a column counts: a header with one of them never fuzzily matches a
# label without it ("Số hộ chưa đạt GĐHT", "Tỷ lệ hộ đạt GĐHT (%)", "Chỉ tiêu năm sau").
# So do a subset ("Số CB,GV,NV nữ") and a year ("Số hộ đạt GĐHT năm 2023": another year's count).
_GUARDS = (
    "chua",
    "khong",
    "ty le",
    "phan tram",
    "chi tieu",
    "ke hoach",
    "nam truoc",
    "so voi",
    "tang",
    "giam",
    "binh quan",
    "trung binh",
    "nu",
)
_GUARD_RES = (
    *((g, re.compile(rf"(?:^| ){g}(?: |$)")) for g in _GUARDS),
    ("year", re.compile(r"(?:^| )(?:19|20)\d\d(?: |$)")),
)
# The words that tell a field from its siblings: "đăng ký" (households_registered), "đạt" (a
# title), "tổng" (a whole). A header holding one that a label lacks is never scored against it:
# 'Số người lao động đăng ký "CDHT"' is not the citizens, 'Thôn đăng ký "CĐHT"' not the title.
# "tổng" is implied for every field that is not the part of a part <= whole pair: "Tổng số người
# lao động trong ..." is workers_total, and a total never takes a part ("Tổng số hộ đạt GĐHT" is
# not the households awarded). A header lacking a label's "đăng ký" or "đạt" does not fit it:
# it never takes it, but two such fields close to it make it ambiguous ("Số hộ GĐHT" lies
# between the registered and the awarded), while "Số lượng hộ" is the total. "tổng" is never
# needed: "Số lượng hộ", "Số hội viên khuyến học" are totals.
_QUALIFIERS = tuple((q, re.compile(rf"(?:^| ){q}(?: |$)")) for q in ("dang ky", "dat", "tong"))
_WHOLE = frozenset({"tong"})
# A leading "1.", "a)", "II-" is numbering, but not the initial of dotted initials ("S.T.T").
_NUMBERING = re.compile(r"^\s*(?:\d+|[ivxIVX]+|[a-zA-Z])\s*[.)/-]\s*(?![^\W\d_]\.)")


class FieldScore(NamedTuple):
    field: str
    score: float
    canonical: bool  # exact on the field's own label (not an alias)
    fits: bool = True  # the text has the field's "đăng ký" / "đạt": it may take the field


@dataclass(frozen=True)
class _Form:
    field: str
    words: str
    canonical: bool
    guards: frozenset[str]
    qualifiers: frozenset[str]  # of the label, with "tong" for a field that is no part
    heads: tuple[str, ...]  # " words ", and without a leading "tong": a shortened label begins one

    @property
    def needs(self) -> frozenset[str]:
        return self.qualifiers - _WHOLE


def _guards(words: str) -> frozenset[str]:
    return frozenset(g for g, pattern in _GUARD_RES if pattern.search(words))


def _qualifiers(words: str) -> frozenset[str]:
    return frozenset(q for q, pattern in _QUALIFIERS if pattern.search(words))


class _FieldIndex:
    """The label and aliases of every field of one sheet, as folded words."""

    def __init__(self, sheet: schema.Sheet):
        self.sheet = sheet
        self.forms: list[_Form] = []
        self.exact: dict[str, _Form] = {}
        parts = {part for part, _ in schema.PART_WHOLE.get(sheet.key, ())}
        for f in sheet.fields:
            whole = frozenset() if f.name in parts else _WHOLE
            for i, text in enumerate((f.label, *f.aliases)):
                for words in match_readings(text)[:1]:
                    heads = (f" {words} ",)
                    if words.startswith("tong "):
                        heads += (f" {words[5:]} ",)
                    form = _Form(f.name, words, i == 0, _guards(words), _qualifiers(words) | whole, heads)
                    other = self.exact.get(words)
                    if other is not None and other.field != f.name:
                        raise ValueError(f"schema: {sheet.key}: {text!r} is also {other.field}")
                    self.exact.setdefault(words, form)
                    self.forms.append(form)

    def scores(self, text: str) -> tuple[FieldScore, ...]:
        best: dict[str, FieldScore] = {}
        for words in match_readings(_NUMBERING.sub("", clean_text(text))):
            if not words:
                continue
            hit = self.exact.get(words)
            if hit is not None:
                cand = FieldScore(hit.field, EXACT, hit.canonical)
                if _better(cand, best.get(hit.field)):
                    best[hit.field] = cand
            if len(words) < MIN_FUZZY_CHARS:
                continue
            guards, qualifiers, padded = _guards(words), _qualifiers(words), f" {words} "
            shortened = " " in words
            for form in self.forms:
                if form.guards != guards or not qualifiers <= form.qualifiers:
                    continue
                if form.field in best and best[form.field].score == EXACT:
                    continue
                score = min(EXACT - 1, fuzz.token_sort_ratio(words, form.words))
                if shortened and any(h.startswith(padded) for h in form.heads):
                    score = max(score, SHORTENED)
                if score >= THRESHOLD - MARGIN:
                    cand = FieldScore(form.field, score, False, form.needs <= qualifiers)
                    if _better(cand, best.get(form.field)):
                        best[form.field] = cand
        order = {f.name: i for i, f in enumerate(self.sheet.fields)}
        return tuple(sorted(best.values(), key=lambda s: (-s.score, not s.canonical, order[s.field])))


def _better(a: FieldScore, b: FieldScore | None) -> bool:
    return b is None or (a.fits, a.score, a.canonical) > (b.fits, b.score, b.canonical)


_INDEX = {s.key: _FieldIndex(s) for s in schema.SHEETS}


@lru_cache(maxsize=100_000)
def field_scores(sheet_key: str, text: str) -> tuple[FieldScore, ...]:
    """Fields of the sheet that ``text`` may stand for, best first (cached: labels repeat)."""
    return _INDEX[sheet_key].scores(text)


NOT_LABEL, FUZZY_LABEL, EXACT_LABEL = 0, 1, 2


@lru_cache(maxsize=100_000)
def label_kind(sheet_key: str, text: str) -> int:
    """Whether a cell text can be a label of the sheet: NOT_LABEL, FUZZY_LABEL or EXACT_LABEL."""
    found = field_scores(sheet_key, text) if text.strip() else ()
    if not found or found[0].score < THRESHOLD:
        return NOT_LABEL
    return EXACT_LABEL if found[0].score >= EXACT else FUZZY_LABEL


# ---- one-to-one assignment ------------------------------------------------------------------


class Slot(NamedTuple):
    """A header column or a label cell; ``texts`` are the readings to try, most specific first."""

    key: object
    texts: tuple[str, ...]


class Hit(NamedTuple):
    key: object
    field: str
    score: float
    text: str  # the text of the slot that matched

    @property
    def exact(self) -> bool:
        return self.score >= EXACT


@dataclass
class Assignment:
    hits: dict[object, Hit] = field(default_factory=dict)  # slot key -> hit
    by_field: dict[str, Hit] = field(default_factory=dict)
    ambiguous: list[tuple[Slot, str, str]] = field(default_factory=list)  # slot, best, runner-up
    duplicates: list[tuple[Slot, str, object]] = field(default_factory=list)  # slot, field, winner
    total: float = 0.0  # sum of the scores of the hits: tells two header rows apart


def _ranking(sheet_key: str, slot: Slot) -> list[tuple[FieldScore, int]]:
    """Each field's best score over the slot's texts, with the index of the text that gave it."""
    best: dict[str, tuple[FieldScore, int]] = {}
    for i, text in enumerate(slot.texts):
        for s in field_scores(sheet_key, text):
            old = best.get(s.field)
            if old is None or _better(s, old[0]):
                best[s.field] = (s, i)
    return sorted(best.values(), key=lambda x: (-x[0].score, not x[0].canonical, x[1]))


def assign(sheet_key: str, slots: list[Slot] | tuple[Slot, ...]) -> Assignment:
    """Fields to slots, one-to-one: exact matches first, then fuzzy ones by score.

    A fuzzy slot takes only a field it fits (it has the field's "đăng ký" / "đạt"); its best
    two free fields (fitting ones if one reaches THRESHOLD) within MARGIN make it ambiguous;
    a slot that loses its field to a better one is a duplicate. Fields taken exactly by another
    slot are not candidates of a fuzzy slot (an exact header is certain, a fuzzy one is not).
    Cached by the slots (a header row or a sheet's labels repeat across files): the result is
    shared, never change it.
    """
    return _assign(sheet_key, tuple(slots))


@lru_cache(maxsize=20_000)
def _assign(sheet_key: str, slots: tuple[Slot, ...]) -> Assignment:
    out = Assignment()
    order = {slot.key: i for i, slot in enumerate(slots)}
    ranked = [(slot, _ranking(sheet_key, slot)) for slot in slots]
    exact = [(slot, r[0]) for slot, r in ranked if r and r[0][0].score >= EXACT]
    exact.sort(key=lambda x: (not x[1][0].canonical, order[x[0].key]))
    for slot, (s, i) in exact:
        if s.field in out.by_field:
            out.duplicates.append((slot, s.field, out.by_field[s.field].key))
            continue
        out.by_field[s.field] = out.hits[slot.key] = Hit(slot.key, s.field, s.score, slot.texts[i])
    taken = set(out.by_field)
    proposals = []
    for slot, r in ranked:
        if slot.key in out.hits or any(d[0] is slot for d in out.duplicates):
            continue
        free = [(s, i) for s, i in r if s.field not in taken]
        fit = [(s, i) for s, i in free if s.fits]
        rivals = fit if fit and fit[0][0].score >= THRESHOLD else free
        if not rivals or rivals[0][0].score < THRESHOLD:
            continue
        if len(rivals) > 1 and rivals[0][0].score - rivals[1][0].score < MARGIN:
            out.ambiguous.append((slot, rivals[0][0].field, rivals[1][0].field))
            continue
        if rivals[0][0].fits:
            proposals.append((slot, rivals[0]))
    proposals.sort(key=lambda x: (-x[1][0].score, order[x[0].key]))
    for slot, (s, i) in proposals:
        if s.field in out.by_field:
            out.duplicates.append((slot, s.field, out.by_field[s.field].key))
            continue
        out.by_field[s.field] = out.hits[slot.key] = Hit(slot.key, s.field, s.score, slot.texts[i])
    out.total = sum(h.score for h in out.hits.values())
    return out
