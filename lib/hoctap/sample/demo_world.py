"""The synthetic district behind the demo: villages, who reports them, and the true figures.

Figures follow smooth trends toward the targets of targets.csv with persistent differences
between communes and villages, so that indicators, comparisons and history checks have
something real to find, and so that no unintended "outlier" appears: every rate grows by a
constant factor of its own level (a village behind stays behind, in proportion), which keeps
the year-on-year ratio under the 1 ± 0.33 history rule.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pandas as pd

from hoctap.reference import Reference

SYNTHETIC = "Dữ liệu giả lập"

# The day the sample stands at: its last year (2026) is still before its deadline, as on the
# day the sample was made; no file is dated after it.
SAMPLE_AS_OF = dt.date(2026, 12, 1)

# Area-level path of each rate (percent), 2021..2026, chosen to reach the 2025 targets roughly.
TRENDS = {
    "family": (46.0, 52.5, 59.0, 65.0, 71.0, 74.0),
    "registered_over_title": (1.22, 1.2, 1.18, 1.16, 1.14, 1.12),
    "clan": (41.0, 46.5, 52.0, 58.5, 65.0, 68.0),
    "community_share": (0.28, 0.36, 0.45, 0.53, 0.61, 0.66),  # share of villages with the title
    "worker": (24.0, 27.0, 30.0, 33.0, 36.0, 38.0),  # gentle enough for the WHO consistency check
    "school_unit": (0.50, 0.60, 0.68, 0.76, 0.82, 0.86),  # share of schools with the title
    "staff": (40.0, 45.5, 51.0, 56.5, 62.0, 65.0),
    "members": (85.0, 89.0, 93.0, 96.5, 100.0, 100.0),
    "cadres": (22.0, 27.0, 32.0, 37.0, 42.0, 46.0),
    "org_unit": (0.45, 0.55, 0.62, 0.70, 0.78, 0.82),
    "org_staff": (35.0, 40.0, 45.0, 50.0, 55.0, 60.0),
}
FIRST_YEAR = 2021

# Jarai-sounding names for "buôn" (synthetic; any resemblance to real hamlets is accidental).
BUON = (
    "Ma Giai",
    "Chư Jú",
    "Blăk",
    "Tang",
    "Mlăh",
    "H'Ngôm",
    "Ơi Jrai",
    "Ia Rnho",
    "Bir",
    "Drăng",
    "Thim",
    "Mlai",
    "Prông",
    "Djrơng",
    "Pan",
    "Ma Rai",
    "Hyu",
    "Kdăm",
    "Rnoh",
    "Ia Ptao",
    "Luh",
    "Tơ Nia",
    "Chai",
    "Bhă Ơi",
    "Jơ Lang",
    "Kơ Tơ",
    "Đăk Jong",
    "Ia Bia",
    "Nai",
    "Sai",
    "Ơi Khăl",
    "Dơng",
    "Ia Klăh",
    "Jăm",
    "Krông",
    "Hrăng",
    "Tơ Kăn",
    "Mơ Nang",
    "Ia Tul",
    "Puh",
    "Ơi H'Lang",
    "Rơ Ưng",
    "Kting",
    "Ia Jơk",
    "Ama Lao",
    "Chư Mố",
    "Ia Kdăm",
    "Jrai Dăp",
    "Kơ Jơng",
    "Hơ Mun",
    "Ia Băng",
    "Rơ Chai",
    "Plei Ơi",
    "Tơ Đrah",
    "Ia Mlơ",
    "Kdrông",
    "Ơi Nu",
    "Hlang",
    "Ia Pêt",
    "Đak Dơng",
    "Ea Hing",
    "Chư Băh",
    "Ia Dul",
    "Mơ Hra",
    "Ơi Đăk",
    "Rơ Mah",
    "Ia Sươr",
    "Kơ Nia",
    "Plei Jut",
    "Ia Glai",
    "Tơ Lơ",
    "Ia Yok",
    "Chư Prông",
    "Ơi Rơk",
    "Jơ Drăng",
    "Ia Hrung",
    "Rơ Kơi",
    "Ia Mơr",
    "Kơ Dang",
    "Tơ Veh",
    "Ia Phang",
    "Ơi Yuh",
    "Hra Bầu",
    "Ia Tơi",
    "Ama Dơn",
)
THON = (
    "Thắng Lợi",
    "Đồng Tâm",
    "Quý Đức",
    "Hòa Bình",
    "Ngọc Phú",
    "Quy Hậu",
    "Tân Lập",
    "Thanh Bình",
    "Phú Hòa",
    "Đoàn Kết",
    "Tân Phú",
    "Mỹ Thạnh",
    "Hiệp Hòa",
    "Tân Hà",
    "Phú Lợi",
    "Bình Minh",
    "Kim Tân",
    "Thống Nhất",
    "Đồng Tiến",
    "Hòa Mỹ",
    "Tân Sơn",
    "Phú Thịnh",
    "Hòa Thuận",
    "Quyết Thắng",
    "Tân Tiến",
    "Đông Hưng",
    "Bình Hòa",
    "Thanh Xuân",
    "Phước Lộc",
    "Mỹ Hòa",
    "Tân Hiệp",
    "Hưng Phú",
    "An Bình",
    "Tân Thành",
    "Phú Xuân",
    "Thuận An",
    "Hòa Hiệp",
    "Kim Phú",
    "Long Bình",
    "Sơn Hà",
)
# One old commune per new commune writes its villages "Thôn 1".."Thôn n" (names stay unique
# within every new commune, since a village keeps its name across the merger).
NUMBERED = {"X-PHUCAN", "X-IAHDREH", "X-CHUGU", "X-UAR"}
TOWN_KIND = "thị trấn"

ORG_KINDS = (
    ("Trạm Y tế xã {c}", "Cơ quan"),
    ("Bưu điện văn hóa xã {c}", "Cơ quan"),
    ("Hội Nông dân xã {c}", "Tổ chức"),
    ("Hợp tác xã nông nghiệp {c}", "Cơ sở sản xuất"),
    ("Công ty TNHH {n}", "Doanh nghiệp"),
)
COMPANY = (
    "Phú Gia",
    "Tây Nguyên Xanh",
    "Minh Phát",
    "Hưng Thịnh",
    "Ayun Pa",
    "Krông Pa Mía Đường",
    "Đức An",
    "Thành Công",
)


@dataclass
class Village:
    name: str
    commune: str  # old commune code (the registry's geography)
    households: int
    clans: int
    workers_per_household: float
    factor: float  # persistent multiplier of the commune's rates
    community_bias: float
    school: str = ""  # school that coordinates it
    second: str = ""  # a second coordinating school (duplicate reports), if any


@dataclass
class School:
    school_id: str
    name: str
    aliases: list[str]
    commune: str
    level: str
    active_from: int
    active_to: int | None
    staff: int
    latent: float  # lower = earns the unit title earlier
    factor: float
    villages: list[str] = field(default_factory=list)

    def active(self, year: int) -> bool:
        return self.active_from <= year and (self.active_to is None or year <= self.active_to)


@dataclass
class Org:
    name: str
    commune: str
    org_type: str
    staff: int
    latent: float
    factor: float


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


@dataclass
class World:
    seed: int
    ref: Reference
    communes: list[str]
    commune_factor: dict[str, float]
    villages: list[Village]
    schools: dict[str, School]
    orgs: dict[str, list[Org]]  # per old commune
    org_reporter: dict[str, str]  # old commune -> school id that fills CoQuan
    community_cut: tuple[float, ...] = ()  # per year: village score needed for the community title

    # ---- true figures -----------------------------------------------------------------------
    @staticmethod
    def _t(key: str, year: int) -> float:
        seq = TRENDS[key]
        return seq[min(max(year - FIRST_YEAR, 0), len(seq) - 1)]

    def village_figures(self, v: Village, year: int) -> dict:
        r = _rng(self.seed, "vfig", v.commune, v.name, year)
        k = year - FIRST_YEAR
        total = int(round(v.households * (1.012**k)))
        fam = min(96.0, self._t("family", year) * v.factor * (1 + r.uniform(-0.02, 0.02)))
        title = min(total, int(round(total * fam / 100)))
        registered = min(total, max(title, int(round(title * self._t("registered_over_title", year)))))
        clans_total = v.clans
        clan = min(95.0, self._t("clan", year) * v.factor * (1 + r.uniform(-0.02, 0.02)))
        clans_title = min(clans_total, int(round(clans_total * clan / 100)))
        workers = int(round(total * v.workers_per_household * (1.01**k)))
        wrate = min(90.0, self._t("worker", year) * v.factor * (1 + r.uniform(-0.02, 0.02)))
        wcit = min(workers, int(round(workers * wrate / 100)))
        community = v.factor + v.community_bias >= self.community_cut[min(year - FIRST_YEAR, 5)]
        return {
            "households_total": total,
            "households_registered": registered,
            "households_family_title": title,
            "clans_total": clans_total,
            "clans_title": clans_title,
            "community_title": bool(community),
            "workers_total": workers,
            "workers_citizen": wcit,
        }

    def school_figures(self, s: School, year: int) -> dict:
        r = _rng(self.seed, "sfig", s.school_id, year)
        k = year - FIRST_YEAR
        staff = max(8, s.staff + int(round(k * 0.6)) + r.choice((-1, 0, 0, 1)))
        titled = s.latent <= self._t("school_unit", year) * s.factor
        srate = min(95.0, self._t("staff", year) * s.factor * (1 + r.uniform(-0.02, 0.02)))
        members = max(5, int(round(staff * 0.9)))
        mrate = min(100.0, self._t("members", year) * (1 + r.uniform(-0.015, 0.0)))
        cadres = 5 + (s.staff % 5)
        crate = min(100.0, self._t("cadres", year) * s.factor)
        return {
            "school_unit_title": bool(titled),
            "staff_total": staff,
            "staff_citizen": min(staff, int(round(staff * srate / 100))),
            "members_total": members,
            "members_policy": min(members, int(round(members * mrate / 100))),
            "cadres_total": cadres,
            "cadres_clc_it": min(cadres, int(round(cadres * crate / 100))),
        }

    def org_figures(self, o: Org, year: int) -> dict:
        r = _rng(self.seed, "ofig", o.name, year)
        staff = max(3, o.staff + r.choice((-1, 0, 0, 1)))
        rate = min(95.0, self._t("org_staff", year) * o.factor)
        return {
            "org_name": o.name,
            "org_type": o.org_type,
            "org_unit_title": bool(o.latent <= self._t("org_unit", year) * o.factor),
            "org_staff_total": staff,
            "org_staff_citizen": min(staff, int(round(staff * rate / 100))),
        }

    def villages_of(self, school_id: str, year: int) -> list[tuple[Village, bool]]:
        """(village, as second coordinator) pairs that a school reports in a year."""
        out = []
        for v in self.villages:
            if v.school == school_id:
                out.append((v, False))
            elif v.second == school_id:
                out.append((v, True))
        return out


def build_world(ref: Reference, seed: int) -> World:
    """The deterministic synthetic district for a seed (independent of the years generated)."""
    communes = [c for c in ref.communes["code"] if c in set(ref.schools["commune_code"])]
    kinds = dict(zip(ref.communes["code"], ref.communes["kind"], strict=True))
    rc = _rng(seed, "communes")
    # Persistent commune differences: the town ahead, a few remote communes behind.
    commune_factor = {c: round(rc.uniform(0.8, 1.2), 3) for c in communes}
    for c in communes:
        if kinds.get(c) == TOWN_KIND:
            commune_factor[c] = 1.18
    schools: dict[str, School] = {}
    for row in ref.schools.itertuples():
        r = _rng(seed, "school", row.school_id)
        base = {
            "Mầm non": 24,
            "Tiểu học": 32,
            "THCS": 36,
            "THPT": 58,
            "TH&THCS": 44,
            "PTDTBT": 40,
            "GDNN-GDTX": 22,
        }
        aliases = [a.strip() for a in (row.aliases or "").split("|") if a.strip()]
        schools[row.school_id] = School(
            school_id=row.school_id,
            name=row.name,
            aliases=aliases,
            commune=row.commune_code,
            level=row.level,
            active_from=int(row.active_from) if pd.notna(row.active_from) else FIRST_YEAR,
            active_to=int(row.active_to) if pd.notna(row.active_to) else None,
            staff=base.get(row.level, 30) + r.randint(-5, 8),
            latent=round(r.random(), 4),
            factor=round(commune_factor.get(row.commune_code, 1.0) * r.uniform(0.93, 1.07), 4),
        )
    buon = list(BUON)
    thon = list(THON)
    _rng(seed, "names").shuffle(buon)
    _rng(seed, "thon").shuffle(thon)
    villages: list[Village] = []
    for c in communes:
        r = _rng(seed, "villages", c)
        local = [s for s in schools.values() if s.commune == c]
        steady = [s for s in local if s.active_from == FIRST_YEAR and s.active_to is None]
        occasional = [s for s in local if s not in steady]
        n = min(10, max(5, len(local) + r.randint(1, 3)))
        names: list[str] = []
        if kinds.get(c) == TOWN_KIND:
            names = [f"Tổ dân phố {i}" for i in range(1, n + 1)]
        else:
            n_thon = r.randint(2, min(4, max(2, n // 2)))
            if c in NUMBERED:
                names += [f"Thôn {i}" for i in range(1, n_thon + 1)]
            else:
                names += [f"Thôn {thon.pop()}" for _ in range(n_thon)]
            names += [f"Buôn {buon.pop()}" for _ in range(n - n_thon)]
        r.shuffle(steady)
        for i, name in enumerate(names):
            town = kinds.get(c) == TOWN_KIND
            v = Village(
                name=name,
                commune=c,
                households=r.randint(420, 900) if town else r.randint(90, 380),
                clans=r.randint(6, 16),
                workers_per_household=round(r.uniform(1.3, 1.9), 3),
                factor=round(commune_factor[c] * r.uniform(0.92, 1.08), 4),
                community_bias=round(r.uniform(-0.08, 0.08), 4),
                school=steady[i % len(steady)].school_id,
            )
            villages.append(v)
        # Second coordinators: every occasional school, and about one village in eight.
        local_v = [v for v in villages if v.commune == c]
        for s in occasional:
            r.choice(local_v).second = s.school_id
        for v in local_v:
            if not v.second and len(steady) > 1 and r.random() < 0.12:
                v.second = r.choice([s.school_id for s in steady if s.school_id != v.school])
    for v in villages:
        schools[v.school].villages.append(v.name)
        if v.second:
            schools[v.second].villages.append(v.name)
    orgs: dict[str, list[Org]] = {}
    org_reporter: dict[str, str] = {}
    names_by_code = dict(zip(ref.communes["code"], ref.communes["name"], strict=True))
    for c in communes:
        r = _rng(seed, "orgs", c)
        picks = r.sample(range(len(ORG_KINDS)), r.randint(2, 4))
        lst = []
        for p in sorted(picks):
            pattern, kind = ORG_KINDS[p]
            name = pattern.format(c=names_by_code[c], n=r.choice(COMPANY))
            if kinds.get(c) == TOWN_KIND:
                name = name.replace("xã ", "thị trấn ")
            lst.append(
                Org(
                    name,
                    c,
                    kind,
                    r.randint(4, 25),
                    round(r.random(), 4),
                    round(commune_factor[c] * r.uniform(0.9, 1.1), 4),
                )
            )
        orgs[c] = lst
        steady = sorted(
            s.school_id
            for s in schools.values()
            if s.commune == c and s.active_to is None and s.active_from == FIRST_YEAR
        )
        org_reporter[c] = steady[-1]
    # Villages ahead earn the community title first, and keep it: one cut per year by quantile.
    scores = sorted(v.factor + v.community_bias for v in villages)
    cuts = tuple(scores[min(len(scores) - 1, int(len(scores) * (1 - share)))] for share in TRENDS["community_share"])
    return World(seed, ref, communes, commune_factor, villages, schools, orgs, org_reporter, cuts)
