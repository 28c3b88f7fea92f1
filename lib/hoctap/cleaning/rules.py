"""Validation rules as data (resources/rules.csv): an analyst can read and reword every message.

Code decides *when* a rule fires; the CSV decides its severity, scope and Vietnamese message.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from hoctap.paths import RESOURCES_DIR

SEVERITIES = ("error", "warning", "info")
SCOPES = ("cell", "row", "file")


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    scope: str
    fields: tuple[str, ...]
    message: str


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@lru_cache(maxsize=1)
def load_rules() -> dict[str, Rule]:
    """The rules table, checked once: an unknown severity or scope is a programming error."""
    rules: dict[str, Rule] = {}
    with (RESOURCES_DIR / "rules.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rule = Rule(
                code=row["code"].strip(),
                severity=row["severity"].strip(),
                scope=row["scope"].strip(),
                fields=tuple(f for f in row["fields"].split("|") if f),
                message=row["message"],
            )
            if rule.severity not in SEVERITIES or rule.scope not in SCOPES:
                raise ValueError(f"rules.csv: bad severity/scope for {rule.code}")
            rules[rule.code] = rule
    return rules


def rule(code: str) -> Rule:
    return load_rules()[code]


def severity(code: str) -> str:
    return load_rules()[code].severity


def message(code: str, **params: object) -> str:
    """The Vietnamese message of a rule; placeholders not given are left empty."""
    text = load_rules()[code].message.format_map(_Blank({k: "" if v is None else v for k, v in params.items()}))
    return text.replace("Ô : ", "").replace("Ô :", "")
