"""Run a scenario once per Doer and collect comparable results.

Both Doers of a scenario run over the same network with the same seed, so
each sees the same impairment draws for the same traffic. The `sim` backend
runs the real PeerMemoer code on the SimPy network (memosim.sim); the `udp`
backend (memosim.testbed.udprun) runs it on loopback sockets through a relay
that applies the same impairment models in real time.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

import simpy

from ..core.keys import make_keyage
from ..doing import Doer
from ..peermemoing import PeerMemoerDoer, SafePeerMemoerDoer
from ..sim import Network, Streams, Trace
from ..sim.doist import SimDoist
from ..sim.peer import SimPeerMemoer
from .metrics import Recorder, memo_rows, summarize
from .scenario import ALL, Scenario
from .workload import MemoKey, make_memo

BACKENDS = ("sim", "udp")
DOER_CLASSES = {"PeerMemoerDoer": PeerMemoerDoer, "SafePeerMemoerDoer": SafePeerMemoerDoer}


@dataclass
class RunResult:
    """One Doer's run of a scenario: its summary row and raw records."""

    doer: str
    summary: dict
    rows: list[dict]
    deliveries: list[float]
    trace_digest: str | None = None
    network: dict = field(default_factory=dict)
    peers: dict = field(default_factory=dict)


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

    def summary(self) -> dict:
        """The summary.json document."""
        out: dict[str, Any] = {"scenario": self.scenario, "seed": self.seed,
                               "backend": self.backend}
        if self.backend == "sim":
            out["trace_digest"] = self.trace_digest
        out["runs"] = [r.summary for r in self.runs]
        return out

    def run(self, doer: str) -> RunResult:
        for r in self.runs:
            if r.doer == doer:
                return r
        raise KeyError(doer)


def peer_keys(seed: int, name: str) -> tuple[str, dict]:
    """(vid, keep) of a signing peer: derived from the scenario seed and its name."""
    vid, keyage = make_keyage(hashlib.sha256(f"memosim:{seed}:{name}".encode()).digest())
    return vid, {vid: keyage}


def peer_options(scenario: Scenario, seed: int) -> dict[str, dict]:
    """Memoer keyword arguments per peer name.

    Every peer has keys, not only those that send signed memos: a receiver
    signs its acks of signed Sure memos, and their sender takes only acks
    signed by the receiver it addressed (see `peer_vids`)."""
    out = {}
    for p in scenario.peers:
        opts: dict[str, Any] = {"code": p.code, "curt": p.curt,
                                "size": p.gram_size}
        opts["vid"], opts["keep"] = peer_keys(seed, p.name)
        out[p.name] = opts
    return out


def peer_vids(scenario: Scenario, seed: int) -> dict[str, str]:
    """Each peer's vid: what a sender passes to memoit as `rvid`."""
    return {p.name: peer_keys(seed, p.name)[0] for p in scenario.peers}


def schedule(scenario: Scenario, seed: int) -> list[tuple[float, MemoKey, str]]:
    """Every memo of the workload as (send tyme, key, memo), in send order."""
    streams = Streams(seed)
    events = []
    for wi, w in enumerate(scenario.workload):
        for src, dst in w.pairs:
            rng = streams.stream(f"workload:{wi}:{src}>{dst}")
            for idx, when in enumerate(w.times()):
                key = MemoKey(wi, src, dst, idx)
                events.append((when, wi, src, dst, idx, make_memo(key, w.memo_size.sample(rng),
                                                                  rng), key))
    events.sort(key=lambda e: e[:5])
    return [(e[0], e[6], e[5]) for e in events]


class Collector(Doer):
    """Runs last in each pass: moves every peer's inbox into the recorder, then
    tells `progress` (a display; see memosim.testbed.progress) the tyme and the
    memos delivered so far. Progress only reads, so it cannot change a run."""

    def __init__(self, peers, recorder: Recorder, clock, progress=None, **kwa) -> None:
        super().__init__(**kwa)
        self.peers = peers
        self.recorder = recorder
        self.clock = clock
        self.progress = progress

    def recur(self, tyme) -> bool:
        now = self.clock()
        for peer in self.peers:
            inbox = peer.inbox
            while inbox:
                memo, _src, _vid = inbox.popleft()
                self.recorder.delivered(memo, now)
        if self.progress is not None:
            self.progress.update(now, len(self.recorder.deliveries))
        return False


