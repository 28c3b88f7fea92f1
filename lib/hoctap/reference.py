"""Reference data of a workspace: communes, their changes, the school registry, targets, settings.

All of it is plain CSV (and one TOML file) that an analyst edits; nothing here is code-level
knowledge of one district.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from hoctap.errors import ReferenceDataError, os_error_text
from hoctap.text import commune_key, school_key

# file -> (required columns, optional columns: filled with "" when the analyst left them out)
COLUMNS = {
    "communes.csv": (("code", "name", "kind", "valid_from"), ("valid_to", "aliases")),
    "commune_changes.csv": (("old_code", "new_code", "effective_date"), ("share",)),
    "schools.csv": (
        ("school_id", "name", "commune_code"),
        ("aliases", "level", "active_from", "active_to", "note"),
    ),
    "targets.csv": (("indicator", "target_year", "target_pct"), ("source",)),
}
_DELIMITERS = (",", ";", "\t")


def _decode(raw: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode Text"), else Windows Vietnamese."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:  # Excel "CSV (Comma delimited)" on a Vietnamese Windows: cp1258, tones decomposed
                text = raw.decode("cp1258")
            except UnicodeDecodeError:
                raise ReferenceDataError(
                    f'Tệp {path} không phải văn bản UTF-8; mở bằng Excel và lưu lại dạng "CSV UTF-8"'
                ) from None
    return unicodedata.normalize("NFC", text)


def _delimiter(text: str, expected: tuple[str, ...]) -> str:
    """Comma, or the semicolon (tab) that Excel uses where the comma is the decimal mark."""
    header = text.splitlines()[0] if text else ""

    def score(delim: str) -> tuple[int, int]:
        names = [c.strip().lower() for c in next(csv.reader([header], delimiter=delim), [])]
        return len(set(names) & set(expected)), len(names)

    return max(_DELIMITERS, key=score)


def _read_csv(path: Path) -> pd.DataFrame:
    """A reference table as text, whatever Excel did to it; a problem names the file and the column."""
    required, optional = COLUMNS.get(path.name, ((), ()))
    if not path.is_file():
        raise ReferenceDataError(f"Thiếu tệp dữ liệu tham chiếu: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(os_error_text(exc, path, writing=False)) from exc
    text = _decode(raw, path)
    delim = _delimiter(text, required + optional)
    try:
        df = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise ReferenceDataError(
            f"Tệp {path} rỗng; cần dòng tiêu đề với các cột: {', '.join(required + optional)}"
        ) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        where = (
            f"dòng {m.group(2)} có {m.group(3)} cột trong khi dòng tiêu đề có {m.group(1)} cột"
            if m
            else "không tách được các cột"
        )
        raise ReferenceDataError(f"Tệp {path}: {where}; một ô có dấu phân cách mà không nằm trong ngoặc kép?") from None
    df.columns = [unicodedata.normalize("NFC", str(c)).strip().lstrip("\ufeff").strip().lower() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        cols = ", ".join(f'"{c}"' for c in missing)
        raise ReferenceDataError(
            f"Tệp {path} thiếu cột {cols} (dòng tiêu đề cần các cột: {', '.join(required + optional)})"
        )
    for c in optional:
        if c not in df.columns:
            df[c] = ""
    df = df.apply(lambda col: col.str.strip())
    blank = (df[list(required)] == "").all(axis=1)
    return df.loc[~blank].reset_index(drop=True)


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _date(value: str, where: str = "") -> dt.date | None:
    """yyyy-mm-dd, or dd/mm/yyyy as Excel shows dates on a Vietnamese Windows; empty is None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        m = _DMY.match(value)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ReferenceDataError(f'{where}: "{value}" không phải ngày; ghi dạng yyyy-mm-dd, ví dụ 2025-07-01') from None


def _dates(df: pd.DataFrame, col: str, path: Path) -> list:
    return [_date(v, f"Tệp {path}, cột {col}, dòng {i + 2}") for i, v in enumerate(df[col])]


