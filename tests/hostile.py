"""A hostile peer on a real UDP socket, for the adversarial review tests.

`Hostile` is a bare socket on 127.0.0.1 (OS-chosen port) that sends crafted
datagrams to a memosim PeerMemoer and collects what the peer sends back.
`pump` services the peers until nothing new arrives. `table_sizes` counts
the entries of every table a remote can make a peer hold (reassembly,
acker, delivered ids, flights), for the bounds checks.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from memosim.core import b64, grams


class Hostile:
    """A raw UDP socket that speaks memogram bytes by hand."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.ha: tuple[str, int] = self.sock.getsockname()
        self.got: list[bytes] = []

    def send(self, data: bytes, dst: Any) -> None:
        self.sock.sendto(data, dst)

    def collect(self) -> list[bytes]:
        """Every datagram waiting on the socket, also kept in `got`."""
        new = []
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            new.append(data)
        self.got.extend(new)
        return new

    def collect_from(self) -> list[tuple[bytes, Any]]:
        """Every (datagram, source) waiting on the socket."""
        new = []
        while True:
            try:
                new.append(self.sock.recvfrom(65536))
            except BlockingIOError:
                break
        return new

    def close(self) -> None:
        self.sock.close()


def pump(*peers: Any, rounds: int = 3, pause: float = 0.002) -> None:
    """Service every peer `rounds` times, letting loopback datagrams land."""
    for _ in range(rounds):
        time.sleep(pause)
        for peer in peers:
            peer.service()


def text_gram(code: str, neck: int, mid: str, body: bytes) -> bytes:
    """An unsigned gram with a text header: code, neck, mid, body."""
    return code.encode() + b64.encode(neck.to_bytes(3, "big")) + mid.encode() + body


def parsed(datagrams: list[bytes]) -> list[grams.Gram]:
    return [grams.parse(d) for d in datagrams]


def table_sizes(peer: Any) -> dict[str, int]:
    """Entries of each table a remote can make the peer hold."""
    engine = peer.engine
    rx, acker, flights = engine.rx, engine.acker, engine.flights
    return {
        "partials": len(rx),
        "wholes": len(rx._wholes),
        "ledgers": len(rx._ledgers),
        "ready": len(rx.ready),
        "done": len(rx.done),
        "sure": len(rx.sure),
        "sure_sources": rx.sure.sources,
        "acker_pending": len(acker.pending),
        "acker_done": len(acker.done),
        "acker_sources": len(acker._by_source),
        "acker_heap": len(acker._heap),
        "flights": len(flights.flights),
        "unsent": sum(len(f.unsent) for f in flights.flights.values()),
    }
