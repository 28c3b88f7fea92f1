"""The synthetic sample (``hoctap demo``): six years of school workbooks plus their ground truth.

The files imitate what a district office really receives by e-mail: mostly clean workbooks,
some with the tolerated variations of submission-template.md, a handful of bad ones, and
stray files. Beside raw/ (never inside it) ``demo_truth/<year>.json`` records what each file
was meant to be, so the cleaning stage can be backtested. Everything is derived from the seed
through per-year, per-school random streams: the same seed gives byte-identical files, and
generating one year alone gives the same files as generating all six.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field

from hoctap.errors import HoctapError
from hoctap.intake import schema
from hoctap.intake.template import school_commune_on
from hoctap.io import write_bytes, write_text
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace
from hoctap.reference import Reference, deadline, on_time, year_geography_date
from hoctap.sample.demo_files import (
    Content,
    apple_double_bytes,
    empty_xlsx,
    lock_file_bytes,
    minimal_docx,
    minimal_pdf,
    render,
    to_ods,
    to_xls,
    to_xlsx,
)
from hoctap.sample.demo_world import SYNTHETIC, School, World, build_world
from hoctap.text import fold, strip_diacritics

# Tolerated variations dealt out to about one file in six each year.
VARIATION_KINDS = (
    "sheet_names",
    "sheet_order",
    "extra_sheet",
    "header_case",
    "header_no_diacritics",
    "header_linebreak",
    "header_abbrev",
    "column_order",
    "extra_columns",
    "title_block",
    "two_row_header",
    "blank_rows",
    "numbered_labels",
    "count_text",
    "yesno_symbols",
    "total_row",
    "total_formula",
    "total_mismatch",
    "school_name_variant",
    "empty_code",
    "commune_variant",
    "text_date",
)
N_VARIATION_FILES = 10

# Bad cases per year: every kind appears in 2025 (the merger year, the stress test) and in
# at least two other years; other years hold a handful.
ALL_BAD = (
    "part_whole",
    "awarded_without_registering",
    "percent_in_count",
    "negative_count",
    "unit_part_whole",
    "wrong_year",
    "unknown_commune",
    "unregistered_school",
    "corrupt",
    "empty",
    "duplicate_same_date",
    "outlier",
    "lock_file",
    "hidden_file",
    "other_format",
)
BAD_SCHEDULE = {
    2021: (
        "part_whole",
        "awarded_without_registering",
        "negative_count",
        "unregistered_school",
        "empty",
        "lock_file",
        "other_format",
    ),
    2022: (
        "part_whole",
        "awarded_without_registering",
        "percent_in_count",
        "unknown_commune",
        "corrupt",
        "outlier",
        "lock_file",
        "hidden_file",
    ),
    2023: (
        "part_whole",
        "awarded_without_registering",
        "negative_count",
        "unit_part_whole",
        "wrong_year",
        "unregistered_school",
        "outlier",
        "lock_file",
        "other_format",
    ),
    2024: (
        "part_whole",
        "awarded_without_registering",
        "percent_in_count",
        "unknown_commune",
        "corrupt",
        "empty",
        "duplicate_same_date",
        "outlier",
        "lock_file",
        "other_format",
    ),
    2025: ALL_BAD,
    2026: (
        "part_whole",
        "awarded_without_registering",
        "percent_in_count",
        "wrong_year",
        "unregistered_school",
        "empty",
        "outlier",
        "lock_file",
        "hidden_file",
    ),
}
# Bad kinds that live in a school's own workbook (the others are stray files or extra schools).
SCHOOL_BAD = {
    "part_whole",
    "awarded_without_registering",
    "percent_in_count",
    "negative_count",
    "unit_part_whole",
    "wrong_year",
    "unknown_commune",
    "corrupt",
    "empty",
    "duplicate_same_date",
    "outlier",
}
ROW_BAD = {
    "part_whole",
    "awarded_without_registering",
    "percent_in_count",
    "negative_count",
    "outlier",
}
REJECTING = {"wrong_year", "unknown_commune", "corrupt", "empty", "duplicate_same_date"}
UNKNOWN_COMMUNE = "xã Ia Ma Rơn"
UNREGISTERED = {
    "name": "Trường Mầm non tư thục Hoa Sữa",
    "commune": "X-UAR",
    "level": "Mầm non",
    "staff": 14,
}
FOLDERS = ("email", "Thu dien tu 12-2", "bo sung", "Tai ve tu Zalo")
OLD_TEMPLATE_YEARS = (2021, 2022)


@dataclass
class FilePlan:
    rel: str
    school_id: str | None
    status: str  # accepted | rejected | superseded | ignored
    fmt: str  # xlsx | xlsm | xls | ods | pdf | docx | lock | hidden
    problems: list[str] = field(default_factory=list)
    variations: list[str] = field(default_factory=list)
    report_date: dt.date | None = None
    content: Content | None = None
    raw: bytes | None = None
    truncate: bool = False
    school: dict | None = None
    villages: list[dict] = field(default_factory=list)
    orgs: list[dict] = field(default_factory=list)


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


# ---- value spellings -------------------------------------------------------------------------------


def _count_text(value: int, name: str, r: random.Random) -> object:
    if value == 0:
        return r.choice(("-", "không"))
    if value >= 1000:
        return f"{value:,}".replace(",", ".")
    if name.startswith("households"):
        return f"{value} hộ"
    if name.startswith("workers"):
        return f"{value} người"
    return str(value)


def _yesno(value: bool, symbols: bool, r: random.Random) -> object:
    if not symbols:
        return "Có" if value else "Không"
    return r.choice(("x", "X", "Đạt", 1, "✓")) if value else r.choice(("Chưa đạt", 0, "Chưa", "Không"))


def _commune_variants(ref: Reference, code: str, on: dt.date) -> list[str]:
    """Spellings of a commune that still resolve to ``code`` on ``on`` (checked, not assumed)."""
    row = ref.communes.loc[ref.communes["code"] == code].iloc[0]
    name, kind = row["name"], row["kind"]
    cands = [
        name,
        f"{kind.capitalize()} {name}",
        strip_diacritics(name).lower(),
        name.replace(" ", ""),
    ]
    if " " in name:
        first, rest = name.split(" ", 1)
        cands.append(f"{first} {rest[0]}'{rest[1:]}")
    if kind == "thị trấn":
        cands += [f"TT. {name}", f"TT {name}"]
    cands += [a.strip() for a in (row["aliases"] or "").split("|") if a.strip()]
    out = []
    for c in cands:
        if c not in out and ref.resolve_commune(c, on).code == school_target(ref, code, on):
            out.append(c)
    return out


def school_target(ref: Reference, code: str, on: dt.date) -> str:
    return school_commune_on(ref, code, on)


def _school_name_variants(ref: Reference, s: School, commune: str, on: dt.date) -> list[str]:
    bare = s.name[len("Trường ") :] if s.name.startswith("Trường ") else s.name
    cands = [
        *s.aliases,
        bare,
        strip_diacritics(s.name),
        s.name.upper(),
        strip_diacritics(bare).lower(),
    ]
    return [c for c in dict.fromkeys(cands) if c != s.name and ref.find_school(None, c, commune, on) == [s.school_id]]


def _short(s_name: str, aliases: list[str]) -> str:
    name = aliases[0] if aliases else s_name
    return name[len("Trường ") :] if name.startswith("Trường ") else name


def _file_name(r: random.Random, short: str, code: str, year: int, ext: str) -> str:
    ascii_short = strip_diacritics(short)
    pattern = r.randrange(7)
    if pattern == 0:
        return f"BaoCao_HTSD_{year}_{ascii_short}{ext}"
    if pattern == 1:
        return f"bao cao hoc tap {year} - {ascii_short}{ext}"
    if pattern == 2:
        return f"HTSD-01_{code}_{year}{ext}"
    if pattern == 3:
        return f"{short} - Báo cáo học tập suốt đời năm {year}{ext}"
    if pattern == 4:
        return f"BC HTSĐ {short} {year}{ext}"
    if pattern == 5:
        return f"Mau HTSD-01 ({ascii_short}){ext}"
    return f"{ascii_short.replace(' ', '_')}_HTSD_{year}{ext}"


def _date_between(r: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=r.randint(0, (end - start).days))


# ---- one year ---------------------------------------------------------------------------------------


class _YearPlanner:
    def __init__(self, world: World, year: int):
        self.w = world
        self.ref = world.ref
        self.year = year
        self.r = _rng(world.seed, "plan", year)
        self.geo = year_geography_date(self.ref.settings, year)
        self.old = year in OLD_TEMPLATE_YEARS
        self.plans: list[FilePlan] = []
        self.used_names: set[str] = set()

    # -- helpers
    def _unique(self, rel: str) -> str:
        base, dot, ext = rel.rpartition(".")
        n = 1
        while rel.lower() in self.used_names:
            rel = f"{base} ({n}).{ext}"
            n += 1
        self.used_names.add(rel.lower())
        return rel

    def _date(self, r: random.Random, late: bool = False) -> dt.date:
        y = self.year
        if late:
            return _date_between(r, dt.date(y, 12, 11), dt.date(y, 12, 22))
        return _date_between(r, dt.date(y, 11, 8), dt.date(y, 12, 8))

    # -- the content of one school's workbook
    def content(
        self,
        s: School,
        date: dt.date,
        kinds: set[str],
        r: random.Random,
        *,
        written_commune: str | None = None,
        conflict: set[str] = frozenset(),
        old_name: bool = False,
    ) -> tuple[Content, dict, list[dict], list[dict]]:
        year = self.year
        target = school_commune_on(self.ref, s.commune, date)
        commune_code = s.commune if old_name else target
        commune_text = self.ref.commune_label(commune_code)
        if "commune_variant" in kinds:
            variants = _commune_variants(self.ref, commune_code, date)
            if variants:
                commune_text = r.choice(variants)
        if written_commune is not None:
            commune_text = written_commune
        name_text = s.name
        if "school_name_variant" in kinds:
            variants = _school_name_variants(self.ref, s, target, date)
            if variants:
                name_text = r.choice(variants)
        info: dict[str, object] = {}
        if not self.old:
            info["template_id"] = schema.TEMPLATE_ID
        info["school_code"] = "" if "empty_code" in kinds or not s.school_id.startswith("KP") else s.school_id
        info["school_name"] = name_text
        info["commune"] = commune_text
        info["school_level"] = s.level
        info["year"] = year
        info["report_date"] = (
            date.strftime("%d/%m/%Y") if "text_date" in kinds else dt.datetime(date.year, date.month, date.day)
        )
        info["preparer"] = SYNTHETIC
        info["phone"] = f"0900 {r.randint(100, 999)} {r.randint(100, 999)}"
        figs = self.w.school_figures(s, year) if s.school_id in self.w.schools else dict(s.__dict__.get("_figs"))
        symbols = "yesno_symbols" in kinds
        ctext = "count_text" in kinds

        def cnt(name: str, v: int) -> object:
            return _count_text(v, name, r) if ctext else v

        unit = {k: (_yesno(v, symbols, r) if isinstance(v, bool) else cnt(k, v)) for k, v in figs.items()}
        villages_written, villages_truth = [], []
        for v, second in (
            self.w.villages_of(s.school_id, year) if s.school_id in self.w.schools else s.__dict__["_villages"]
        ):
            f = self.w.village_figures(v, year)
            if v.name in conflict:
                f = dict(f)
                f["households_total"] += r.randint(4, 9)
                f["households_family_title"] = min(
                    f["households_total"], f["households_family_title"] + r.randint(2, 5)
                )
                f["households_registered"] = max(f["households_registered"], f["households_family_title"])
                f["workers_total"] += r.randint(5, 15)
            row = {"village": v.name, "_people": f["households_total"] * 4}
            row.update({k: (_yesno(x, symbols, r) if isinstance(x, bool) else cnt(k, x)) for k, x in f.items()})
            villages_written.append(row)
            villages_truth.append(
                {
                    "village": v.name,
                    "village_key": fold(v.name),
                    "old_commune_code": v.commune,
                    "commune_code": school_commune_on(self.ref, v.commune, self.geo),
                    "school_id": s.school_id if s.school_id in self.w.schools else None,
                    "second_coordinator": second,
                    "figures": f,
                    "problems": [],
                    "report_date": date.isoformat(),
                }
            )
        orgs_written, orgs_truth = None, []
        if not self.old:
            orgs_written = []
            if self.w.org_reporter.get(s.commune) == s.school_id:
                for o in self.w.orgs[s.commune]:
                    f = self.w.org_figures(o, year)
                    orgs_written.append(
                        {
                            k: (
                                _yesno(x, symbols, r)
                                if isinstance(x, bool)
                                else (cnt(k, x) if isinstance(x, int) else x)
                            )
                            for k, x in f.items()
                        }
                    )
                    orgs_truth.append(
                        {
                            "org_name": o.name,
                            "org_key": fold(o.name),
                            "commune_code": school_commune_on(self.ref, o.commune, self.geo),
                            "figures": f,
                            "problems": [],
                        }
                    )
        content = Content(info, unit, villages_written, orgs_written, set(kinds))
        school_truth = {
            "school_id": s.school_id if s.school_id in self.w.schools else None,
            "school_name": s.name,
            "registered": s.school_id in self.w.schools,
            "commune_code": school_commune_on(self.ref, s.commune, self.geo),
            "commune_written": commune_text,
            "report_date": date.isoformat(),
            "on_time": on_time(self.ref.settings, year, date),
            "status": "used",
            "figures": figs,
            "problems": [],
        }
        return content, school_truth, villages_truth, orgs_truth

    def _rel(
        self,
        s_name: str,
        aliases: list[str],
        code: str,
        r: random.Random,
        ext: str,
        folder: str | None = None,
        suffix: str = "",
    ) -> str:
        name = _file_name(r, _short(s_name, aliases), code, self.year, ext)
        if suffix:
            stem, _, e = name.rpartition(".")
            name = f"{stem}{suffix}.{e}"
        if folder is None and r.random() < 0.12:
            folder = r.choice(FOLDERS)
        return self._unique(f"{folder}/{name}" if folder else name)

    def add(
        self,
        s: School,
        *,
        kinds: set[str],
        fmt: str,
        date: dt.date,
        bad: str | None,
        r: random.Random,
        conflict: set[str],
        old_name: bool,
        status: str = "accepted",
        folder: str | None = None,
        suffix: str = "",
        mutate: str | None = None,
    ) -> FilePlan:
        written_commune = UNKNOWN_COMMUNE if bad == "unknown_commune" else None
        content, st, vt, ot = self.content(
            s, date, kinds, r, written_commune=written_commune, conflict=conflict, old_name=old_name
        )
        problems: list[str] = []
        variations = sorted(kinds)
        if old_name:
            variations.append("old_commune_name")
        if fmt != "xlsx":
            variations.append(f"format_{fmt}")
        if self.old:
            variations.append("old_template")
        if "total_mismatch" in kinds:
            count_fields = [f for f in schema.count_fields(schema.VILLAGES)]
            content.total_wrong = r.choice(count_fields)
            content.variations.add("total_row")
            problems.append("total_mismatch")
        if bad == "wrong_year":
            content.info["year"] = self.year - 1
        if bad in ROW_BAD or bad == "unit_part_whole":
            self._apply_row_defect(bad, content, st, vt, r)
        if mutate == "older":
            # the older version of a resubmission: one village figure later corrected
            i = r.randrange(len(vt)) if vt else None
            if i is not None:
                content.villages[i]["households_family_title"] = vt[i]["figures"][
                    "households_family_title"
                ] + r.randint(6, 15)
        if mutate == "same_date_other":
            if vt:
                content.villages[0]["households_total"] = vt[0]["figures"]["households_total"] + r.randint(3, 12)
        if bad and bad not in ROW_BAD and bad != "unit_part_whole":
            problems.append(bad)
        rel = self._rel(
            s.name,
            s.aliases,
            s.school_id if s.school_id in self.w.schools else "",
            r,
            "." + fmt,
            folder,
            suffix,
        )
        plan = FilePlan(
            rel,
            st["school_id"],
            status,
            fmt,
            problems,
            variations,
            date,
            content,
            school=st,
            villages=vt,
            orgs=ot,
        )
        for row in vt:
            problems.extend(p for p in row["problems"] if p not in problems)
        problems.extend(p for p in st["problems"] if p not in problems)
        if not st["registered"]:
            problems.append("unregistered_school")
        if not st["on_time"]:
            problems.append("late")
        if old_name:
            problems.append("commune_via_change")
        plan.truncate = bad == "corrupt"
        if bad == "empty":
            plan.raw = empty_xlsx()
            plan.variations = []
        self.plans.append(plan)
        return plan

    def _apply_row_defect(self, bad: str, c: Content, st: dict, vt: list[dict], r: random.Random) -> None:
        if bad == "unit_part_whole":
            f = st["figures"]
            c.unit["staff_citizen"] = f["staff_total"] + r.randint(2, 6)
            st["status"] = "quarantined"
            st["problems"].append("unit_part_whole")
            st["written"] = {"staff_citizen": c.unit["staff_citizen"]}
            return
        idx = [i for i, v in enumerate(vt) if not v["second_coordinator"]] or list(range(len(vt)))
        i = r.choice(idx)
        row, t = c.villages[i], vt[i]
        f = t["figures"]
        if bad == "part_whole":
            row["clans_title"] = f["clans_total"] + r.randint(1, 3)
            t["status"] = "quarantined"
            t["written"] = {"clans_title": row["clans_title"]}
        elif bad == "awarded_without_registering":
            reg = max(0, f["households_family_title"] - r.randint(3, 10))
            row["households_registered"] = reg
            f["households_registered"] = reg  # a warning: the row counts with what was written
        elif bad == "percent_in_count":
            row["households_family_title"] = (
                f"{round(100 * f['households_family_title'] / max(1, f['households_total']))}%"
            )
            t["status"] = "quarantined"
            t["written"] = {"households_family_title": row["households_family_title"]}
        elif bad == "negative_count":
            row["clans_title"] = -r.randint(1, 4)
            t["status"] = "quarantined"
            t["written"] = {"clans_title": row["clans_title"]}
        elif bad == "outlier":
            new_total = int(round(f["households_total"] * r.uniform(1.75, 2.1)))
            row["households_total"] = new_total
            f["households_total"] = new_total  # a warning: counted as written
        t["problems"].append(bad)

    # -- the year
    def build(self) -> list[FilePlan]:
        w, r, year = self.w, self.r, self.year
        active = sorted(sid for sid, s in w.schools.items() if s.active(year))
        pool = active[:]
        r.shuffle(pool)

        def take(pred=lambda sid: True) -> str:
            for sid in pool:
                if pred(sid):
                    pool.remove(sid)
                    return sid
            raise RuntimeError("demo: no school left for a role")

        steady = lambda sid: any(v.school == sid for v in w.villages)  # noqa: E731
        bad_kinds = BAD_SCHEDULE.get(year, BAD_SCHEDULE[2026])
        roles: dict[str, str] = {}
        for kind in bad_kinds:
            if kind in SCHOOL_BAD:
                if kind == "outlier" and year == 2021:
                    continue
                roles[take(steady)] = kind
        missing = [take() for _ in range(3 if year == 2021 else 2)]
        resubmit = [take() for _ in range(2 + (year % 2))]
        fmts = {}
        for fmt, n in (("xls", 3 if self.old else 1), ("ods", 1), ("xlsm", 0 if self.old else 1)):
            for _ in range(n):
                fmts[take()] = fmt
        var_schools = [take() for _ in range(N_VARIATION_FILES)]
        kinds_for: dict[str, set[str]] = {sid: set() for sid in var_schools}
        deck = list(VARIATION_KINDS)
        r.shuffle(deck)
        for i, kind in enumerate(deck):
            kinds_for[var_schools[i % len(var_schools)]].add(kind)
        for ks in kinds_for.values():
            if {"total_formula", "total_mismatch"} <= ks:
                ks.discard("total_formula")
                ks.add("total_row")
        # formats carry one simple variation sometimes
        for sid in fmts:
            if r.random() < 0.5:
                kinds_for[sid] = {
                    r.choice(
                        (
                            "commune_variant",
                            "school_name_variant",
                            "empty_code",
                            "blank_rows",
                            "total_row",
                        )
                    )
                }
        submitting = [sid for sid in active if sid not in missing]
        late = set(r.sample(sorted(set(submitting) - set(resubmit)), 5))
        old_names = set()
        if year >= 2025:
            old_names = set(r.sample(submitting, 6))
        dates: dict[str, dt.date] = {}
        for sid in submitting:
            dates[sid] = self._date(_rng(w.seed, "date", year, sid), late=sid in late)
        if year % 2 == 0:
            on_deadline = sorted(set(submitting) - late - set(resubmit))[3]
            dates[on_deadline] = deadline(self.ref.settings, year)
        # conflicting duplicate villages: both coordinators submit an accepted file, dates differ
        ok = {sid for sid in submitting if roles.get(sid) not in REJECTING and sid not in resubmit}
        cands = [
            v
            for v in w.villages
            if v.second and v.school in ok and v.second in ok and dates[v.school] != dates[v.second]
        ]
        conflicts = {v.name: v.second for v in r.sample(cands, min(2, len(cands)))}

        for sid in submitting:
            s = w.schools[sid]
            rs = _rng(w.seed, "file", year, sid)
            kinds = kinds_for.get(sid, set())
            fmt = fmts.get(sid, "xlsx")
            bad = roles.get(sid)
            conflict = {name for name, sec in conflicts.items() if sec == sid}
            common = dict(kinds=kinds, fmt=fmt, r=rs, conflict=conflict, old_name=sid in old_names)
            if sid in resubmit:
                first = dates[sid] - dt.timedelta(days=rs.randint(6, 14))
                older = self.add(s, date=first, bad=None, status="superseded", mutate="older", **common)
                older.problems.append("superseded")
                folder = rs.choice((None, "Nop lan 2", "sua lai"))
                self.add(
                    s,
                    date=dates[sid],
                    bad=None,
                    folder=folder,
                    suffix=rs.choice((" (sua lai)", "_v2", " - ban cuoi", "")),
                    **common,
                )
                continue
            if bad == "duplicate_same_date":
                a = self.add(s, date=dates[sid], bad=bad, status="rejected", **common)
                b = self.add(
                    s,
                    date=dates[sid],
                    bad=bad,
                    status="rejected",
                    mutate="same_date_other",
                    suffix=" - ban 2",
                    **common,
                )
                for p in (a, b):
                    p.school["status"] = "rejected"
                continue
            status = "rejected" if bad in REJECTING else "accepted"
            p = self.add(s, date=dates[sid], bad=bad, status=status, **common)
            if status == "rejected":
                p.school["status"] = "rejected"

        if "unregistered_school" in bad_kinds:
            self._unregistered()
        others = [p for p in self.plans if p.fmt == "xlsx" and p.status == "accepted"]
        if "lock_file" in bad_kinds:
            target = r.choice(others)
            folder, _, name = target.rel.rpartition("/")
            rel = self._unique((folder + "/" if folder else "") + "~$" + name)
            self.plans.append(
                FilePlan(
                    rel,
                    None,
                    "ignored",
                    "lock",
                    ["lock_file"],
                    raw=lock_file_bytes("Nguyễn Văn A (giả lập)"),
                )
            )
        if "hidden_file" in bad_kinds:
            target = r.choice(others)
            folder, _, name = target.rel.rpartition("/")
            rel = self._unique((folder + "/" if folder else "") + "._" + name)
            self.plans.append(FilePlan(rel, None, "ignored", "hidden", ["hidden_file"], raw=apple_double_bytes()))
        if "other_format" in bad_kinds:
            target = r.choice(others)
            stem = target.rel.rsplit(".", 1)[0]
            if year % 2:
                rel = self._unique(f"Cong van bao cao HTSD {year}.docx")
                raw = minimal_docx(f"Công văn gửi kèm báo cáo học tập suốt đời năm {year}.\n{SYNTHETIC}")
                fmt = "docx"
            else:
                rel = self._unique(stem + ".pdf")
                raw = minimal_pdf(f"Bao cao HTSD {year} - du lieu gia lap")
                fmt = "pdf"
            self.plans.append(FilePlan(rel, target.school_id, "ignored", fmt, ["other_format"], raw=raw))
        self._resolve_duplicates()
        self.expected = active
        self.missing = missing
        return self.plans

    def _unregistered(self) -> None:
        info = UNREGISTERED
        r = _rng(self.w.seed, "unregistered", self.year)
        s = School(
            "",
            info["name"],
            ["MN tư thục Hoa Sữa"],
            info["commune"],
            info["level"],
            2021,
            None,
            info["staff"],
            0.3,
            self.w.commune_factor.get(info["commune"], 1.0),
        )
        local = [v for v in self.w.villages if v.commune == info["commune"]]
        s.__dict__["_villages"] = [(local[0], True)]
        s.__dict__["_figs"] = {
            "school_unit_title": self.year >= 2024,
            "staff_total": info["staff"] + (self.year - 2021),
            "staff_citizen": 4 + (self.year - 2021) * 2,
            "members_total": 12,
            "members_policy": 11,
            "cadres_total": 3,
            "cadres_clc_it": 1,
        }
        date = self._date(r)
        self.add(
            s,
            kinds={"empty_code"},
            fmt="xlsx",
            date=date,
            bad=None,
            r=r,
            conflict=set(),
            old_name=False,
        )

    def _resolve_duplicates(self) -> None:
        """Expected village/org statuses: identical repeats merged, conflicts won by the latest date."""
        groups: dict[tuple[str, str], list[dict]] = {}
        by_rel = {p.rel: p for p in self.plans}
        for p in self.plans:
            for t in p.villages:
                t["file"] = p.rel
                if p.status != "accepted":
                    t["status"] = p.status
                    continue
                t.setdefault("status", "used")
                if t["status"] == "used":
                    groups.setdefault((t["commune_code"], t["village_key"]), []).append(t)
            for o in p.orgs:
                o["file"] = p.rel
                o["status"] = "used" if p.status == "accepted" else p.status
        for rows in groups.values():
            if len(rows) < 2:
                continue
            rows.sort(key=lambda t: (t["report_date"], t["school_id"] or ""), reverse=True)
            same = all(t["figures"] == rows[0]["figures"] for t in rows)
            code = "village_duplicate" if same else "village_conflict"
            for t in rows[1:]:
                t["status"] = "duplicate" if same else "conflict-lost"
            for t in rows:
                t["problems"].append(code)
                plan = by_rel[t["file"]]
                if code not in plan.problems:
                    plan.problems.append(code)


# ---- output -------------------------------------------------------------------------------------------


def _bytes_for(plan: FilePlan) -> bytes:
    if plan.raw is not None:
        return plan.raw
    r = _rng("render", plan.rel)
    sheets = render(plan.content, r, old_template=plan.content.orgs is None)
    if plan.fmt == "xls":
        data = to_xls(sheets)
    elif plan.fmt == "ods":
        data = to_ods(sheets)
    else:
        data = to_xlsx(sheets, macro=plan.fmt == "xlsm", description=f"{SYNTHETIC} - {plan.rel}")
    if plan.truncate:
        data = data[: int(len(data) * 0.55)]
    return data


def _truth(plan_year: _YearPlanner, seed: int) -> dict:
    files = {}
    schools = []
    villages = []
    orgs = []
    for p in sorted(plan_year.plans, key=lambda p: p.rel):
        files[p.rel] = {
            "status": p.status,
            "school_id": p.school_id,
            "format": p.fmt,
            "report_date": p.report_date.isoformat() if p.report_date else None,
            "problems": sorted(set(p.problems)),
            "variations": sorted(set(p.variations)),
            "subfolder": "/" in p.rel,
        }
        if p.school:
            school = {"file": p.rel, "file_status": p.status, **p.school}
            if p.status == "superseded":
                school["status"] = "superseded"  # an older version's figures are never used
            schools.append(school)
        villages += p.villages
        orgs += p.orgs
    counts = Counter()
    for f in files.values():
        counts[f"status:{f['status']}"] += 1
        counts[f"format:{f['format']}"] += 1
        for v in f["variations"]:
            counts[f"variation:{v}"] += 1
        for v in f["problems"]:
            counts[f"problem:{v}"] += 1
    return {
        "synthetic": True,
        "note": "DỮ LIỆU GIẢ LẬP - kết quả mong đợi của bộ dữ liệu mẫu, dùng để kiểm thử (backtest)",
        "year": plan_year.year,
        "seed": seed,
        "geography_date": plan_year.geo.isoformat(),
        "expected_schools": plan_year.expected,
        "missing_schools": sorted(plan_year.missing),
        "files": files,
        "schools": schools,
        "villages": villages,
        "orgs": orgs,
        "counts": dict(sorted(counts.items())),
    }


def _ensure_reference(ws: Workspace) -> None:
    """Copy the shipped reference files that the workspace lacks; never overwrite one."""
    ws.reference_dir.mkdir(parents=True, exist_ok=True)
    if ws.reference_dir.resolve() == SHIPPED_REFERENCE_DIR.resolve():
        return
    for src in SHIPPED_REFERENCE_DIR.iterdir():
        dst = ws.reference_dir / src.name
        if src.is_file() and not dst.exists():
            shutil.copy2(src, dst)


def _check_target(ws: Workspace, year: int) -> None:
    """Refuse to mix synthetic files into a folder holding files the demo did not write."""
    folder = ws.raw(year)
    if not folder.is_dir():
        return
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != "README.md"}
    if not present:
        return
    truth_path = ws.data_dir / "demo_truth" / f"{year}.json"
    known = set(json.loads(truth_path.read_text("utf-8"))["files"]) if truth_path.is_file() else set()
    foreign = sorted(present - known)
    if foreign:
        raise HoctapError(
            f"Thư mục {folder} đã có {len(foreign)} tệp không phải dữ liệu giả lập (ví dụ: {foreign[0]}); "
            "không ghi đè. Hãy dùng --data-dir khác cho bộ dữ liệu mẫu."
        )
    for rel in present:  # a previous demo run: replace it wholly
        (folder / rel).unlink()


def generate(ws: Workspace, years=range(2021, 2027), seed: int = 387, progress=None) -> dict:
    """Write the synthetic sample for ``years`` into ``ws`` and return a summary per year."""
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    _ensure_reference(ws)
    ref = Reference(ws.reference_dir)
    world = build_world(ref, seed)
    say(
        f"Tạo dữ liệu giả lập (hạt giống {seed}): {len(world.schools)} trường, {len(world.villages)} thôn, buôn, tổ dân phố."
    )
    summary: dict = {"seed": seed, "years": {}, "villages": len(world.villages)}
    for year in years:
        _check_target(ws, year)
        planner = _YearPlanner(world, year)
        plans = planner.build()
        folder = ws.raw(year)
        for p in plans:
            write_bytes(folder / p.rel, _bytes_for(p))
        truth = _truth(planner, seed)
        write_text(
            ws.data_dir / "demo_truth" / f"{year}.json",
            json.dumps(truth, ensure_ascii=False, indent=1, default=str) + "\n",
        )
        st = Counter(p.status for p in plans)
        summary["years"][year] = {
            "files": len(plans),
            **{f"status_{k}": v for k, v in sorted(st.items())},
        }
        say(
            f"Năm {year}: {len(plans)} tệp ({st['accepted']} hợp lệ, {st['superseded']} bản cũ, "
            f"{st['rejected']} bị từ chối, {st['ignored']} bỏ qua) -> {folder}"
        )
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    say(f"Xong sau {summary['seconds']:.1f} giây. Kết quả mong đợi: {ws.data_dir / 'demo_truth'}")
    return summary
