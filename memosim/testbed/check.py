"""``memosim check``: run a scenario twice, each run in a process of its own, and compare.

A sim run is meant to repeat byte for byte from its seed. Two runs in one
process could agree only because they share something (a cache, a module
global, the hash seed); two fresh processes (the spawn start method: a new
interpreter, nothing inherited but the command line's path and flags) must
agree too. Each process runs every Doer of the scenario on the sim backend,
keeping the trace events, and sends back per Doer the trace digest, the
serialised trace and the summary. The parent compares them: the digests,
then the summaries without their wall-clock fields (:data:`WALL_KEYS`).

Two things would still hide from two fresh processes, so the second one
differs from the first in both. Each process gets a PYTHONHASHSEED of its
own, drawn anew by every check (an inherited PYTHONHASHSEED, which tox and
many CI setups set, would give both the same str hashes, and a run that
follows a set's order would agree with itself). And the second runs the
Doers in the reverse order, so a run that depends on what ran before it in
its process (module state, a class attribute, a counter) differs.

Output: one line per Doer, ``identical`` with the digest's first 16 hex
digits, or ``DIFFERENT`` followed by the first trace event where the runs
part (its time, kind and addresses, as each run had it) and the summary
keys that differ. Exit status 0 when every Doer is identical, 1 otherwise.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ..errors import ScenarioError

__all__ = ["WALL_KEYS", "CheckError", "DoerRun", "check", "compare", "first_difference"]

#: Summary keys that measure the wall clock: they differ between any two runs.
WALL_KEYS = frozenset({"wall_s"})

RUNS = 2
#: PYTHONHASHSEED values the runs draw from: 0 would turn str hashing's seed off.
HASH_SEEDS = range(1, 2**32)


@dataclass
class DoerRun:
    """What one process reports of one Doer's run."""

    doer: str
    digest: str
    trace: str  # the serialised trace (memosim.sim.trace), one line per event
    summary: dict[str, Any]


class CheckError(Exception):
    """A run that could not be made in its process (one line, exit status 2)."""


def _runs(file: str, seed: int, reverse: bool = False) -> list[DoerRun]:
    """Every Doer of the scenario in `file` on the sim backend, with its trace,
    in the file's order (run in the reverse order when `reverse`)."""
    from ..sim import Network
    from .scenario import load_scenario
    from .simrun import run_sim

    scenario = load_scenario(file)
    out = []
    for doer in reversed(scenario.doers) if reverse else scenario.doers:
        nets: list[Network] = []
        result = run_sim(scenario, doer, seed, trace_events=True, pcap=nets.append)
        trace = nets[0].trace
        assert trace is not None and result.trace_digest is not None
        out.append(DoerRun(doer, result.trace_digest, trace.serialise(), result.summary))
    return out[::-1] if reverse else out


def _child(conn: Connection, file: str, seed: int, reverse: bool) -> None:
    """Process entry point: run, send ("ok", runs), ("scenario", line) or ("crash", text)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        try:
            conn.send(("ok", _runs(file, seed, reverse)))
        except ScenarioError as ex:  # e.g. a Doer of the file that cannot be built
            conn.send(("scenario", str(ex if ex.file else ex.in_file(file))))
        except Exception:
            conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()


def hash_seeds() -> list[int]:
    """RUNS distinct PYTHONHASHSEED values, new ones each check (the OS RNG:
    this picks the processes' hash seeds, it is no part of a run)."""
    return random.SystemRandom().sample(HASH_SEEDS, RUNS)


def _start(proc: multiprocessing.process.BaseProcess, hash_seed: int) -> None:
    """Start proc with PYTHONHASHSEED=hash_seed: a spawned interpreter takes
    the environment as it is when it starts, so it is set just for that."""
    had = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = str(hash_seed)
    try:
        proc.start()
    finally:
        if had is None:
            del os.environ["PYTHONHASHSEED"]
        else:
            os.environ["PYTHONHASHSEED"] = had


def _run_apart(file: str, seed: int, seeds: list[int]) -> list[list[DoerRun]]:
    """RUNS runs of the scenario, at the same time, each in a fresh process
    with its hash seed of `seeds`; the second runs the Doers in reverse order."""
    ctx = multiprocessing.get_context("spawn")
    procs = []
    try:
        for i, hash_seed in enumerate(seeds):
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(send, file, seed, i % 2 == 1), daemon=True)
            _start(proc, hash_seed)
            send.close()
            procs.append((proc, recv))
        out = []
        for i, (proc, recv) in enumerate(procs, 1):
            try:
                what, value = recv.recv()
            except EOFError:
                proc.join()
                raise RuntimeError(
                    f"run {i}'s process ended with status {proc.exitcode} before reporting"
                ) from None
            if what == "scenario":
                raise CheckError(value)
            if what == "crash":
                raise RuntimeError(f"run {i} failed in its process:\n{value}")
            out.append(value)
        return out
    finally:
        for proc, recv in procs:
            recv.close()
            if proc.is_alive():
                proc.terminate()
            proc.join()


