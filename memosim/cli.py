"""The ``memosim`` command: run a scenario, or sweep its parameters.

    memosim run FILE [--backend sim|udp] [--seed N] [--out DIR]
    memosim sweep FILE --param PATH=V1,V2,... [--param ...] [--seeds K] [--jobs J]
                  [--seed N] [--backend sim] [--out DIR]

docs/cli.md describes the options, the outputs and how to read the plots.

Anything wrong with what the user gave (the scenario file, an option, an
override) ends the command with one line on stderr and exit status 2, never
a traceback. A backend that cannot run (the udp backend missing or unable to
bind its ports) gives one line and exit status 1; Ctrl-C gives 130.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .errors import ScenarioError, show

__all__ = ["main"]

PROG = "memosim"


class UsageError(Exception):
    """A bad argument found after parsing (one line, exit status 2)."""


class BackendError(Exception):
    """A backend that cannot run here (one line, exit status 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line: "<prog>: error: <what> (see <prog> --help)"."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _integer(what: str, lo: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, found {text!r}") from None
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"expected {what}, found {value}")
        return value
    parse.__name__ = what
    return parse


def _param(text: str):
    from .testbed.sweeps import parse_param

    try:
        return parse_param(text)
    except ScenarioError as ex:
        where = f"{ex.path}: " if ex.path else ""
        raise argparse.ArgumentTypeError(f"{where}expected {ex.expected}, found {show(ex.found)}"
                                          ) from None


def _sweep_backend(text: str) -> str:
    if text == "sim":
        return text
    if text == "udp":
        raise argparse.ArgumentTypeError(
            "sweeps run on the sim backend only (udp runs take real time and are not "
            "repeatable); use memosim run --backend udp for single runs")
    raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from 'sim')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Deterministic testbed for memogram transports: "
                     "compare PeerMemoerDoer and SafePeerMemoerDoer on a scenario.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario once per Doer; print a table, write results",
                         description="Run every Doer of a scenario, print the comparison "
                         "table and write summary.json, memos.csv, latency.png and "
                         "delivery.png.")
    run.add_argument("file", metavar="FILE", help="scenario file (TOML, docs/scenarios.md)")
    run.add_argument("--backend", choices=("sim", "udp"), default="sim",
                     help="sim: SimPy network, deterministic (default); "
                     "udp: real sockets on loopback, in real time")
    run.add_argument("--seed", type=_integer("an integer"), metavar="N",
                     help="seed of every random draw (default: the file's scenario.seed)")
    run.add_argument("--out", metavar="DIR", type=Path,
                     help="results directory (default: results/<scenario name>)")
    run.add_argument("--no-plots", action="store_true", help="write no PNG files")
    run.set_defaults(func=cmd_run)

    sweep = sub.add_parser(
        "sweep", help="run a grid of parameter values over several seeds, in parallel",
        description="Run every combination of the --param values, --seeds seeds each, "
        "in --jobs processes; write sweep.csv (mean and 95% CI over seeds per "
        "combination and Doer), sweep_runs.csv and the sweep plots.")
    sweep.add_argument("file", metavar="FILE", help="scenario file (TOML, docs/scenarios.md)")
    sweep.add_argument("--param", dest="params", action="append", type=_param, required=True,
                       metavar="PATH=V1,V2,...",
                       help="key path of the scenario document and its values, read as "
                       "TOML (links.0.loss.rate=0.01,0.05,0.2); repeat for a grid; "
                       "the first is the plots' x axis")
    sweep.add_argument("--seeds", type=_integer("an integer >= 1", 1), default=1, metavar="K",
                       help="seeds per combination: N, N+1, ..., N+K-1 (default 1)")
    sweep.add_argument("--seed", type=_integer("an integer"), metavar="N",
                       help="first seed (default: each combination's scenario.seed)")
    sweep.add_argument("--jobs", type=_integer("an integer >= 1", 1), metavar="J",
                       help="worker processes (default: the number of CPUs)")
    sweep.add_argument("--backend", type=_sweep_backend, default="sim", metavar="sim",
                       help="only sim (the default)")
    sweep.add_argument("--out", metavar="DIR", type=Path,
                       help="results directory (default: results/<scenario name>-sweep)")
    sweep.add_argument("--no-plots", action="store_true", help="write no PNG files")
    sweep.set_defaults(func=cmd_sweep)
    return parser


