"""Run a scenario once per Doer on a backend and collect comparable results.

Both Doers of a scenario run over the same network with the same seed, so
each sees the same impairment draws for the same traffic. A backend
(:class:`~memosim.testbed.backend.Backend`) runs one Doer: ``sim``
(:mod:`memosim.testbed.simrun`) runs the real PeerMemoer code on the SimPy
network; ``udp`` (:mod:`memosim.testbed.udprun`) runs it on loopback
sockets through a relay that applies the same impairment models in real
time. Both plan the run with :mod:`memosim.testbed.backend`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .backend import Backend, RunResult
from .scenario import Scenario
from .simrun import SimBackend

if TYPE_CHECKING:
    from .capture import Capture

__all__ = ["BACKENDS", "ScenarioResult", "open_backend", "run_scenario"]

BACKENDS = ("sim", "udp")


@dataclass
class ScenarioResult:
    """Every Doer's run of one scenario with one seed on one backend."""

    scenario: str
    seed: int
    backend: str
    runs: list[RunResult]

    @property
    def trace_digest(self) -> str | None:
        """One digest over the runs' trace digests (sim backend only)."""
        digests = [r.trace_digest for r in self.runs]
        if any(d is None for d in digests):
            return None
        return hashlib.sha256("".join(digests).encode()).hexdigest()  # type: ignore[arg-type]

    def summary(self) -> dict[str, Any]:
        """The runs as plain data: the summary.json document, with the wall
        time of each run (``wall_s``), which a sim summary.json leaves out."""
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "seed": self.seed,
            "backend": self.backend,
        }
        if self.backend == "sim":
            out["trace_digest"] = self.trace_digest
        out["runs"] = [r.summary for r in self.runs]
        return out

    def run(self, doer: str) -> RunResult:
        for r in self.runs:
            if r.doer == doer:
                return r
        raise KeyError(doer)


def open_backend(
    name: str,
    *,
    trace_events: bool = False,
    progress: Any = None,
    timelines: bool = False,
    capture: Capture | None = None,
) -> Backend:
    """The backend called `name` (one of BACKENDS).

    The udp backend's module is imported only here, on first use: a sim run
    never loads sockets or the relay, and an installation without it fails
    with ModuleNotFoundError naming memosim.testbed.udprun (the CLI's
    message)."""
    if name == "sim":
        return SimBackend(
            trace_events=trace_events, progress=progress, timelines=timelines, capture=capture
        )
    if name == "udp":
        from .udprun import UdpBackend

        return UdpBackend(progress=progress, capture=capture)
    raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")


def run_scenario(
    scenario: Scenario,
    *,
    backend: str = "sim",
    seed: int | None = None,
    doers: tuple[str, ...] | None = None,
    trace_events: bool = False,
    progress: Any = None,
    timelines: bool = False,
    capture: Capture | None = None,
) -> ScenarioResult:
    """Run every Doer of the scenario (or `doers`) and return the results.

    progress: None, or an object with ``start(doer, duration_s, backend)``,
    ``update(tyme, delivered)`` (each pass) and ``finish()``, such as
    :class:`memosim.testbed.progress.RunProgress`. Display only.
    timelines: sim only, fill each RunResult.timeline (memosim.testbed.timeline).
    capture: None, or the --pcap/--trace files of each run (memosim.testbed.capture).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    seed = scenario.seed if seed is None else int(seed)
    runs = []
    runner: Backend | None = None
    try:
        for doer in doers or scenario.doers:
            if progress is not None:
                progress.start(doer, scenario.duration_s, backend)
            if runner is None:  # opened after the first bar, as the CLI has always shown it
                runner = open_backend(
                    backend,
                    trace_events=trace_events,
                    progress=progress,
                    timelines=timelines,
                    capture=capture,
                )
            runs.append(runner.run(scenario, doer, seed))
    finally:
        if progress is not None:
            progress.finish()
    return ScenarioResult(scenario.name, seed, backend, runs)
