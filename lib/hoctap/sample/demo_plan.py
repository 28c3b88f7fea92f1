"""The plan of one synthetic year: which school sends which files, with which variations and faults."""

from __future__ import annotations

import datetime as dt
import random

from hoctap.intake import schema
from hoctap.intake.template import school_commune_on
from hoctap.reference import deadline, on_time, year_geography_date

# Tolerated variations dealt out to about one file in six each year.
from hoctap.sample.demo_cases import (
    BAD_SCHEDULE,
    FOLDERS,
    N_VARIATION_FILES,
    OLD_TEMPLATE_YEARS,
    REJECTING,
    ROW_BAD,
    SCHOOL_BAD,
    UNKNOWN_COMMUNE,
    UNREGISTERED,
    VARIATION_KINDS,
    FilePlan,
    _commune_variants,
    _count_text,
    _date_between,
    _file_name,
    _rng,
    _school_name_variants,
    _short,
    _yesno,
)
from hoctap.sample.demo_files import (
    Content,
    apple_double_bytes,
    empty_xlsx,
    lock_file_bytes,
    minimal_docx,
    minimal_pdf,
)
from hoctap.sample.demo_world import SAMPLE_AS_OF, SYNTHETIC, School, World
from hoctap.text import fold


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

    @property
    def in_progress(self) -> bool:
        """The sample's last year stands before its deadline (``SAMPLE_AS_OF``): no file is dated
        after that day, so no document built from the sample post-dates its data."""
        return deadline(self.ref.settings, self.year) > SAMPLE_AS_OF

    def _date(self, r: random.Random, late: bool = False) -> dt.date:
        y = self.year
        if self.in_progress:
            return _date_between(r, dt.date(y, 11, 2), SAMPLE_AS_OF)
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
        if self.in_progress:
            late = set()
        old_names = set()
        if year >= 2025:
            old_names = set(r.sample(submitting, 6))
        dates: dict[str, dt.date] = {}
        for sid in submitting:
            dates[sid] = self._date(_rng(w.seed, "date", year, sid), late=sid in late)
        if year % 2 == 0 and not self.in_progress:
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
