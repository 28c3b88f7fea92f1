"""The pipeline as data: what each stage reads, runs and writes, and the stamps that say whether
its products are up to date.

A stage (clean a year, indicators of a year, an annual report, a period's tables, a review)
declares its input files (raw workbooks by relative path, reference data, rules, processed
tables of other stages), its code (the notebook and every module its calls import, found by
reading the source), its parameters and its products (catalog datasets). When it succeeds, a
stamp (catalog ``stamp``) records the content hash of each of them, the hoctap release and the
libraries' versions. A stage is stale when a product is missing or no longer the one it wrote,
or when any of those hashes differs. Content, never modification times: ``touch`` rebuilds
nothing, an edited ``rules.csv`` reruns every year's cleaning.

Dates that default to today are stamped as what they select, not as the day: an issue date not
given explicitly is stamped as the issuer settings valid today, a review's geography date that
is today as the last commune change in force. A report built yesterday without ``--date`` is not
stale because the calendar moved; it keeps the day it was built (``--date`` or ``--force`` re-dates
it).

Only core modules are imported: the plan is data; ``hoctap.pipeline`` runs it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hoctap import hashing, io, programme
from hoctap.catalog import PRODUCTS, Catalog
from hoctap.paths import NOTEBOOKS_DIR, RESOURCES_DIR, Workspace

CLEAN_NB = "01-clean.ipynb"
INDICATORS_NB = "02-indicators.ipynb"
ANNUAL_NB = "03-annual-report.ipynb"
PERIOD_NB = "04-period-review.ipynb"

RULES = RESOURCES_DIR / "rules.csv"
CSS = RESOURCES_DIR / "report.css"
YEAR_TABLES = ("schools", "villages", "orgs", "completeness")  # what indicators read of a year
CLEAN_TABLES = ("intake", "issues", "schools", "villages", "orgs", "completeness", "removed")
LEDGERS = ("intake", "issues", "completeness")
# cleaning.history compares a year with up to 3 previous years' used villages and schools
HISTORY_YEARS = 3
HISTORY_TABLES = ("villages", "schools")


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline; ``key`` names its stamp, ``action`` the runner in ``pipeline``."""

    key: str
    action: str
    label: str
    params: dict = field(default_factory=dict)
    inputs: tuple[Path, ...] = ()  # single files; an absent one is stamped as absent
    trees: tuple[Path, ...] = ()  # folders: every file below, by relative path
    code: tuple[str, ...] = ()  # modules (or packages) run besides the notebook's calls
    notebook: str | None = None
    products: tuple[Path, ...] = ()
    families: tuple[Path, ...] = ()  # folders of products whose files are recorded when built
    values: dict = field(default_factory=dict)  # other facts stamped (dates as they select)

    def reads(self) -> set[Path]:
        return set(self.inputs)

    def writes(self) -> set[Path]:
        return set(self.products)


@dataclass
class State:
    """A stage checked against its stamp: ``reasons`` is empty when it is up to date."""

    stage: Stage
    fingerprint: dict[str, str]
    reasons: list[str]
    stamp: dict | None

    @property
    def up_to_date(self) -> bool:
        return not self.reasons

    @property
    def failure(self) -> str | None:
        return (self.stamp or {}).get("failure")


# ---- the stages ---------------------------------------------------------------------------------


def _reference_files(ws: Workspace) -> tuple[Path, ...]:
    """What ``Reference`` reads: the CSV tables and settings.toml (not the README)."""
    folder = ws.reference_dir
    found = sorted(p for p in folder.glob("*.csv") if p.is_file()) if folder.is_dir() else []
    return (*found, folder / "settings.toml")


def _year_paths(cat: Catalog, names, years) -> tuple[Path, ...]:
    return tuple(cat.path(n, year=y) for y in years for n in names)


