"""The ``memosim`` command: run a scenario, sweep its parameters, list or check files.

    memosim run FILE [--backend sim|udp] [--seed N] [--doer NAME] [--out DIR [--force]]
                [--no-plots] [--json] [--quiet] [--pcap [deliver|send]] [--trace [text|jsonl]]
    memosim sweep FILE --param PATH=V1,V2,... [--param ...] [--seeds K] [--jobs J | --scheduler ADDRESS]
                  [--seed N] [--backend sim] [--out DIR [--force]] [--no-plots] [--quiet]
    memosim list [DIR]
    memosim validate FILE...
    memosim check FILE [--seed N]
    memosim explore FILE [--runs N] [--seed S] [--jobs J | --scheduler ADDRESS] ...

docs/cli.md describes the options, the outputs and how to read the plots.

Anything wrong with what the user gave (the scenario file, an option, an
override) ends the command with one line on stderr and exit status 2, never
a traceback. A backend that cannot run (the udp backend missing or unable to
bind its ports) gives one line and exit status 1. SIGINT (Ctrl-C) and SIGTERM
stop the whole command with 130 and 143; a run cut short writes nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .cli_args import BackendError, Parser, integer, progress_wanted
from .cli_explore import add_explore, add_scheduler
from .cli_run import SIGNALS as _SIGNALS
from .cli_run import cmd_run
from .errors import ScenarioError, show
from .outdirs import OutDir, UsageError, fresh, has_files, listing
from .stopping import Interrupted
from .testbed.capture import add_capture_options
from .testbed.executor import ExecutorError
from .testbed.sweep_table import sweep_table

if TYPE_CHECKING:
    from .testbed.sweeps import Param

DOERS = ("PeerMemoerDoer", "SafePeerMemoerDoer")  # testbed.scenario.DOERS, without importing it

__all__ = ["main"]

PROG = "memosim"


def _param(text: str) -> Param:
    from .testbed.sweeps import parse_param

    try:
        return parse_param(text)
    except ScenarioError as ex:
        where = f"{ex.path}: " if ex.path else ""
        raise argparse.ArgumentTypeError(
            f"{where}expected {ex.expected}, found {show(ex.found)}"
        ) from None


def _sweep_backend(text: str) -> str:
    if text == "sim":
        return text
    if text == "udp":
        raise argparse.ArgumentTypeError(
            "sweeps run on the sim backend only (udp runs take real time and are not "
            "repeatable); use memosim run --backend udp for single runs"
        )
    raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from 'sim')")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Deterministic testbed for memogram transports: "
        "compare PeerMemoerDoer and SafePeerMemoerDoer on a scenario.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )

    run = sub.add_parser(
        "run",
        help="run a scenario once per Doer; print a table, write results",
        description="Run every Doer of a scenario, print the comparison "
        "table and write summary.json, memos.csv, latency.png and "
        "delivery.png.",
    )
    run.add_argument("file", metavar="FILE", help="scenario file (TOML, docs/scenarios.md)")
    run.add_argument(
        "--backend",
        choices=("sim", "udp"),
        default="sim",
        help="sim: SimPy network, deterministic (default); "
        "udp: real sockets on loopback, in real time",
    )
    run.add_argument(
        "--seed",
        type=integer("an integer"),
        metavar="N",
        help="seed of every random draw (default: the file's scenario.seed)",
    )
    run.add_argument(
        "--doer",
        metavar="NAME",
        help=f"run this Doer only ({', '.join(DOERS)} or a Doer class as module:Class)",
    )
    run.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="results directory (default: a new results/<scenario>/<backend>-seed<N>[-n])",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="write into --out even when it holds another run's results",
    )
    run.add_argument("--no-plots", action="store_true", help="write no PNG files")
    run.add_argument(
        "--json", action="store_true", help="print summary.json on stdout instead of the table"
    )
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_capture_options(run)
    run.set_defaults(func=cmd_run)

    sweep = sub.add_parser(
        "sweep",
        help="run a grid of parameter values over several seeds, in parallel",
        description="Run every combination of the --param values, --seeds seeds each, "
        "on --jobs workers (a local Dask cluster) or a --scheduler's cluster; "
        "write sweep.csv (mean and 95% CI over seeds per "
        "combination and Doer), sweep_runs.csv and the sweep plots.",
    )
    sweep.add_argument("file", metavar="FILE", help="scenario file (TOML, docs/scenarios.md)")
    sweep.add_argument(
        "--param",
        dest="params",
        action="append",
        type=_param,
        required=True,
        metavar="PATH=V1,V2,...",
        help="key path of the scenario document and its values, read as "
        "TOML (links.0.loss.rate=0.01,0.05,0.2); repeat for a grid; "
        "the first is the plots' x axis",
    )
    sweep.add_argument(
        "--seeds",
        type=integer("an integer >= 1", 1),
        default=1,
        metavar="K",
        help="seeds per combination: N, N+1, ..., N+K-1 (default 1)",
    )
    sweep.add_argument(
        "--seed",
        type=integer("an integer"),
        metavar="N",
        help="first seed (default: each combination's scenario.seed)",
    )
    sweep.add_argument(
        "--jobs",
        type=integer("an integer >= 1", 1),
        metavar="J",
        help="workers of the local Dask cluster, or processes without Dask "
        "(default: the number of CPUs; 1 runs here)",
    )
    sweep.add_argument(
        "--backend",
        type=_sweep_backend,
        default="sim",
        metavar="sim",
        help="only sim (the default)",
    )
    sweep.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="results directory (default: a new results/<scenario>-sweep[-n])",
    )
    sweep.add_argument(
        "--force", action="store_true", help="write into --out even when it is not empty"
    )
    add_scheduler(sweep)
    sweep.add_argument("--no-plots", action="store_true", help="write no PNG files")
    sweep.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    sweep.set_defaults(func=cmd_sweep)
    add_explore(sub)

    lst = sub.add_parser(
        "list",
        help="list the scenario files of a directory",
        description="Print the name and description of every *.toml scenario file in DIR.",
    )
    lst.add_argument(
        "dir",
        metavar="DIR",
        nargs="?",
        type=Path,
        default=Path("scenarios"),
        help="directory of scenario files (default: scenarios)",
    )
    lst.set_defaults(func=cmd_list)

    val = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Load and validate each FILE as memosim run would; "
        "print one line per file, errors on stderr.",
    )
    val.add_argument("files", metavar="FILE", nargs="+", help="scenario file (TOML)")
    val.set_defaults(func=cmd_validate)

    chk = sub.add_parser(
        "check",
        help="run a scenario twice, in two processes, and compare (determinism)",
        description="Run every Doer of the scenario twice on the sim backend, each "
        "time in a new process, and compare the trace digests and summaries; "
        "exit 1 and show the first differing event when they differ.",
    )
    chk.add_argument("file", metavar="FILE", help="scenario file (TOML, docs/scenarios.md)")
    chk.add_argument(
        "--seed",
        type=integer("an integer"),
        metavar="N",
        help="seed of every random draw (default: the file's scenario.seed)",
    )
    chk.set_defaults(func=cmd_check)

    exp = sub.add_parser(
        "explain",
        help="draw one memo's timeline from a sim run's results directory",
        description="Draw every gram event of memo N (memos.csv order, from 0) "
        "into DIR/timelines/<doer>-<N>.png, from DIR/timeline.jsonl.",
    )
    exp.add_argument("dir", metavar="DIR", type=Path, help="results directory of a sim run")
    exp.add_argument(
        "--memo", type=integer("a memo number (0 or more)", 0), required=True, metavar="N"
    )
    exp.add_argument("--doer", metavar="NAME", help="this Doer only (as named in the run)")
    exp.set_defaults(func=cmd_explain)
    return parser


def _progress(args: argparse.Namespace, make: Any) -> Any:
    return make() if progress_wanted(args) else None


def cmd_sweep(args: argparse.Namespace) -> int:
    from .testbed.scenario import load_scenario
    from .testbed.sweeps import grid, run_sweep, write_outputs

    if args.jobs is not None and args.scheduler is not None:
        raise UsageError("argument --jobs: not with --scheduler (the cluster has its workers)")
    seen: dict[str, str] = {}
    for param in args.params:
        key = re.sub(r"\[(\d+)\]", r".\1", param.path)
        if key in seen:
            raise UsageError(f"argument --param: {param.path} is swept twice (also as {seen[key]})")
        seen[key] = param.path
    scenario = load_scenario(args.file)
    grid(scenario, args.params)  # every combination valid before anything is created
    if args.out is None:
        out = OutDir(fresh(Path("results") / f"{scenario.name}-sweep"))
    elif has_files(args.out) and not args.force:
        raise UsageError(
            f"argument --out: {str(args.out)!r} is not empty; choose another "
            "directory, or --force to write into it"
        )
    else:
        out = OutDir(args.out)
    try:
        result = run_sweep(
            scenario,
            args.params,
            seeds=args.seeds,
            jobs=args.jobs,
            seed=args.seed,
            progress=not args.quiet,
            scheduler=args.scheduler,
        )
    except BaseException:
        out.discard()
        raise
    title = f"base scenario {scenario.name}" + (
        f": {scenario.description}" if scenario.description else ""
    )
    with _SIGNALS.hold():
        written = write_outputs(result, out.path, title=title, plots=not args.no_plots)
    print(sweep_table(result))
    print(listing(out.path, written))
    return 0


def _scenario_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise UsageError(
            f"argument DIR: expected a directory of scenario files, found "
            f"{'a file' if directory.exists() else 'no such directory'} "
            f"{str(directory)!r}"
        )
    return sorted(directory.glob("*.toml"))


class _Loader:
    """Yields (file, Scenario) for each file that loads; prints the one-line
    error of each that does not, on stderr, and counts them in ``bad``."""

    def __init__(self) -> None:
        self.bad = 0

    def __call__(self, files: Sequence[Any]) -> Any:
        from .testbed.scenario import load_scenario

        for file in files:
            try:
                scenario = load_scenario(file)
            except ScenarioError as ex:
                print(str(ex), file=sys.stderr)
                self.bad += 1
                continue
            yield file, scenario


def cmd_list(args: argparse.Namespace) -> int:
    rows = [("name", "file", "description")]
    loaded = _Loader()
    for path, s in loaded(_scenario_files(args.dir)):
        rows.append((s.name, str(path), s.description))
    bad = loaded.bad
    if len(rows) == 1 and not bad:
        raise UsageError(f"argument DIR: no *.toml files in {str(args.dir)!r}")
    if len(rows) > 1:
        w0, w1 = (max(len(r[i]) for r in rows) for i in (0, 1))
        lines = [f"{a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows]
        lines.insert(1, "-" * max(len(line) for line in lines))
        print("\n".join(lines))
    return 2 if bad else 0


def cmd_validate(args: argparse.Namespace) -> int:
    loaded = _Loader()
    for file, s in loaded(args.files):
        print(
            f"{file}: ok ({s.name}: {len(s.peers)} peers, {s.memo_count:,} memos per run, "
            f"{s.duration_s:g} s, Doers {', '.join(s.doers)})"
        )
    return 2 if loaded.bad else 0


def cmd_check(args: argparse.Namespace) -> int:
    from .testbed.check import CheckError, check

    try:
        return check(args.file, args.seed)
    except CheckError as ex:
        print(str(ex), file=sys.stderr)
        return 2


def cmd_explain(args: argparse.Namespace) -> int:
    from .testbed.timeline_plot import explain

    try:
        paths = explain(args.dir, args.memo, args.doer)
    except ValueError as ex:
        raise UsageError(str(ex)) from None
    print(f"wrote {', '.join(str(p) for p in paths)}")
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
        with _SIGNALS:
            status: int = args.func(args)
            return status
    except Interrupted as ex:
        name = signal.Signals(ex.signum).name
        print(
            f"{prog}: interrupted by {name}; no results written for the run cut short",
            file=sys.stderr,
        )
        return 128 + ex.signum
    except ScenarioError as ex:
        print(str(ex), file=sys.stderr)
        return 2
    except UsageError as ex:
        print(f"{prog}: error: {ex}", file=sys.stderr)
        return 2
    except (BackendError, ExecutorError) as ex:
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
