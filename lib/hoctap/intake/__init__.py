"""Intake: the HTSD-01 workbook as data, reading one workbook safely, finding the files of a year."""
