"""The ``hoctap`` command: one entry point for every stage of the pipeline."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import sys
from pathlib import Path

from hoctap import __version__, programme
from hoctap.catalog import Catalog
from hoctap.errors import HoctapError, os_error_text
from hoctap.paths import Workspace

THIS_YEAR = dt.date.today().year

# argparse's own words, in Vietnamese: CLI help is read by analysts. Only hoctap's parsers use
# them (``_Parser``); the argparse module itself is left alone for any other user in the process.
_TITLES_VI = {"positional arguments": "tham số", "options": "tùy chọn"}
_USAGE_VI = "cách dùng: "
_HELP_VI = "hiện hướng dẫn này rồi thoát"
_VERSION_VI = "hiện phiên bản rồi thoát"
_MESSAGES_VI = {  # argparse's error templates -> ours, same placeholders
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "lựa chọn không hợp lệ: %(value)r (chọn một trong: %(choices)s)",
    "unrecognized arguments: %s": "tham số không nhận ra: %s",
    "expected one argument": "cần một giá trị",
    "not allowed with argument %s": "không dùng cùng với %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "invalid %(type)s value: %(value)r": "giá trị không hợp lệ: %(value)r",
}
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[rs]")


def _template_pattern(template: str) -> re.Pattern:
    """A regex matching what ``template % values`` gives, one named group per placeholder."""
    parts, names, last = [], iter(f"arg{i}" for i in range(9)), 0
    for m in _PLACEHOLDER.finditer(template):
        parts += [re.escape(template[last : m.start()]), f"(?P<{m.group(1) or next(names)}>.*?)"]
        last = m.end()
    return re.compile("".join([*parts, re.escape(template[last:])]) + "$", re.DOTALL)


_MESSAGE_PATTERNS = [(_template_pattern(en), vi) for en, vi in _MESSAGES_VI.items()]


def translate_message(message: str) -> str:
    """An argparse error message in Vietnamese (one it does not know stays as it is)."""
    for pattern, vi in _MESSAGE_PATTERNS:
        m = pattern.match(message)
        if m:
            values = m.groupdict()
            if "message" in values:  # "argument --year: <inner message>"
                values["message"] = translate_message(values["message"])
            names = iter(f"arg{i}" for i in range(9))
            return _PLACEHOLDER.sub(lambda p, v=values, n=names: v[p.group(1) or next(n)], vi)
    return message


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, _USAGE_VI if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """hoctap's parsers: their help, usage and error messages are in Vietnamese."""

    def __init__(self, *args, add_help: bool = True, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        for group in self._action_groups:
            group.title = _TITLES_VI.get(group.title, group.title)
        if add_help:
            self.add_argument("-h", "--help", action="help", help=_HELP_VI)

    def error(self, message: str):
        """One line, in Vietnamese, exit code 2."""
        self.exit(2, f"Lỗi: {translate_message(message)} (xem: {self.prog} --help)\n")


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"năm không hợp lệ: {text!r}") from None
    if not programme.in_programme(year):
        raise argparse.ArgumentTypeError(f"năm {year} ngoài giai đoạn {programme.PERIOD}")
    return year


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ngày không hợp lệ: {text!r} (cần dạng yyyy-mm-dd)") from None