def run_scenario(scenario: Scenario, *, backend: str = "sim", seed: int | None = None,
                 doers: tuple[str, ...] | None = None, trace_events: bool = False,
                 progress: Any = None) -> ScenarioResult:
    """Run every Doer of the scenario (or `doers`) and return the results.

    progress: None, or an object with ``start(doer, duration_s, backend)``,
    ``update(tyme, delivered)`` (each pass) and ``finish()``, such as
    :class:`memosim.testbed.progress.RunProgress`. Display only.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    seed = scenario.seed if seed is None else int(seed)
    runs = []
    try:
        for doer in doers or scenario.doers:
            if progress is not None:
                progress.start(doer, scenario.duration_s, backend)
            if backend == "sim":
                runs.append(run_sim(scenario, doer, seed, trace_events=trace_events,
                                    progress=progress))
            else:
                from .udprun import run_udp

                runs.append(run_udp(scenario, doer, seed, progress=progress))
    finally:
        if progress is not None:
            progress.finish()
    return ScenarioResult(scenario.name, seed, backend, runs)


def at_first(env: simpy.Environment, delay: float) -> simpy.Event:
    """A timeout that fires before every normal event due at the same instant.

    The workload must queue a memo before a Doist pass due at that instant
    runs, as the udp backend's workload doer runs first in each pass; plain
    timeouts would order them by when each was scheduled instead.
    """
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    env.schedule(event, simpy.core.URGENT, delay)
    return event


def build_network(scenario: Scenario, env: simpy.Environment, seed: int,
                  trace: Trace | None) -> Network:
    """The scenario's links and partitions on a Network whose hosts are peer names.

    A '"*" -> "*"' link becomes the network's default, made per pair on first
    use (same named streams, so the same draws): with n peers, building its
    n * (n - 1) links up front would cost more than running the traffic.
    """
    wild = next((k for k in scenario.links if k.src == ALL and k.dst == ALL), None)
    net = Network(env, seed, trace=trace, default=None if wild is None else wild.config)
    for (src, dst), link in scenario.routes.items():
        if link is not wild:
            net.add_link(src, dst, link.config)
    for part in scenario.partitions:
        net.partition(part.peers, part.start_s, math.inf if part.end_s is None else part.end_s)
    return net


def run_sim(scenario: Scenario, doer: str, seed: int, *, trace_events: bool = False,
            pcap=None, progress: Any = None) -> RunResult:
    """One Doer's run on the SimPy network; sim hosts are the peer names."""
    wall0 = time.perf_counter()
    env = simpy.Environment()
    trace = Trace(keep=trace_events)
    net = build_network(scenario, env, seed, trace)
    if pcap is not None:
        pcap(net)
    streams = Streams(seed)
    options = peer_options(scenario, seed)
    peers = {
        p.name: SimPeerMemoer(network=net, streams=streams, name=p.name, host=p.name,
                              port=p.port, **options[p.name])
        for p in scenario.peers
    }
    for peer in peers.values():
        peer.open()
    recorder = Recorder()
    doist = SimDoist(env, peers=list(peers.values()), tock=scenario.tock_s)
    plan = schedule(scenario, seed)
    vids = peer_vids(scenario, seed)

    def workload():
        for when, key, memo in plan:
            if when > env.now:
                yield at_first(env, when - env.now)
            peers[key.src].memoit(memo, peers[key.dst].ha, rvid=vids[key.dst])
            recorder.sent(key, memo, env.now)
            doist.kick(peers[key.src])

    env.process(workload())
    doer_cls = DOER_CLASSES[doer]
    doers: list[Doer] = [doer_cls(peer=peer) for peer in peers.values()]
    doers.append(Collector(list(peers.values()), recorder, lambda: env.now, progress))
    doist.do(doers=doers, limit=scenario.duration_s)
    recorder.settle(peers.values())  # failures and unsettled memos, as the run ends
    stats = {name: peer.stats.as_dict() for name, peer in peers.items()}
    summary = summarize(doer, recorder, list(stats.values()), sim_s=scenario.duration_s,
                        wall_s=time.perf_counter() - wall0)
    return RunResult(doer, summary, memo_rows(doer, recorder), list(recorder.deliveries),
                     trace_digest=trace.digest(), network=net.counters(), peers=stats)
