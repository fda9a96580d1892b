"""``memosim explore``: swarm testing. Many runs with drawn faults, invariants after each.

Run ``i`` of ``explore --seed S`` draws a seed and a network of faults
(:mod:`memosim.testbed.explore_draw`, from the scenario's ``[explore]``
ranges), runs every Doer of the scenario on it, and checks the invariants of
:mod:`memosim.testbed.invariants`. The runs are independent, so they go to
the workers of :mod:`memosim.testbed.executor`; each result is a pure
function of (scenario, S, i, Doer), so the same command gives the same
rows whatever the number of workers.

For each violating run (the first :data:`MAX_WRITTEN`, in run order) the
results directory gets ``violations/run-<i>-<doer>/scenario.toml``, a
complete scenario of that run with that Doer that ``memosim run`` replays
exactly, and its event trace ``trace.txt``. Then the first violating run of
each distinct failure (a Doer and a kind of invariant it broke; up to
:data:`MAX_SHRUNK` of them, in run order) is shrunk
(:mod:`memosim.testbed.explore_shrink`), and the smallest scenario still
failing the same way is written: ``smallest.toml`` with
``smallest-trace.txt`` for the first, ``smallest-2.toml`` and so on for the
others. ``explore.csv`` has one row per run and Doer. Files of these
names that an earlier exploration left in the directory are removed first,
so every file there is this run's.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .doers import DoerRaised, promises_acked
from .executor import run_tasks
from .explore_draw import draw_run
from .explore_shrink import shrink
from .invariants import MemoryWatch, acked_violations, conservation, stuck
from .scenario import Scenario, parse_scenario
from .scenario_file import write_scenario

__all__ = ["CSV_COLUMNS", "ExploreResult", "check_run", "explore", "format_summary"]

#: Violating runs written out (scenario and trace); the rest are in explore.csv.
MAX_WRITTEN = 10
#: Distinct failures (Doer, kind) shrunk, each with its own budget.
MAX_SHRUNK = 3

CSV_COLUMNS = (
    "run",
    "seed",
    "doer",
    "memos_sent",
    "memos_delivered",
    "gave_up",
    "lost_silently",
    "duplicates_delivered",
    "corrupt_delivered",
    "false_give_ups",
    "trace_digest",
    "faults",
    "violations",
)

#: Violation kinds in the summary table, in order: (kind, column heading).
KINDS = (
    ("lost silently", "lost silently"),
    ("duplicates delivered", "duplicates"),
    ("corrupt delivered", "corrupt"),
    ("stuck past max_tyme", "stuck"),
    ("raised", "raised"),
    ("memory", "memory"),
    ("network", "network"),
)


def kind_of(violation: str) -> str:
    """The kind of a violation line: "3 lost silently" -> "lost silently"."""
    head = violation.split(":", 1)[0]
    if head.startswith("raised"):
        return "raised"
    return re.sub(r"^[\d,]+ ", "", head)


def check_run(doc: dict[str, Any], file: str, doer: str, trace: bool = False) -> dict[str, Any]:
    """Worker: one Doer's sim run of a drawn document; its numbers and violations."""
    from ..sim import Network
    from .simrun import run_sim

    scenario = parse_scenario(doc, file)
    watch = MemoryWatch()
    nets: list[Network] = []
    row: dict[str, Any] = {"seed": scenario.seed, "doer": doer, "trace": None}
    try:
        result = run_sim(
            scenario,
            doer,
            scenario.seed,
            trace_events=trace,
            pcap=nets.append,
            progress=watch,
            watch=watch,
        )
    except DoerRaised as ex:  # a Doer of the scenario's own raised (run_sim names it)
        row["violations"] = [f"raised {ex.raised}"]
        return row
    except Exception as ex:  # memosim's own Doers, or the code under them
        text = str(ex).splitlines()[0] if str(ex) else ""
        row["violations"] = [f"raised {type(ex).__name__}: {text}"]
        return row
    s = result.summary
    for key in CSV_COLUMNS[3:10]:
        row[key] = s.get(key)
    row["trace_digest"] = result.trace_digest
    violations = []
    acked = all(scenario.peer(src).acked for src, _dst in scenario.pairs())
    if acked and promises_acked(doer):
        violations += acked_violations(s) + stuck(result.rows, scenario)
    violations += watch.violations()
    violations += conservation(result.network, nets[0].in_flight)
    row["violations"] = violations
    if trace:
        assert nets[0].trace is not None
        row["trace"] = nets[0].trace.serialise()
    return row