def clean_stage(ws: Workspace, year: int) -> Stage:
    cat = Catalog(ws)
    history = range(year - HISTORY_YEARS, year)
    return Stage(
        key=f"clean-{year}",
        action="clean",
        label=f"Làm sạch năm {year}",
        params={"year": year},
        inputs=(*_reference_files(ws), RULES, *_year_paths(cat, HISTORY_TABLES, history)),
        trees=(ws.raw(year),),
        notebook=CLEAN_NB,
        products=(
            *(cat.path(n, year=year) for n in CLEAN_TABLES),
            cat.path("year_notebook", year=year, notebook=CLEAN_NB),
        ),
        families=(cat.path("feedback", year=year, school_id="_").parent,),
    )


def indicators_stage(ws: Workspace, year: int) -> Stage:
    """The year's tables and every earlier year's: the baseline of the straight-line status."""
    cat = Catalog(ws)
    return Stage(
        key=f"indicators-{year}",
        action="indicators",
        label=f"Tính chỉ tiêu năm {year}",
        params={"year": year},
        inputs=(*_reference_files(ws), *_year_paths(cat, YEAR_TABLES, range(programme.START_YEAR, year + 1))),
        notebook=INDICATORS_NB,
        products=(
            cat.path("indicators", year=year),
            cat.path("year_notebook", year=year, notebook=INDICATORS_NB),
        ),
    )


def _issue_values(ws: Workspace, report_date: dt.date | None) -> dict:
    if report_date is not None:
        return {"issue_date": report_date.isoformat()}
    return {"issue_date": "", "issuer_today": _settings_today(ws)}


def annual_stage(ws: Workspace, year: int, report_date: dt.date | None = None) -> Stage:
    cat = Catalog(ws)
    return Stage(
        key=f"annual-{year}",
        action="annual",
        label=f"Báo cáo năm {year}",
        params={"year": year, "report_date": report_date.isoformat() if report_date else ""},
        inputs=(
            *_reference_files(ws),
            cat.path("indicators", year=year),
            cat.path("indicators", year=year - 1),
            *_year_paths(cat, CLEAN_TABLES, [year]),
            cat.path("annual_narrative", year=year),
            CSS,
        ),
        code=("hoctap.report.publish", "hoctap.report.annual"),
        notebook=ANNUAL_NB,
        products=(
            *(cat.path(name, year=year) for name in PRODUCTS["annual"].values()),
            cat.path("year_notebook", year=year, notebook=ANNUAL_NB),
        ),
        values=_issue_values(ws, report_date),
    )


def _period_keys(kind: str, year_from: int, year_to: int) -> dict:
    return {"kind": kind, "year_from": year_from, "year_to": year_to}


def _geography_value(ws: Workspace, geography_date: dt.date, explicit: bool) -> str:
    """The date, unless it is today's default: then the last commune change in force today."""
    if explicit or geography_date != dt.date.today():
        return geography_date.isoformat()
    return f"hôm nay, địa giới từ {_geography_epoch(ws, geography_date)}"


def period_stages(
    ws: Workspace,
    kind: str,
    year_from: int,
    year_to: int,
    geography_date: dt.date,
    geography_explicit: bool = False,
    report_date: dt.date | None = None,
) -> list[Stage]:
    """The period tables (analysis) and the review (notebook 04) of one period."""
    cat, keys = Catalog(ws), _period_keys(kind, year_from, year_to)
    name = f"{kind}-{year_from}-{year_to}"
    label = f"{programme.REVIEW_LABELS.get(kind, kind)} {year_from}-{year_to}"
    geography = _geography_value(ws, geography_date, geography_explicit)
    tables = tuple(cat.path(n, **keys) for n in ("period_indicators", "period_summary", "period_candidates"))
    tables += (cat.path("period_notes", **keys),)
    params = {**keys, "geography_date": geography_date.isoformat()}
    first = min(programme.START_YEAR, year_from)
    period_tables = Stage(
        key=f"period-{name}",
        action="period",
        label=f"Bảng số liệu {label}",
        params=params,
        inputs=(*_reference_files(ws), *_year_paths(cat, YEAR_TABLES, range(first, year_to + 1))),
        code=("hoctap.analysis.periods",),
        products=tables,
        values={"geography": geography},
    )
    review = Stage(
        key=f"review-{name}",
        action="review",
        label=f"Báo cáo {label}",
        params={**params, "report_date": report_date.isoformat() if report_date else ""},
        inputs=(
            *_reference_files(ws),
            *tables,
            *_year_paths(cat, LEDGERS, range(year_from, year_to + 1)),
            cat.path("period_narrative", **keys),
            CSS,
        ),
        code=("hoctap.report.publish", "hoctap.report.period_sections"),
        notebook=PERIOD_NB,
        products=(
            *(cat.path(n, **keys) for n in PRODUCTS["period"].values()),
            cat.path("period_notebook", **keys, notebook=PERIOD_NB),
        ),
        values={"geography": geography, **_issue_values(ws, report_date)},
    )
    return [period_tables, review]


