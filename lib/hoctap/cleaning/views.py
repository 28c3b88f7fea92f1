"""The ledgers in Vietnamese for the analyst reading notebook 01."""

from __future__ import annotations

import pandas as pd


def intake_view(intake: pd.DataFrame) -> pd.DataFrame:
    """Files by status, in Vietnamese, for the analyst reading the executed notebook."""
    from hoctap.vocabulary import INTAKE_WORDS_FOR_SCHOOLS as STATUS_VI

    counts = intake["status"].value_counts()
    order = [s for s in ("accepted", "superseded", "rejected", "ignored") if s in counts] + [
        s for s in counts.index if s not in STATUS_VI
    ]
    return pd.DataFrame(
        {
            "Tình trạng": [STATUS_VI.get(s, s) for s in order],
            "Số tệp": [int(counts[s]) for s in order],
        }
    )


def problem_files_view(intake: pd.DataFrame) -> pd.DataFrame:
    """Every file not used as it is, with the reason, so the analyst knows whom to call."""
    from hoctap.vocabulary import INTAKE_WORDS_FOR_SCHOOLS as STATUS_VI

    bad = intake[intake["status"] != "accepted"].sort_values(["status", "path"], kind="stable")
    return pd.DataFrame(
        {
            "Tệp": bad["path"].to_numpy(),
            "Tình trạng": bad["status"].map(lambda s: STATUS_VI.get(s, s)).to_numpy(),
            "Lý do": bad["reason"].fillna("").to_numpy(),
        }
    )


def issues_view(issues: pd.DataFrame) -> pd.DataFrame:
    """Problems counted by severity and rule, with the rule's wording, most serious first."""
    from hoctap.vocabulary import SEVERITY_WORDS_FOR_SCHOOLS as SEVERITY_VI

    if not len(issues):
        return pd.DataFrame(columns=["Mức độ", "Mã", "Số lần", "Số tệp"])
    order = {"error": 0, "warning": 1, "info": 2}
    g = (
        issues.groupby(["severity", "code"], sort=False)
        .agg(n=("code", "size"), files=("path", "nunique"))
        .reset_index()
    )
    g = g.assign(_o=g["severity"].map(order)).sort_values(["_o", "n"], ascending=[True, False], kind="stable")
    return pd.DataFrame(
        {
            "Mức độ": g["severity"].map(lambda s: SEVERITY_VI.get(s, s)).to_numpy(),
            "Mã": g["code"].to_numpy(),
            "Số lần": g["n"].to_numpy(),
            "Số tệp": g["files"].to_numpy(),
        }
    )