def faults(doc: dict[str, Any]) -> str:
    """A run's drawn faults in one cell: each link's impairments, the partitions."""
    parts = []
    for link in doc["links"]:
        keys = [k for k in link if k not in ("src", "dst", "both")]
        parts.append(f"{link['src']}>{link['dst']}: {' '.join(keys) or 'clean'}")
    if doc["partitions"]:
        parts.append(f"{len(doc['partitions'])} partitions")
    memos = sum(w["count"] for w in doc["workload"])
    return "; ".join([*parts, f"{memos} memos"])


@dataclass
class ExploreResult:
    """What an exploration found: one row per run and Doer, and the shrunk failure."""

    scenario: str
    seed: int
    runs: int
    doers: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    shrunk: list[Shrunk] = field(default_factory=list)

    @property
    def violating(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["violations"]]


@dataclass
class Shrunk:
    """One distinct failure shrunk: its smallest scenario and how it got there."""

    doer: str
    kind: str
    run: int
    path: Path
    steps: list[str]
    runs: int
    violations: list[str]


def _slug(doer: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", doer)


def _replay_doc(doc: dict[str, Any], doer: str) -> dict[str, Any]:
    out = dict(doc)
    out["scenario"] = dict(doc["scenario"], doers=[doer])
    return out


def _write_case(
    doc: dict[str, Any], file: str, doer: str, folder: Path, stem: str, comment: str
) -> tuple[Path, dict[str, Any]]:
    """The scenario file of a failing run and its trace (run again here, traced)."""
    folder.mkdir(parents=True, exist_ok=True)
    replay = _replay_doc(doc, doer)
    path = write_scenario(replay, folder / f"{stem}.toml", comment)
    row = check_run(replay, str(path), doer, trace=True)
    (folder / f"{stem}-trace.txt" if stem != "scenario" else folder / "trace.txt").write_text(
        row["trace"] or "(no trace: the run raised before it ended)\n", encoding="utf-8"
    )
    return path, row


def explore(
    scenario: Scenario,
    out: Path,
    *,
    runs: int,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[int, dict[str, Any]], None] | None = None,
    shrink_budget: int = 200,
) -> ExploreResult:
    """Run the exploration and write its files into out (module docstring)."""
    seed = scenario.seed if seed is None else seed
    docs = [draw_run(scenario, seed, i) for i in range(runs)]
    tasks = [(d, scenario.file, doer) for d in docs for doer in scenario.doers]
    rows = run_tasks(
        check_run,
        tasks,
        workers=workers,
        scheduler=scheduler,
        done=done,
        name=lambda k: f"run {k // len(scenario.doers)}, {tasks[k][2]}",
    )
    result = ExploreResult(scenario.name, seed, runs, scenario.doers)
    for k, row in enumerate(rows):
        row["run"] = k // len(scenario.doers)
        row["faults"] = faults(docs[row["run"]])
        result.rows.append(row)
    out.mkdir(parents=True, exist_ok=True)
    _clear_earlier(out)
    for row in result.violating[:MAX_WRITTEN]:
        doc = docs[row["run"]]
        name = f"run-{row['run']:04d}-{_slug(row['doer'])}"
        note = (
            f"memosim explore {scenario.name}, seed {seed}: run {row['run']}, {row['doer']}\n"
            f"violations: {'; '.join(row['violations'])}\n"
            f"replay: memosim run {out / 'violations' / name / 'scenario.toml'}"
        )
        path, _ = _write_case(
            doc, scenario.file, row["doer"], out / "violations" / name, "scenario", note
        )
        result.written.append(path)
    for row, kind in distinct_failures(result.violating)[:MAX_SHRUNK]:
        stem = "smallest" if not result.shrunk else f"smallest-{len(result.shrunk) + 1}"
        doc = docs[row["run"]]
        result.shrunk.append(_shrink(scenario, out, doc, row, kind, stem, shrink_budget))
    _write_csv(result.rows, out / "explore.csv")
    return result


def _clear_earlier(out: Path) -> None:
    """Remove what an earlier exploration wrote into out (its file names
    only): a smallest-3.toml of an old run must not pass for this one's."""
    for path in [*out.glob("smallest*.toml"), *out.glob("smallest*-trace.txt")]:
        path.unlink()
    for case in out.glob("violations/run-*"):
        if case.is_dir() and not case.is_symlink():
            shutil.rmtree(case)
        else:
            case.unlink()


