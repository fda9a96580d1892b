"""What every ``memosim`` subcommand's wiring shares: the one-line parser, typed
options, the errors the command turns into an exit status.

Kept apart from :mod:`memosim.cli` so a subcommand wired in a module of its
own (:mod:`memosim.cli_explore`) uses the same pieces without importing the
command itself.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = ["BackendError", "Parser", "integer", "progress_wanted"]


class BackendError(Exception):
    """A backend that cannot run here (one line, exit status 1)."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line: "<prog>: error: <what> (see <prog> --help)"."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def integer(what: str, lo: int | None = None) -> Callable[[str], int]:
    """An option type: a base-10 integer, at least lo; the message says `what`."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, found {text!r}") from None
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"expected {what}, found {value}")
        return value

    parse.__name__ = what
    return parse


def progress_wanted(args: argparse.Namespace) -> bool:
    """A bar on stderr: not with --quiet or --json, and only on a terminal."""
    from .testbed.progress import on_terminal

    quiet = getattr(args, "quiet", False) or getattr(args, "json", False)
    return not quiet and on_terminal(sys.stderr)
