"""What every backend shares: the Backend protocol, the run's plan, its collection.

A backend runs one Doer over a scenario and returns a :class:`RunResult`
(:class:`Backend`). The sim backend (:mod:`memosim.testbed.simrun`) runs
the peers on the SimPy network; the udp backend (:mod:`memosim.testbed.udprun`)
runs them on loopback sockets through a relay. Both plan the run the same
way from the same seed, so their results compare:

- :func:`schedule`: every memo of the workload, when and from whom to whom;
- :func:`peer_options` / :func:`peer_vids`: each peer's Memoer settings and
  keys (derived from the seed and its name);
- :func:`build_network`: the scenario's links and partitions on a Network
  (the sim backend's network, the relay's on the udp backend);
- :class:`Collector` and :func:`collect`: deliveries into the recorder
  during the run, the RunResult after it.

Backends import this module; it imports no backend, and
:mod:`memosim.testbed.runner` picks the backend.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy

from ..core.keys import make_keyage
from ..doing import Doer
from ..memoing import Memoer
from ..sim import Network, Streams, Trace
from .doers import BUILTIN_DOERS
from .metrics import Recorder, memo_rows, summarize
from .retry_table import as_options
from .scenario import ALL, Scenario
from .workload import Folded, MemoKey, plan_memo

__all__ = [
    "DOER_CLASSES",
    "Backend",
    "Collector",
    "RunResult",
    "build_network",
    "by_peer",
    "collect",
    "peer_keys",
    "peer_options",
    "peer_vids",
    "schedule",
]

#: The built-in Doers by name (a scenario may also name its own: doers.doer_class).
DOER_CLASSES = BUILTIN_DOERS


@dataclass
class RunResult:
    """One Doer's run of a scenario: its summary row and raw records."""

    doer: str
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    deliveries: list[float]
    trace_digest: str | None = None
    network: dict[str, Any] = field(default_factory=dict)
    peers: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)  # sim, when asked: per memo


class Backend(Protocol):
    """Runs one Doer of a scenario with a seed; how and where is its own."""

    name: str

    def run(self, scenario: Scenario, doer: str, seed: int) -> RunResult: ...


def peer_keys(seed: int, name: str) -> tuple[str, dict[str, Any]]:
    """(vid, keep) of a signing peer: derived from the scenario seed and its name."""
    vid, keyage = make_keyage(hashlib.sha256(f"memosim:{seed}:{name}".encode()).digest())
    return vid, {vid: keyage}


def peer_options(scenario: Scenario, seed: int) -> dict[str, dict[str, Any]]:
    """Memoer keyword arguments per peer name.

    Every peer has keys, not only those that send signed memos: a receiver
    signs its acks of signed Sure memos, and their sender takes only acks
    signed by the receiver it addressed (see `peer_vids`)."""
    out = {}
    for p in scenario.peers:
        opts: dict[str, Any] = {"code": p.code, "curt": p.curt, "size": p.gram_size}
        opts["retry"] = as_options(p.retry)
        opts["vid"], opts["keep"] = peer_keys(seed, p.name)
        out[p.name] = opts
    return out


def peer_vids(scenario: Scenario, seed: int) -> dict[str, str]:
    """Each peer's vid: what a sender passes to memoit as `rvid`."""
    return {p.name: peer_keys(seed, p.name)[0] for p in scenario.peers}


def schedule(scenario: Scenario, seed: int) -> Iterator[tuple[float, MemoKey, Folded | str]]:
    """Every memo of the workload as (send tyme, key, planned memo), in send
    order (ties in workload, sender, receiver and index order); the memo is
    ``unfold(planned)``, and the recorder keeps it folded.

    Lazy: the order is planned up front, each memo made as the run reaches
    it, so a long workload is never held whole (a 12 KB memo ten times a
    second is 430 MB an hour). Each pair draws its sizes and filler from a
    stream of its own in index order, which is its send order, so these
    are the very memos that making them all up front gave."""
    streams = Streams(seed)
    order: list[tuple[float, int, str, str, int]] = []
    draws: dict[tuple[int, str, str], tuple[random.Random, Any]] = {}
    for wi, w in enumerate(scenario.workload):
        for src, dst in w.pairs:
            draws[wi, src, dst] = (streams.stream(f"workload:{wi}:{src}>{dst}"), w.memo_size)
            order.extend((when, wi, src, dst, idx) for idx, when in enumerate(w.times()))
    order.sort()
    for when, wi, src, dst, idx in order:
        rng, size = draws[wi, src, dst]
        key = MemoKey(wi, src, dst, idx)
        yield when, key, plan_memo(key, size.sample(rng), rng)


