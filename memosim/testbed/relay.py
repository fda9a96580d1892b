"""A userspace UDP relay that applies a scenario's links in real time.

The udp backend (:mod:`memosim.testbed.udprun`) runs real PeerMemoers on
loopback sockets. Peers never talk to each other directly: every datagram
goes through this relay, which pushes it through the same
:class:`memosim.sim.network.Network` the sim backend uses (same links, same
partitions, same seeded draws) and forwards whatever the network delivers,
when it delivers it, on wall-clock time.

Addressing (docs/backends.md): for every ordered pair of peers (A, B) the
relay binds one proxy socket ``S[B@A]``, "B as A sees it". A sends to
``S[B@A]``; the relay injects the datagram into link A -> B as sim address
``(A, port_A)`` -> ``(B, port_B)`` and, when the network delivers it at B's
sim endpoint, sends it to B's real address *from* ``S[A@B]``. B therefore
sees the sender as ``S[A@B]``, and its replies (acks) to that address travel
link B -> A and reach A from ``S[B@A]``. The peers need no change at all.

Time: the relay owns a plain ``simpy.Environment``; :meth:`Relay.service`
advances it to the ``now`` it is given (seconds since the run started) and
processes every event due by then, so delay, jitter, reorder, rate queues,
schedules and partitions happen at the same times, relative to the run's
start, as in the simulation. Resolution is one service pass: a datagram due
at t leaves the relay at the first pass at or after t (the ``late_*``
counters measure by how much).

Everything is non-blocking and bounded: one ``select`` with zero timeout per
pass, at most ``max_batch`` datagrams read per socket per pass. The sockets
themselves are :class:`memosim.transports.proxies.ProxySockets`.
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..doing import Doer
from ..transports.proxies import MAX_BATCH, PROXY_BUF, ProxySockets

if TYPE_CHECKING:
    from ..sim.network import Network
    from ..transports.simulated import Endpoint

__all__ = ["Relay", "RelayDoer", "kernel_udp_counters", "loopback_for"]


def loopback_for(host: str) -> str:
    """The loopback address of the host's family: ``::1`` for IPv6, else 127.0.0.1.

    Scenario hosts document where a peer would live; the udp backend always
    binds on loopback, keeping only the address family.
    """
    try:
        return "::1" if ipaddress.ip_address(host).version == 6 else "127.0.0.1"
    except ValueError:
        return "127.0.0.1"


def kernel_udp_counters() -> dict[str, int] | None:
    """The kernel's system-wide UDP counters (Linux /proc/net/snmp), or None.

    The relay cannot see datagrams the kernel drops (a full receive buffer),
    so the udp backend reports the change of these over a run.
    """
    try:
        with open("/proc/net/snmp", encoding="ascii") as f:
            rows = [line.split() for line in f if line.startswith("Udp:")]
    except OSError:
        return None
    if len(rows) < 2:
        return None
    try:
        return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:])}
    except ValueError:
        return None


class Relay:
    """Proxy sockets plus a Network on its own SimPy clock.

    Parameters:
        network: the scenario's Network (e.g. from backend.build_network); its
            ``env`` must be a plain ``simpy.Environment`` only the relay runs.
        members: peer name -> that peer's sim address ``(name, port)``.
        hosts: peer name -> loopback host its proxies bind on (the peer's
            family); 127.0.0.1 for names not given.
        bufsize: SO_RCVBUF / SO_SNDBUF asked for on each proxy socket.
        max_batch: datagrams read per socket per pass, at most.

    Use: :meth:`open`, :meth:`attach` each real peer, then call
    :meth:`service` with the run's elapsed seconds as often as possible
    (two :class:`RelayDoer` s do it twice per Doist pass); :meth:`close` at the end.
    """

    def __init__(
        self,
        network: Network,
        members: Mapping[str, tuple[str, int]],
        *,
        hosts: Mapping[str, str] | None = None,
        bufsize: int = PROXY_BUF,
        max_batch: int = MAX_BATCH,
    ) -> None:
        if len(members) < 2:
            raise ValueError("a relay needs at least two members")
        self.network = network
        self.env = network.env
        self.members = dict(members)
        self.by_sim = {tuple(addr): name for name, addr in self.members.items()}
        if len(self.by_sim) != len(self.members):
            raise ValueError("members must have distinct sim addresses")
        self.hosts = {name: (hosts or {}).get(name, "127.0.0.1") for name in self.members}
        # (shown, seen_by) -> S[shown@seen_by]
        self.proxies = ProxySockets(bufsize=bufsize, max_batch=max_batch)
        self.targets: dict[str, Any] = {}  # name -> object whose .ha is the real peer's address
        self.endpoints: dict[str, Endpoint] = {}
        self.outq: deque[tuple[float, str, str, bytes]] = deque()  # (due, dst, src, data)
        self.opened = False
        self.origin: float | None = None  # wall clock of run tyme 0, set by RelayDoer
        self.c: dict[str, Any] = {
            "passes": 0,
            "datagrams_in": 0,
            "bytes_in": 0,
            "datagrams_out": 0,
            "bytes_out": 0,
            "strangers": 0,  # arrived at a proxy from anyone but its one sender
            "tx_errors": 0,  # forward failed (socket buffer full, peer gone)
            "late_max_s": 0.0,  # how long after its network arrival a datagram left
            "late_sum_s": 0.0,
            "batch_max": 0,  # most datagrams read in one pass
            "rcvbuf": 0,  # SO_RCVBUF granted to the proxies (bytes)
            "lag_max_s": 0.0,  # wall seconds the run fell behind the Doist's tyme
            "lag_end_s": 0.0,
            "service_max_s": 0.0,  # longest service pass (wall seconds)
        }

    # ------------------------------------------------------------ setup

    def open(self) -> None:
        """Bind every proxy socket and a sim endpoint for every member."""
        if self.opened:
            return
        try:
            for seen_by in self.members:
                for shown in self.members:
                    if shown == seen_by:
                        continue
                    # S[shown@seen_by] talks with seen_by's real socket: its family
                    self.proxies.bind((shown, seen_by), self.hosts[seen_by])
            self.c["rcvbuf"] = self.proxies.rcvbuf
            for name, addr in self.members.items():
                ep = self.network.endpoint((addr[0], addr[1]))  # unbounded: the real socket bounds
                ep.on_arrival = self._landing(name)
                self.endpoints[name] = ep
        except BaseException:
            self.close()
            raise
        self.opened = True

    def attach(self, name: str, target: Any) -> None:
        """Tell the relay where member `name` really is: an object with an
        ``ha`` attribute (read at each use, so a reopened peer is followed)
        or a fixed ``(host, port)``."""
        if name not in self.members:
            raise KeyError(name)
        self.targets[name] = target if hasattr(target, "ha") else SimpleNamespace(ha=tuple(target))

    def address(self, dst: str, seen_by: str) -> tuple[str, int]:
        """Where `seen_by` sends to reach `dst`: the proxy ``S[dst@seen_by]``."""
        return self.proxies.addresses[(dst, seen_by)]

    def close(self) -> None:
        """Close every proxy socket and unbind the sim endpoints (idempotent)."""
        self.proxies.close()
        for ep in self.endpoints.values():
            ep.on_arrival = None
            ep.close()
        self.endpoints.clear()
        self.outq.clear()
        self.opened = False

    def __enter__(self) -> Relay:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------- service

    def _landing(self, name: str) -> Callable[[Endpoint], None]:
        env, outq, by_sim = self.env, self.outq, self.by_sim

        def landed(ep: Endpoint) -> None:  # inside the network's delivery, env.now = arrival
            data, src = ep.receive()
            if src is not None:
                outq.append((env.now, name, by_sim.get(tuple(src), ""), data))

        return landed

    def advance(self, now: float) -> None:
        """Run the network up to `now`, including events due exactly then."""
        env = self.env
        if now > env.now:
            env.run(until=now)
        peek, step, t = env.peek, env.step, env.now
        while peek() <= t:
            step()

    def service(self, now: float) -> int:
        """One pass at `now` (seconds since the run started): deliver what
        the network has due, take in what the peers sent, forward. Returns
        the count of datagrams taken in."""
        if not self.opened:
            return 0
        self.c["passes"] += 1
        self.advance(now)
        taken = self.receive()
        if taken:
            self.advance(now)  # zero-delay links deliver at once
        self.forward(now)
        return taken

    def receive(self) -> int:
        """Inject every datagram waiting on a proxy socket into its link."""
        net, members, targets, c = self.network, self.members, self.targets, self.c
        taken = 0
        for (shown, seen_by), batch in self.proxies.ready():
            target = targets.get(seen_by)
            src, dst = members[seen_by], members[shown]
            for data, sa in batch:
                if target is None or sa[:2] != tuple(target.ha[:2]):
                    c["strangers"] += 1
                    continue
                taken += 1
                c["bytes_in"] += len(data)
                net.send(src, dst, data)
        c["datagrams_in"] += taken
        if taken > c["batch_max"]:
            c["batch_max"] = taken
        return taken

    def forward(self, now: float) -> None:
        """Send what the network delivered to the real peers."""
        outq, proxies, targets, c = self.outq, self.proxies, self.targets, self.c
        while outq:
            due, dst, src, data = outq.popleft()
            target = targets.get(dst)
            if target is None or not proxies.send((src, dst), data, target.ha):
                c["tx_errors"] += 1
                continue
            late = now - due
            c["datagrams_out"] += 1
            c["bytes_out"] += len(data)
            c["late_sum_s"] += late
            if late > c["late_max_s"]:
                c["late_max_s"] = late

    # ----------------------------------------------------------- report

    def counters(self) -> dict[str, Any]:
        """The relay's own counters as plain data (the network's are in
        ``network.counters()``)."""
        out = dict(self.c)
        n = out.pop("late_sum_s")
        out["late_mean_s"] = round(n / out["datagrams_out"], 6) if out["datagrams_out"] else 0.0
        for k in ("late_max_s", "lag_max_s", "lag_end_s", "service_max_s"):
            out[k] = round(out[k], 6)
        out["proxies"] = len(self.proxies.addresses)
        return out


class RelayDoer(Doer):
    """Services a :class:`Relay` on a real-time Doist's passes.

    The network's clock is the wall clock: ``now = clock() - relay.origin``,
    the origin taken at the first pass of any RelayDoer of that relay so that
    now matches the Doist's tyme while the Doist keeps up. The lag, wall
    seconds minus tyme, shows when it does not (``lag_max_s``).

    The udp backend schedules two RelayDoers on one relay, one before and one
    after the peers' Doers: the first forwards what is due before the peers
    read their sockets, the second injects what the peers just sent at the
    tyme they sent it. See docs/backends.md.
    """

    def __init__(
        self, relay: Relay, *, clock: Callable[[], float] = time.monotonic, **kwa: Any
    ) -> None:
        super().__init__(**kwa)
        self.relay = relay
        self.clock = clock

    def recur(self, tyme: float | None) -> bool:
        relay, c = self.relay, self.relay.c
        t = self.clock()
        tyme = 0.0 if tyme is None else tyme
        if relay.origin is None:
            relay.origin = t - tyme
        now = t - relay.origin
        lag = now - tyme
        c["lag_end_s"] = lag
        if lag > c["lag_max_s"]:
            c["lag_max_s"] = lag
        relay.service(now)
        spent = self.clock() - t
        if spent > c["service_max_s"]:
            c["service_max_s"] = spent
        return False