def needs(stages: list[Stage]) -> dict[str, set[str]]:
    """Each stage's key -> the keys of the stages (in ``stages``) writing what it reads."""
    writer = {p: s.key for s in stages for p in s.writes()}
    return {s.key: {writer[p] for p in s.reads() if p in writer and writer[p] != s.key} for s in stages}


def ordered(stages: list[Stage]) -> list[Stage]:
    """The stages in an order where each runs after those writing what it reads (stable)."""
    needs_of = needs(stages)
    out: list[Stage] = []
    done: set[str] = set()
    pending = list(stages)
    while pending:
        ready = next((s for s in pending if needs_of[s.key] <= done), None)
        if ready is None:
            raise ValueError("stages read each other's products in a cycle: " + ", ".join(s.key for s in pending))
        out.append(ready)
        done.add(ready.key)
        pending.remove(ready)
    return out


def _roots(ws: Workspace) -> tuple[tuple[str, str], ...]:
    return tuple((name, os.path.abspath(root)) for name, root in _bases(ws).items())


def _key(ws: Workspace, path: Path, roots: tuple[tuple[str, str], ...] | None = None) -> str:
    """A path as the stamp names it: relative to its root, so a copied workspace keeps its stamps.

    By string prefix on POSIX (a year's stamp names tens of thousands of files; pathlib's parents
    cost more than hashing them from the cache), by pathlib's rules elsewhere."""
    roots = roots or _roots(ws)
    if os.name != "posix":
        return _key_pathlib(path, roots)
    text = os.path.abspath(path)
    best = None
    for name, root in roots:
        if text == root or text.startswith(root if root.endswith("/") else root + "/"):
            if best is None or len(Path(root).parts) > len(Path(best[1]).parts):
                best = (name, root)
    if best is None:
        return f"file:{text}"
    rel = text[len(best[1]) :].lstrip("/") or "."
    return f"{best[0]}:{rel}"


def _key_pathlib(path: Path, roots: tuple[tuple[str, str], ...]) -> str:
    path = Path(os.path.abspath(path))
    best = None
    for name, root in roots:
        root = Path(root)
        if path == root or root in path.parents:
            if best is None or len(root.parts) > len(best[1].parts):
                best = (name, root)
    if best is None:
        return f"file:{path.as_posix()}"
    return f"{best[0]}:{path.relative_to(best[1]).as_posix()}"


def _bases(ws: Workspace) -> dict[str, Path]:
    return {"data": ws.data_dir, "reports": ws.reports_dir, "notebook": NOTEBOOKS_DIR, "code": hashing.LIB_DIR}


def _path(ws: Workspace, key: str) -> Path | None:
    kind, _, rel = key.partition(":")
    root = _bases(ws).get(kind)
    if root is not None:
        return root / rel
    return Path(rel) if kind == "file" else None


