"""Review r2: a seeded, bounded fuzzer of scenario files through `memosim run`.

Each case takes a shipped scenario, hio-* ones included (made short: at most three memos per
workload, a coarse tock), changes one key (deletes it, adds an unknown
sibling, repeats an array entry, scales a number, or sets it to a value of
another type or range: strings, NaN, +-inf, 1e300, 2**70, booleans, empty
tables and arrays) and runs `memosim run` in this process on the sim backend.
The promise (docs/cli.md, "Errors and exit status"): the run succeeds, or
the command exits 2 with exactly one line on stderr, naming the file and
the key, and writes nothing; nothing raises out of it. The first version
found overflowing tymes and lognormal sizes (test_review_r2_huge_tymes.py).
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from memosim.cli import main

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEED = 20261130
CASES = 1500

VALUES: list[Any] = [
    *["x", "", "PeerMemoerDoer", "*", "127.0.0.1"],
    *[-1, 0, 1, 2**70, -(2**70), 65536],
    *[0.5, 1.5, -0.5, 1e-300, 1e300, -1e300, math.nan, math.inf, -math.inf],
    *[True, False, [], {}, [1], ["x", "x"], {"a": 1}, {"rate": 0.1}],
]


def _value(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, int | float):
        return repr(x)
    if isinstance(x, str):
        return json.dumps(x)
    if isinstance(x, list):
        return "[" + ", ".join(_value(v) for v in x) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in x.items()) + "}"


def toml_text(doc: dict[str, Any]) -> str:
    """TOML for any document: tables as [k], arrays of tables as [[k]], the rest inline."""
    top, body = [], []
    for key, value in doc.items():
        name = json.dumps(key)
        if isinstance(value, dict):
            body += [f"[{name}]", *(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items())]
        elif isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
            for entry in value:
                body += [f"[[{name}]]"]
                body += [f"{json.dumps(k)} = {_value(v)}" for k, v in entry.items()]
        else:
            top.append(f"{name} = {_value(value)}")
    return "\n".join(top + body) + "\n"


def _paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if at:
        yield at
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield from _paths(child, (*at, key))


def _short(doc: dict[str, Any]) -> dict[str, Any]:
    scenario = doc["scenario"]
    scenario["tock_s"] = max(0.02, scenario["duration_s"] / 2000)
    for workload in doc["workload"]:
        workload["count"] = min(workload["count"], 3)
    return doc


def mutate(doc: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str, str]:
    """A copy of doc with one key changed; (copy, dotted key, what was done)."""
    doc = copy.deepcopy(doc)
    path = rng.choice(list(_paths(doc)))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    key, old = path[-1], parent[path[-1]]
    label = ".".join(str(p) for p in path)
    how = rng.randrange(5)
    if how == 0 and isinstance(parent, dict):
        del parent[key]
        return doc, label, "deleted"
    if how == 1 and isinstance(parent, dict):
        parent[f"{key}x"] = old
        return doc, label, "unknown sibling"
    if how == 2 and isinstance(old, list) and old:
        parent[key] = [*old, copy.deepcopy(old[0])]
        return doc, label, "first entry repeated"
    if how == 3 and isinstance(old, int | float) and not isinstance(old, bool):
        new = rng.choice([old * 1e6, -old, old + 0.5, float(old), 0])
    else:
        new = rng.choice(VALUES)
    parent[key] = new
    return doc, label, f"set to {_value(new)}"


def _cases() -> list[tuple[str, dict[str, Any], str, str]]:
    files = sorted(SCENARIOS.glob("*.toml"))  # hio-* too: `make test` installs hio
    bases = {f.name: _short(tomllib.loads(f.read_text(encoding="utf-8"))) for f in files}
    rng = random.Random(SEED)
    out = []
    for _ in range(CASES):
        name = rng.choice(sorted(bases))
        doc, label, how = mutate(bases[name], rng)
        out.append((name, doc, label, how))
    return out


def test_every_mutated_scenario_runs_or_is_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = refused = 0
    for i, (name, doc, label, how) in enumerate(_cases()):
        case = f"case {i}: {name} {label} {how}"
        path = tmp_path / f"c{i}.toml"
        path.write_text(toml_text(doc), encoding="utf-8")
        out = tmp_path / f"out{i}"
        status = main(["run", str(path), "--no-plots", "-q", "--out", str(out)])
        err = capsys.readouterr().err
        assert "Traceback" not in err, f"{case}\n{err}"
        if status == 0:
            ran += 1
            assert (out / "summary.json").is_file(), case
            continue
        refused += 1
        lines = err.splitlines()
        assert status == 2 and len(lines) == 1, f"{case}: status {status}\n{err}"
        # <file>: <key path>: expected ..., found ...  (the key path names where)
        where = re.match(rf"{re.escape(str(path))}: ([A-Za-z_][\w.\[\]\"-]*): expected ", lines[0])
        assert where, f"{case}: {lines[0]}"
        assert not out.exists(), f"{case}: a refused run wrote {out}"
    assert ran > CASES // 10 and refused > CASES // 2, (ran, refused)


def test_the_fuzzer_is_seeded() -> None:
    assert _cases()[:20] == _cases()[:20]
