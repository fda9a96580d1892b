"""The sim backend: a scenario on the SimPy network, in simulated time.

Each scenario peer is a :class:`~memosim.sim.peer.SimPeerMemoer` (the real
Memoer on a simulated endpoint) whose host is the peer's name, on the
Network :func:`~memosim.testbed.backend.build_network` makes from the
scenario. A :class:`~memosim.sim.doist.SimDoist` runs the Doers on the
network's clock; the workload is a SimPy process that queues each memo at
its send tyme, ahead of a pass due at the same instant. Every random draw
comes from the seed, so a run repeats byte for byte (its trace digest).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from ..sim import GridEnvironment, Network, Streams
from ..sim.doist import SimDoist
from ..sim.gcbatch import batched_gc
from ..sim.peer import SimPeerMemoer
from .backend import (
    Collector,
    RunResult,
    Windows,
    build_network,
    collect,
    peer_options,
    peer_vids,
    schedule,
)
from .doers import BUILTIN_DOERS, build_doers, doer_raised
from .gramtrace import GramTrace, run_trace
from .hio_peers import seeded_hio_sim_peer
from .metrics import Recorder
from .scenario import Scenario
from .scenario_model import PeerSpec
from .workload import unfold

if TYPE_CHECKING:
    from .capture import Capture

__all__ = ["SimBackend", "at_first", "run_sim"]


@dataclass
class SimBackend:
    """The :class:`~memosim.testbed.backend.Backend` on the SimPy network.

    trace_events: keep every trace event (not only the digest).
    timelines: also read every memo's gram events (RunResult.timeline).
    progress: None or a display told the tyme each pass (see runner).
    capture: None, or the --pcap/--trace files to write (testbed.capture).
    """

    trace_events: bool = False
    progress: Any = None
    name: str = "sim"
    timelines: bool = False
    capture: Capture | None = None

    def run(self, scenario: Scenario, doer: str, seed: int) -> RunResult:
        return run_sim(
            scenario,
            doer,
            seed,
            trace_events=self.trace_events,
            progress=self.progress,
            timelines=self.timelines,
            capture=self.capture,
        )


def at_first(env: simpy.Environment, delay: float) -> simpy.Event:
    """A timeout that fires before every normal event due at the same instant.

    The workload must queue a memo before a Doist pass due at that instant
    runs, as the udp backend's workload doer runs first in each pass; plain
    timeouts would order them by when each was scheduled instead.
    """
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    env.schedule(event, simpy.core.URGENT, delay)  # type: ignore[attr-defined]
    return event


def _sim_peer(spec: PeerSpec, net: Network, streams: Streams, opts: dict[str, Any]) -> Any:
    """The scenario peer on the network: memosim's SimPeerMemoer, or hio's
    Memoer on the same kind of endpoint (its memo ids from the seed as well)."""
    if spec.impl == "hio":
        opts = {k: v for k, v in opts.items() if k != "retry"}
        return seeded_hio_sim_peer(
            network=net, streams=streams, name=spec.name, port=spec.port, **opts
        )
    return SimPeerMemoer(
        network=net, streams=streams, name=spec.name, host=spec.name, port=spec.port, **opts
    )


def run_sim(
    scenario: Scenario,
    doer: str,
    seed: int,
    *,
    trace_events: bool = False,
    pcap: Callable[[Network], Any] | None = None,
    progress: Any = None,
    timelines: bool = False,
    capture: Capture | None = None,
    watch: Callable[[dict[str, SimPeerMemoer]], Any] | None = None,
) -> RunResult:
    """One Doer's run on the SimPy network; sim hosts are the peer names.

    pcap: None, or called with the Network before the run (to capture it).
    timelines: fill RunResult.timeline (memosim.testbed.timeline).
    capture: None, or told the Network before the run and the trace after.
    watch: None, or called with the peers (by name) before the run, to read
    their state during and after it (memosim explore's memory bound)."""
    wall0 = time.perf_counter()
    env = GridEnvironment()
    keep = trace_events or timelines or (capture is not None and capture.trace is not None)
    trace = run_trace(keep)
    net = build_network(scenario, env, seed, trace)
    if pcap is not None:
        pcap(net)
    if capture is not None:
        capture.open(doer, net)
    streams = Streams(seed)
    options = peer_options(scenario, seed)
    peers = {p.name: _sim_peer(p, net, streams, options[p.name]) for p in scenario.peers}
    for peer in peers.values():
        peer.open()
    if watch is not None:
        watch(peers)
    recorder = Recorder()
    doist = SimDoist(env, peers=list(peers.values()), tock=scenario.tock_s)
    plan = schedule(scenario, seed)
    vids = peer_vids(scenario, seed)

    def workload() -> Generator[simpy.Event, Any, None]:
        for when, key, planned in plan:
            if when > env.now:
                yield at_first(env, when - env.now)
            memo = unfold(planned)
            peers[key.src].memoit(memo, peers[key.dst].ha, rvid=vids[key.dst])
            recorder.sent(key, memo, env.now, kept=planned)
            doist.kick(peers[key.src])

    env.process(workload())
    doers = build_doers(doer, peers.values())
    windows: Windows | None = {} if timelines else None
    doers.append(Collector(list(peers.values()), recorder, lambda: env.now, progress, windows))
    try:
        with batched_gc():
            doist.do(doers=doers, limit=scenario.duration_s)
    except (Exception, SystemExit) as ex:  # a Doer of the user's broke its contract
        if doer in BUILTIN_DOERS:
            raise  # memosim's own: a bug to see whole
        raise doer_raised(doer, ex, env.now) from None
    recorder.settle(peers.values())  # failures and unsettled memos, as the run ends
    if capture is not None:
        capture.close(doer, trace)
    result = collect(
        doer,
        recorder,
        peers,
        sim_s=scenario.duration_s,
        wall_s=time.perf_counter() - wall0,
        trace_digest=trace.digest(),
        network=net.counters(),
        spurious=trace.spurious,
    )
    if timelines:
        from .timeline import memo_timelines

        assert isinstance(trace, GramTrace)  # timelines keep the events
        result.timeline = memo_timelines(result.rows, trace, windows)
    return result
