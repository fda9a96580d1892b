"""What a scenario may not ask of a hio peer: refused when it loads, not mid-run.

hio 0.7.20 (``impl = "hio"``) never implemented acked delivery, so a hio
peer sends plain codes only, and a memosim peer sending acked (Sure) memos
to it would wait for acks that never come. A damaged datagram delivered to
hio can raise out of its service loop (an unknown code, a body that is not
UTF-8), which would end the run, not measure it. And hio sizes later binary
grams as if their header were text (32 bytes), so a curt hio peer needs
gram_size above 32. Each is a one-line ScenarioError naming the key.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ScenarioError, Text
from .scenario_model import ALL, LinkSpec, PeerSpec, WorkloadSpec

__all__ = ["HIO_MIN_CURT_GRAM", "check_hio"]

#: Smallest gram_size hio 0.7.20 can send with binary headers (later bodies of size - 32 bytes).
HIO_MIN_CURT_GRAM = 33


def check_hio(
    peers: Sequence[PeerSpec], links: Sequence[LinkSpec], workload: Sequence[WorkloadSpec]
) -> None:
    """Raise ScenarioError for the first thing a hio peer of the scenario cannot do."""
    hio = {p.name for p in peers if p.impl == "hio"}
    if not hio:
        return
    index = {p.name: i for i, p in enumerate(peers)}
    for p in peers:
        if p.name not in hio:
            continue
        path = f"peers[{index[p.name]}]"
        if p.acked:
            raise ScenarioError(
                "",
                f"{path}.acked",
                'false for impl = "hio" (hio 0.7.20 never implemented acked delivery)',
                True,
            )
        if p.curt and p.gram_size < HIO_MIN_CURT_GRAM:
            raise ScenarioError(
                "",
                f"{path}.gram_size",
                f'at least {HIO_MIN_CURT_GRAM} for a curt impl = "hio" peer '
                "(hio sizes later binary grams with a 32-byte text header)",
                p.gram_size,
            )
    by_name = {p.name: p for p in peers}
    for i, w in enumerate(workload):
        for src, dst in w.pairs:
            if dst in hio and by_name[src].acked:
                raise ScenarioError(
                    "",
                    f"workload[{i}].dst",
                    'a peer that takes acked memos (hio 0.7.20 never acks: impl = "hio")',
                    Text(f"{dst} (hio), sent acked memos by {src}"),
                )
    for i, link in enumerate(links):
        corrupt = link.impairments.get("corrupt") or {}
        if not corrupt.get("deliver"):
            continue
        ends = {link.dst, link.src} if link.both else {link.dst}
        into = sorted(hio) if ALL in ends else sorted(hio & ends)
        if into:
            raise ScenarioError(
                "",
                f"links[{i}].corrupt.deliver",
                f'false on a link into an impl = "hio" peer ({into[0]}): a damaged '
                "datagram can raise out of hio 0.7.20's service loop",
                True,
            )
