"""Content hashes: of files (cached in the process), of folders by relative path, of the
package's own code (a stage's code is every module its entry points import, read from the
source with ``ast``) and of the environment (the hoctap release, the libraries' versions).

Core: imports nothing of the package but ``paths`` (and ``hoctap.api`` is only read).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import platform
import re
from pathlib import Path

from hoctap.paths import NOTEBOOKS_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
LIB_DIR = PACKAGE_DIR.parent
# the module that only re-exports (the notebooks' API) is hashed, not followed
API_MODULE = "hoctap.api"


# ---- files --------------------------------------------------------------------------------------

_DIGESTS: dict[tuple, str] = {}


def file_digest(path: Path) -> str | None:
    """sha256 of the file's bytes, None when absent; cached in this process by inode, size and
    mtime (a file rewritten by a stage is a new inode: the cache never serves an old hash)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not os.path.isfile(path):
        return None
    key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        with open(path, "rb") as fh:
            _DIGESTS[key] = hashlib.file_digest(fh, "sha256").hexdigest()
    return _DIGESTS[key]


def tree(folder: Path) -> dict[Path, str]:
    """Every entry below ``folder`` without following links: files by content, links by target."""
    out: dict[Path, str] = {}
    if not folder.is_dir():
        return out
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted([*files, *(d for d in dirs if os.path.islink(os.path.join(root, d)))]):
            path = Path(root, name)
            if path.is_symlink():
                out[path] = "link:" + os.readlink(path)
            else:
                out[path] = file_digest(path) or "absent"
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


@functools.cache
def _imports(module: str) -> frozenset[str]:
    """The hoctap modules ``module`` imports anywhere in its source (and their packages)."""
    known = modules()
    found: set[str] = set()
    parsed = ast.parse(known[module].read_text(encoding="utf-8"))
    for node in ast.walk(parsed):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hoctap"):
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("hoctap")]
        for name in names:
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
