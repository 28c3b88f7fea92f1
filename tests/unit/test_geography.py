"""Carrying figures between commune geographies: merges add, splits divide by share, unknown shares refuse."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from builders.tables import row, school, village, write_year
from hoctap.analysis import geography, indicators
from hoctap.errors import HoctapError
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace
from hoctap.reference import Reference

BEFORE, AFTER = dt.date(2025, 6, 30), dt.date(2025, 12, 10)
SPLIT_DAY = dt.date(2027, 1, 1)


def split_reference(tmp_path, share_a="0.6", share_b="0.4") -> Reference:
    """The shipped reference plus a split: on 2027-01-01 XM-UAR becomes X-UAR-A (share_a) and X-UAR-B (share_b)."""
    ref_dir = tmp_path / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref_dir)
    communes = pd.read_csv(ref_dir / "communes.csv", dtype=str, keep_default_na=False)
    communes.loc[communes["code"] == "XM-UAR", "valid_to"] = "2026-12-31"
    extra = pd.DataFrame(
        [
            {
                "code": "X-UAR-A",
                "name": "Uar A",
                "kind": "xã",
                "valid_from": "2027-01-01",
                "valid_to": "",
                "aliases": "",
            },
            {
                "code": "X-UAR-B",
                "name": "Uar B",
                "kind": "xã",
                "valid_from": "2027-01-01",
                "valid_to": "",
                "aliases": "",
            },
        ]
    )
    pd.concat([communes, extra]).to_csv(ref_dir / "communes.csv", index=False)
    with (ref_dir / "commune_changes.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"XM-UAR,X-UAR-A,2027-01-01,{share_a}\nXM-UAR,X-UAR-B,2027-01-01,{share_b}\n")
    return Reference(ref_dir)


def test_merge_adds_counts_across_1_july_2025():
    """2024 counts: X-CHUGU 10, X-CHURCAM 5, X-IARSAI 7 -> XM-IARSAI 22; TT-PHUTUC 3 -> XM-PHUTUC 3.
    On 30 June 2025 the old communes are still valid: nothing moves."""
    ref = Reference(SHIPPED_REFERENCE_DIR)
    counts = pd.DataFrame(
        {
            "year": 2024,
            "commune_code": ["X-CHUGU", "X-CHURCAM", "X-IARSAI", "TT-PHUTUC"],
            "households": pd.array([10, 5, 7, 3], dtype="Int64"),
        }
    )
    after = geography.carry_counts(counts, ref, AFTER).set_index("commune_code")["households"]
    assert after.to_dict() == {"XM-IARSAI": 22, "XM-PHUTUC": 3}
    assert str(after.dtype) == "Int64"
    before = geography.carry_counts(counts, ref, BEFORE).set_index("commune_code")["households"]
    assert before.to_dict() == {"X-CHUGU": 10, "X-CHURCAM": 5, "X-IARSAI": 7, "TT-PHUTUC": 3}


def test_missing_part_keeps_the_sum_missing():
    """X-CHUGU 10 + X-IARSAI <NA>: the merged total is unknown, never 10."""
    ref = Reference(SHIPPED_REFERENCE_DIR)
    counts = pd.DataFrame(
        {
            "commune_code": ["X-CHUGU", "X-IARSAI", "X-UAR"],
            "n": pd.array([10, None, 4], dtype="Int64"),
        }
    )
    out = geography.carry_counts(counts, ref, AFTER).set_index("commune_code")["n"]
    assert pd.isna(out["XM-IARSAI"]) and out["XM-UAR"] == 4


def test_split_by_share(tmp_path):
    """XM-UAR 100 in 2026 -> 2027: X-UAR-A 60, X-UAR-B 40. A 2024 X-UAR count of 50 follows the chain
    X-UAR -> XM-UAR (merge) -> split: 30 and 20. Keys (year) are kept."""
    ref = split_reference(tmp_path)
    counts = pd.DataFrame(
        {
            "year": [2026, 2024],
            "commune_code": ["XM-UAR", "X-UAR"],
            "n": pd.array([100, 50], dtype="Int64"),
        }
    )
    out = geography.carry_counts(counts, ref, SPLIT_DAY)
    got = {(r.year, r.commune_code): r.n for r in out.itertuples()}
    assert got == pytest.approx(
        {
            (2024, "X-UAR-A"): 30.0,
            (2024, "X-UAR-B"): 20.0,
            (2026, "X-UAR-A"): 60.0,
            (2026, "X-UAR-B"): 40.0,
        }
    )


def test_split_with_unknown_share_is_refused(tmp_path):
    ref = split_reference(tmp_path, share_a="", share_b="")
    counts = pd.DataFrame({"commune_code": ["XM-UAR"], "n": [100]})
    with pytest.raises(HoctapError, match=r"chưa ghi tỷ lệ \(cột share\)") as err:
        geography.carry_counts(counts, ref, SPLIT_DAY)
    assert "xã Uar (XM-UAR)" in str(err.value) and "X-UAR-A" in str(err.value)
    # Before the split the same data is fine.
    assert geography.carry_counts(counts, ref, dt.date(2026, 12, 10))["n"].tolist() == [100]


def test_split_shares_must_add_to_one(tmp_path):
    ref = split_reference(tmp_path, share_a="0.5", share_b="0.4")
    with pytest.raises(HoctapError, match="phải bằng 1"):
        geography.carry_counts(pd.DataFrame({"commune_code": ["XM-UAR"], "n": [1]}), ref, SPLIT_DAY)


def test_counts_cannot_go_back_before_a_merger():
    ref = Reference(SHIPPED_REFERENCE_DIR)
    with pytest.raises(HoctapError, match="thành lập sau ngày đó"):
        geography.carry_counts(pd.DataFrame({"commune_code": ["XM-IARSAI"], "n": [5]}), ref, BEFORE)


def test_unit_rows_go_back_with_a_hint():
    """2026 rows in XM-IARSAI shown on the old communes: the village seen in X-CHUGU goes there; the
    one without history uses its school's registry commune (X-IARSAI); one without any hint counts only in the area total and is described."""
    ref = Reference(SHIPPED_REFERENCE_DIR)
    rows = pd.DataFrame({"commune_code": ["XM-IARSAI", "XM-IARSAI"], "village": ["Thôn 1", "Buôn A"]})
    hints = [pd.Series([("X-CHUGU", "X-UAR"), None]), pd.Series(["X-IARSAI", "X-IARSAI"])]
    out = geography.map_units(rows, ref, BEFORE, hints=hints)
    assert out["geo_code"].tolist() == ["X-CHUGU", "X-IARSAI"] and out["weight"].tolist() == [
        1.0,
        1.0,
    ]
    alone = geography.map_units(rows.iloc[:1], ref, BEFORE)
    assert alone["geo_code"].isna().all() and alone["weight"].tolist() == [1.0]
    assert (
        alone.attrs["unplaced"].startswith("1 dòng số liệu không xác định được") and "Thôn 1" in alone.attrs["unplaced"]
    )


