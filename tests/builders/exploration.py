"""Small hand-worked inputs shared by the tests of hoctap.analysis.exploration."""

from __future__ import annotations

import unicodedata

import pandas as pd

VIET = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")

TARGETS = pd.DataFrame(
    {
        "indicator": ["family_title_rate", "family_title_rate"],
        "target_year": [2025, 2030],
        "target_pct": [70.0, 80.0],
    }
)


def indicator_table(rows, indicator="family_title_rate", year=2026) -> pd.DataFrame:
    """indicators.csv-shaped rows from tuples (level, code, name, numerator, denominator,
    schools reporting, schools expected, villages reporting, villages known[, year])."""
    out = []
    for level, code, name, num, den, sr, se, vr, vk, *yr in rows:
        out.append(
            {
                "year": yr[0] if yr else year,
                "geo_level": level,
                "geo_code": code,
                "geo_name": name,
                "indicator": indicator,
                "numerator": num,
                "denominator": den,
                "rate_pct": 100 * num / den if den else None,
                "target_year": 2030,
                "target_pct": 80.0,
                "schools_reporting": sr,
                "schools_expected": se,
                "villages_reporting": vr,
                "villages_known": vk,
            }
        )
    df = pd.DataFrame(out)
    for c in (
        "numerator",
        "denominator",
        "schools_reporting",
        "schools_expected",
        "villages_reporting",
        "villages_known",
    ):
        df[c] = df[c].astype("Int64")
    return df


def four_communes() -> pd.DataFrame:
    """An area at 50% and four communes: 3/3 (within chance), 60/100 (above 95%), 30/100
    (below 99.8%) and 0/0 (undefined)."""
    return indicator_table(
        [
            ("area", "AREA", "", 150, 300, 9, 10, 40, 40),
            ("commune", "A", "Xã A", 3, 3, 1, 1, 2, 2),
            ("commune", "B", "Xã B", 60, 100, 2, 4, 10, 10),
            ("commune", "C", "Xã C", 30, 100, 3, 3, 9, 10),
            ("commune", "D", "Xã D", 0, 0, 0, 2, 0, 5),
        ]
    )


def three_years() -> pd.DataFrame:
    """Commune A over 2024-2026 (+20 points beyond chance, then +6.7 on 3 households) and
    commune B with 2025 missing."""
    t = indicator_table
    return pd.concat(
        [
            t([("commune", "A", "Xã A", 40, 100, 1, 1, 1, 1)], year=2024),
            t([("commune", "A", "Xã A", 60, 100, 1, 1, 1, 1)], year=2025),
            t([("commune", "A", "Xã A", 2, 3, 1, 1, 1, 1)], year=2026),
            t([("commune", "B", "Xã B", 5, 10, 1, 1, 1, 1)], year=2024),
            t([("commune", "B", "Xã B", 5, 10, 1, 1, 1, 1)], year=2026),
        ]
    )


def coverage_years() -> pd.DataFrame:
    """Two years where A and E move with coverage (flagged), B and C do not."""
    t = indicator_table
    return pd.concat(
        [
            # A: rate 50 -> 60 (+10 pp) while schools 2/4 -> 4/4 (+50 pp): flagged
            t([("commune", "A", "Xã A", 50, 100, 2, 4, 8, 10)], year=2024),
            t([("commune", "A", "Xã A", 60, 100, 4, 4, 8, 10)], year=2025),
            # B: rate +10 pp, coverage unchanged: real movement, not flagged
            t([("commune", "B", "Xã B", 50, 100, 4, 4, 10, 10)], year=2024),
            t([("commune", "B", "Xã B", 60, 100, 4, 4, 10, 10)], year=2025),
            # C: rate +2 pp only, villages 5/10 -> 10/10 (+50 pp): not flagged (rate barely moved)
            t([("commune", "C", "Xã C", 50, 100, 4, 4, 5, 10)], year=2024),
            t([("commune", "C", "Xã C", 52, 100, 4, 4, 10, 10)], year=2025),
            # E: rate -10 pp while villages 10/10 -> 8/10 (-20 pp): flagged
            t([("commune", "E", "Xã E", 50, 100, 4, 4, 10, 10)], year=2024),
            t([("commune", "E", "Xã E", 40, 100, 4, 4, 8, 10)], year=2025),
        ]
    )


def mapped() -> dict[str, pd.DataFrame]:
    """Unit tables as hoctap.analysis.indicators.map_tables returns them (geo_code, weight)."""
    schools = pd.DataFrame(
        {
            "school_id": ["S1", "S2", "S3"],
            "geo_code": ["A", "A", "B"],
            "weight": [1.0, 1.0, 1.0],
            "status": ["used", "used", "used"],
            "school_level": ["Mầm non", "THCS", None],
            "school_unit_title": pd.array([True, False, True], dtype="boolean"),
            "staff_total": pd.array([10, 20, 30], dtype="Int64"),
            "staff_citizen": pd.array([5, 10, 30], dtype="Int64"),
        }
    )
    villages = pd.DataFrame(
        {
            "village": ["Thôn 1", "Thôn 2", "Buôn Ma", "Buôn Ma", "Thôn 9"],
            "village_key": ["thon1", "thon2", "buonma", "buonma", "thon9"],
            "school_id": ["S1", "S2", "S2", "S1", "S3"],
            "geo_code": ["A", "A", "A", "A", "B"],
            "weight": [1.0] * 5,
            "status": ["used", "used", "used", "duplicate", "used"],
            "households_total": pd.array([100, 50, 10, 10, 40], dtype="Int64"),
            "households_registered": pd.array([90, 40, 10, 10, 30], dtype="Int64"),
            "households_family_title": pd.array([80, 20, 3, 3, None], dtype="Int64"),
        }
    )
    orgs = pd.DataFrame(columns=["school_id", "geo_code", "weight", "status"])
    return {"schools": schools, "villages": villages, "orgs": orgs}


def registered_villages() -> pd.DataFrame:
    """Villages of two communes, one quarantined row and one without a registered count."""
    v = pd.DataFrame(
        {
            "commune_code": ["X", "X", "X", "X", "Y"],
            "households_total": [100, 50, 70, 40, 10],
            "households_registered": [80, 10, 70, None, 10],
            "households_family_title": [60, 20, 70, 30, 5],
            "status": ["used", "used", "quarantined", "used", "used"],
        }
    )
    for c in ("households_total", "households_registered", "households_family_title"):
        v[c] = v[c].astype("Int64")
    return v


def is_vietnamese(text: str) -> bool:
    return any(ch in VIET for ch in unicodedata.normalize("NFC", text.lower()))