def _common(p: argparse.ArgumentParser) -> None:
    # also after the command (hoctap clean --debug); SUPPRESS keeps the top-level value otherwise
    p.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="in đầy đủ vết lỗi khi có lỗi",
    )
    p.add_argument("--data-dir", default="data", metavar="THƯ_MỤC", help="thư mục dữ liệu (mặc định: data)")
    p.add_argument(
        "--reports-dir",
        default="reports",
        metavar="THƯ_MỤC",
        help="thư mục báo cáo (mặc định: reports)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hoctap",
        description=f"Tổng hợp báo cáo Chương trình học tập suốt đời {programme.PERIOD} (QĐ 387/QĐ-TTg).",
    )
    parser.add_argument("--version", action="version", version=f"hoctap {__version__}", help=_VERSION_VI)
    parser.add_argument("--debug", action="store_true", help="khi có lỗi, in đầy đủ vết lỗi (cho người phát triển)")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser)

    p = sub.add_parser("template", help="tạo biểu mẫu HTSD-01 trống cho trường")
    _common(p)
    p.add_argument("--year", type=_year, required=True, metavar="NĂM", help="năm báo cáo")
    p.add_argument("--school", metavar="TRƯỜNG", help="tên hoặc mã trường (điền sẵn thông tin trường)")
    p.add_argument("-o", "--output", required=True, metavar="TỆP", help="tệp .xlsx cần tạo")

    p = sub.add_parser("demo", help="tạo bộ dữ liệu mẫu giả lập 2021-2026")
    _common(p)
    p.add_argument("--seed", type=int, default=387, help="hạt giống ngẫu nhiên (mặc định 387)")
    p.add_argument("--years", default="2021-2026", help="khoảng năm, ví dụ 2021-2026")
    p.add_argument(
        "--if-missing",
        action="store_true",
        help="chỉ tạo những năm chưa có dữ liệu mẫu (năm đã có được giữ nguyên, báo cáo không phải lập lại)",
    )

    p = sub.add_parser("check", help="kiểm tra tệp báo cáo của trường trước khi gửi")
    _common(p)
    p.add_argument("files", nargs="+", metavar="TỆP", help="các tệp Excel cần kiểm tra")
    p.add_argument(
        "--year",
        type=_year,
        metavar="NĂM",
        help="năm báo cáo cần nộp (phát hiện tệp chép từ năm trước)",
    )

    p = sub.add_parser("clean", help="tiếp nhận và làm sạch báo cáo của một năm")
    _common(p)
    p.add_argument("--year", type=_year, required=True, metavar="NĂM")

    p = sub.add_parser("indicators", help="tính các chỉ tiêu của một năm")
    _common(p)
    p.add_argument("--year", type=_year, required=True, metavar="NĂM")

    p = sub.add_parser("report", help="lập báo cáo năm, sơ kết hoặc tổng kết")
    rsub = p.add_subparsers(dest="kind", metavar="LOẠI", required=True, parser_class=_Parser)
    r = rsub.add_parser("annual", help="báo cáo năm")
    _common(r)
    r.add_argument("--year", type=_year, required=True, metavar="NĂM")
    r.add_argument("--date", type=_date, metavar="NGÀY", help="ngày ký báo cáo (yyyy-mm-dd); mặc định: hôm nay")
    _force(r)
    for kind, (default_from, default_to) in programme.REVIEWS.items():
        r = rsub.add_parser(kind, help=f"báo cáo {programme.REVIEW_LABELS[kind]}")
        _common(r)
        r.add_argument(
            "--from",
            dest="year_from",
            type=_year,
            default=default_from,
            metavar="NĂM",
            help=f"năm đầu kỳ (mặc định {default_from})",
        )
        r.add_argument(
            "--to",
            dest="year_to",
            type=_year,
            default=default_to,
            metavar="NĂM",
            help=f"năm cuối kỳ (mặc định {default_to})",
        )
        r.add_argument(
            "--geography-date",
            metavar="NGÀY",
            help="ngày xác định địa giới xã dùng cho chuỗi số liệu (yyyy-mm-dd); "
            "mặc định: cuối kỳ hoặc hôm nay, ngày nào sớm hơn",
        )
        r.add_argument(
            "--old-communes",
            action="store_true",
            help="trình bày theo các xã cũ (trước lần sắp xếp gần nhất trong commune_changes.csv)",
        )
        r.add_argument(
            "--date",
            type=_date,
            metavar="NGÀY",
            help="ngày ký báo cáo (yyyy-mm-dd); mặc định: hôm nay",
        )
        _force(r)

    p = sub.add_parser("run", help="làm sạch, tính chỉ tiêu và lập báo cáo năm (chỉ những bước cần lập lại)")
    _common(p)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--year", type=_year, metavar="NĂM")
    g.add_argument("--all", action="store_true", help="mọi năm có dữ liệu, và các báo cáo sơ kết, tổng kết")
    _force(p)
    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        default=None,
        help="số bước chạy song song với --all (mặc định: số lõi CPU, tối đa 2; biến môi trường HOCTAP_JOBS)",
    )

    p = sub.add_parser("status", help="xem bước nào đã cập nhật, bước nào cần lập lại và vì sao")
    _common(p)
    p.add_argument("--products", action="store_true", help="liệt kê cả từng sản phẩm của mỗi bước")
    return parser


def _force(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help="lập lại mọi bước, kể cả những bước không có gì thay đổi",
    )