def _numbers(df: pd.DataFrame, col: str, path: Path, whole: bool) -> list:
    """Numbers of a column (a decimal comma accepted); empty is None; anything else names the cell."""
    out = []
    for i, v in enumerate(df[col]):
        v = (v or "").strip()
        if not v:
            out.append(None)
            continue
        try:
            x = float(v.replace(",", "."))
            if whole and not x.is_integer():
                raise ValueError
            out.append(int(x) if whole else x)
        except (ValueError, OverflowError):
            kind = "số nguyên" if whole else "số"
            raise ReferenceDataError(f'Tệp {path}, cột {col}, dòng {i + 2}: "{v}" không phải {kind}') from None
    return out


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
        # answers derived from the tables, which are read once: a year's indicators ask the same
        # commune's successors on the same day hundreds of times
        self._memo: dict[tuple, object] = {}

    # ---- tables -------------------------------------------------------------------------
    @cached_property
    def communes(self) -> pd.DataFrame:
        path = self.dir / "communes.csv"
        df = _read_csv(path)
        df["valid_from_date"] = _dates(df, "valid_from", path)
        df["valid_to_date"] = _dates(df, "valid_to", path)
        return df

    @cached_property
    def changes(self) -> pd.DataFrame:
        path = self.dir / "commune_changes.csv"
        df = _read_csv(path)
        df["effective"] = _dates(df, "effective_date", path)
        df["share"] = pd.Series(
            [float("nan") if v is None else v for v in _numbers(df, "share", path, whole=False)],
            dtype="float64",
            index=df.index,
        )
        return df

    @cached_property
    def schools(self) -> pd.DataFrame:
        path = self.dir / "schools.csv"
        df = _read_csv(path)
        df["active_from"] = pd.array(_numbers(df, "active_from", path, whole=True), dtype="Int64")
        df["active_to"] = pd.array(_numbers(df, "active_to", path, whole=True), dtype="Int64")
        return df

    @cached_property
    def targets(self) -> pd.DataFrame:
        path = self.dir / "targets.csv"
        df = _read_csv(path)
        years = _numbers(df, "target_year", path, whole=True)
        pcts = _numbers(df, "target_pct", path, whole=False)
        for col, values in (("target_year", years), ("target_pct", pcts)):
            if any(v is None for v in values):
                row = next(i for i, v in enumerate(values) if v is None) + 2
                raise ReferenceDataError(f"Tệp {path}, cột {col}, dòng {row}: ô trống; ghi giá trị cho ô này")
        df["target_year"] = pd.array(years, dtype="int64")
        df["target_pct"] = pd.array(pcts, dtype="float64")
        return df

    @cached_property
    def settings(self) -> dict:
        path = self.dir / "settings.toml"
        if not path.is_file():
            raise ReferenceDataError(f"Thiếu tệp cấu hình báo cáo: {path}")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise ReferenceDataError(os_error_text(exc, path, writing=False)) from exc
        except UnicodeDecodeError:
            raise ReferenceDataError(f"Tệp {path} không phải văn bản UTF-8; lưu lại bằng bảng mã UTF-8") from None
        try:
            settings = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+), column (\d+)", str(exc))
            where = f" ở dòng {m.group(1)}, cột {m.group(2)}" if m else ""
            raise ReferenceDataError(
                f'Tệp {path} sai cú pháp{where}; mỗi dòng có dạng khóa = "giá trị", chữ đặt trong ngoặc kép'
            ) from None
        deadline(settings, 2024)  # a bad deadline is reported now, in one line, not mid-run
        issuers(settings)  # so is a bad issuer list
        return settings

    @property
    def synthetic(self) -> bool:
        """True when any school of the registry is marked synthetic: every document and view says
        so (one synthetic school is enough to make the figures not real)."""
        notes = self.schools.get("note")
        return bool(notes is not None and notes.str.contains("giả lập|synthetic", case=False).any())

    # ---- communes -----------------------------------------------------------------------
    @cached_property
    def _commune_rows(self) -> dict[str, tuple[str, str]]:
        """(kind, name) by code, the first row of a code as the table lists it."""
        out: dict[str, tuple[str, str]] = {}
        for code, kind, name in zip(self.communes["code"], self.communes["kind"], self.communes["name"], strict=True):
            out.setdefault(code, (kind, name))
        return out

    def commune_name(self, code: str) -> str:
        row = self._commune_rows.get(code)
        return row[1] if row else code

    def commune_label(self, code: str) -> str:
        """Name with its kind, e.g. "thị trấn Phú Túc", to tell same-named communes apart."""
        row = self._commune_rows.get(code)
        return f"{row[0]} {row[1]}" if row else code

    def communes_valid_on(self, on: dt.date) -> list[str]:
        key = ("valid_on", on)
        if key not in self._memo:
            df = self.communes
            ok = df["valid_from_date"].map(lambda d: d is None or d <= on) & df["valid_to_date"].map(
                lambda d: d is None or d >= on
            )
            self._memo[key] = tuple(df.loc[ok, "code"])
        return list(self._memo[key])

    @cached_property
    def _changes_from(self) -> dict[str, list[tuple[str, float, dt.date | None]]]:
        out: dict[str, list[tuple[str, float, dt.date | None]]] = {}
        for change in self.changes.itertuples():
            out.setdefault(change.old_code, []).append((change.new_code, float(change.share), change.effective))
        return out

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
        key = ("successors", code, on)
        if key not in self._memo:
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
                for new_code, share, effective in self._changes_from.get(current, ()):
                    if effective is not None and effective <= on:
                        frontier.append((new_code, weight * share))
            self._memo[key] = result
        return dict(self._memo[key])

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
    try:
        return dt.date(year, int(rep.get("deadline_month", 12)), int(rep.get("deadline_day", 10)))
    except (TypeError, ValueError):
        raise ReferenceDataError(
            "settings.toml, mục [reporting]: deadline_day và deadline_month phải là ngày và tháng có thật, "
            f"ví dụ deadline_day = 10, deadline_month = 12 (đang ghi {rep.get('deadline_day')!r}, "
            f"{rep.get('deadline_month')!r})"
        ) from None


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


