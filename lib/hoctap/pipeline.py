"""The chain from raw workbooks to reports, through papermill.

Each stage is a notebook (``notebooks/``) run with parameters; the executed copy is kept next to
the report it produced. Stages whose outputs are newer than their inputs are not rerun.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

from hoctap import io, programme
from hoctap.catalog import Catalog
from hoctap.errors import HoctapError, InputError, NotebookError, reported_error_text
from hoctap.paths import NOTEBOOKS_DIR, Workspace
from hoctap.runlog import logged

Progress = Callable[[str], None] | None

CLEAN_NB = "01-clean.ipynb"
INDICATORS_NB = "02-indicators.ipynb"
ANNUAL_NB = "03-annual-report.ipynb"
PERIOD_NB = "04-period-review.ipynb"


def _say(progress: Progress, message: str) -> None:
    if progress:
        progress(message)


def execute_notebook(name: str, output: Path, parameters: dict, progress: Progress = None) -> Path:
    """Run one notebook with papermill into ``output``; a failing cell raises NotebookError."""
    import papermill as pm

    source = NOTEBOOKS_DIR / name
    if not source.is_file():
        raise HoctapError(f"không tìm thấy notebook {source}")
    output.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "Agg")
    t0 = time.perf_counter()
    # papermill saves the notebook as it runs: into the staging folder, renamed when it stops, so a
    # killed run leaves no half-run notebook in reports/ (a failed one is published, to be read)
    tmp = io.temp_path(output, keep_suffix=True)
    try:
        pm.execute_notebook(
            str(source),
            str(tmp),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(NOTEBOOKS_DIR),
            progress_bar=False,
            log_output=False,
            # ipykernel warns on every start that local TCP is unencrypted and logs the interrupt that
            # ends it as an ERROR ("KeyboardInterrupt caught in kernel"); real failures come back as
            # cell errors, which papermill raises.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as exc:
        io.publish(tmp, output)
        raise NotebookError(
            f"notebook {name} dừng ở ô {exc.cell_index}: {reported_error_text(exc.ename, exc.evalue)} (xem {output})",
            notebook=output,
            cell=exc.cell_index,
        ) from exc
    else:
        io.publish(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    _say(progress, f"  {name}: {time.perf_counter() - t0:.1f} giây")
    return output


def _latest_input_mtime(ws: Workspace, year: int) -> float:
    latest = 0.0
    raw = ws.raw(year)
    for root, _dirs, files in os.walk(raw):
        latest = max(latest, os.stat(root).st_mtime)
        for name in files:
            latest = max(latest, os.stat(os.path.join(root, name)).st_mtime)
    for path in ws.reference_dir.glob("*"):
        latest = max(latest, path.stat().st_mtime)
    return latest


def is_stale(ws: Workspace, year: int) -> bool:
    """True when the year's processed tables are missing or older than a raw or reference file."""
    target = Catalog(ws).path("indicators", year=year)
    if not target.is_file():
        return True
    return target.stat().st_mtime < _latest_input_mtime(ws, year)


def _params(ws: Workspace, **extra) -> dict:
    return {"data_dir": str(ws.data_dir), "reports_dir": str(ws.reports_dir), **extra}


def process_year(ws: Workspace, year: int, progress: Progress = None) -> None:
    """Clean and compute indicators for one year through notebooks 01 and 02."""
    if not ws.raw(year).is_dir():
        raise InputError(f"chưa có thư mục dữ liệu {ws.raw(year)}", path=ws.raw(year))
    cat = Catalog(ws)
    _say(progress, f"Năm {year}: làm sạch và tính chỉ tiêu")
    for nb in (CLEAN_NB, INDICATORS_NB):
        execute_notebook(nb, cat.path("year_notebook", year=year, notebook=nb), _params(ws, year=year), progress)


def ensure_processed(ws: Workspace, years, progress: Progress = None) -> list[int]:
    """Bring each year with raw data up to date; return the years that have processed tables."""
    ready = []
    for year in years:
        if ws.raw(year).is_dir() and is_stale(ws, year):
            process_year(ws, year, progress)
        if Catalog(ws).exists("indicators", year=year):
            ready.append(year)
    return ready