# the module that runs every stage's action (the parameters a notebook gets, what is published):
# hashed for every stage, not followed (what it imports for one kind of stage is that stage's)
RUNNER = "hoctap.pipeline"


def stage_code(stage: Stage) -> tuple[str, ...]:
    roots = list(stage.code)
    if stage.notebook:
        roots += [hashing.API_MODULE, *hashing.notebook_modules(stage.notebook)]
    return tuple(sorted({*hashing.code_closure(tuple(sorted(set(roots)))), RUNNER}))


# ---- dates as they select -----------------------------------------------------------------------


_REFERENCES: dict[tuple, object] = {}


def _reference(ws: Workspace):
    """The workspace's reference data, loaded once per content in this process."""
    from hoctap.reference import Reference

    key = (str(ws.reference_dir), tuple(hashing.file_digest(p) for p in _reference_files(ws)))
    if key not in _REFERENCES:
        _REFERENCES[key] = Reference(ws.reference_dir)
    return _REFERENCES[key]


def _settings_today(ws: Workspace) -> str:
    """A digest of the issuer settings valid today (what an issue date left to default selects)."""
    from hoctap.reference import settings_on

    try:
        settings = settings_on(_reference(ws).settings, dt.date.today())
    except Exception as exc:  # no issuer today: the report fails, and says why, when built
        return f"lỗi: {type(exc).__name__}"
    text = json.dumps(settings, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _geography_epoch(ws: Workspace, on: dt.date) -> str:
    """The last date up to ``on`` at which a commune began, ended or changed: the geography's age."""
    try:
        ref = _reference(ws)
    except Exception:  # unreadable reference data: the stage fails, and says why, when built
        return "?"
    dates = [*ref.changes["effective"].dropna(), *ref.communes["valid_from_date"].dropna()]
    dates += [d + dt.timedelta(days=1) for d in ref.communes["valid_to_date"].dropna()]
    past = [d for d in dates if d <= on]
    return max(past).isoformat() if past else "đầu kỳ"


# ---- stamps -------------------------------------------------------------------------------------


def digests(ws: Workspace) -> hashing.DigestCache:
    """The workspace's digest cache (processed/.stamps/digests.json): a status check of a year of
    45,000 workbooks hashes only the files changed since the last check."""
    return hashing.digest_cache(ws.processed_root / ".stamps" / "digests.json")


def fingerprint(ws: Workspace, stage: Stage) -> dict[str, str]:
    """The content hash of every input, module and fact of the stage, by stamp key."""
    out: dict[str, str] = {}
    cache, roots = digests(ws), _roots(ws)
    for folder in stage.trees:
        for path, digest in hashing.tree(folder, cache).items():
            out[_key(ws, path, roots)] = digest
    for path in stage.inputs:
        out[_key(ws, path, roots)] = hashing.file_digest(path, cache) or "absent"
    if stage.notebook:
        nb = NOTEBOOKS_DIR / stage.notebook
        out[_key(ws, nb, roots)] = hashing.file_digest(nb, cache) or "absent"
    for module in stage_code(stage):
        path = hashing.modules()[module]
        out[_key(ws, path, roots)] = hashing.file_digest(path, cache) or "absent"
    for name, version in hashing.environment().items():
        out[f"env:{name}"] = version
    for name, value in stage.values.items():  # the key holds the year or period; dates as they select
        out[f"value:{name}"] = str(value)
    return out


def product_digests(ws: Workspace, stage: Stage) -> dict[str, str]:
    cache, roots = digests(ws), _roots(ws)
    out = {_key(ws, p, roots): hashing.file_digest(p, cache) or "absent" for p in stage.products}
    for folder in stage.families:
        out.update({_key(ws, p, roots): d for p, d in hashing.tree(folder, cache).items()})
    return out


def read_stamp(ws: Workspace, stage: Stage) -> dict | None:
    path = Catalog(ws).path("stamp", stage=stage.key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_stamp(ws: Workspace, stage: Stage, inputs: dict[str, str], seconds: float) -> Path:
    """After the stage succeeded: its inputs as they were when it started, its products now."""
    from hoctap.version import version

    stamp = {
        "stage": stage.key,
        "label": stage.label,
        "built": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "version": version(),
        "seconds": round(seconds, 3),
        "inputs": inputs,
        "products": product_digests(ws, stage),
        "failure": None,
    }
    path = Catalog(ws).path("stamp", stage=stage.key)
    io.write_text(path, json.dumps(stamp, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    digests(ws).save()
    return path


def record_failure(ws: Workspace, stage: Stage, reason: str) -> Path:
    """Keep the last success's record (its products are still those) and add the failure."""
    stamp = read_stamp(ws, stage) or {"stage": stage.key, "label": stage.label, "inputs": {}, "products": {}}
    when = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    stamp["failure"] = f"{when}: {reason}"
    path = Catalog(ws).path("stamp", stage=stage.key)
    io.write_text(path, json.dumps(stamp, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path


# ---- staleness ----------------------------------------------------------------------------------

_VALUE_WORDS = {"issue_date": "ngày ký", "geography": "địa giới"}
_KINDS = ("data", "reports", "notebook", "code", "env", "value")


def _reason_order(key: str) -> tuple:
    kind = key.partition(":")[0]
    return (_KINDS.index(kind) if kind in _KINDS else len(_KINDS), key)


def show(ws: Workspace, key: str) -> str:
    """A stamp key as the analyst reads it: raw/2025/x.xlsx, reports/2025/..., hoctap/fmt.py."""
    kind, _, rel = key.partition(":")
    if kind == "reports":
        return f"{ws.reports_dir.name}/{rel}"
    return rel


def _input_reason(ws: Workspace, key: str, old: str | None, new: str | None) -> str:
    kind, _, rel = key.partition(":")
    name = show(ws, key)
    if key == "value:issuer_today":
        return "cơ quan ban hành có hiệu lực hôm nay đã thay đổi (settings.toml)"
    if kind == "value":
        word = _VALUE_WORDS.get(rel, rel)
        return f"{word} thay đổi ({old or 'mặc định'} → {new or 'mặc định'})"
    if kind == "env":
        return f"phiên bản {rel} thay đổi ({old or 'không có'} → {new or 'không có'})"
    if kind == "notebook":
        return f"notebook {name} đã thay đổi"
    if old in (None, "absent"):
        return f"có tệp mới {name}"
    if new in (None, "absent"):
        return f"tệp {name} đã bị xóa"
    return f"tệp {name} đã thay đổi"


def _reasons(ws: Workspace, stage: Stage, fp: dict[str, str], stamp: dict | None) -> list[str]:
    missing = [p for p in stage.products if not p.is_file()]
    recorded = (stamp or {}).get("products") or {}
    seen = set(missing)
    cache, current = digests(ws), {}  # each recorded product's digest now, by key
    for key in recorded:
        path = _path(ws, key)
        digest = hashing.file_digest(path, cache) if path is not None else None
        if digest is not None:
            current[key] = digest
            continue
        if path is not None and path not in seen and not path.is_file():
            missing.append(path)
            seen.add(path)
    out = []
    if missing:
        roots = _roots(ws)
        names = [show(ws, _key(ws, p, roots)) for p in missing]
        if len(missing) >= len(stage.products):
            out.append(f"chưa có sản phẩm ({len(names)} tệp, như {names[0]})")
        else:
            more = f" và {len(names) - 2} tệp khác" if len(names) > 2 else ""
            out.append(f"chưa có sản phẩm {', '.join(names[:2])}{more}")
    if not stamp or not stamp.get("inputs"):
        return out or ["chưa có bản ghi lần lập trước (có sẵn sản phẩm nhưng không rõ lập từ dữ liệu nào)"]
    for key, digest in recorded.items():
        now = current.get(key)  # None: absent, or not a file
        if now is not None and now != digest:
            out.append(f"sản phẩm {show(ws, key)} đã bị sửa sau lần lập trước")
    old = stamp["inputs"]
    code: list[str] = []
    # a declared input absent then and now is no change, whether or not the old stamp listed it
    changed = sorted((k for k in set(old) | set(fp) if old.get(k, "absent") != fp.get(k, "absent")), key=_reason_order)
    for key in changed:
        if key == "value:issuer_today" and "value:issue_date" in changed:
            continue  # a date given (or no longer given) says it all
        if key.startswith("code:") and key.endswith(".py"):
            code.append(key.partition(":")[2])
        else:
            out.append(_input_reason(ws, key, old.get(key), fp.get(key)))
    if code:
        more = f" và {len(code) - 3} tệp khác" if len(code) > 3 else ""
        out.append(f"mã nguồn thay đổi ({', '.join(code[:3])}{more})")
    return out


def check(ws: Workspace, stage: Stage) -> State:
    fp = fingerprint(ws, stage)
    stamp = read_stamp(ws, stage)
    state = State(stage, fp, _reasons(ws, stage, fp, stamp), stamp)
    digests(ws).save()
    return state


# ---- a failing stage leaves its previous products whole --------------------------------------


class Guard:
    """Links to a stage's products taken before it runs; put back if it fails.

    Every writer replaces a file by renaming a new one over it, so a hard link keeps the old bytes.
    """

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.saved: dict[Path, Path] = {}
        self.before: set[Path] = set()

    def _files(self) -> set[Path]:
        files = {p for p in self.stage.products if p.is_file() and not p.is_symlink()}
        for folder in self.stage.families:
            files |= {p for p, d in hashing.tree(folder).items() if not d.startswith("link:")}
        return files

    def __enter__(self) -> Guard:
        self.before = self._files()
        for path in self.before:
            tmp = io.temp_path(path, keep_suffix=True)
            tmp.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, tmp)
            except OSError:
                import shutil

                shutil.copy2(path, tmp)
            self.saved[path] = tmp
        return self

    def restore(self) -> None:
        """The products as they were: new ones removed, replaced ones put back."""
        for path in self._files() - self.before:
            path.unlink(missing_ok=True)
        for path, tmp in self.saved.items():
            if os.path.isdir(path):
                continue  # something not ours stands there now: leave it
            io.publish(tmp, path)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None:
                self.restore()
        finally:
            for tmp in self.saved.values():
                tmp.unlink(missing_ok=True)


# ---- what ``hoctap status`` prints ---------------------------------------------------------------


def status_lines(ws: Workspace, states: list[State], products: bool = False, limit: int = 3) -> list[str]:
    """One line per stage (up to date, or why not), then a total; ``products``: each product too."""
    lines = []
    for st in states:
        if st.up_to_date:
            lines.append(f"[đã cập nhật] {st.stage.label}")
        else:
            shown = st.reasons[:limit]
            more = f" (và {len(st.reasons) - limit} lý do khác)" if len(st.reasons) > limit else ""
            lines.append(f"[cần lập lại] {st.stage.label}: {'; '.join(shown)}{more}")
        if st.failure:
            lines.append(f"    lần chạy trước bị lỗi: {st.failure}")
        if products:
            keys = list(product_digests(ws, st.stage))
            for key in keys:
                path = _path(ws, key)
                there = "có" if path is not None and path.is_file() else "chưa có"
                lines.append(f"    {show(ws, key)} ({there})")
    stale = sum(not s.up_to_date for s in states)
    lines.append(f"Tổng: {len(states)} bước, {len(states) - stale} đã cập nhật, {stale} cần lập lại.")
    return lines


__all__ = [
    "Stage",
    "State",
    "Guard",
    "annual_stage",
    "check",
    "clean_stage",
    "fingerprint",
    "indicators_stage",
    "ordered",
    "period_stages",
    "record_failure",
    "status_lines",
    "write_stamp",
]
