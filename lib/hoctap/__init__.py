"""hoctap: reporting for the 2021-2030 lifelong learning programme."""

from hoctap.version import version as _version

__version__ = _version()
