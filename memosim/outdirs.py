"""Where the memosim command writes results: a directory of its own for every run.

Without --out, a run gets results/<scenario>/<backend>-seed<N>, with -2, -3,
... added when that one is taken, so nothing is overwritten silently. An
--out directory is refused when it holds anything but the same run (same
scenario, backend, seed and Doers) unless --force. A directory the command
made is removed again when the command fails or is interrupted before
writing into it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "OutDir",
    "UsageError",
    "describe",
    "fresh",
    "has_files",
    "listing",
    "run_identity",
    "run_outdir",
]


class UsageError(Exception):
    """A bad argument found after parsing (one line, exit status 2)."""


def has_files(path: Path) -> bool:
    try:
        return any(path.iterdir())
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise UsageError(f"argument --out: {str(path)!r} is a file, not a directory") from None
    except OSError as ex:
        raise UsageError(
            f"argument --out: cannot read directory {str(path)!r} "
            f"({(ex.strerror or type(ex).__name__).lower()})"
        ) from None


def fresh(base: Path) -> Path:
    """base when it is missing or empty, else the first empty base-2, base-3, ..."""
    path, n = base, 2
    while has_files(path):
        path = base.with_name(f"{base.name}-{n}")
        n += 1
    return path


def run_identity(path: Path) -> dict[str, Any] | None:
    """What run a results directory holds (from its summary.json), or None."""
    try:
        doc = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        return {
            "scenario": doc["scenario"],
            "backend": doc["backend"],
            "seed": doc["seed"],
            "doers": [r["doer"] for r in doc["runs"]],
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def describe(ident: dict[str, Any]) -> str:
    return (
        f"scenario {ident['scenario']}, backend {ident['backend']}, seed {ident['seed']}, "
        f"{' and '.join(ident['doers'])}"
    )


class OutDir:
    """The results directory of a command: created (with any missing parents)
    before the command runs, removed again when the command fails or is
    interrupted before writing into it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.made: list[Path] = []
        missing = []
        p = path
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as ex:
            raise UsageError(
                f"argument --out: cannot create directory {str(path)!r} "
                f"({(ex.strerror or type(ex).__name__).lower()})"
            ) from None
        self.made = missing  # deepest first

    def discard(self) -> None:
        for p in self.made:
            try:
                p.rmdir()
            except OSError:
                break


def run_outdir(args: argparse.Namespace, ident: dict[str, Any]) -> OutDir:
    if args.out is None:
        return OutDir(
            fresh(Path("results") / ident["scenario"] / f"{ident['backend']}-seed{ident['seed']}")
        )
    if has_files(args.out) and not args.force:
        held = run_identity(args.out)
        if held is None:
            raise UsageError(
                f"argument --out: {str(args.out)!r} is not empty and holds no "
                "memosim run; choose another directory, or --force to write "
                "into it"
            )
        if held != ident:
            raise UsageError(
                f"argument --out: {str(args.out)!r} holds another run "
                f"({describe(held)}); choose another directory, or --force "
                "to overwrite it"
            )
    return OutDir(args.out)


def _shown(path: Path) -> str:
    if path.is_dir():  # a directory of plots: its name and how many
        return f"{path.name}/ ({sum(1 for _ in path.glob('*.png'))} PNGs)"
    return path.name


def listing(out: Path, paths: Sequence[Path]) -> str:
    return f"wrote {out}{'' if str(out).endswith('/') else '/'}: " + ", ".join(
        _shown(p) for p in paths
    )
