"""pcap export, read back with independent readers (dpkt and tshark)."""

import io
import socket
import struct
import subprocess
from collections.abc import Generator
from pathlib import Path
from typing import Any

import dpkt
import pytest
import simpy

from memosim.sim import Network, capture
from memosim.sim.pcap import LINKTYPE_ETHERNET, LINKTYPE_IPV4, PcapWriter, inet_checksum, ipv4_of

Address = tuple[str, int]
SENT: list[tuple[float, Address, Address, bytes]] = [
    # (time, src, dst, payload)
    (0.0, ("alice", 5000), ("192.168.7.9", 6000), b"hello"),
    (0.5, ("192.168.7.9", 6000), ("alice", 5000), b"x" * 1001),  # odd length
    (1.25, ("alice", 5000), ("bob", 53), b""),
    (3.000001, ("bob", 53), ("alice", 5000), bytes(range(256)) * 4),
]


def run(path: Path | io.BytesIO, linktype: int = LINKTYPE_IPV4) -> PcapWriter:
    """Deliver SENT through a network with 0.125 s delay, captured at delivery."""
    env = simpy.Environment()
    net = Network(env, 0, default={"delay": {"base_s": 0.125}})
    eps = {ha: net.endpoint(ha) for ha in {s for _, s, _, _ in SENT} | {d for _, _, d, _ in SENT}}

    def tx(t: float, src: Address, dst: Address, data: bytes) -> Generator[Any, Any, None]:
        yield env.timeout(t)
        eps[src].send(data, dst)

    for item in SENT:
        env.process(tx(*item))
    with capture(net, path, point="deliver", linktype=linktype) as writer:
        env.run()
    return writer


def read(path: Path) -> tuple[int, list[tuple[float, bytes]]]:
    with open(path, "rb") as f:
        reader = dpkt.pcap.Reader(f)
        return reader.datalink(), [(ts, buf) for ts, buf in reader]


def test_dpkt_reads_addresses_ports_payloads_and_times(tmp_path: Path) -> None:
    path = tmp_path / "run.pcap"
    writer = run(path)
    assert writer.count == len(SENT)
    linktype, records = read(path)
    assert linktype == LINKTYPE_IPV4 == 228
    addr = writer.addresses
    assert addr["192.168.7.9"] == "192.168.7.9"
    assert addr["alice"] == ipv4_of("alice") and addr["alice"].startswith("10.")
    assert addr["bob"] != addr["alice"]
    for (ts, buf), (t, src, dst, data) in zip(records, SENT):
        assert ts == pytest.approx(t + 0.125, abs=1e-6)
        ip = dpkt.ip.IP(buf)
        assert ip.v == 4 and ip.hl == 5 and ip.p == dpkt.ip.IP_PROTO_UDP and ip.ttl == 64
        assert ip.len == len(buf) == 28 + len(data)
        assert socket.inet_ntoa(ip.src) == addr[src[0]]
        assert socket.inet_ntoa(ip.dst) == addr[dst[0]]
        assert inet_checksum(buf[:20]) == 0  # header checksum verifies
        udp = ip.data
        assert (udp.sport, udp.dport, udp.ulen) == (src[1], dst[1], 8 + len(data))
        assert udp.data == data
        pseudo = ip.src + ip.dst + struct.pack("!BBH", 0, 17, udp.ulen)
        assert udp.sum != 0 and inet_checksum(pseudo + buf[20:]) == 0


def test_timestamps_split_into_seconds_and_microseconds(tmp_path: Path) -> None:
    path = tmp_path / "run.pcap"
    run(path)
    raw = path.read_bytes()
    magic, major, minor, _, _, snaplen, linktype = struct.unpack("<IHHiIII", raw[:24])
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 228)
    stamps, off = [], 24
    while off < len(raw):
        sec, usec, incl, orig = struct.unpack("<IIII", raw[off : off + 16])
        assert incl == orig
        stamps.append((sec, usec))
        off += 16 + incl
    assert stamps == [(0, 125000), (0, 625000), (1, 375000), (3, 125001)]


def test_ethernet_framing(tmp_path: Path) -> None:
    path = tmp_path / "eth.pcap"
    writer = run(path, LINKTYPE_ETHERNET)
    linktype, records = read(path)
    assert linktype == LINKTYPE_ETHERNET
    for (_, buf), (_, src, _dst, data) in zip(records, SENT):
        eth = dpkt.ethernet.Ethernet(buf)
        assert eth.type == dpkt.ethernet.ETH_TYPE_IP
        assert socket.inet_ntoa(eth.data.src) == writer.addresses[src[0]]
        assert eth.src[2:] == eth.data.src and eth.dst[2:] == eth.data.dst
        assert eth.data.data.data == data


def test_writer_on_a_file_object_and_send_point() -> None:
    buf = io.BytesIO()
    env = simpy.Environment()
    net = Network(env, 0)
    net.add_link("a", "b", loss={"rate": 1.0})
    a = net.endpoint(("a", 1))
    net.endpoint(("b", 2))
    writer = capture(net, buf, point="send")
    a.send(b"dropped but captured at send", ("b", 2))
    env.run()
    writer.close()
    assert not buf.closed
    records = list(dpkt.pcap.Reader(io.BytesIO(buf.getvalue())))
    assert len(records) == 1
    assert dpkt.ip.IP(records[0][1]).data.data == b"dropped but captured at send"
    with pytest.raises(ValueError):
        net.tap(print, point="nowhere")
    with pytest.raises(ValueError):
        PcapWriter(io.BytesIO(), linktype=105)


def test_name_clash_moves_to_next_address() -> None:
    w = PcapWriter(io.BytesIO())
    taken = ipv4_of("carol")
    assert w.address(taken) == taken  # a literal address claims it first
    moved = w.address("carol")
    assert moved != taken and moved.startswith("10.")


def test_inet_checksum_known_value() -> None:
    # RFC 1071 example words 0001 f203 f4f5 f6f7 sum to ddf2 -> checksum 220d
    assert inet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert inet_checksum(b"") == 0xFFFF


def test_tshark_reads_the_file(tmp_path: Path, tshark: str) -> None:
    path = tmp_path / "run.pcap"
    writer = run(path)
    fields = [
        "frame.time_relative",
        "ip.src",
        "ip.dst",
        "udp.srcport",
        "udp.dstport",
        "udp.length",
        "ip.checksum.status",
        "udp.checksum.status",
        "frame.len",
    ]
    cmd = [
        tshark,
        "-n",
        "-r",
        str(path),
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "separator=,",
    ]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = [line.split(",") for line in out.strip().splitlines()]
    assert len(rows) == len(SENT)
    for row, (t, src, dst, data) in zip(rows, SENT):
        rel, ipsrc, ipdst, sport, dport, ulen, ipok, udpok, flen = row
        assert float(rel) == pytest.approx(t, abs=1e-6)  # relative to the first frame at 0.125
        assert (ipsrc, ipdst) == (writer.addresses[src[0]], writer.addresses[dst[0]])
        assert (int(sport), int(dport), int(ulen), int(flen)) == (
            src[1],
            dst[1],
            8 + len(data),
            28 + len(data),
        )
        # Wireshark's checksum status: 0 bad, 1 good, 2 unverified
        assert ipok == "1" and udpok == "1"
