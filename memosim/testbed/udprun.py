"""The udp backend: a scenario on real UDP sockets over loopback, in real time.

Each scenario peer is a real :class:`memosim.PeerMemoer` bound on loopback
(port 0: the OS picks; the scenario's ports only document). Peers reach each
other only through a :class:`~memosim.testbed.relay.Relay` that applies the
scenario's links with the very Network the sim backend builds
(:func:`~memosim.testbed.backend.build_network`, same seed), on wall-clock
time. One real-time :class:`~memosim.doing.Doist` runs, in this order each
pass:

1. the workload (memoits every memo whose send tyme has come),
2. the relay (forwards what the network has due by now),
3. one PeerMemoerDoer or SafePeerMemoerDoer per peer (read, send),
4. the relay again (injects what the peers just sent, at the tyme they sent it),
5. the Collector (moves inboxes into the recorder).

When the run ends the recorder takes each peer's ``failures`` and
``unsettled()`` memos, as the sim backend's does, so both report
``lost_silently``, ``in_flight_at_end`` and ``false_give_ups`` alike.

That order gives the same quantisation as the sim backend's SimDoist: a
memo queued at t goes out in the pass at t, a datagram due at t is read by
its peer in the first pass at or after t, with no extra pass of delay
added by the relay. docs/backends.md compares the two
backends.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from ..doing import Doer, Doist
from ..peermemoing import PeerMemoer
from ..sim import Trace
from .backend import (
    Collector,
    RunResult,
    build_network,
    collect,
    peer_options,
    peer_vids,
    schedule,
)
from .doers import BUILTIN_DOERS, build_doers, doer_class, doer_raised
from .hio_peers import hio_udp_peer
from .metrics import Recorder
from .relay import Relay, RelayDoer, kernel_udp_counters, loopback_for
from .scenario import Scenario
from .workload import Folded, MemoKey, unfold

if TYPE_CHECKING:
    from .capture import Capture

__all__ = ["UdpBackend", "Workload", "run_udp"]

_EPS = 1e-9


@dataclass
class UdpBackend:
    """The :class:`~memosim.testbed.backend.Backend` on loopback UDP sockets.

    progress: None or a display told the tyme each pass (see runner).
    capture: None, or the --pcap/--trace files to write (testbed.capture):
    the relay's network, as the relay saw each datagram.
    """

    progress: Any = None
    name: str = "udp"
    capture: Capture | None = None

    def run(self, scenario: Scenario, doer: str, seed: int) -> RunResult:
        return run_udp(scenario, doer, seed, progress=self.progress, capture=self.capture)


class Workload(Doer):
    """Memoits each planned memo once the Doist's tyme reaches its send tyme
    and records it as sent at that tyme. Finishes after the last memo."""

    def __init__(
        self,
        plan: Iterable[tuple[float, MemoKey, Folded | str]],
        peers: Mapping[str, PeerMemoer],
        relay: Relay,
        recorder: Recorder,
        vids: dict[str, str] | None = None,
        **kwa: Any,
    ) -> None:
        super().__init__(**kwa)
        self.vids = vids or {}  # peer name -> vid, the rvid of signed Sure memos to it
        self.plan = list(plan)
        self.peers = peers
        self.relay = relay
        self.recorder = recorder
        self.next = 0

    def recur(self, tyme: float | None) -> bool:
        tyme = 0.0 if tyme is None else tyme
        if self.next == 0:  # first pass: every Doer has (re)opened its peer by now
            shut = [name for name, peer in self.peers.items() if not peer.opened]
            if shut:
                raise OSError(f"peers not open (port taken on reopen?): {', '.join(shut)}")
        plan, peers, relay, recorder = self.plan, self.peers, self.relay, self.recorder
        while self.next < len(plan) and plan[self.next][0] <= tyme + _EPS:
            _when, key, planned = plan[self.next]
            self.next += 1
            memo = unfold(planned)
            peers[key.src].memoit(
                memo, relay.address(key.dst, key.src), rvid=self.vids.get(key.dst)
            )
            recorder.sent(key, memo, tyme, kept=planned)
        return self.next >= len(plan)


def run_udp(
    scenario: Scenario,
    doer: str,
    seed: int,
    *,
    progress: Any = None,
    capture: Capture | None = None,
) -> RunResult:
    """One Doer's run of the scenario on loopback UDP through the relay.

    Takes about ``scenario.duration_s`` wall seconds. Every socket is closed
    on the way out, error or not. Ctrl-C raises KeyboardInterrupt (the Doist
    stops on it quietly; a run cut short is not a result).
    """
    doer_class(doer)  # a ScenarioError before any socket opens
    wall0 = time.perf_counter()
    env = simpy.Environment()
    trace = Trace(keep=True) if capture is not None and capture.trace is not None else None
    net = build_network(scenario, env, seed, trace)
    if capture is not None:
        capture.open(doer, net)
    hosts = {p.name: loopback_for(p.host) for p in scenario.peers}
    relay = Relay(net, {p.name: (p.name, p.port) for p in scenario.peers}, hosts=hosts)
    options = peer_options(scenario, seed)
    peers: dict[str, PeerMemoer] = {}
    kernel0 = kernel_udp_counters()
    try:
        relay.open()
        for p in scenario.peers:
            if p.impl == "hio":
                opts = {k: v for k, v in options[p.name].items() if k != "retry"}
                peer = peers[p.name] = hio_udp_peer(name=p.name, host=hosts[p.name], port=0, **opts)
            else:
                peer = peers[p.name] = PeerMemoer(
                    name=p.name, host=hosts[p.name], port=0, **options[p.name]
                )
            if not peer.reopen():  # fixes the port the OS picked; the Doer reopens on it
                raise OSError(f"cannot bind peer {p.name} on {hosts[p.name]}")
            relay.attach(p.name, peer)
        recorder = Recorder()
        doist = Doist(real=True, tock=scenario.tock_s, limit=scenario.duration_s)
        doers: list[Any] = [
            Workload(schedule(scenario, seed), peers, relay, recorder, peer_vids(scenario, seed)),
            RelayDoer(relay),
        ]
        doers += build_doers(doer, peers.values())
        doers += [
            RelayDoer(relay),
            Collector(list(peers.values()), recorder, doist.tymen(), progress),
        ]
        try:
            doist.do(doers=doers)
        except (Exception, SystemExit) as ex:  # a Doer of the user's broke its contract
            if doer in BUILTIN_DOERS:
                raise
            raise doer_raised(doer, ex, doist.tyme) from None
        if not doist.done and doist.tyme < scenario.duration_s - _EPS:
            # The Doist ends a pass loop on KeyboardInterrupt without raising it.
            raise KeyboardInterrupt(f"udp run of {doer} interrupted at tyme {doist.tyme:g}")
        recorder.settle(peers.values())  # failures and unsettled memos, as the run ends
        if capture is not None:
            capture.close(doer, trace)
    finally:
        for peer in peers.values():
            peer.close()
        relay.close()
    wall = time.perf_counter() - wall0
    kernel1 = kernel_udp_counters()
    network = net.counters()
    rc = relay.counters()
    if kernel0 is not None and kernel1 is not None:
        rc["kernel_udp"] = {
            k: kernel1[k] - kernel0.get(k, 0)
            for k in ("InDatagrams", "RcvbufErrors", "SndbufErrors", "InErrors")
            if k in kernel1
        }
    network["relay"] = rc
    return collect(
        doer,
        recorder,
        peers,
        sim_s=scenario.duration_s,
        wall_s=wall,
        trace_digest=None,
        network=network,
    )
