"""Rewrite the golden sim summaries of the regression suite, on purpose.

    .venv/bin/python -m tests.regression.regenerate                  # every scenario
    .venv/bin/python -m tests.regression.regenerate --scenario loss-5
    .venv/bin/python tests/regression/regenerate.py --scenario loss-5 --scenario loss-20
    .venv/bin/python -m tests.regression.regenerate --check          # compare only

Runs each scenario on the sim backend with its regression seeds, writes
``tests/regression/golden/<scenario>.json`` (stable sorted JSON, untouched when
nothing changed) and prints what moved, metric by metric. Review the result
with ``git diff tests/regression/golden`` before committing it.

Exit status: 0 on success; with ``--check``, 1 when any golden file is
missing or differs; 2 on a usage error (unknown scenario name).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__:
    from . import golden
else:  # run as a script: python tests/regression/regenerate.py
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import golden  # type: ignore[no-redef]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.regression.regenerate",
        description="Rewrite tests/regression/golden/<scenario>.json from fresh sim runs.",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        default=[],
        help="only this scenario (its name or file stem); repeatable",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any golden file would change"
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="also delete golden files of scenarios that no longer exist",
    )
    args = parser.parse_args(argv)

    files = {golden.scenario_name(p): p for p in golden.scenario_files()}
    stems = {p.stem: name for name, p in files.items()}
    chosen = []
    for want in args.scenario:
        name = want if want in files else stems.get(want)
        if name is None:
            parser.error(f"no scenario named {want!r}; known: {', '.join(sorted(files))}")
        chosen.append(name)
    names = list(dict.fromkeys(chosen)) or sorted(files)

    dirty = False
    for name in names:
        t0 = time.perf_counter()
        doc = golden.collect(files[name])
        took = time.perf_counter() - t0
        old = golden.load_golden(name)
        rel = golden.golden_path(name).relative_to(golden.REPO)
        if old is None:
            moved = ["no golden file yet"]
        else:
            moved = golden.compare(old, doc)
            if not moved and golden.dumps(old) != golden.dumps(doc):
                moved = ["same data, file not in canonical form"]
        if not moved:
            print(f"{name}: unchanged ({took:.2f} s)")
            continue
        dirty = True
        if args.check:
            print(f"{name}: differs from {rel} ({took:.2f} s)")
        else:
            golden.write_golden(doc)
            print(f"{name}: wrote {rel} ({took:.2f} s)")
        for line in moved:
            print(f"    {line}")

    stale = sorted(p for p in golden.GOLDEN_DIR.glob("*.json") if p.stem not in files)
    for path in stale:
        rel = path.relative_to(golden.REPO)
        if args.prune and not args.check:
            path.unlink()
            print(f"{path.stem}: deleted {rel} (no such scenario)")
        else:
            dirty = True
            print(f"{path.stem}: {rel} has no scenario (delete it, or use --prune)")

    if args.check:
        return 1 if dirty else 0
    if dirty:
        print("review the change: git diff tests/regression/golden")
    return 0


if __name__ == "__main__":
    sys.exit(main())