def distinct_failures(violating: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """(row, kind) for the first violating run of each Doer and kind it
    broke, in run order (a run's kinds in the summary table's order): a Doer
    that loses memos and duplicates others has two failures to shrink, also
    when every run of it does both."""
    seen: set[tuple[str, str]] = set()
    out = []
    for row in violating:
        for kind in kinds_of(row["violations"]):
            if (row["doer"], kind) not in seen:
                seen.add((row["doer"], kind))
                out.append((row, kind))
    return out


def kinds_of(violations: Sequence[str]) -> list[str]:
    """A run's violation kinds, in the summary table's order."""
    kinds = {kind_of(v) for v in violations}
    known = [k for k, _h in KINDS]
    return [k for k in known if k in kinds] + sorted(kinds.difference(known))


def _shrink(
    scenario: Scenario,
    out: Path,
    doc: dict[str, Any],
    row: dict[str, Any],
    kind: str,
    stem: str,
    budget: int,
) -> Shrunk:
    """Shrink one failing run while it still breaks `kind`; write it as stem."""
    doer = row["doer"]

    def still_fails(cand: dict[str, Any]) -> bool:
        again = check_run(_replay_doc(cand, doer), scenario.file, doer)
        return kind in {kind_of(v) for v in again["violations"]}

    small, steps, spent = shrink(_replay_doc(doc, doer), scenario.file, still_fails, budget=budget)
    note = (
        f"memosim explore {scenario.name}: run {row['run']} shrunk in {spent} runs "
        f"({len(steps)} changes kept)\nreplay: memosim run {out / (stem + '.toml')}\n"
        + "".join(f"- {step}\n" for step in steps)
    )
    path, again = _write_case(small, scenario.file, doer, out, stem, note)
    return Shrunk(doer, kind, row["run"], path, steps, spent, again["violations"])


def _write_csv(rows: Sequence[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for r in rows:
            cells = [r.get(c) for c in CSV_COLUMNS]
            cells[-1] = "; ".join(r["violations"])
            w.writerow(["" if c is None else c for c in cells])


def format_summary(result: ExploreResult) -> str:
    """The table printed at the end: per Doer, runs and violations by kind."""
    heads = ["runs", "violating", *(h for _k, h in KINDS)]
    width = max(len(d) for d in (*result.doers, "Doer"))
    lines = [
        f"explore {result.scenario}  seed {result.seed}  {result.runs} runs x "
        f"{len(result.doers)} Doers",
        f"{'Doer':<{width}}" + "".join(f"  {h:>{max(len(h), 5)}}" for h in heads),
    ]
    lines.append("-" * len(lines[-1]))
    for doer in result.doers:
        mine = [r for r in result.rows if r["doer"] == doer]
        counts = [len(mine), sum(1 for r in mine if r["violations"])]
        for kind, _h in KINDS:
            counts.append(sum(1 for r in mine if kind in {kind_of(v) for v in r["violations"]}))
        lines.append(
            f"{doer:<{width}}" + "".join(f"  {c:>{max(len(h), 5)}}" for c, h in zip(counts, heads))
        )
    bad = result.violating
    if not bad:
        lines.append("no violation found")
        return "\n".join(lines)
    lines.append("")
    for r in bad[:MAX_WRITTEN]:
        lines.append(
            f"VIOLATION run {r['run']} seed {r['seed']} {r['doer']}: {'; '.join(r['violations'])}"
        )
    if len(bad) > MAX_WRITTEN:
        lines.append(f"... and {len(bad) - MAX_WRITTEN} more in explore.csv")
    for shrunk in result.shrunk:
        found = "; ".join(shrunk.violations) or "no violation"
        who = f"{shrunk.doer}, " if len({s.doer for s in result.shrunk}) > 1 else ""
        lines.append(
            f"smallest: {shrunk.path} ({who}{found}; {len(shrunk.steps)} changes "
            f"kept of {shrunk.runs} tried)"
        )
        lines.append(f"replay:   memosim run {shrunk.path}")
    unshrunk = len(distinct_failures(bad)) - len(result.shrunk)
    if result.shrunk and unshrunk > 0:
        lines.append(
            f"... and {unshrunk} more distinct failure{'' if unshrunk == 1 else 's'} "
            f"(Doer and kind) not shrunk: at most {MAX_SHRUNK} are"
        )
    return "\n".join(lines)