def test_unit_rows_split_by_weight(tmp_path):
    ref = split_reference(tmp_path)
    out = geography.map_units(pd.DataFrame({"commune_code": ["XM-UAR", "X-CHUGU", None]}), ref, SPLIT_DAY)
    got = out.astype(object).where(out.notna(), None).values.tolist()
    assert got == [
        ["XM-UAR", "X-UAR-A", 0.6],
        ["XM-UAR", "X-UAR-B", 0.4],
        ["X-CHUGU", "XM-IARSAI", 1.0],
        [None, None, 1.0],
    ]


def test_indicators_on_a_split_geography(tmp_path):
    """Family rate 2026 in XM-UAR: 30/40 = 75 %. On the 2027 geography each half keeps the rate with
    shared counts: A 18/24, B 12/16; the area stays 30/40."""
    ref = split_reference(tmp_path)
    data = tmp_path / "data"
    shutil.copytree(ref.dir, data / "reference")
    ws = Workspace.at(data, tmp_path / "reports")
    write_year(
        ws,
        2026,
        schools=[school(2026, "KP050", "XM-UAR", True)],
        villages=[village(2026, "XM-UAR", "Buôn B", (40, 30))],
    )
    from hoctap.analysis.indicators import read_year

    t = read_year(ws, 2026)
    table = indicators.compute(t["schools"], t["villages"], t["orgs"], Reference(ws.reference_dir), 2026, SPLIT_DAY)
    a, b, area = (row(table, g, "family_title_rate") for g in ("X-UAR-A", "X-UAR-B", "AREA"))
    assert (a["numerator"], a["denominator"], b["numerator"], b["denominator"]) == pytest.approx((18, 24, 12, 16))
    assert a["rate_pct"] == b["rate_pct"] == area["rate_pct"] == 75.0
    assert (area["numerator"], area["denominator"]) == (30, 40)
