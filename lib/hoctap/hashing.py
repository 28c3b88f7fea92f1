"""Content hashes: of files (cached in the process and, like git's index, in a file of the
workspace keyed on each file's stat), of folders by relative path, of the package's own code (a
stage's code is every module its entry points import, read from the source text) and of
the environment (the hoctap release, the libraries' versions).

Core: imports nothing of the package but ``paths`` and ``io`` (and ``hoctap.api`` is only read).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import platform
import re
import stat
import time
from pathlib import Path

from hoctap import io
from hoctap.paths import NOTEBOOKS_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
LIB_DIR = PACKAGE_DIR.parent
# the module that only re-exports (the notebooks' API) is hashed, not followed
API_MODULE = "hoctap.api"


# ---- files --------------------------------------------------------------------------------------

# A digest is served from a cache only for a file whose stat (size, inode, device, mtime, ctime) is
# the one recorded when it was hashed, and whose last change (mtime or ctime) came at least this
# long before the hashing started. A file rewritten within the same tick of the file system's
# clock as the hashing keeps its stat; this margin covers coarse clocks (FAT: 2 s) and makes such
# a "racily clean" entry be hashed again, as git does with the entries no older than its index.
RACY_NS = 2_000_000_000
CACHE_VERSION = 1

Signature = tuple[int, int, int, int, int]
Entry = tuple[Signature, int, str]  # (stat signature, time the hashing started, sha256)


def _signature(st: os.stat_result) -> Signature:
    return (st.st_size, st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns)


def _trusted(entry: Entry | None, sig: Signature) -> bool:
    return entry is not None and entry[0] == sig and max(sig[3], sig[4]) + RACY_NS <= entry[1]


class DigestCache:
    """Digests of files kept in one JSON file between runs (``save``, atomically), by folder and
    name; a missing, unreadable or foreign file is an empty cache, and a wrong entry can only cost
    a hash: an entry is used only when ``_trusted``."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None  # None: this process's, never saved
        self.dirs: dict[str, dict[str, Entry]] = {}
        self.dirty = False
        self._seen: dict[str, set[str]] = {}  # folders listed whole by ``tree``: the names there
        self._stat: tuple | None = None
        self.load()

    def _file_stat(self) -> tuple | None:
        if self.path is None:
            return None
        try:
            return _signature(os.stat(self.path))
        except OSError:
            return None

    def load(self) -> None:
        """The file's entries merged into these (the later hashing wins); never raises."""
        self._stat = self._file_stat()
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_bytes())
            if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
                return
            for folder, names in data["dirs"].items():
                mine = self.dirs.setdefault(folder, {})
                for name, (size, ino, dev, mtime, ctime, hashed, digest) in names.items():
                    if not (isinstance(digest, str) and len(digest) == 64):
                        continue
                    entry = ((int(size), int(ino), int(dev), int(mtime), int(ctime)), int(hashed), digest)
                    if name not in mine or mine[name][1] < entry[1]:
                        mine[name] = entry
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return

    def put(self, folder: str, name: str, entry: Entry) -> None:
        self.dirs.setdefault(folder, {})[name] = entry
        self.dirty = True

    def listed(self, folder: str, names: set[str]) -> None:
        """``folder`` holds exactly ``names`` now: the entries of other names are dropped on save."""
        self._seen[folder] = names

    def save(self) -> None:
        """Write the entries if any changed (merged with a cache another process wrote since);
        a cache that cannot be written is simply not kept."""
        for folder, names in self._seen.items():
            entries = self.dirs.get(folder, {})
            for gone in [n for n in entries if n not in names]:
                del entries[gone]
                self.dirty = True
        self._seen = {}
        if not self.dirty or self.path is None:
            return
        if self._file_stat() != self._stat:
            self.load()
        data = {
            "version": CACHE_VERSION,
            "dirs": {
                f: {n: [*e[0], e[1], e[2]] for n, e in sorted(v.items())} for f, v in sorted(self.dirs.items()) if v
            },
        }
        try:
            io.write_text(self.path, json.dumps(data, separators=(",", ":")))
        except Exception:  # noqa: BLE001 (a read-only workspace, a full disk: the cache is only a cache)
            return
        self.dirty = False
        self._stat = self._file_stat()


_MEMO = DigestCache()  # this process's entries
_CACHES: dict[str, DigestCache] = {}


def digest_cache(path: str | Path) -> DigestCache:
    """The persistent cache stored at ``path``, read once per process (and again when another
    process has rewritten it)."""
    key = os.path.abspath(path)
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = DigestCache(key)
    elif cache._file_stat() != cache._stat:
        cache.load()
    return cache


def forget() -> None:
    """Drop this process's digests and caches (the next hash of every file reads it again)."""
    _MEMO.dirs = {}
    _CACHES.clear()


def _digest(folder: str, name: str, st: os.stat_result, cache: DigestCache | None) -> str:
    sig = _signature(st)
    entry = _MEMO.dirs.get(folder, {}).get(name)
    if not _trusted(entry, sig) and cache is not None:
        entry = cache.dirs.get(folder, {}).get(name)
        if _trusted(entry, sig):
            _MEMO.put(folder, name, entry)
    if not _trusted(entry, sig):
        started = time.time_ns()
        with open(os.path.join(folder, name), "rb") as fh:
            now = os.fstat(fh.fileno())
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        # the stat of what was opened (a file replaced since ``st`` gets the new file's stat)
        entry = (_signature(now), started, digest)
        _MEMO.put(folder, name, entry)
    if cache is not None and cache.dirs.get(folder, {}).get(name) != entry:
        cache.put(folder, name, entry)
    return entry[2]