def build_network(
    scenario: Scenario, env: simpy.Environment, seed: int, trace: Trace | None
) -> Network:
    """The scenario's links, interfaces and partitions on a Network whose hosts are peer names.

    A '"*" -> "*"' link becomes the network's default, made per pair on first
    use (same named streams, so the same draws): with n peers, building its
    n * (n - 1) links up front would cost more than running the traffic.
    """
    wild = next((k for k in scenario.links if k.src == ALL and k.dst == ALL), None)
    net = Network(env, seed, trace=trace, default=None if wild is None else wild.config)
    for (src, dst), link in scenario.routes.items():
        if link is not wild:
            net.add_link(src, dst, link.config)
    for peer in scenario.peers:
        if peer.egress is not None:
            net.add_interface(peer.name, "egress", peer.egress)
        if peer.ingress is not None:
            net.add_interface(peer.name, "ingress", peer.ingress)
    for part in scenario.partitions:
        net.partition(part.peers, part.start_s, math.inf if part.end_s is None else part.end_s)
    return net


#: Each sender's window toward each receiver over a run, by (src host, dst
#: host): (tyme, grams) at each pass it changed (timelines show it).
Windows = dict[tuple[str, str], list[tuple[float, int]]]


class Collector(Doer):
    """Runs last in each pass: moves every peer's inbox into the recorder, then
    tells `progress` (a display; see memosim.testbed.progress) the tyme and the
    memos delivered so far; with `windows`, notes each sender's window toward
    each receiver when it changed. Both only read, so they cannot change a run."""

    def __init__(
        self,
        peers: Sequence[Memoer],
        recorder: Recorder,
        clock: Callable[[], float],
        progress: Any = None,
        windows: Windows | None = None,
        **kwa: Any,
    ) -> None:
        super().__init__(**kwa)
        self.peers = peers
        self.recorder = recorder
        self.clock = clock
        self.progress = progress
        self.windows = windows

    def recur(self, tyme: float | None) -> bool:
        now = self.clock()
        for peer in self.peers:
            inbox = peer.inbox
            while inbox:
                memo, _src, _vid = inbox.popleft()
                self.recorder.delivered(memo, now, peer.name)
        if self.windows is not None:
            for peer in self.peers:
                engine = getattr(peer, "engine", None)
                if engine is None:  # an impl = "hio" peer: hio keeps no window
                    continue
                flights = engine.flights
                for dst, dest in flights.dests.items():
                    window = flights.window if dest.cc is None else dest.cc.window()
                    host = dst[0] if isinstance(dst, tuple) else dst  # sim: host = peer name
                    series = self.windows.setdefault((str(peer.name), str(host)), [])
                    if not series or series[-1][1] != window:
                        series.append((now, window))
        if self.progress is not None:
            self.progress.update(now, len(self.recorder.deliveries))
        return False


def by_peer(recorder: Recorder, peers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each peer's part of a run: which implementation ran it, the memos
    delivered to it (intact, duplicate, corrupt) and the partial memos it still held at
    the end (hio holds them for ever; memosim expires and bounds them)."""
    out = {}
    for name, peer in peers.items():
        counts = recorder.to_peer.get(name, {})
        out[name] = {
            "impl": getattr(peer, "impl", "memosim"),
            "memos_delivered": counts.get("memos_delivered", 0),
            "duplicates_delivered": counts.get("duplicates_delivered", 0),
            "corrupt_delivered": counts.get("corrupt_delivered", 0),
            "partial_memos_held": len(peer.rxgs),
        }
    return out


def collect(
    doer: str,
    recorder: Recorder,
    peers: Mapping[str, Memoer],
    *,
    sim_s: float,
    wall_s: float,
    trace_digest: str | None,
    network: dict[str, Any],
    spurious: int | None = None,
) -> RunResult:
    """The RunResult of a finished run: its summary (with the network's
    per-link counters), per-memo rows and each peer's counters. spurious:
    the spurious retransmissions, None where the backend cannot tell."""
    stats = {name: peer.stats.as_dict() for name, peer in peers.items()}
    from .doers import promises_acked  # the Doer's class is imported by now

    summary = summarize(
        doer,
        recorder,
        list(stats.values()),
        sim_s=sim_s,
        wall_s=wall_s,
        spurious=spurious,
        promises=promises_acked(doer),
    )
    dropped = network.get("total", {}).get("dropped", {})
    summary["congestion"]["queue_drops"] = dropped.get("queue", 0) + dropped.get("ifqueue", 0)
    summary["links"] = network.get("links", {})
    summary["by_peer"] = by_peer(recorder, peers)
    return RunResult(
        doer,
        summary,
        memo_rows(doer, recorder),
        list(recorder.deliveries),
        trace_digest=trace_digest,
        network=network,
        peers=stats,
    )
