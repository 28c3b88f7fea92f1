"""Reference data of a workspace: communes, their changes, the school registry, targets, settings.

All of it is plain CSV (and one TOML file) that an analyst edits; nothing here is code-level
knowledge of one district.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .text import commune_key, school_key


class ReferenceError(Exception):
    """Reference data missing or inconsistent; the message is for the analyst (Vietnamese)."""


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ReferenceError(f"Thiếu tệp dữ liệu tham chiếu: {path}")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _date(value: str) -> dt.date | None:
    value = (value or "").strip()
    return dt.date.fromisoformat(value) if value else None


def _aliases(value: str) -> list[str]:
    return [a.strip() for a in (value or "").split("|") if a.strip()]


@dataclass(frozen=True)
class CommuneMatch:
    """Outcome of resolving a commune name on a date.

    ``code`` is the commune valid on the date (after following changes); ``named_code`` the
    commune the name itself denotes; ``candidates`` lists the codes when there is no single match.
    """

    code: str | None
    named_code: str | None = None
    via_change: bool = False
    candidates: tuple[str, ...] = ()


class Reference:
    def __init__(self, reference_dir: str | Path):
        self.dir = Path(reference_dir)

    # ---- tables -------------------------------------------------------------------------
    @cached_property
    def communes(self) -> pd.DataFrame:
        df = _read_csv(self.dir / "communes.csv")
        df["valid_from_date"] = df["valid_from"].map(_date)
        df["valid_to_date"] = df["valid_to"].map(_date)
        return df

    @cached_property
    def changes(self) -> pd.DataFrame:
        df = _read_csv(self.dir / "commune_changes.csv")
        df["effective"] = df["effective_date"].map(_date)
        df["share"] = pd.to_numeric(df["share"].replace("", None), errors="coerce")
        return df

    @cached_property
    def schools(self) -> pd.DataFrame:
        df = _read_csv(self.dir / "schools.csv")
        df["active_from"] = pd.to_numeric(df["active_from"].replace("", None), errors="coerce").astype("Int64")
        df["active_to"] = pd.to_numeric(df["active_to"].replace("", None), errors="coerce").astype("Int64")
        return df

    @cached_property
    def targets(self) -> pd.DataFrame:
        df = _read_csv(self.dir / "targets.csv")
        df["target_year"] = df["target_year"].astype(int)
        df["target_pct"] = df["target_pct"].astype(float)
        return df

    @cached_property
    def settings(self) -> dict:
        path = self.dir / "settings.toml"
        if not path.is_file():
            raise ReferenceError(f"Thiếu tệp cấu hình báo cáo: {path}")
        with path.open("rb") as fh:
            return tomllib.load(fh)

    @property
    def synthetic(self) -> bool:
        """True when the school registry is the shipped synthetic one: reports must say so."""
        notes = self.schools.get("note")
        return bool(notes is not None and notes.str.contains("giả lập|synthetic", case=False).any())

    # ---- communes -----------------------------------------------------------------------
    def commune_name(self, code: str) -> str:
        row = self.communes.loc[self.communes["code"] == code]
        return row["name"].iloc[0] if len(row) else code

    def commune_label(self, code: str) -> str:
        """Name with its kind, e.g. "thị trấn Phú Túc", to tell same-named communes apart."""
        row = self.communes.loc[self.communes["code"] == code]
        if not len(row):
            return code
        return f"{row['kind'].iloc[0]} {row['name'].iloc[0]}"

    def communes_valid_on(self, on: dt.date) -> list[str]:
        df = self.communes
        ok = df["valid_from_date"].map(lambda d: d is None or d <= on) & df["valid_to_date"].map(
            lambda d: d is None or d >= on
        )
        return df.loc[ok, "code"].tolist()

    @cached_property
    def _commune_keys(self) -> dict[str, set[str]]:
        keys: dict[str, set[str]] = {}
        for row in self.communes.itertuples():
            for name in [row.name, *_aliases(row.aliases)]:
                keys.setdefault(commune_key(name), set()).add(row.code)
            keys.setdefault(commune_key(f"{row.kind} {row.name}"), set()).add(row.code)
        return keys

    def successors(self, code: str, on: dt.date) -> dict[str, float]:
        """Communes valid on ``on`` that ``code``'s territory belongs to, with shares.

        Follows chains of changes; a share left empty in the change table is returned as NaN.
        """
        valid = set(self.communes_valid_on(on))
        result: dict[str, float] = {}
        frontier = [(code, 1.0)]
        seen = set()
        while frontier:
            current, weight = frontier.pop()
            if current in valid:
                result[current] = result.get(current, 0.0) + weight
                continue
            if current in seen:
                continue
            seen.add(current)
            nxt = self.changes[(self.changes["old_code"] == current) & (self.changes["effective"] <= on)]
            for change in nxt.itertuples():
                frontier.append((change.new_code, weight * float(change.share)))
        return result

    def predecessors(self, code: str) -> list[str]:
        return self.changes.loc[self.changes["new_code"] == code, "old_code"].tolist()

    def resolve_commune(self, name: object, on: dt.date) -> CommuneMatch:
        """The commune a name denotes on a date; an old commune is carried to its successor."""
        codes = self._commune_keys.get(commune_key(name), set())
        if not codes:
            return CommuneMatch(None)
        valid = set(self.communes_valid_on(on))
        if len(codes) == 1:
            named = next(iter(codes))
        else:
            current = sorted(codes & valid)
            if len(current) > 1:
                return CommuneMatch(None, candidates=tuple(current))
            if current:
                named = current[0]
            else:
                # Same name for communes none of which is valid on the date: the latest before it.
                past = sorted(
                    (c for c in codes if (self._valid_from(c) or dt.date.min) <= on),
                    key=lambda c: self._valid_from(c) or dt.date.min,
                )
                if not past:
                    return CommuneMatch(None, candidates=tuple(sorted(codes)))
                named = past[-1]
        if named in valid:
            return CommuneMatch(named, named)
        succ = self.successors(named, on)
        if len(succ) == 1:
            return CommuneMatch(next(iter(succ)), named, via_change=True)
        return CommuneMatch(None, named, candidates=tuple(sorted(succ)))

    def _valid_from(self, code: str) -> dt.date | None:
        row = self.communes.loc[self.communes["code"] == code, "valid_from_date"]
        return row.iloc[0] if len(row) else None

    def commune_candidates(self, name: object, limit: int = 3) -> list[str]:
        """Closest commune names, for a message that says what the school may have meant."""
        from rapidfuzz import process

        names = {f"{r.kind} {r.name}": commune_key(r.name) for r in self.communes.itertuples()}
        hits = process.extract(commune_key(name), names, limit=limit, score_cutoff=60)
        return [label for _, _, label in hits]

    # ---- schools ------------------------------------------------------------------------
    def schools_active(self, year: int) -> pd.DataFrame:
        df = self.schools
        ok = (df["active_from"].isna() | (df["active_from"] <= year)) & (
            df["active_to"].isna() | (df["active_to"] >= year)
        )
        return df.loc[ok.fillna(False)]

    @cached_property
    def _school_keys(self) -> list[tuple[str, str, str]]:
        """(school key, registry commune code, school_id) for every name and alias."""
        out = []
        for row in self.schools.itertuples():
            for name in [row.name, *_aliases(row.aliases)]:
                out.append((school_key(name), row.commune_code, row.school_id))
        return out

    def find_school(self, code: object, name: object, commune_code: str | None, on: dt.date) -> list[str]:
        """Registry ids matching a submission: by code first, then by name within the commune.

        The registry's commune is carried to the communes valid on ``on`` before comparing, so
        a school registered in an old commune is found under the commune it became.
        """
        code = str(code or "").strip()
        if code and code in set(self.schools["school_id"]):
            return [code]
        key = school_key(name)
        if not key:
            return []
        hits = []
        for skey, reg_commune, sid in self._school_keys:
            if skey != key or sid in hits:
                continue
            if commune_code is None or reg_commune == commune_code or commune_code in self.successors(reg_commune, on):
                hits.append(sid)
        return hits


def deadline(settings: dict, year: int) -> dt.date:
    rep = settings.get("reporting", {})
    return dt.date(year, int(rep.get("deadline_month", 12)), int(rep.get("deadline_day", 10)))


def on_time(settings: dict, year: int, report_date: dt.date | None) -> bool:
    if report_date is None:
        return False
    limit = deadline(settings, year)
    if settings.get("reporting", {}).get("deadline_inclusive", False):
        return report_date <= limit
    return report_date < limit


def year_geography_date(settings: dict, year: int) -> dt.date:
    """The date whose communes a single year's commune tables use: that year's deadline."""
    return deadline(settings, year)
