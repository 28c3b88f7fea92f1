"""The programme's years are defined once (hoctap.programme) and every stage follows them."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from hoctap import cli, programme
from hoctap.analysis import periods
from hoctap.intake.values import Problem, parse_year
from hoctap.report import period

PACKAGE = Path(programme.__file__).parent


def test_the_calendar_of_qd_387():
    assert (programme.START_YEAR, programme.MIDTERM_YEAR, programme.END_YEAR) == (2021, 2025, 2030)
    assert programme.REVIEWS == {"so-ket": (2021, 2025), "tong-ket": (2021, 2030)}
    assert programme.PERIOD == "2021-2030"
    assert [y for y in range(2015, 2040) if programme.in_programme(y)] == list(programme.YEARS)


def test_review_targets_and_projection_come_from_the_programme():
    assert periods.PERIOD_TARGET_YEAR == period.PERIOD_TARGET_YEAR == {"so-ket": 2025, "tong-ket": 2030}
    assert periods.PROJECTION_YEAR == period.PROJECTION_YEAR == programme.END_YEAR
    assert periods.period_target_year("so-ket", 2024) == programme.MIDTERM_YEAR


@pytest.mark.parametrize(("kind", "expected"), [("so-ket", (2021, 2025)), ("tong-ket", (2021, 2030))])
def test_cli_review_defaults_are_the_programme_s(kind, expected):
    args = cli.build_parser().parse_args(["report", kind])
    assert (args.year_from, args.year_to) == expected


@pytest.mark.parametrize(("text", "ok"), [("2020", False), ("2021", True), ("2030", True), ("2031", False)])
def test_year_bounds_in_the_cli_and_in_workbooks(text, ok, capsys):
    parsed = parse_year(text)
    assert (parsed == int(text)) if ok else (isinstance(parsed, Problem) and "2021-2030" in parsed.detail)
    if ok:
        assert cli.build_parser().parse_args(["clean", "--year", text]).year == int(text)
    else:
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(["clean", "--year", text])
        assert "ngoài giai đoạn 2021-2030" in capsys.readouterr().err


def _year_literals(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and n.value in (2021, 2025, 2030) and type(n.value) is int
    ]


@pytest.mark.parametrize(
    "name",
    [
        "cli.py",
        "pipeline.py",
        "analysis/periods.py",
        "intake/values.py",
        "intake/template.py",
        "report/period.py",
        "report/index.py",
    ],
)
def test_no_programme_year_is_typed_outside_programme_py(name):
    assert _year_literals(PACKAGE / name) == []


def test_hoctap_parsers_translate_without_touching_argparse(capsys):
    before = argparse._
    parser = cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["clean"])
    assert "thiếu tham số bắt buộc: --year" in capsys.readouterr().err
    assert "cách dùng: hoctap" in parser.format_help() and "tùy chọn:" in parser.format_help()
    assert argparse._ is before
    other = argparse.ArgumentParser(prog="other")  # any other argparse user keeps English
    assert other.format_help().startswith("usage: other") and "options:" in other.format_help()


def test_argparse_messages_nest_and_unknown_ones_pass_through():
    msg = "argument --year: invalid choice: 'x' (choose from 'a', 'b')"
    assert cli.translate_message(msg) == "tham số --year: lựa chọn không hợp lệ: 'x' (chọn một trong: 'a', 'b')"
    assert cli.translate_message("something new") == "something new"
