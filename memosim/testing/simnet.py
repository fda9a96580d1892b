"""A simulated network for tests written in code: peers, links and a Doist on
SimPy time in a few lines, run until a condition or a tyme limit, and
assertions that show the datagram trace when they fail.

    net = SimNet(seed=1)                     # or the memosim_net fixture
    alice, bob = net.peer("alice", code="bAAE"), net.peer("bob")
    net.link("alice", "bob", loss={"rate": 0.2}, delay={"base_s": 0.01})
    net.send(alice, "hello", bob)
    net.assert_delivered(bob, "hello", limit=5.0)

Peers come from a named implementation (``impl="memosim"``, the default: a
:class:`~memosim.sim.peer.SimPeerMemoer`; ``impl="hio"``: hio 0.7.20's own
PeerMemoer, installed apart); :func:`register_impl` adds others without
touching this module. Every run is
deterministic: the network, the memo ids and the scheduling draw from the seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import simpy

from ..peermemoing import PeerMemoerDoer, SafePeerMemoerDoer
from ..sim.doist import SimDoist
from ..sim.network import Network
from ..sim.peer import SimPeerMemoer
from ..sim.rng import Streams
from ..sim.trace import Trace, TraceEvent, format_addr

__all__ = ["PeerImpl", "SimNet", "register_impl"]


@dataclass(frozen=True)
class PeerImpl:
    """How to make a peer of one implementation on a SimNet.

    make(net, name, port, options) returns the peer: bound on ``net.network``
    at ``(name, port)``, with ``memoit``, ``inbox``, ``ha`` and what SimDoist
    watches (``busy``, ``get_timer``, ``on_arrival``); doer is the Doer class
    used when a test names none.
    """

    make: Callable[[SimNet, str, int, dict[str, Any]], Any]
    doer: Callable[..., Any]


def _memosim_peer(net: SimNet, name: str, port: int, options: dict[str, Any]) -> Any:
    return SimPeerMemoer(
        network=net.network, streams=net.streams, name=name, host=name, port=port, **options
    )


def _hio_peer(net: SimNet, name: str, port: int, options: dict[str, Any]) -> Any:
    """hio 0.7.20's own PeerMemoer (installed apart: docs/hio-peers.md), on the
    same endpoint as memosim's, its memo ids drawn from the seed."""
    from ..testbed.hio_peers import seeded_hio_sim_peer

    return seeded_hio_sim_peer(
        network=net.network, streams=net.streams, name=name, port=port, **options
    )


def _hio_doer(**kwa: Any) -> Any:
    """hio's own PeerMemoerDoer (hio has no acked delivery to retry)."""
    from ..testbed.hio_peers import hio_doer

    cls = hio_doer("PeerMemoerDoer")
    assert cls is not None
    return cls(**kwa)


_IMPLS: dict[str, PeerImpl] = {
    "memosim": PeerImpl(_memosim_peer, SafePeerMemoerDoer),
    "hio": PeerImpl(_hio_peer, _hio_doer),
}


def register_impl(name: str, impl: PeerImpl) -> None:
    """Make ``SimNet.peer(..., impl=name)`` build peers with impl."""
    _IMPLS[name] = impl