def _demo_years(ws: Workspace, years, seed: int) -> list[int]:
    """The years whose sample is not there whole: no ground truth, another seed, or a file missing."""
    import json

    from hoctap.paths import SHIPPED_REFERENCE_DIR

    if any(not (ws.reference_dir / p.name).exists() for p in SHIPPED_REFERENCE_DIR.iterdir() if p.is_file()):
        return list(years)
    missing = []
    for year in years:
        truth = ws.data_dir / "demo_truth" / f"{year}.json"
        try:
            known = json.loads(truth.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            missing.append(year)
            continue
        if known.get("seed") != seed or not all((ws.raw(year) / rel).is_file() for rel in known.get("files", {})):
            missing.append(year)
    return missing


# commands that write the workspace: one at a time (hoctap.lock)
WRITING = ("demo", "clean", "indicators", "report", "run")


def _dispatch(args: argparse.Namespace, argv: list[str]) -> int:
    ws = Workspace.at(args.data_dir, args.reports_dir)
    if args.command in WRITING:
        from hoctap.lock import exclusive

        with exclusive(ws, " ".join(argv) or args.command):
            return _command(args, ws)
    return _command(args, ws)


def _command(args: argparse.Namespace, ws: Workspace) -> int:
    if args.command == "template":
        from hoctap.intake.template import write_template

        path = write_template(Path(args.output), year=args.year, school=args.school, workspace=ws)
        print(f"Đã tạo biểu mẫu: {path}")
        return 0
    if args.command == "demo":
        from hoctap.sample.demo import generate

        first, _, last = args.years.partition("-")
        years = range(_year(first), _year(last or first) + 1)
        if args.if_missing:
            years = _demo_years(ws, years, args.seed)
            if not years:
                print(f"Đã có dữ liệu mẫu (hạt giống {args.seed}) trong {ws.raw_root}: không tạo lại.")
                return 0
        generate(ws, years=years, seed=args.seed, progress=print)
        return 0
    if args.command == "check":
        from hoctap.cleaning.check import run_check

        return run_check([Path(f) for f in args.files], ws, year=args.year)
    if args.command == "clean":
        from hoctap.cleaning.clean import clean_year

        result = clean_year(ws, args.year, progress=print)
        print(result.summary_text())
        return 0
    if args.command == "indicators":
        from hoctap.analysis.indicators import build_year

        build_year(ws, args.year)
        print(f"Đã ghi {Catalog(ws).path('indicators', year=args.year)}")
        return 0
    from hoctap import pipeline, stages

    if args.command == "status":
        print(f"Tình trạng các bước (dữ liệu: {ws.data_dir}, báo cáo: {ws.reports_dir}):")
        from hoctap.lock import holder

        busy = holder(ws)
        if busy:
            print(f"Đang chạy: {busy}; tình trạng dưới đây có thể thay đổi khi lệnh đó chạy xong.")
        for line in stages.status_lines(ws, pipeline.status(ws), products=args.products):
            print(line)
        return 0
    if args.command == "report":
        if args.kind == "annual":
            pipeline.report_annual(ws, args.year, report_date=args.date, progress=print, force=args.force)
        else:
            pipeline.report_period(
                ws,
                args.kind,
                args.year_from,
                args.year_to,
                geography_date=dt.date.fromisoformat(args.geography_date) if args.geography_date else None,
                old_communes=args.old_communes,
                report_date=args.date,
                progress=print,
                force=args.force,
            )
        return 0
    if args.command == "run":
        if args.all:
            result = pipeline.run_all(ws, progress=print, force=args.force, jobs=args.jobs)
            if result.failed:  # every other stage was built; the command still fails, in one line
                raise HoctapError(result.summary())
        else:
            pipeline.run_year(ws, args.year, progress=print, force=args.force)
        return 0
    raise HoctapError("thiếu lệnh; xem hoctap --help")


def _utf8_streams() -> None:
    """Vietnamese output survives a Windows console or a redirect in a non-UTF-8 locale."""
    for stream in (sys.stdout, sys.stderr):
        if (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8" and hasattr(
            stream, "reconfigure"
        ):
            stream.reconfigure(encoding="utf-8", errors="replace")


def main(argv: list[str] | None = None) -> int:
    """Run one command; any failure ends in one Vietnamese line on stderr (``--debug``: traceback)."""
    _utf8_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return _dispatch(args, sys.argv[1:] if argv is None else list(argv))
    except BrokenPipeError:  # the reader went away (`hoctap status | head`): nothing left to say
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        print("Đã dừng.", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure is one line for the analyst; --debug shows the rest
        if getattr(args, "debug", False):
            raise
        print(f"Lỗi: {error_line(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, (HoctapError, OSError, argparse.ArgumentTypeError)) else 1


def error_line(exc: BaseException) -> str:
    """The one-line Vietnamese reason of an exception that ends a command."""
    if isinstance(exc, (HoctapError, argparse.ArgumentTypeError)):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = os_error_text(exc, writing=None)
    elif isinstance(exc, MemoryError):
        text = "máy không đủ bộ nhớ để chạy lệnh này; đóng bớt chương trình khác rồi chạy lại"
    else:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        text = (
            f"chương trình gặp lỗi ngoài dự kiến ({detail}); chạy lại với --debug để xem chi tiết "
            "và gửi cho người phụ trách phần mềm"
        )
    return " ".join(text.split())  # one line, whatever the message held


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that no later flush fails on a closed pipe."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    """The ``hoctap`` command: ``main``, then an exit without the interpreter's teardown when
    nothing is left running (every product is written atomically and closed by then; tearing
    down pandas, WeasyPrint and the rest costs 0.3 s of every command)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            _silence_stdout()
    import multiprocessing
    import threading

    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not others and not multiprocessing.active_children():
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
