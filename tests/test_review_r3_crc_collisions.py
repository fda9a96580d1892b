"""Two different datagrams with the same CRC-32 are still two datagrams.

The trace names a payload by its CRC-32 (8 hex digits): fine for a line of
text, not as an identity. From about 65,000 distinct payloads on, two are
likely to share it (the birthday bound), and shipped scenarios get there:
source-flood's seed 2 sends a data gram f16 -> bob and an ack bob -> f23
with the same CRC. Taken as one payload, the first made the spurious
retransmission count take a first send for a resend of a delivered gram,
and the timelines file the second datagram's events under the first's memo.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from memosim.sim import Trace
from memosim.testbed.gramtrace import GramTrace
from memosim.testbed.scenario import load_scenario
from memosim.testbed.simrun import run_sim

REPO = Path(__file__).resolve().parents[1]
# two payloads with one CRC-32 (found by a birthday search)
A, B = b"gram-907597", b"gram-8000060"
X, Y = ("x", 1), ("y", 2)


def test_the_pair_collides() -> None:
    assert A != B and zlib.crc32(A) == zlib.crc32(B)


def test_a_first_send_is_not_spurious_for_sharing_a_crc_with_a_delivered_gram() -> None:
    for trace in (Trace(keep=False, spurious_if=lambda _d: True), GramTrace()):
        trace.record(0.0, "send", Y, X, len(A), "", A)
        trace.record(0.1, "deliver", Y, X, len(A), "", A)
        trace.record(0.2, "send", Y, X, len(B), "", B)  # another gram: not a resend
        assert trace.spurious == 0
        trace.record(0.3, "send", Y, X, len(A), "", A)  # the delivered gram again
        assert trace.spurious == 1


def test_gram_trace_keeps_both_payloads_of_a_crc() -> None:
    trace = GramTrace()
    trace.record(0.0, "send", Y, X, len(A), "", A)
    trace.record(0.1, "send", X, Y, len(B), "", B)
    trace.record(0.2, "deliver", X, Y, len(B), "", B)
    assert [trace.payload_of(i) for i in range(3)] == [A, B, B]


def test_timelines_keep_each_event_with_its_own_memo() -> None:
    """source-flood seed 2 (the collision above): every event of a memo's
    timeline is on its own link, data grams src -> dst, acks dst -> src."""
    scenario = load_scenario(REPO / "scenarios" / "source-flood.toml")
    run = run_sim(scenario, "PeerMemoerDoer", 2, timelines=True)
    assert len(run.timeline) == 16_820
    wrong = []
    for rec in run.timeline:
        src, dst = rec["key"].split(":")[1].split(">")
        for _t, _kind, num, _reason, link in rec["events"]:
            if link != (f"{dst}->{src}" if num == -1 else f"{src}->{dst}"):
                wrong.append((rec["key"], num, link))
    assert wrong == []
