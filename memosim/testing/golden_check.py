"""One scenario file against its golden: the verdict and the message a failure shows.

Shared by the scenario items the plugin collects and by the ``memosim_golden``
fixture (memosim's own tests/test_regression.py), so both fail with the same
words: scenario, seed, Doer, metric, old -> new, and the command that
regenerates. With ``regen`` the golden is written instead (only when its text
changes) and the check passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .goldens import GoldenError, GoldenSuite, compare, dumps

__all__ = ["Verdict", "check_scenario"]

_CANON = "same data, file not in canonical form"


@dataclass
class Verdict:
    """What checking one scenario found.

    message: the failure text, None when the scenario matches its golden (or
    regen wrote it); wrote: the golden file written, from the suite's root;
    moved: the old -> new lines (also when regen wrote them).
    """

    name: str
    message: str | None = None
    wrote: str | None = None
    moved: list[str] = field(default_factory=list)


def check_scenario(suite: GoldenSuite, path: Path, *, regen: bool = False) -> Verdict:
    """Run the scenario file and compare it with (or, with regen, write) its golden."""
    fresh = suite.collect(path)
    name = fresh["scenario"]
    try:
        old = suite.load_golden(name)
    except GoldenError as ex:
        if not regen:
            raise GoldenError(f"{ex}; rewrite it: {suite.regenerate_command(name, path)}") from None
        suite.write_golden(fresh)  # regen rewrites what it cannot read
        return Verdict(name, wrote=suite.relative(suite.golden_path(name)), moved=[str(ex)])
    rel = suite.relative(suite.golden_path(name))
    command = suite.regenerate_command(name, path)
    if old is None:
        moved = ["no golden file yet"]
    else:
        moved = compare(old, fresh)
        if not moved and dumps(old) != dumps(fresh):
            moved = [_CANON]
    if not moved:
        return Verdict(name)
    if regen:
        suite.write_golden(fresh)
        return Verdict(name, wrote=rel, moved=moved)
    if old is None:
        text = (
            f"{name}: no golden file {rel} yet. Make it and review it:\n"
            f"    {command}\n"
            f"    cat {rel}"
        )
    elif moved == [_CANON]:
        text = f"{name}: {rel} holds the same results in another layout; rewrite it:\n    {command}"
    else:
        text = (
            f"sim results of scenario {name} moved from its golden file:\n"
            + "\n".join(f"  {line}" for line in moved)
            + "\nIf the change is intended, regenerate and review the diff:\n"
            f"    {command}\n"
            f"    git diff {rel}"
        )
    return Verdict(name, message=text, moved=moved)
