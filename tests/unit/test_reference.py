"""Commune names resolve by date through the validity dates and the change table."""

from __future__ import annotations

import datetime as dt

import pytest

from hoctap.paths import SHIPPED_REFERENCE_DIR
from hoctap.reference import Reference, on_time

REF = Reference(SHIPPED_REFERENCE_DIR)


@pytest.mark.parametrize(
    ("name", "date", "code", "via_change"),
    [
        ("Phú Túc", "2024-12-01", "TT-PHUTUC", False),  # the town before the merger
        ("Phú Túc", "2025-12-01", "XM-PHUTUC", False),  # the new commune after it
        ("xã Phú Cần", "2025-12-01", "XM-PHUTUC", True),  # old name, mapped through the change
        ("IaRsươm", "2023-05-01", "X-IARSUOM", False),
        ("Ia R'sươm", "2024-12-01", "X-IARSUOM", False),
        ("ia rsuom", "2025-12-01", "XM-UAR", True),
        ("Uar", "2024-12-01", "X-UAR", False),
        ("Uar", "2025-12-01", "XM-UAR", False),
        ("Ia Rsai", "2023-08-01", "X-IARSAI", False),
        ("Ia Rsai", "2025-08-01", "XM-IARSAI", False),
    ],
)
def test_resolve_commune(name, date, code, via_change):
    match = REF.resolve_commune(name, dt.date.fromisoformat(date))
    assert (match.code, match.via_change) == (code, via_change)


def test_unknown_commune_has_candidates():
    assert REF.resolve_commune("Hà Nội", dt.date(2024, 1, 1)).code is None
    assert "xã Ia Rsươm" in REF.commune_candidates("Ia Rsuonm")


def test_every_old_commune_has_one_successor():
    old = [c for c in REF.communes["code"] if not c.startswith("XM-")]
    assert len(old) == 14
    for code in old:
        succ = REF.successors(code, dt.date(2026, 1, 1))
        assert len(succ) == 1 and abs(sum(succ.values()) - 1) < 1e-9


def test_registry_is_about_sixty_schools_over_all_communes():
    schools = REF.schools
    assert 55 <= len(schools) <= 65
    assert set(schools["commune_code"]) == {c for c in REF.communes["code"] if not c.startswith("XM-")}
    assert len(REF.schools_active(2021)) == len(schools) - 1  # KP053 opens in 2024
    assert "KP017" not in set(REF.schools_active(2024)["school_id"])


def test_school_found_under_new_commune_after_merger():
    assert REF.find_school("", "MN Hoa Sen", "XM-PHUTUC", dt.date(2025, 12, 1)) == ["KP001"]
    assert REF.find_school("", "Trường Mầm non Hoa Sen", "X-UAR", dt.date(2024, 12, 1)) == []


def test_deadline_follows_the_seed():
    settings = REF.settings
    assert on_time(settings, 2024, dt.date(2024, 12, 9))
    assert not on_time(settings, 2024, dt.date(2024, 12, 11))
    # The seed's "trước ngày 10/12": the 10th itself is late unless the settings say otherwise.
    assert not on_time(settings, 2024, dt.date(2024, 12, 10))
    assert on_time({"reporting": {"deadline_inclusive": True}}, 2024, dt.date(2024, 12, 10))


def test_every_target_has_a_source_line():
    targets = REF.targets
    assert len(targets) == 17
    assert targets["source"].str.contains("mục I.2").all()
    assert set(targets["indicator"]) == {
        "family_title_rate",
        "clan_title_rate",
        "community_title_rate",
        "school_unit_title_rate",
        "unit_title_rate",
        "worker_citizen_rate",
        "school_staff_citizen_rate",
        "unit_staff_citizen_rate",
        "member_policy_rate",
        "cadre_clc_it_rate",
    }
