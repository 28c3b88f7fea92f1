"""Cleaning: rules as data, the verdict on each file, the year run, its tables, ledgers and feedback."""