class SimNet:
    """A SimPy network, its trace, named peers with their Doers, and one SimDoist.

    seed: every random draw of the run; tock: the Doist's tock (s);
    default_link: the link spec of host pairs without a link (clean when None).
    Add peers and links first; the Doist starts at the first run.
    """

    def __init__(
        self,
        seed: int = 1,
        *,
        tock: float = 0.005,
        default_link: Mapping[str, Any] | None = None,
    ) -> None:
        self.seed = seed
        self.env = simpy.Environment()
        self.trace = Trace(keep=True)
        self.network = Network(self.env, seed, trace=self.trace, default=default_link)
        self.streams = Streams(seed)
        self.tock = tock
        self.peers: dict[str, Any] = {}
        self.doers: list[Any] = []
        self.doist: SimDoist | None = None
        self._proc: simpy.Process | None = None

    # ---------------------------------------------------------------- building

    def peer(
        self,
        name: str,
        *,
        impl: str = "memosim",
        doer: Callable[..., Any] | None = None,
        port: int = 1,
        **options: Any,
    ) -> Any:
        """Add the peer ``name`` at address ``(name, port)``; options go to its
        constructor (``code="bAAE"`` for acked delivery, ...). Its Doer is doer
        (a class called with ``peer=``), else the implementation's default
        (SafePeerMemoerDoer for memosim: acked codes retry)."""
        if self.doist is not None:
            raise RuntimeError(f"peer {name!r}: add peers before the first run")
        if name in self.peers:
            raise ValueError(f"peer {name!r} exists already")
        found = _IMPLS.get(impl)
        if found is None:
            raise ValueError(f"impl {impl!r}: no such peer implementation; known: {sorted(_IMPLS)}")
        peer = found.make(self, name, port, dict(options))
        self.peers[name] = peer
        self.doers.append((doer or found.doer)(peer=peer))
        return peer

    def link(
        self,
        src: str,
        dst: str,
        spec: Mapping[str, Any] | None = None,
        *,
        both: bool = True,
        **impairments: Any,
    ) -> None:
        """Impair the link src -> dst (and dst -> src unless both=False) with a
        link spec (docs/network.md), e.g. ``loss={"rate": 0.1}``."""
        self.network.add_link(src, dst, spec, **impairments)
        if both:
            self.network.add_link(dst, src, spec, **impairments)

    # ----------------------------------------------------------------- running

    @property
    def now(self) -> float:
        """Sim tyme in seconds."""
        return float(self.env.now)

    def send(self, src: Any, memo: Any, dst: Any, **kwa: Any) -> None:
        """src.memoit(memo, dst.ha), and tell the Doist there is work."""
        src.memoit(memo, dst.ha, **kwa)
        if self.doist is not None:
            self.doist.kick(src)

    def _start(self) -> SimDoist:
        if self.doist is None:
            self.doist = SimDoist(self.env, peers=list(self.peers.values()), tock=self.tock)
            self._proc = self.env.process(self.doist.process(self.doers))
        else:
            self.doist.kick()  # memos queued by hand since the last run
        return self.doist

    def run_until(self, cond: Callable[[], Any], *, limit: float) -> bool:
        """Run until cond() is true or limit more seconds of sim tyme have passed;
        cond() is checked after every event. Returns whether it came true."""
        self._start()
        env, deadline = self.env, self.env.now + limit
        while not cond():
            if env.peek() > deadline:
                if env.now < deadline:
                    env.run(until=deadline)
                return bool(cond())
            env.step()
        return True

    def run_for(self, duration: float) -> None:
        """Run duration seconds of sim tyme."""
        self.run_until(lambda: False, limit=duration)

    def close(self) -> None:
        """Stop the Doist (its Doers exit) and close every peer."""
        gen = getattr(self._proc, "_generator", None)
        if gen is not None:
            gen.close()
        self._proc = None
        for peer in self.peers.values():
            peer.close()

    # -------------------------------------------------------------- inspecting

    def delivered(self, peer: Any) -> list[Any]:
        """The memos in peer's inbox, oldest first (the inbox is left as it is)."""
        return [entry[0] for entry in peer.inbox]

    def events(self, *peers: Any, last: int = 20) -> list[TraceEvent]:
        """The last datagram events from or to any of peers (all when none given)."""
        addrs = {format_addr(p.ha) for p in peers}
        found = [e for e in self.trace.events if not addrs or e.src in addrs or e.dst in addrs]
        return found[-last:] if last else found

    def explain(self, *peers: Any, last: int = 20) -> str:
        """Trace lines for a failure message, with how many events there were."""
        chosen = self.events(*peers, last=0)
        shown = chosen[-last:]
        head = f"last {len(shown)} of {len(chosen)} datagram events"
        if peers:
            head += " of " + ", ".join(format_addr(p.ha) for p in peers)
        lines = "".join("    " + e.line() for e in shown)
        return f"{head} (time kind src dst size reason crc32):\n{lines}".rstrip("\n")

    def expect(
        self, cond: Callable[[], Any], *, limit: float, what: str, peers: tuple[Any, ...] = ()
    ) -> None:
        """Run until cond() holds; else fail with what, the tyme and the trace."""
        __tracebackhide__ = True  # pytest shows the test's line, not this helper's
        start = self.now
        if not self.run_until(cond, limit=limit):
            raise AssertionError(
                f"{what}: not by tyme {self.now:.3f} s (waited {self.now - start:.3f} s, "
                f"seed {self.seed})\n{self.explain(*peers)}"
            )

    def assert_delivered(self, peer: Any, memo: Any, *, limit: float, src: Any = None) -> None:
        """Run until memo is in peer's inbox (from src when given), else fail with
        what did arrive and the trace of the peers involved."""
        __tracebackhide__ = True

        def arrived() -> bool:
            return any(
                e[0] == memo and (src is None or tuple(e[1]) == tuple(src.ha)) for e in peer.inbox
            )

        shown = memo if len(repr(memo)) <= 60 else repr(memo)[:57] + "..."

        def got() -> str:
            return ", ".join(repr(m)[:40] for m in self.delivered(peer)) or "nothing"

        try:
            self.expect(
                arrived,
                limit=limit,
                what=f"{shown!r} delivered to {peer.name}",
                peers=(peer,) if src is None else (src, peer),
            )
        except AssertionError as fail:
            raise AssertionError(f"{fail}\n{peer.name}'s inbox holds: {got()}") from None

    def assert_no_duplicates(self, peer: Any) -> None:
        """No memo twice in peer's inbox."""
        __tracebackhide__ = True
        memos = self.delivered(peer)
        twice = sorted({repr(m)[:40] for m in memos if memos.count(m) > 1})
        assert not twice, (
            f"{peer.name} got these memos more than once: {twice}\n{self.explain(peer)}"
        )


#: The plain (fire and forget) Doer, for ``peer(..., doer=PlainDoer)``.
PlainDoer = PeerMemoerDoer
