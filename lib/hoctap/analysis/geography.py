"""Carrying figures between commune geographies (the 1 July 2025 merger and any later change).

Two tools, because two kinds of input exist:

- ``carry_counts``: a table of counts per commune (any year) carried forward to the communes
  valid on a date through ``commune_changes.csv``. Merges add up; a split divides by the
  change's share, and is refused when the share is unknown, since inventing one would invent
  figures.
- ``map_units``: unit rows (villages, schools, organizations) each given the commune they belong
  to on a date, with a weight (1, or the share of a split). Unit rows can also go *backwards*
  (a 2026 village shown on the pre-merger communes) when a hint says which old commune the unit
  was in (the school registry, or where the same village was seen before); counts cannot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from hoctap.errors import HoctapError, ReferenceDataError
from hoctap.fmt import date_vn
from hoctap.reference import Reference, settings_on, year_geography_date

SHARE_TOLERANCE = 1e-6


def year_date(reference: Reference, year: int) -> dt.date:
    """The geography of a single year's tables: the communes valid on that year's deadline."""
    return year_geography_date(reference.settings, year)


def _label(reference: Reference, code: str) -> str:
    return f"{reference.commune_label(code)} ({code})"


def _known(reference: Reference) -> set[str]:
    return set(reference.communes["code"])


def successors_checked(reference: Reference, code: str, on: dt.date) -> dict[str, float] | None:
    """``reference.successors`` with the split rules enforced; None when ``code`` cannot go forward.

    Raises HoctapError (Vietnamese) for an unknown commune, a split with an empty share, or
    shares that do not add up to 1 (figures would be lost or made up).
    """
    if code not in _known(reference):
        raise HoctapError(
            f"Mã xã {code!r} không có trong communes.csv: hãy bổ sung vào dữ liệu tham chiếu "
            "hoặc sửa mã xã trong số liệu."
        )
    succ = reference.successors(code, on)
    if not succ:
        return None
    unknown = sorted(c for c, share in succ.items() if share != share)  # NaN
    if unknown:
        targets = ", ".join(_label(reference, c) for c in sorted(succ))
        missing = ", ".join(_label(reference, c) for c in unknown)
        raise HoctapError(
            f"Không thể chuyển số liệu của {_label(reference, code)} sang địa giới ngày {date_vn(on)}: "
            f"xã này được chia cho {targets} nhưng tệp commune_changes.csv chưa ghi tỷ lệ (cột share) "
            f"chuyển sang {missing}. Hãy điền tỷ lệ số liệu chuyển sang từng xã mới (tổng bằng 1), "
            "hoặc chọn ngày địa giới trước khi chia tách."
        )
    total = sum(succ.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise HoctapError(
            f"Tỷ lệ chia số liệu của {_label(reference, code)} trong commune_changes.csv cộng lại bằng "
            f"{total:g}, phải bằng 1: hãy sửa cột share."
        )
    return succ


def commune_map(reference: Reference, codes: Iterable[str], on: dt.date) -> pd.DataFrame:
    """from_code, to_code, share for each code that can be carried forward to ``on``.

    A code valid on ``on`` maps to itself with share 1. Codes that only exist after ``on``
    (going backwards) are left out; ``carry_counts`` refuses them, ``map_units`` uses hints.
    """
    rows = []
    for code in sorted(set(codes)):
        succ = successors_checked(reference, code, on)
        for new, share in sorted((succ or {}).items()):
            rows.append((code, new, float(share)))
    return pd.DataFrame(rows, columns=["from_code", "to_code", "share"])


def carry_counts(
    counts: pd.DataFrame,
    reference: Reference,
    on: dt.date,
    count_cols: Sequence[str] | None = None,
    code_col: str = "commune_code",
) -> pd.DataFrame:
    """Counts per commune (of any year) carried to the communes valid on ``on``.

    ``count_cols`` default to every numeric column except ``year``; all other columns are keys
    kept as they are (e.g. year, indicator). Merged communes add up; a split multiplies by its
    share. A missing count (<NA>) stays missing in the commune it reaches: a sum with an
    unknown part is unknown, never a smaller number. Integer counts stay ``Int64`` when no
    fractional share was applied.
    """
    if code_col not in counts:
        raise ValueError(f"counts has no {code_col!r} column")
    if count_cols is None:
        count_cols = [
            c for c in counts.columns if c not in (code_col, "year") and pd.api.types.is_numeric_dtype(counts[c])
        ]
    count_cols = list(count_cols)
    keys = [c for c in counts.columns if c not in count_cols and c != code_col]
    mapping = commune_map(reference, counts[code_col].dropna().unique(), on)
    stuck = sorted(set(counts[code_col].dropna()) - set(mapping["from_code"]))
    if stuck:
        names = ", ".join(_label(reference, c) for c in stuck[:5])
        raise HoctapError(
            f"Không thể chuyển số liệu tổng hợp của {names} về địa giới ngày {date_vn(on)}: các xã này "
            "được thành lập sau ngày đó và số liệu tổng hợp không chia ngược lại được. Hãy chọn ngày địa "
            "giới mới hơn, hoặc tính lại từ số liệu từng thôn, trường (geography.map_units)."
        )
    merged = counts.merge(mapping, left_on=code_col, right_on="from_code", how="left")
    has_code = merged["to_code"].notna()
    merged.loc[has_code, code_col] = merged.loc[has_code, "to_code"]
    merged["share"] = merged["share"].fillna(1.0)
    fractional = bool((merged["share"] != 1.0).any())
    out_cols = {}
    for col in count_cols:
        values = pd.to_numeric(merged[col], errors="coerce").astype("Float64") * merged["share"]
        out_cols[col] = values
    work = merged[[code_col, *keys]].copy()
    for col, values in out_cols.items():
        work[col] = values
        work[f"__na_{col}"] = values.isna()
    grouped = work.groupby([code_col, *keys], dropna=False, sort=True)
    result = grouped[count_cols].sum(min_count=1)
    na_any = grouped[[f"__na_{c}" for c in count_cols]].any()
    for col in count_cols:
        result[col] = result[col].mask(na_any[f"__na_{col}"])
        if not fractional and pd.api.types.is_integer_dtype(counts[col].dtype):
            result[col] = result[col].round().astype("Int64")
    return result.reset_index()[[code_col, *keys, *count_cols]]


def _backward_candidates(reference: Reference, code: str, on: dt.date, cache: dict) -> list[str]:
    """Communes valid on ``on`` whose territory went (wholly or partly) into ``code`` later."""
    if code in cache:
        return cache[code]
    row = reference.communes.loc[reference.communes["code"] == code, "valid_from_date"]
    born = row.iloc[0] if len(row) and row.iloc[0] is not None else dt.date.max
    out = [c for c in reference.communes_valid_on(on) if code in reference.successors(c, born)]
    cache[code] = sorted(out)
    return cache[code]


def map_units(
    rows: pd.DataFrame,
    reference: Reference,
    on: dt.date,
    code_col: str = "commune_code",
    hints: Sequence[pd.Series] = (),
) -> pd.DataFrame:
    """Unit rows with ``geo_code`` (their commune valid on ``on``) and ``weight``.

    Forward (an old commune to a later date) follows the change table: a merge gives weight 1,
    a split one row per new commune weighted by its share. Backward (a commune formed after
    ``on``) needs to know which old commune a unit was in: ``hints`` are Series aligned with
    ``rows`` (e.g. the school's registry commune, the village's earlier commune), tried in
    order; a hint value is a code or a collection of codes, each carried forward to ``on``; the
    hint is accepted when exactly one of them is among the old communes that formed the row's
    commune. A new commune formed from a single old one needs no hint. A row that stays unplaced
    (e.g. an unregistered school that only ever reported on the new communes) gets ``geo_code``
    <NA> like a row without a commune code: it counts only in the whole-area figures, and
    ``out.attrs["unplaced"]`` describes it (Vietnamese) so reports can list it; it is never dropped.
    """
    rows = rows.reset_index(drop=True)
    if not len(rows):
        return rows.assign(geo_code=pd.Series([], dtype="string"), weight=pd.Series([], dtype="float64"))
    codes = rows[code_col].astype("string")
    valid = set(reference.communes_valid_on(on))
    forward: dict[str, dict[str, float] | None] = {}
    for code in codes.dropna().unique():
        forward[code] = {code: 1.0} if code in valid else successors_checked(reference, code, on)
    hint_cache: dict[str, dict[str, float] | None] = {}

    def carried(code: object) -> dict[str, float] | None:
        if code is None or code is pd.NA or code != code or str(code) == "":
            return None
        code = str(code)
        if code not in hint_cache:
            try:
                hint_cache[code] = {code: 1.0} if code in valid else successors_checked(reference, code, on)
            except HoctapError:
                hint_cache[code] = None
        return hint_cache[code]

    back_cache: dict[str, list[str]] = {}
    hint_values = [h.reset_index(drop=True) for h in hints]
    index, geo, weight, unplaced = [], [], [], []
    for i, code in enumerate(codes):
        if code is pd.NA:
            index.append(i), geo.append(pd.NA), weight.append(1.0)
            continue
        targets = forward[code]
        if targets is None:
            candidates = _backward_candidates(reference, code, on, back_cache)
            if len(candidates) == 1:
                targets = {candidates[0]: 1.0}
            else:
                for hint in hint_values:
                    value = hint.iloc[i]
                    options = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
                    found = set()
                    for option in options:
                        via = carried(option)
                        if via and len(via) == 1 and next(iter(via)) in candidates:
                            found.add(next(iter(via)))
                    if len(found) == 1:
                        targets = {found.pop(): 1.0}
                        break
        if not targets:
            unplaced.append(i)
            continue
        for new, share in sorted(targets.items()):
            index.append(i), geo.append(new), weight.append(share)
    notes = []
    if unplaced:
        for _, r in rows.iloc[unplaced].iterrows():
            names = [r[c] for c in ("village", "org_name", "school_name", "school_id") if c in r and not pd.isna(r[c])]
            what = str(names[0]) if names else ""
            if len(names) > 1 and ("village" in r or "org_name" in r):
                what += f", do {names[1]} báo cáo"
            notes.append(f"{what} ({reference.commune_label(str(r[code_col]))})")
        for i in unplaced:
            index.append(i), geo.append(pd.NA), weight.append(1.0)
    out = rows.iloc[index].reset_index(drop=True)
    out["geo_code"] = pd.array(geo, dtype="string")
    out["weight"] = np.asarray(weight, dtype="float64")
    if notes:
        out.attrs["unplaced"] = (
            f"{len(notes)} dòng số liệu không xác định được thuộc xã nào theo địa giới ngày {date_vn(on)} "
            f"(xã của dòng được thành lập sau ngày đó), chỉ được tính vào số liệu toàn địa bàn: "
            + "; ".join(notes[:10])
            + ("..." if len(notes) > 10 else "")
        )
    return out


def area_name_on(reference: Reference, on: dt.date) -> str:
    """The area's name as the issuer valid on the geography's date names it."""
    try:
        return settings_on(reference.settings, on).get("issuer", {}).get("area_name", "Toàn địa bàn")
    except ReferenceDataError:
        return "Toàn địa bàn"
