"""Review r4: pcap output read back with a parser written here from the
libpcap, IPv4 and UDP layouts: one record per delivered datagram (each
duplicate copy too), at the delivery time, with the payload as received."""

from __future__ import annotations

import io
import struct
from typing import Any

import pytest
import simpy

from memosim.sim import Network, capture


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _read(blob: bytes, linktype: int) -> list[tuple[int, int, bytes, int]]:
    """Records as (ts_sec, ts_usec, udp payload, orig_len); checks every
    header field the writer promises."""
    magic, vmaj, vmin, _tz, _sig, snap, lt = struct.unpack_from("<IHHiIII", blob)
    assert (magic, vmaj, vmin, lt) == (0xA1B2C3D4, 2, 4, linktype) and snap >= 65535
    off, out = 24, []
    while off < len(blob):
        sec, usec, incl, orig = struct.unpack_from("<IIII", blob, off)
        off += 16
        frame = blob[off : off + incl]
        off += incl
        assert len(frame) == incl <= orig and usec < 1_000_000
        if linktype == 1:
            assert frame[12:14] == b"\x08\x00"
            frame = frame[14:]
        ver_ihl, _tos, total, _id, _frag, ttl, proto = struct.unpack_from("!BBHHHBB", frame)
        assert (ver_ihl, ttl, proto) == (0x45, 64, 17)
        assert _csum(frame[:20]) == 0xFFFF  # header checksum verifies
        assert total == len(frame)
        src, dst = frame[12:16], frame[16:20]
        _sport, _dport, ulen, ucsum = struct.unpack_from("!HHHH", frame, 20)
        assert ulen == total - 20
        pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
        assert ucsum != 0 and _csum(pseudo + frame[20:]) == 0xFFFF
        out.append((sec, usec, frame[28:], orig - (14 if linktype == 1 else 0)))
    return out


@pytest.mark.parametrize("linktype", [228, 1])
def test_one_record_per_delivery_with_time_length_and_payload(linktype: int) -> None:
    env = simpy.Environment()
    net = Network(env, 2)
    spec = {
        "duplicate": {"rate": 0.4},
        "corrupt": {"rate": 0.3, "deliver": True},
        "delay": {"base_s": 0.0123, "jitter_s": 0.01},
        "loss": {"rate": 0.2},
    }
    net.add_link("a", "10.1.2.3", spec)
    b = net.endpoint(("10.1.2.3", 7))
    got: list[tuple[float, bytes]] = []
    b.on_arrival = lambda ep: got.extend((env.now, d) for d, _ in ep.drain())
    buf = io.BytesIO()
    writer = capture(net, buf, linktype=linktype)
    sizes = [0, 1, 2, 3, 1472, 9000, 70_000]

    def tx() -> Any:
        for i in range(200):
            n = sizes[i % len(sizes)]
            net.send(("a", 5), ("10.1.2.3", 7), bytes([i % 251]) * n)
            yield env.timeout(0.0007)

    env.process(tx())
    env.run()
    writer.close()
    records = _read(buf.getvalue(), linktype)
    assert len(records) == len(got) == net.counters()["total"]["delivered"]
    assert net.counters()["total"]["duplicated"] > 0
    for (sec, usec, payload, orig), (t, data) in zip(records, got, strict=True):
        assert sec * 1_000_000 + usec == round(t * 1_000_000)
        assert orig == len(data) + 28
        assert payload == data[:65507]
