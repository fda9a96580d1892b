"""hio 0.7.20's own PeerMemoer as a scenario peer (``impl = "hio"``).

The classes here subclass hio's ``Memoer`` and ``PeerMemoer`` as imported
from the installed hio package; no hio code is copied. On the sim backend a
hio Memoer sits on memosim's :class:`~memosim.transports.simulated.SimPeer`
(the same datagram endpoint memosim's simulated peers use); on the udp
backend it is hio's own ``PeerMemoer`` on a real socket behind the relay.

:class:`HioAdapter` gives a hio peer what the testbed reads of every peer
and hio lacks: ``stats`` (grams and bytes it sent and received), empty
``failures``, ``unsettled()``, ``busy()`` and ``get_timer()`` for the
SimDoist, ``memoit`` taking (and ignoring) ``rvid``, and ``partial_memos``.

Determinism: hio draws each memo id from ``uuid.uuid1()`` (host and wall
clock). The documented hook is hio's own ``makeMID`` classmethod: on the sim
backend each hio peer overrides it to draw 16 bytes from the seeded stream
``peer:<name>:mids``, so the same seed gives the same trace digest. On udp
hio keeps its own ids, as a real hio peer would.

hio is imported only when a scenario names it, and never while
:mod:`memosim.compat.hio` serves hio's module paths from memosim (the two
must not mix in one process): :func:`load_hio` refuses that, and a missing
hio is a one-line :class:`~memosim.errors.ScenarioError` that says how to
install it.
"""

from __future__ import annotations

import base64
import importlib
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..core.stats import Stats
from ..errors import ScenarioError, Text

__all__ = [
    "HIO_VERSION",
    "INSTALL_HIO",
    "HioAdapter",
    "hio_doer",
    "hio_sim_peer",
    "seeded_hio_sim_peer",
    "hio_udp_peer",
    "load_hio",
]

#: The hio release these peers are built on.
HIO_VERSION = "0.7.20"
#: The one command that adds hio to memosim's environment (hio declares Python >= 3.14
#: but runs on 3.11).
INSTALL_HIO = f".venv/bin/pip install --ignore-requires-python hio=={HIO_VERSION}"

_MODULES = ("hio.core.memo.memoing", "hio.core.udp.peermemoing")
_loaded: dict[str, ModuleType] = {}


def load_hio(path: str = "peers") -> dict[str, ModuleType]:
    """hio's memoing and peermemoing modules, from the real hio package.

    Raises a one-line ScenarioError at ``path`` when hio is not installed,
    is another version, or memosim.compat.hio serves hio's paths in this
    process (its modules are memosim's, not hio's)."""
    from ..compat import hio as compat

    if compat.installed():
        raise ScenarioError(
            "",
            path,
            'the real hio package for impl = "hio"',
            Text("memosim.compat.hio installed in this process (hio's paths serve memosim)"),
        )
    if _loaded:
        return _loaded
    try:
        mods = {name: importlib.import_module(name) for name in _MODULES}
    except ImportError as ex:
        raise ScenarioError(
            "",
            path,
            f'hio {HIO_VERSION} installed for impl = "hio" (install it: {INSTALL_HIO})',
            Text(f"none ({type(ex).__name__}: {ex})"),
        ) from None
    version = getattr(sys.modules.get("hio"), "__version__", None)
    if version != HIO_VERSION:
        raise ScenarioError(
            "",
            path,
            f'hio {HIO_VERSION} for impl = "hio" (install it: {INSTALL_HIO})',
            Text(f"hio {version}"),
        )
    _loaded.update(mods)  # kept: later runs use these very modules, whatever sys.modules holds
    return mods


