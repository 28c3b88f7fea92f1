"""hoctap: reporting for the 2021-2030 lifelong learning programme."""

__version__ = "0.1.0"
