"""Trace: line format, digest, digest-only mode."""

import hashlib
import zlib

import pytest
import simpy

from memosim.sim import Network, Trace, TraceEvent
from memosim.sim.trace import format_addr, payload_hash


def small_run(trace):
    env = simpy.Environment()
    net = Network(env, 3, trace)
    net.add_link("a", "b", delay={"base_s": 0.001}, loss={"rate": 0.5})
    a, b = net.endpoint(("a", 1)), net.endpoint(("b", 2))
    for i in range(8):
        a.send(bytes([i]) * 10, b.ha)
    a.send(b"nobody", ("b", 3))
    env.run()
    return net


def test_lines_and_events():
    trace = Trace()
    small_run(trace)
    lines = trace.serialise().splitlines()
    assert lines[0] == f"0.000000000 send a:1 b:2 10 - {payload_hash(bytes(10))}"
    assert lines[-1] == f"0.001000000 drop a:1 b:3 6 unreachable {zlib.crc32(b'nobody'):08x}"
    ev = trace.events[-1]
    assert ev == TraceEvent(
        0.001, "drop", "a:1", "b:3", 6, "unreachable", f"{zlib.crc32(b'nobody'):08x}"
    )
    assert ev.line() == lines[-1] + "\n"
    kinds = [e.kind for e in trace.events]
    assert trace.counts["send"] == kinds.count("send") == 9
    assert trace.counts["drop"] + trace.counts["deliver"] == 9
    assert len(trace) == len(lines)
    for line in lines:
        t, kind, src, dst, size, reason, phash = line.split(" ")
        assert len(t.split(".")[1]) == 9 and kind in {"send", "drop", "deliver"}
        assert (reason == "-") == (kind != "drop") and len(phash) == 8


def test_digest_is_sha256_of_the_serialisation_in_both_modes():
    kept, lean = Trace(), Trace(keep=False)
    small_run(kept)
    small_run(lean)
    assert kept.digest() == hashlib.sha256(kept.serialise().encode()).hexdigest()
    assert lean.digest() == kept.digest()
    assert lean.counts == kept.counts and len(lean) == len(kept)
    with pytest.raises(RuntimeError):
        _ = lean.events
    with pytest.raises(RuntimeError):
        lean.serialise()


def test_digest_spans_many_flushes(tmp_path):
    kept, lean = Trace(), Trace(keep=False)
    for tr in (kept, lean):
        for i in range(5000):
            tr.record(i / 7, "send", ("h", 1), ("g", 2), i, "", i.to_bytes(3, "big"))
    assert lean.digest() == kept.digest() == hashlib.sha256(kept.serialise().encode()).hexdigest()
    path = tmp_path / "trace.txt"
    kept.write(path)
    assert path.read_text() == kept.serialise()
    assert kept.digest() == lean.digest()  # digest() may be called repeatedly


def test_diff():
    one, two = Trace(), Trace()
    for tr in (one, two):
        tr.record(0.5, "send", ("a", 1), ("b", 1), 1, "", b"x")
    assert one.diff(two) is None
    two.record(1.0, "deliver", ("a", 1), ("b", 1), 1, "", b"x")
    assert one.diff(two) == "lengths differ: 1 != 2 events"
    one.record(1.0, "deliver", ("a", 1), ("b", 1), 1, "", b"y")
    assert one.diff(two).startswith("event 1: ")


def test_empty_digest_and_addresses():
    assert Trace().digest() == hashlib.sha256(b"").hexdigest()
    assert format_addr(("::1", 5)) == "[::1]:5"
    assert format_addr(("my host", 5)) == "my_host:5"
    assert format_addr("odd") == "odd"