def report_annual(
    ws: Workspace, year: int, report_date: dt.date | None = None, progress: Progress = None
) -> dict[str, Path]:
    from hoctap.report.publish import publish_annual as render_outputs

    with logged(ws, "report annual", year=year):
        ensure_processed(ws, [year], progress)
        if not Catalog(ws).exists("indicators", year=year):
            raise InputError(f"năm {year} chưa có số liệu: hãy đặt tệp vào {ws.raw(year)}", path=ws.raw(year))
        _say(progress, f"Năm {year}: lập báo cáo năm")
        from hoctap.report.annual import ensure_narrative

        ensure_narrative(ws, year)
        params = _params(ws, year=year, report_date=report_date.isoformat() if report_date else "")
        target = Catalog(ws).path("year_notebook", year=year, notebook=ANNUAL_NB)
        executed = execute_notebook(ANNUAL_NB, target, params, progress)
        t0 = time.perf_counter()
        files = render_outputs(ws, year, executed, report_date)
        _say(progress, f"  HTML, PDF, Word, Excel: {time.perf_counter() - t0:.1f} giây")
        for path in files.values():
            _say(progress, f"  → {path}")
        return files


def old_communes_date(ws: Workspace) -> dt.date:
    """The day before the latest change of commune_changes.csv: the communes "before the merger"."""
    from hoctap.reference import Reference

    effective = Reference(ws.reference_dir).changes["effective"].dropna()
    if not len(effective):
        raise HoctapError('commune_changes.csv không có thay đổi địa giới nào: không có "xã cũ" để trình bày')
    return max(effective) - dt.timedelta(days=1)


def report_period(
    ws: Workspace,
    kind: str,
    year_from: int,
    year_to: int,
    geography_date: dt.date | None = None,
    old_communes: bool = False,
    report_date: dt.date | None = None,
    progress: Progress = None,
) -> dict[str, Path]:
    from hoctap.analysis.periods import build_period, default_geography_date
    from hoctap.report.publish import publish_period as render_outputs

    if kind not in programme.REVIEWS:
        raise HoctapError(f"loại báo cáo không hợp lệ: {kind}")
    if year_from > year_to:
        raise HoctapError(f"năm bắt đầu {year_from} sau năm kết thúc {year_to}")
    if old_communes:
        geography_date = old_communes_date(ws)
    geography_date = geography_date or default_geography_date(year_to)
    with logged(ws, f"report {kind}", year_from=year_from, year_to=year_to, geography_date=geography_date):
        ready = ensure_processed(ws, range(year_from, year_to + 1), progress)
        if not ready:
            raise InputError(f"chưa có số liệu năm nào trong giai đoạn {year_from}-{year_to}")
        _say(
            progress,
            f"Báo cáo {kind} {year_from}-{year_to} (địa giới ngày {geography_date:%d/%m/%Y})",
        )
        # The period tables first: notebook 04 only reads them.
        build_period(ws, kind, year_from, year_to, geography_date=geography_date)
        from hoctap.report.period_sections import ensure_narrative

        ensure_narrative(ws, kind, year_from, year_to)
        executed = execute_notebook(
            PERIOD_NB,
            Catalog(ws).path(
                "period_notebook",
                kind=kind,
                year_from=year_from,
                year_to=year_to,
                notebook=PERIOD_NB,
            ),
            _params(
                ws,
                kind=kind,
                year_from=year_from,
                year_to=year_to,
                geography_date=geography_date.isoformat(),
                report_date=report_date.isoformat() if report_date else "",
            ),
            progress,
        )
        files = render_outputs(ws, kind, year_from, year_to, executed, report_date)
        for path in files.values():
            _say(progress, f"  → {path}")
        return files


def run_year(ws: Workspace, year: int, progress: Progress = None) -> dict[str, Path]:
    """Clean, indicators and the annual report for one year, always rerunning every stage."""
    with logged(ws, "run", year=year):
        process_year(ws, year, progress)
        return report_annual(ws, year, progress=progress)


def run_all(ws: Workspace, progress: Progress = None) -> None:
    """Every year with raw data, then the 5-year and 10-year reviews that have data."""
    years = ws.raw_years()
    if not years:
        raise InputError(
            f"chưa có dữ liệu trong {ws.raw_root}; chạy `hoctap demo` để tạo dữ liệu mẫu",
            path=ws.raw_root,
        )
    for year in years:
        run_year(ws, year, progress)
    so_ket_from, so_ket_to = programme.REVIEWS[programme.SO_KET]
    if any(so_ket_from <= y <= so_ket_to for y in years):
        report_period(ws, programme.SO_KET, so_ket_from, so_ket_to, progress=progress)
    report_period(ws, programme.TONG_KET, *programme.REVIEWS[programme.TONG_KET], progress=progress)
