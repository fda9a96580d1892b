"""`memosim run --pcap` and `--trace`: one capture and one trace file per Doer.

A backend hands every run's :class:`~memosim.sim.network.Network` to
:meth:`Capture.open` before traffic flows and its trace to
:meth:`Capture.close` after; the files are written into a staging directory
and moved into the results directory only with the rest of the run's
results, so a run that fails or is interrupted leaves no half capture
behind. Both backends are supported: on udp the capture and the trace are
the relay's network (the scenario's addresses, times since the run
started), as the relay saw each datagram.

Files, ``<doer>`` being the Doer's name with anything but letters, digits,
``.``, ``_`` and ``-`` made ``_``:

- ``<doer>.pcap``: classic pcap (Raw IPv4, UDP), one record per datagram
  delivered (``--pcap``, ``--pcap deliver``) or sent before any impairment
  (``--pcap send``); readable by tshark and Wireshark
  (:mod:`memosim.sim.pcap`);
- ``<doer>.trace.txt``: the trace's text lines (:mod:`memosim.sim.trace`),
  whose SHA-256 is the run's ``trace_digest`` on sim;
- ``<doer>.trace.jsonl``: the same events, one JSON object a line.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..sim.pcap import PcapWriter

if TYPE_CHECKING:
    from ..sim.network import Network
    from ..sim.trace import Trace

__all__ = [
    "PCAP_POINTS",
    "TRACE_FORMATS",
    "Capture",
    "add_capture_options",
    "capture_files",
    "jsonl_lines",
]

PCAP_POINTS = ("deliver", "send")
TRACE_FORMATS = ("text", "jsonl")
_SUFFIX = {"text": ".trace.txt", "jsonl": ".trace.jsonl"}


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    """An option value among choices; anything else, typically FILE after a
    bare option, gets an error that says where FILE goes."""

    def parse(text: str) -> str:
        if text in choices:
            return text
        hint = " (without a value, put the option after FILE)" if "." in text else ""
        raise argparse.ArgumentTypeError(f"expected {' or '.join(choices)}, found {text!r}{hint}")

    return parse


def add_capture_options(run: argparse.ArgumentParser) -> None:
    """The --pcap and --trace options of `memosim run`."""
    run.add_argument(
        "--pcap",
        nargs="?",
        const="deliver",
        type=_one_of(PCAP_POINTS),
        metavar="deliver|send",
        help="also write <doer>.pcap per Doer (tshark, Wireshark): every datagram as "
        "delivered (the default) or as sent, before any impairment",
    )
    run.add_argument(
        "--trace",
        nargs="?",
        const="text",
        type=_one_of(TRACE_FORMATS),
        metavar="text|jsonl",
        help="also write each Doer's datagram event trace: <doer>.trace.txt "
        "(text, the default; its SHA-256 is the run's trace digest) or "
        "<doer>.trace.jsonl (one JSON object a line)",
    )


def file_stem(doer: str) -> str:
    """A Doer's name as a file name (a module:Class name loses its colon)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", doer)


def capture_files(doer: str) -> list[str]:
    """Every file name a capture may write for ``doer``."""
    stem = file_stem(doer)
    return [f"{stem}.pcap", *(stem + s for s in _SUFFIX.values())]


def jsonl_lines(trace: Trace) -> Iterator[str]:
    """The trace's events as JSON lines: the text line's fields by name,
    time as its 9-decimal value, reason null when there is none."""
    for e in trace.events:
        yield (
            json.dumps(
                {
                    "time": float(f"{e.time:.9f}"),
                    "kind": e.kind,
                    "src": e.src,
                    "dst": e.dst,
                    "size": e.size,
                    "reason": None if e.reason == "-" else e.reason,
                    "phash": e.phash,
                },
                separators=(",", ":"),
            )
            + "\n"
        )


class Capture:
    """The files `--pcap` and `--trace` ask for, staged until the run is saved.

    pcap: None, "deliver" or "send"; trace: None, "text" or "jsonl".
    Use as a context manager: the staging directory goes on the way out.
    """

    def __init__(self, pcap: str | None = None, trace: str | None = None) -> None:
        if pcap not in (None, *PCAP_POINTS):
            raise ValueError(f"pcap must be one of {PCAP_POINTS} or None, got {pcap!r}")
        if trace not in (None, *TRACE_FORMATS):
            raise ValueError(f"trace must be one of {TRACE_FORMATS} or None, got {trace!r}")
        self.pcap = pcap
        self.trace = trace
        self._stage: Path | None = None
        self._writers: dict[str, PcapWriter] = {}
        self.staged: list[Path] = []

    @property
    def wanted(self) -> bool:
        return self.pcap is not None or self.trace is not None

    def _staging(self) -> Path:
        if self._stage is None:
            self._stage = Path(tempfile.mkdtemp(prefix="memosim-capture-"))
        return self._stage

    def open(self, doer: str, network: Network) -> None:
        """Tap the network of doer's run (before any datagram is sent)."""
        if self.pcap is None:
            return
        path = self._staging() / f"{file_stem(doer)}.pcap"
        writer = self._writers[doer] = PcapWriter(path)
        network.tap(writer.write, self.pcap)
        self.staged.append(path)

    def close(self, doer: str, trace: Trace | None) -> None:
        """Doer's run is over: close its capture, write its trace."""
        writer = self._writers.pop(doer, None)
        if writer is not None:
            writer.close()
        if self.trace is None or trace is None:
            return
        path = self._staging() / (file_stem(doer) + _SUFFIX[self.trace])
        lines = trace.lines() if self.trace == "text" else jsonl_lines(trace)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(lines)
        self.staged.append(path)

    def save(self, out: Path, doers: Iterable[str]) -> list[Path]:
        """Move the staged files into ``out``; remove capture files of these
        Doers that an earlier run left there and this one did not write."""
        moved = []
        for path in self.staged:
            target = out / path.name
            shutil.move(str(path), target)
            moved.append(target)
        self.staged = []
        for doer in doers:
            for name in capture_files(doer):
                if out / name not in moved:
                    (out / name).unlink(missing_ok=True)
        return moved

    def discard(self) -> None:
        """Close any open capture and remove whatever was staged."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self.staged = []
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()
