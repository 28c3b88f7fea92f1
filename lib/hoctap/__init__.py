"""hoctap: reporting for the 2021-2030 lifelong learning programme."""

import sys

from hoctap.version import version as _version

# nbformat validates with jsonschema, whose "iri" format checker compiles an RFC 3987 grammar
# (rfc3987-syntax, 2.5 s) on import, in every process and kernel; no notebook schema uses it.
sys.modules.setdefault("rfc3987_syntax", None)

__version__ = _version()
