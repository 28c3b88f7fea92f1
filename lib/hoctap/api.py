"""The public API of the notebooks: what a notebook may call, in one place.

Notebooks are thin (parameters, calls, tables, charts, prose) and import only from here, so the
modules behind these names can move without touching a notebook, and a reader sees at a glance
what the notebooks depend on.
"""

from hoctap.analysis import exploration
from hoctap.analysis.indicators import build_year
from hoctap.analysis.views import area_view, commune_view, coverage_view
from hoctap.catalog import Catalog
from hoctap.cleaning.clean import clean_year
from hoctap.cleaning.views import intake_view, issues_view, problem_files_view
from hoctap.paths import Workspace
from hoctap.report import annual, period, period_sections
from hoctap.report.notebook import show

__all__ = [
    "Catalog",
    "Workspace",
    "annual",
    "area_view",
    "build_year",
    "clean_year",
    "commune_view",
    "coverage_view",
    "exploration",
    "intake_view",
    "issues_view",
    "period",
    "period_sections",
    "problem_files_view",
    "show",
]