def first_difference(a: str, b: str) -> tuple[int, str | None, str | None] | None:
    """(index, line of a, line of b) of the first event where two serialised
    traces differ (None for a trace that has ended), or None when equal."""
    if a == b:
        return None
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return i, x, y
    n = min(len(la), len(lb))
    return n, la[n] if n < len(la) else None, lb[n] if n < len(lb) else None


def _event(line: str | None) -> str:
    """A trace line as "t=<time> s <kind> <src> -> <dst> (<size> B, <reason>, <hash>)"."""
    if line is None:
        return "(no event: its trace ends here)"
    time, kind, src, dst, size, reason, phash = line.split(" ")
    return f"t={time} s {kind} {src} -> {dst} ({size} B, {reason}, {phash})"


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _summary_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    keys = [k for k in a if k not in WALL_KEYS] + [k for k in b if k not in a]
    # by repr: a NaN (a percentile of no deliveries) equals itself
    return [k for k in keys if k not in WALL_KEYS and repr(a.get(k)) != repr(b.get(k))]


def compare(first: list[DoerRun], second: list[DoerRun]) -> tuple[bool, list[str]]:
    """(all identical, lines to print) for two processes' runs of the same Doers."""
    ok, lines = True, []
    width = max(len(r.doer) for r in first)
    for a, b in zip(first, second):
        keys = _summary_keys(a.summary, b.summary)
        events = a.trace.count("\n")
        if a.digest == b.digest and not keys:
            lines.append(f"{a.doer:<{width}}  identical  trace {a.digest[:16]}  {events:,} events")
            continue
        ok = False
        if a.digest == b.digest:
            lines.append(f"{a.doer:<{width}}  DIFFERENT  trace {a.digest[:16]} in both runs")
        else:
            lines.append(f"{a.doer:<{width}}  DIFFERENT  trace {a.digest[:16]} != {b.digest[:16]}")
            diff = first_difference(a.trace, b.trace)
            if diff is not None:
                i, x, y = diff
                lines.append(f"  first differing event: #{i}")
                lines.append(f"    run 1: {_event(x)}")
                lines.append(f"    run 2: {_event(y)}")
        if keys:
            lines.append(f"  summary keys that differ: {', '.join(keys)}")
            for k in keys:
                lines.append(f"    {k}: {_short(a.summary.get(k))} != {_short(b.summary.get(k))}")
        else:
            lines.append("  summaries: the same (wall_s aside)")
    return ok, lines


def check(file: str, seed: int | None = None) -> int:
    """The command: load (errors raise ScenarioError), run apart, print; exit status."""
    from .scenario import load_scenario

    scenario = load_scenario(file)
    seed = scenario.seed if seed is None else seed
    seeds = hash_seeds()
    first, second = _run_apart(file, seed, seeds)  # before any output: an error is one line
    print(
        f"scenario {scenario.name}  seed {seed}  backend sim: "
        f"{RUNS} runs, each in a process of its own"
    )
    ok, lines = compare(first, second)
    if not ok:  # what to set to make either run again
        lines.append(
            f"runs: 1 with PYTHONHASHSEED={seeds[0]} and the Doers in order, "
            f"2 with PYTHONHASHSEED={seeds[1]} and the Doers in reverse order"
        )
    print("\n".join(lines))
    if not ok:
        print("not deterministic: the runs differ", file=sys.stderr)
    return 0 if ok else 1