class HioAdapter:
    """What the testbed reads of a peer, on top of a hio Memoer.

    Mixed in first, so its ``send``, ``receive`` and ``memoit`` wrap the
    transport's and hio's."""

    impl = "hio"
    stats: Stats
    failures: list[Any]
    txms: Any
    txgs: Any
    txbs: Any
    rxms: Any
    rxgs: dict[Any, Any]

    def _adapt(self) -> None:
        self.stats = Stats()
        self.failures = []  # hio never gives up on a memo: it has no acked delivery

    def send(self, data: bytes, dst: Any, **kwa: Any) -> int:
        sent: int = super().send(data, dst, **kwa)  # type: ignore[misc]
        if sent:
            self.stats.grams_sent += 1
            self.stats.bytes_sent += sent
        return sent

    def receive(self, **kwa: Any) -> tuple[bytes, Any]:
        data, src = super().receive(**kwa)  # type: ignore[misc]
        if data:
            self.stats.grams_received += 1
            self.stats.bytes_received += len(data)
        return data, src

    def memoit(self, memo: str, dst: Any, vid: str | None = None, rvid: str | None = None) -> None:
        """hio's memoit; rvid (memosim's receiver vid for signed acked memos) is ignored."""
        self.stats.memos_sent += 1
        super().memoit(memo, dst, vid)  # type: ignore[misc]

    def unsettled(self) -> list[tuple[Any, Any, Any]]:
        """Memos still queued, not yet rendered into grams."""
        return [tuple(m) for m in self.txms]

    def busy(self) -> bool:
        """Work a service pass would do now (hio finishes the rest in each pass)."""
        return bool(self.txms or self.txgs or self.txbs[0] or self.rxms)

    def get_timer(self) -> float | None:
        """hio keeps no timers: nothing expires, nothing is retried."""
        return None

    @property
    def partial_memos(self) -> int:
        """Memos hio holds grams of, waiting for the rest (it never lets go)."""
        return len(self.rxgs)


def _seeded_mid(draw: Callable[[], bytes]) -> Callable[..., str]:
    """A makeMID drawing hio's 16 id bytes from draw: hio's '0A' + 22 Base64 chars."""

    def make_mid(code: str = "0A") -> str:
        raw = draw()
        return code + base64.urlsafe_b64encode(bytes(2) + raw)[2:].decode()

    return make_mid


_classes: dict[str, type] = {}


def _sim_class() -> type:
    if "sim" not in _classes:
        from ..transports.simulated import SimPeer

        memoing = load_hio()["hio.core.memo.memoing"]

        class HioSimPeerMemoer(HioAdapter, SimPeer, memoing.Memoer):  # type: ignore[misc,name-defined]
            """hio's Memoer on a simulated endpoint (SimPeer's send/receive)."""

            MaxGramSize = 1240  # hio's UDP Peer limit (IPv6 minimum MTU less headers)

        _classes["sim"] = HioSimPeerMemoer
    return _classes["sim"]


def _udp_class() -> type:
    if "udp" not in _classes:
        peermemoing = load_hio()["hio.core.udp.peermemoing"]

        class HioPeerMemoer(HioAdapter, peermemoing.PeerMemoer):  # type: ignore[misc,name-defined]
            """hio's own PeerMemoer on a real UDP socket."""

        _classes["udp"] = HioPeerMemoer
    return _classes["udp"]


def hio_sim_peer(
    *, network: Any, draw: Callable[[], bytes], name: str, host: str, port: int, **opts: Any
) -> Any:
    """A hio Memoer on the simulated network; its memo ids come from draw()."""
    peer = _sim_class()(network=network, name=name, host=host, port=port, bc=1024, **opts)
    peer.makeMID = _seeded_mid(draw)  # the instance's id source: the seeded stream
    peer._adapt()
    return peer


def seeded_hio_sim_peer(*, network: Any, streams: Any, name: str, port: int, **opts: Any) -> Any:
    """hio_sim_peer at (name, port), its memo ids from the seed's stream
    ``peer:<name>:mids``, as a memosim peer's are (scenarios and memosim_net)."""
    rng = streams.stream(f"peer:{name}:mids")
    return hio_sim_peer(
        network=network, draw=lambda: rng.randbytes(16), name=name, host=name, port=port, **opts
    )


def hio_udp_peer(*, name: str, host: str, port: int, **opts: Any) -> Any:
    """hio's PeerMemoer on loopback (hio draws its own memo ids)."""
    peer = _udp_class()(name=name, host=host, port=port, **opts)
    peer._adapt()
    return peer


def hio_doer(name: str) -> type | None:
    """hio's Doer class of a built-in Doer name, None for any other name."""
    if name not in ("PeerMemoerDoer", "SafePeerMemoerDoer"):
        return None
    cls: type = getattr(load_hio()["hio.core.udp.peermemoing"], name)
    return cls
