"""How a scenario names peers: by name, by the host of exactly one peer, or "*".

Links, partitions and workloads refer to peers; PeerRefs resolves those
references against the scenario's peers and explains, in one line, what a
bad one should have been.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..errors import ScenarioError, Text, show
from ..validation import unknown
from .scenario_model import ALL, PeerSpec

__all__ = ["PeerRefs"]


class PeerRefs:
    """Resolves peer references: a name, the host of exactly one peer, or "*"."""

    def __init__(self, peers: tuple[PeerSpec, ...]) -> None:
        self.names = tuple(p.name for p in peers)
        self.hosts: dict[str, list[str]] = {}
        for p in peers:
            self.hosts.setdefault(p.host, []).append(p.name)

    def expected(self, star: bool) -> str:
        shown = ", ".join(self.names[:8]) + (", ..." if len(self.names) > 8 else "")
        tail = ', or "*" for every peer' if star else ""
        return f"a peer name ({shown}) or the host of exactly one peer{tail}"

    def one(self, x: Any, path: str, star: bool) -> str:
        if star and x == ALL:
            return ALL
        if isinstance(x, str):
            if x in self.names:
                return x
            try:
                host = str(ipaddress.ip_address(x))
            except ValueError:
                host = None
            if host is not None and host in self.hosts:
                held = self.hosts[host]
                if len(held) == 1:
                    return held[0]
                raise ScenarioError(
                    "", path, self.expected(star), Text(f"{show(x)}, the host of {len(held)} peers")
                )
        raise ScenarioError("", path, self.expected(star), unknown(x, self.names))

    def many(self, x: Any, path: str, star: bool) -> str | tuple[str, ...]:
        """One reference or an array of them; "*" stays "*"."""
        if isinstance(x, (list, tuple)):
            if not x:
                raise ScenarioError("", path, "a non-empty array of peer names", x)
            out: list[str] = []
            for i, ref in enumerate(x):
                name = self.one(ref, f"{path}[{i}]", star=False)
                if name in out:
                    raise ScenarioError("", f"{path}[{i}]", "each peer once", ref)
                out.append(name)
            return tuple(out)
        name = self.one(x, path, star)
        return name if name == ALL else (name,)

    def expand(self, ref: str | tuple[str, ...]) -> tuple[str, ...]:
        if ref == ALL:
            return self.names
        return (ref,) if isinstance(ref, str) else ref