def _outdir(out: Path | None, default: str) -> Path:
    path = Path("results") / default if out is None else out
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as ex:
        raise UsageError(f"argument --out: cannot create directory {str(path)!r} "
                         f"({(ex.strerror or type(ex).__name__).lower()})") from None
    return path


def _listing(out: Path, paths: Sequence[Path]) -> str:
    return f"wrote {out}{'' if str(out).endswith('/') else '/'}: " + ", ".join(p.name for p in paths)


def cmd_run(args: argparse.Namespace) -> int:
    from .testbed.report import format_table, write_results
    from .testbed.runner import run_scenario
    from .testbed.scenario import load_scenario

    scenario = load_scenario(args.file)
    out = _outdir(args.out, scenario.name)
    try:
        result = run_scenario(scenario, backend=args.backend, seed=args.seed)
    except ModuleNotFoundError as ex:
        if args.backend == "udp" and ex.name == "memosim.testbed.udprun":
            raise BackendError("the udp backend is not available in this installation "
                               "(memosim.testbed.udprun is missing)") from None
        raise
    except OSError as ex:
        if args.backend != "udp":
            raise
        raise BackendError(f"udp backend: {ex}") from None
    written = write_results(result, out, title=scenario.description or None,
                            plots=not args.no_plots)
    print(format_table(result, description=scenario.description or None))
    print(_listing(out, written))
    return 0


def _pm(digits: int, scale: float = 1.0):
    def fmt(row: dict, stem: str) -> str:
        mean, half = row.get(f"{stem}_mean"), row.get(f"{stem}_ci95")
        if mean is None:
            return "-"
        text = f"{mean * scale:.{digits}f}"
        return text if half is None else f"{text} +- {half * scale:.{digits}f}"
    return fmt


def sweep_table(result: Any) -> str:
    """The rows of a sweep as a plain-text table (mean +- 95% CI half-width)."""
    from .testbed.report import format_rows

    def value(v: Any) -> str:
        return v if isinstance(v, str) else show(v)

    stats = (("delivery ratio", "delivery_ratio", _pm(4)),
             ("p99 latency (ms)", "latency_p99_s", _pm(1, 1000.0)),
             ("retx per memo", "retransmissions_per_memo", _pm(3)),
             ("overhead ratio", "overhead_ratio", _pm(3)))
    cols: list = [(p, p, value) for p in result.paths]
    cols += [("doer", "doer", str), ("n", "n", str)]
    cols += [(head, f"={stem}", str) for head, stem, _ in stats]
    shown = [row | {f"={stem}": fmt(row, stem) for _, stem, fmt in stats} for row in result.rows]
    return format_rows(shown, cols)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .testbed.scenario import load_scenario
    from .testbed.sweeps import grid, run_sweep, write_outputs

    seen: dict[str, str] = {}
    for param in args.params:
        key = re.sub(r"\[(\d+)\]", r".\1", param.path)
        if key in seen:
            raise UsageError(f"argument --param: {param.path} is swept twice (also as {seen[key]})")
        seen[key] = param.path
    scenario = load_scenario(args.file)
    grid(scenario, args.params)  # every combination valid before anything is created
    out = _outdir(args.out, f"{scenario.name}-sweep")
    result = run_sweep(scenario, args.params, seeds=args.seeds, jobs=args.jobs, seed=args.seed,
                       progress=True)
    title = f"base scenario {scenario.name}" + (f": {scenario.description}"
                                                 if scenario.description else "")
    written = write_outputs(result, out, title=title, plots=not args.no_plots)
    print(sweep_table(result))
    print(_listing(out, written))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the memosim command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as ex:  # --help, --version, usage errors (already printed)
        return ex.code if isinstance(ex.code, int) else 2
    prog = f"{PROG} {args.command}"
    try:
        return args.func(args)
    except ScenarioError as ex:
        print(str(ex), file=sys.stderr)
        return 2
    except UsageError as ex:
        print(f"{prog}: error: {ex}", file=sys.stderr)
        return 2
    except BackendError as ex:
        print(f"{prog}: error: {ex}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. memosim run x.toml | head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
