"""Scenario files pinned by golden files: what is pinned, where, and how it is compared.

For every scenario file and each of its regression seeds (the scenario's own
seed and the next one), the sim backend runs every Doer and each run is
reduced to the integer counters of :data:`METRICS` plus the run's trace digest
(SHA-256 over every datagram event). Nothing timing-dependent is kept (no wall
time; latencies follow from the trace, which the digest pins), so a golden
changes only when the protocol, the network model, the workload generator or
the scenario changes.

A :class:`GoldenSuite` says where the scenarios and their goldens live and
which command regenerates them; memosim's own suite (tests/regression/) and
the pytest plugin's ``--memosim-scenarios`` are two suites of the same kind.
Golden files are written by :func:`dumps` as sorted, indented JSON with a
trailing newline, so regenerating an unchanged scenario rewrites it byte for
byte and a real change is a small, readable diff.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..testbed.backend import RunResult
from ..testbed.runner import run_scenario
from ..testbed.scenario import Scenario, load_scenario

__all__ = [
    "FORMAT",
    "METRICS",
    "GoldenSuite",
    "compare",
    "dumps",
    "reduce_run",
    "scenario_digest",
    "scenario_name",
    "seeds_for",
]

#: Version of the golden document layout.
FORMAT = 2  # 2: pins the breach counters (lost_silently, in_flight_at_end, false_give_ups)

#: Summary counters pinned per (seed, Doer), in message order. All integers.
METRICS = (
    "memos_sent",
    "memos_delivered",
    "duplicates_delivered",
    "corrupt_delivered",
    "grams_sent",
    "grams_retransmitted",
    "acks_sent",
    "gave_up",
    "lost_silently",
    "in_flight_at_end",
    "false_give_ups",
)


def scenario_name(path: Path) -> str:
    """The scenario's name (its file stem unless it sets one); the stem if it
    does not load, so that the failure is reported by the test, not at collection."""
    try:
        return load_scenario(path).name
    except ScenarioError:
        return path.stem


def seeds_for(scenario: Scenario) -> tuple[int, int]:
    """The regression seeds of a scenario: its own seed and the next one."""
    return (scenario.seed, scenario.seed + 1)


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical document, its free-text description left
    out: changes whenever anything that can change a run changes."""
    doc = scenario.to_dict()
    doc.get("scenario", {}).pop("description", None)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def reduce_run(run: RunResult) -> dict[str, Any]:
    """The pinned part of one Doer's run."""
    out: dict[str, Any] = {m: run.summary[m] for m in METRICS}
    out["trace_digest"] = run.trace_digest
    return out


def dumps(doc: dict[str, Any]) -> str:
    """Stable text of a golden document: sorted keys, two-space indent, newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


@dataclass(frozen=True)
class GoldenSuite:
    """Where a suite's scenarios and goldens live, and how they are regenerated.

    scenarios_dir: the scenario files (``*.toml``, not recursive);
    golden_dir: one ``<scenario name>.json`` per scenario;
    root: paths written into golden documents and messages are relative to it;
    regenerate: the command that rewrites one scenario's golden, with
    ``{name}`` (scenario name) and ``{file}`` (its path from root) filled in.
    """

    scenarios_dir: Path
    golden_dir: Path
    root: Path
    regenerate: str

    def scenario_files(self) -> list[Path]:
        """Every scenario file of the suite, sorted by file name."""
        return sorted(self.scenarios_dir.glob("*.toml"))

    def relative(self, path: Path) -> str:
        """path from the suite's root when it is under it, else as given."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def regenerate_command(self, name: str, path: Path) -> str:
        return self.regenerate.format(name=name, file=self.relative(path))

    def golden_path(self, name: str) -> Path:
        return self.golden_dir / f"{name}.json"

    def load_golden(self, name: str) -> dict[str, Any] | None:
        """The golden document of a scenario, None when there is none yet;
        GoldenError (one line) when the file is not one --memosim-regen wrote."""
        path = self.golden_path(name)
        if not path.exists():
            return None
        rel = self.relative(path)
        try:
            doc = json.loads(path.read_bytes().decode("utf-8"))
        except OSError as ex:
            raise GoldenError(f"{rel}: {_BAD}, found {_os_reason(ex)}") from None
        except UnicodeDecodeError as ex:
            raise GoldenError(f"{rel}: {_BAD} (expected UTF-8), found {ex.reason}") from None
        except json.JSONDecodeError as ex:
            raise GoldenError(
                f"{rel}: {_BAD} (expected JSON), found {ex.msg.lower()} at line {ex.lineno}"
            ) from None
        flaw = _golden_flaw(doc)
        if flaw is not None:
            raise GoldenError(f"{rel}: {_BAD}, found {flaw}")
        return doc  # type: ignore[no-any-return]

    def collect(self, path: Path) -> dict[str, Any]:
        """Run the scenario file on the sim backend with every regression seed and
        return its golden document."""
        scenario = load_scenario(path)
        seeds: dict[str, Any] = {}
        for seed in seeds_for(scenario):
            result = run_scenario(scenario, backend="sim", seed=seed)
            seeds[str(seed)] = {run.doer: reduce_run(run) for run in result.runs}
        return {
            "format": FORMAT,
            "scenario": scenario.name,
            "file": self.relative(path),
            "scenario_digest": scenario_digest(scenario),
            "regenerate": self.regenerate_command(scenario.name, path),
            "seeds": seeds,
        }

    def write_golden(self, doc: dict[str, Any]) -> bool:
        """Write the document to its golden file; True when the file changed."""
        path = self.golden_path(doc["scenario"])
        text = dumps(doc)
        try:
            if path.is_file() and path.read_bytes() == text.encode("utf-8"):
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as ex:
            raise GoldenError(
                f"{self.relative(path)}: cannot write the golden file ({_os_reason(ex)})"
            ) from None
        return True