def file_digest(path: Path, cache: DigestCache | None = None) -> str | None:
    """sha256 of the file's bytes, None when absent or not a regular file; served from this
    process's entries or ``cache`` when the file's stat is the one recorded and not racy."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    folder, name = os.path.split(os.path.abspath(path))
    try:
        return _digest(folder, name, st, cache)
    except FileNotFoundError:  # removed since its stat
        return None


def tree(folder: Path, cache: DigestCache | None = None) -> dict[Path, str]:
    """Every entry below ``folder`` without following links: files by content, links by target."""
    out: dict[Path, str] = {}
    if not folder.is_dir():
        return out
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        here = os.path.abspath(root)
        if cache is not None:
            cache.listed(here, set(files))
        for name in sorted([*files, *(d for d in dirs if os.path.islink(os.path.join(root, d)))]):
            path = Path(root, name)
            full = os.path.join(root, name)
            try:
                st = os.lstat(full)
            except OSError:
                out[path] = "absent"
                continue
            if stat.S_ISLNK(st.st_mode):
                out[path] = "link:" + os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                try:
                    out[path] = _digest(here, name, st, cache)
                except FileNotFoundError:
                    out[path] = "absent"
            else:
                out[path] = "absent"
    return out


# ---- code ---------------------------------------------------------------------------------------


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(LIB_DIR).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path
    return out


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


# An import statement of a hoctap module, found in the source text: ``import hoctap.x[, ...]``
# or ``from hoctap.x import a, b`` (with or without parentheses), at any indentation. Matching
# text, not the syntax tree, costs a tenth of ``ast`` (a stage check parses some thirty modules);
# a match in a string or a comment only hashes one module more, never one less.
_IMPORT_RE = re.compile(
    r"^[ \t]*(?:from[ \t]+(hoctap[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]*))",
    re.MULTILINE,
)


def _imported_names(source: str) -> list[str]:
    """The dotted names an import of a hoctap module may refer to, in source order."""
    names: list[str] = []
    for module, what, plain in _IMPORT_RE.findall(source):
        if module:
            names.append(module)
            for part in re.sub(r"#[^\n]*", "", what).strip("()").replace("\\\n", " ").split(","):
                name = part.split()[0] if part.split() else ""
                if name.isidentifier():
                    names.append(f"{module}.{name}")
        else:
            for part in plain.split(","):
                words = part.split()
                if words and words[0].startswith("hoctap"):
                    names.append(words[0])
    return names


@functools.cache
def _imports(module: str) -> frozenset[str]:
    """The hoctap modules ``module`` imports anywhere in its source (and their packages)."""
    known = modules()
    found: set[str] = set()
    for name in _imported_names(known[module].read_text(encoding="utf-8")):
        if name in known:
            found.update([name, *_parents(name)])
    found.discard(module)
    return frozenset(found)


def _package_modules(name: str) -> list[str]:
    """A module, or every module of a package (its attributes may be reached without an import)."""
    known = modules()
    if known.get(name) is not None and known[name].name == "__init__.py":
        return [m for m in known if m == name or m.startswith(name + ".")]
    return [name] if name in known else []


@functools.cache
def _api_names() -> dict[str, str]:
    """Each name of ``hoctap.api`` and the module it comes from."""
    out = {}
    for node in ast.walk(ast.parse(modules()[API_MODULE].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                out[a.asname or a.name] = full if full in modules() else node.module
    return out


@functools.cache
def notebook_modules(name: str) -> tuple[str, ...]:
    """The modules behind the API names a notebook imports."""
    cells = json.loads((NOTEBOOKS_DIR / name).read_text(encoding="utf-8"))["cells"]
    found: set[str] = set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        try:
            parsed = ast.parse("".join(cell["source"]))
        except SyntaxError:  # a magic line: take every name the API has
            found.update(_api_names().values())
            continue
        for node in ast.walk(parsed):
            if isinstance(node, ast.ImportFrom) and node.module == API_MODULE:
                found.update(_api_names()[a.name] for a in node.names if a.name in _api_names())
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in modules())
    return tuple(sorted(found))


@functools.cache
def code_closure(roots: tuple[str, ...]) -> tuple[str, ...]:
    """Every module the roots import, directly or not (the API module is hashed, not followed)."""
    seen: set[str] = set()
    todo = [m for r in roots for m in _package_modules(r)]
    todo += [p for r in list(todo) for p in _parents(r)]
    while todo:
        module = todo.pop()
        if module in seen or module not in modules():
            continue
        seen.add(module)
        if module != API_MODULE:
            todo.extend(_imports(module))
    return tuple(sorted(seen))


@functools.cache
def environment() -> dict[str, str]:
    """The hoctap release (not the commit: the code is hashed) and the libraries' versions."""
    from importlib import metadata

    try:
        release, requires = metadata.version("hoctap"), metadata.requires("hoctap") or []
    except metadata.PackageNotFoundError:
        release, requires = "?", []
    out = {"hoctap": release, "python": platform.python_version()}
    for req in requires:
        if "extra ==" in req:
            continue
        name = re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0]
        try:
            out[name.lower()] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name.lower()] = "absent"
    return out
