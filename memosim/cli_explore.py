"""``memosim explore``: the subcommand's options and what it prints.

    memosim explore FILE [--runs N] [--seed S] [--jobs J | --scheduler ADDRESS]
                    [--shrink-runs K] [--out DIR [--force]] [--quiet]

The work is :mod:`memosim.testbed.explore`; this module turns the command
line into a call and the result into the summary table (stdout), the wall
time and rate (stderr) and the exit status: 0 when no run broke an
invariant, 1 when one did. ``add_scheduler`` gives ``sweep`` the same
``--scheduler`` option.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from .cli_args import integer, progress_wanted
from .outdirs import OutDir, UsageError, fresh, has_files, listing

__all__ = ["add_explore", "add_scheduler", "cmd_explore"]


def add_scheduler(parser: argparse.ArgumentParser) -> None:
    """--scheduler ADDRESS: run on an existing Dask cluster (docs/cli.md)."""
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler (tcp://host:8786) "
        "instead of a local one; needs memosim[dask]",
    )


def add_explore(sub: Any) -> None:
    """The explore subparser, on the command's subparsers."""
    exp = sub.add_parser(
        "explore",
        help="swarm testing: many runs with drawn faults, invariants checked after each",
        description="Run every Doer of the scenario on --runs networks of faults drawn "
        "from its [explore] ranges; check acked delivery, that nothing raised, that "
        "memory stayed bounded and that the network lost no datagram uncounted. "
        "Write each violating run as a scenario file that memosim run replays, shrink "
        "the first run of each distinct failure (a Doer and what it broke) and write "
        "the smallest; exit 1 when any run broke an invariant.",
    )
    exp.add_argument("file", metavar="FILE", help="scenario file (TOML, docs/scenarios.md)")
    exp.add_argument(
        "--runs",
        type=integer("an integer >= 1", 1),
        default=100,
        metavar="N",
        help="runs to draw, every Doer in each (default 100)",
    )
    exp.add_argument(
        "--seed",
        type=integer("an integer"),
        metavar="S",
        help="seed of the draws (default: the file's scenario.seed); the same seed "
        "gives the same runs",
    )
    exp.add_argument(
        "--jobs",
        type=integer("an integer >= 1", 1),
        metavar="J",
        help="workers of the local cluster (default: the number of CPUs; 1 runs here)",
    )
    add_scheduler(exp)
    exp.add_argument(
        "--shrink-runs",
        type=integer("an integer >= 0", 0),
        default=200,
        metavar="K",
        help="runs the shrinking of each distinct failure may spend (default 200)",
    )
    exp.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="results directory (default: a new results/<scenario>-explore[-n])",
    )
    exp.add_argument(
        "--force", action="store_true", help="write into --out even when it is not empty"
    )
    exp.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    exp.set_defaults(func=cmd_explore)


def _outdir(args: argparse.Namespace, name: str) -> OutDir:
    if args.out is None:
        return OutDir(fresh(Path("results") / f"{name}-explore"))
    if has_files(args.out) and not args.force:
        raise UsageError(
            f"argument --out: {str(args.out)!r} is not empty; choose another "
            "directory, or --force to write into it"
        )
    return OutDir(args.out)


class _Bar:
    """The progress bar's feed: runs done (every Doer of a run), violations found."""

    def __init__(self, runs: int, doers: int, live: bool) -> None:
        from .testbed.progress import Progress

        self.doers = doers
        self.tasks = self.bad = 0
        self.bar = Progress(runs, label="explore", live=live)

    def __call__(self, _index: int, row: dict[str, Any]) -> None:
        self.tasks += 1
        self.bad += bool(row["violations"])
        self.bar.note(f"{self.bad} violations")
        self.bar.update(self.tasks // self.doers)

    def close(self) -> None:
        self.bar.close()


def _more(result: Any) -> str:
    """The listing's tail: the violating runs written and the smallest."""
    text = ""
    if result.written:
        n = len(result.written)
        text += f", violations/ ({n} scenario{'' if n == 1 else 's'} with traces)"
    for shrunk in result.shrunk:
        text += f", {shrunk.path.name}, {shrunk.path.stem}-trace.txt"
    return text


def cmd_explore(args: argparse.Namespace) -> int:
    from .testbed.explore import explore, format_summary
    from .testbed.scenario import load_scenario

    if args.jobs is not None and args.scheduler is not None:
        raise UsageError("argument --jobs: not with --scheduler (the cluster has its workers)")
    scenario = load_scenario(args.file)
    out = _outdir(args, scenario.name)
    bar = _Bar(args.runs, len(scenario.doers), progress_wanted(args))
    start = time.perf_counter()
    try:
        result = explore(
            scenario,
            out.path,
            runs=args.runs,
            seed=args.seed,
            workers=args.jobs if args.jobs is not None else os.cpu_count() or 1,
            scheduler=args.scheduler,
            done=bar,
            shrink_budget=args.shrink_runs,
        )
    except BaseException:
        out.discard()
        raise
    finally:
        bar.close()
    wall = time.perf_counter() - start
    print(format_summary(result))
    print(listing(out.path, [out.path / "explore.csv"]) + _more(result))
    print(
        f"explored {args.runs} runs x {len(scenario.doers)} Doers in {wall:.1f} s "
        f"({args.runs / wall:.2f} runs/s)",
        file=sys.stderr,
    )
    return 1 if result.violating else 0
