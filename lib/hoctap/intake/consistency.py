"""Part <= whole and awarded <= registered: the consistency rules of one row or one unit sheet."""

from __future__ import annotations

import re

from hoctap.intake import schema
from hoctap.intake.findings import Finding
from hoctap.intake.schema import PART_WHOLE

_LABELS = {f.name: f.label for s in schema.SHEETS for f in s.fields}


def check_part_whole(values: dict, cells: dict, role: str, sheet_name: str, row: int | None, findings: list) -> None:
    labels = _LABELS
    for part, whole in PART_WHOLE.get(role, ()):
        p, w = values.get(part), values.get(whole)
        if isinstance(p, int) and isinstance(w, int) and p > w:
            addr = cells.get(part, "")
            findings.append(
                Finding(
                    "part_whole",
                    sheet=sheet_name,
                    row=row if row is not None else _addr_row(addr),
                    column=_addr_col(addr),
                    field=part,
                    value=str(p),
                    params={
                        "part": p,
                        "whole": w,
                        "part_label": _lower_first(labels[part]),
                        "whole_label": _lower_first(labels[whole]),
                    },
                )
            )
    if role == "villages":
        p, w = values.get("households_family_title"), values.get("households_registered")
        if isinstance(p, int) and isinstance(w, int) and p > w:
            addr = cells.get("households_family_title", "")
            findings.append(
                Finding(
                    "awarded_unregistered",
                    sheet=sheet_name,
                    row=row,
                    column=_addr_col(addr),
                    field="households_family_title",
                    value=str(p),
                    params={"part": p, "whole": w},
                )
            )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _addr_row(addr: str) -> int | None:
    m = re.search(r"(\d+)$", addr)
    return int(m.group(1)) if m else None


def _addr_col(addr: str) -> str:
    m = re.search(r"([A-Z]+)\d+$", addr)
    return m.group(1) if m else ""