class GoldenError(ValueError):
    """A golden file that cannot be read as one, or written (the message is one line)."""


_BAD = "expected a golden file as --memosim-regen writes it"


def _os_reason(ex: OSError) -> str:
    reason = ex.strerror or type(ex).__name__
    return reason[0].lower() + reason[1:]


def _golden_flaw(doc: Any) -> str | None:
    """What is wrong with a decoded golden document's shape, or None."""
    if not isinstance(doc, dict):
        kind = "an array" if isinstance(doc, list) else f"a JSON {type(doc).__name__}"
        return f"{kind}, not an object"
    seeds = doc.get("seeds", {})
    if not isinstance(seeds, dict):
        return "seeds that is not an object"
    for seed, runs in seeds.items():
        if not isinstance(runs, dict) or not all(isinstance(r, dict) for r in runs.values()):
            return f"seeds.{seed} that is not an object of Doers' results"
    return None


def _show(metric: str, value: Any) -> str:
    if metric == "trace_digest" and isinstance(value, str):
        return value[:16]
    return "missing" if value is None else str(value)


def _seed_order(seed: str) -> tuple[int, str]:
    return (int(seed), seed) if seed.lstrip("-").isdigit() else (0, seed)


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What moved from the golden document old to the fresh document new, one
    line each, e.g. ``loss-5 seed 1 SafePeerMemoerDoer: grams_retransmitted
    412 -> 398``. Empty when nothing did."""
    name = new.get("scenario") or old.get("scenario")
    lines = []
    if old.get("format") != new.get("format"):
        lines.append(f"{name}: golden format {old.get('format')} -> {new.get('format')}")
    if old.get("scenario_digest") != new.get("scenario_digest"):
        lines.append(
            f"{name}: the scenario itself changed since the golden was made "
            f"(scenario_digest {_show('trace_digest', old.get('scenario_digest'))}"
            f" -> {_show('trace_digest', new.get('scenario_digest'))})"
        )
    old_seeds, new_seeds = old.get("seeds", {}), new.get("seeds", {})
    for seed in sorted(set(old_seeds) | set(new_seeds), key=_seed_order):
        if seed not in new_seeds:
            lines.append(f"{name} seed {seed}: in the golden file but no longer run")
            continue
        if seed not in old_seeds:
            lines.append(f"{name} seed {seed}: run but not in the golden file")
            continue
        old_doers, new_doers = old_seeds[seed], new_seeds[seed]
        for doer in list(dict.fromkeys([*old_doers, *new_doers])):
            if doer not in new_doers:
                lines.append(f"{name} seed {seed} {doer}: in the golden file but no longer run")
                continue
            if doer not in old_doers:
                lines.append(f"{name} seed {seed} {doer}: run but not in the golden file")
                continue
            was, now = old_doers[doer], new_doers[doer]
            for metric in (*METRICS, "trace_digest"):
                if was.get(metric) != now.get(metric):
                    lines.append(
                        f"{name} seed {seed} {doer}: {metric} "
                        f"{_show(metric, was.get(metric))} -> "
                        f"{_show(metric, now.get(metric))}"
                    )
    return lines
