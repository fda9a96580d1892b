"""`memosim run`: one scenario, every Doer, the results directory (and the
--pcap/--trace captures, memosim.testbed.capture), apart from the parser in
memosim.cli so that each module stays one idea of a readable size.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .cli_args import BackendError, progress_wanted
from .errors import ScenarioError
from .outdirs import OutDir, listing, run_outdir
from .stopping import Signals
from .testbed.capture import Capture

__all__ = ["SIGNALS", "BackendError", "cmd_run", "progress_for"]

PROG = "memosim"


#: The command's signal handling, shared by every subcommand (memosim.stopping).
SIGNALS = Signals()


def progress_for(args: argparse.Namespace, make: Any) -> Any:
    return make() if progress_wanted(args) else None


def cmd_run(args: argparse.Namespace) -> int:
    from .testbed.scenario import load_scenario

    scenario = load_scenario(args.file)
    if args.doer:
        from .testbed.doers import doer_class

        try:
            doer_class(args.doer, "--doer")
        except ScenarioError as ex:
            raise ex.in_file(f"{PROG} run") from None
    doers = (args.doer,) if args.doer else scenario.doers
    seed = scenario.seed if args.seed is None else args.seed
    ident = {"scenario": scenario.name, "backend": args.backend, "seed": seed, "doers": list(doers)}
    out = run_outdir(args, ident)
    with Capture(args.pcap, args.trace) as capture:
        return _run(args, scenario, seed, doers, out, capture)


def _run(
    args: argparse.Namespace, scenario: Any, seed: int, doers: Any, out: OutDir, capture: Capture
) -> int:
    from .testbed.progress import RunProgress
    from .testbed.report import OUTPUT_FILES, format_table, summary_document, write_results
    from .testbed.runner import run_scenario

    try:
        result = run_scenario(
            scenario,
            backend=args.backend,
            seed=seed,
            doers=doers,
            progress=progress_for(args, RunProgress),
            timelines=args.backend == "sim",
            capture=capture,
        )
    except ScenarioError as ex:  # a Doer of the file that cannot be built
        out.discard()
        raise (ex if ex.file else ex.in_file(args.file)) from None
    except ModuleNotFoundError as ex:
        out.discard()
        if args.backend == "udp" and ex.name == "memosim.testbed.udprun":
            raise BackendError(
                "the udp backend is not available in this installation "
                "(memosim.testbed.udprun is missing)"
            ) from None
        raise
    except OSError as ex:
        out.discard()
        if args.backend != "udp":
            raise
        raise BackendError(f"udp backend: {ex}") from None
    except BaseException:
        out.discard()
        raise
    with SIGNALS.hold():  # a signal now waits until every file is written
        written = write_results(
            result, out.path, title=scenario.description or None, plots=not args.no_plots
        )
        written += capture.save(out.path, doers)
        for name in OUTPUT_FILES:  # a re-run of the same run: no stale plots left
            if out.path / name not in written:
                (out.path / name).unlink(missing_ok=True)
    if args.json:
        print(json.dumps(summary_document(result), indent=2))
        print(listing(out.path, written), file=sys.stderr)
    else:
        print(format_table(result, description=scenario.description or None))
        print(listing(out.path, written))
    return 0