# ---- who issues a document, by date ----------------------------------------------------------

ISSUER_PARTS = ("issuer", "signer", "distribution")


def _as_date(value, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ReferenceDataError(
            f"settings.toml, {where}: ngày {value!r} không đúng dạng NĂM-THÁNG-NGÀY, ví dụ 2025-07-01"
        ) from None


def issuers(settings: dict) -> list[dict]:
    """The issuing bodies of the settings, each with its validity dates (``valid_from``/``valid_to``,
    None: open-ended) and its own ``issuer``, ``signer``, ``distribution`` tables.

    ``[[issuers]]`` lists bodies with their validity (the district level ended on 1 July 2025, so
    a document dated after that names the body that exists then); a single ``[issuer]`` table with
    ``[signer]`` and ``[distribution]`` is one body valid at every date.
    """
    listed = settings.get("issuers")
    if listed is None:
        return [{"valid_from": None, "valid_to": None, **{k: settings.get(k, {}) for k in ISSUER_PARTS}}]
    if not isinstance(listed, list) or not all(isinstance(x, dict) for x in listed):
        raise ReferenceDataError("settings.toml: mỗi cơ quan ban hành là một mục [[issuers]]")
    out = []
    for i, body in enumerate(listed, 1):
        where = f"mục [[issuers]] thứ {i}"
        start, end = _as_date(body.get("valid_from"), where), _as_date(body.get("valid_to"), where)
        if start and end and end < start:
            raise ReferenceDataError(f"settings.toml, {where}: valid_to ({end}) trước valid_from ({start})")
        parts = {k: body.get(k, settings.get(k, {})) for k in ISSUER_PARTS}
        issuer = {k: v for k, v in body.items() if k not in (*ISSUER_PARTS, "plan", "valid_from", "valid_to")}
        parts["issuer"] = {**parts["issuer"], **issuer} if isinstance(parts["issuer"], dict) else issuer
        out.append({"valid_from": start, "valid_to": end, **parts, "plan": body.get("plan", {})})
    return out


def settings_on(settings: dict, date: dt.date) -> dict:
    """The settings as a document dated ``date`` uses them: the issuer, signer and distribution
    of the body valid on that date. A date no body covers is a one-line ReferenceDataError."""
    for body in issuers(settings):
        if (body["valid_from"] is None or body["valid_from"] <= date) and (
            body["valid_to"] is None or date <= body["valid_to"]
        ):
            out = {k: v for k, v in settings.items() if k != "issuers"}
            out.update({k: body[k] for k in ISSUER_PARTS})
            out["plan"] = {**settings.get("plan", {}), **body.get("plan", {})}
            out["issuer_valid"] = (body["valid_from"], body["valid_to"])
            return out
    raise ReferenceDataError(
        f"settings.toml: không có cơ quan ban hành nào có hiệu lực vào ngày {date:%d/%m/%Y}; "
        "thêm một mục [[issuers]] có valid_from, valid_to bao gồm ngày này"
    )
