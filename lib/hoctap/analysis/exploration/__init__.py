"""Exploring why communes differ (notebook 05): what the notebook calls, and nothing else.

The modules are layered so that the arithmetic can be checked apart from the wording and the
drawing; a module imports only those before it in this list:

- ``statistics``: Wilson intervals, funnel limits, change tests, correlation, gap to target;
  plain numbers, nothing of hoctap.
- ``labels``: the Vietnamese words for those numbers and for the indicators.
- ``comparisons``: communes side by side, year-over-year changes, relationships, coverage
  flags, and the exploration's data (``load``) on the indicator table.
- ``breakdowns``: the indicator recomputed by school level, village or timeliness, and
  registered against awarded households, on the unit tables.
- ``views``, ``figures``, ``reading``: the Vietnamese tables, the matplotlib figures and the
  draft reading, each from the frames above.

Nothing here imports the report layer (``hoctap.report``).
"""

from __future__ import annotations

from hoctap.analysis.exploration.breakdowns import (
    breakdown_by_level,
    breakdown_by_timeliness,
    breakdown_by_village,
    registered_vs_awarded,
)
from hoctap.analysis.exploration.comparisons import (
    Exploration,
    commune_table,
    coverage_flags,
    furthest_behind,
    load,
    partner_indicator,
    rate_of,
    relationship,
    year_changes,
)
from hoctap.analysis.exploration.figures import (
    Chart,
    fig_by_level,
    fig_by_timeliness,
    fig_by_village,
    fig_communes,
    fig_coverage,
    fig_funnel,
    fig_registered,
    fig_relationship,
    fig_trends,
)
from hoctap.analysis.exploration.reading import draft_reading
from hoctap.analysis.exploration.views import (
    describe,
    flags_message,
    table_breakdown,
    table_changes,
    table_communes,
    table_flags,
    table_registered,
    table_relationship,
)

__all__ = [
    "Chart",
    "Exploration",
    "breakdown_by_level",
    "breakdown_by_timeliness",
    "breakdown_by_village",
    "commune_table",
    "coverage_flags",
    "describe",
    "draft_reading",
    "fig_by_level",
    "fig_by_timeliness",
    "fig_by_village",
    "fig_communes",
    "fig_coverage",
    "fig_funnel",
    "fig_registered",
    "fig_relationship",
    "fig_trends",
    "flags_message",
    "furthest_behind",
    "load",
    "partner_indicator",
    "rate_of",
    "registered_vs_awarded",
    "relationship",
    "table_breakdown",
    "table_changes",
    "table_communes",
    "table_flags",
    "table_registered",
    "table_relationship",
    "year_changes",
]
