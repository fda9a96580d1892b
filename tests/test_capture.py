"""`memosim run --pcap` and `--trace`: the files, what is in them, and the errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import dpkt
import pytest
from test_cli import TINY

from memosim.cli import main
from memosim.sim.pcap import ipv4_of
from memosim.testbed.capture import Capture, capture_files, file_stem

DOERS = ["PeerMemoerDoer", "SafePeerMemoerDoer"]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def run(*argv: str) -> int:
    return main(["run", *argv, "--no-plots", "--quiet"])


def summary(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return doc


def total(run: dict[str, Any], counter: str) -> int:
    """A counter summed over the run's links (summary.json's "links")."""
    return sum(link[counter] for link in run["links"].values())


def records(path: Path) -> list[tuple[float, bytes]]:
    with open(path, "rb") as f:
        return [(ts, buf) for ts, buf in dpkt.pcap.Reader(f)]


def test_trace_text_is_what_the_digest_hashes(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "res"
    assert run(str(tiny), "--out", str(out), "--trace") == 0
    wrote = capsys.readouterr().out.splitlines()[-1]
    assert "PeerMemoerDoer.trace.txt, SafePeerMemoerDoer.trace.txt" in wrote
    digests = [hashlib.sha256((out / f"{d}.trace.txt").read_bytes()).hexdigest() for d in DOERS]
    assert hashlib.sha256("".join(digests).encode()).hexdigest() == summary(out)["trace_digest"]
    assert not list(out.glob("*.pcap")) and not list(out.glob("*.trace.jsonl"))


def test_trace_jsonl_holds_the_text_lines_fields(tiny: Path, tmp_path: Path) -> None:
    text, jsonl = tmp_path / "text", tmp_path / "jsonl"
    assert run(str(tiny), "--out", str(text), "--doer", "SafePeerMemoerDoer", "--trace") == 0
    assert run(str(tiny), "--out", str(jsonl), "--doer", "SafePeerMemoerDoer", "--trace=jsonl") == 0
    lines = (text / "SafePeerMemoerDoer.trace.txt").read_text().splitlines()
    objs = [
        json.loads(x) for x in (jsonl / "SafePeerMemoerDoer.trace.jsonl").read_text().splitlines()
    ]
    assert len(objs) == len(lines) > 100
    kinds = set()
    for line, obj in zip(lines, objs, strict=True):
        t, kind, src, dst, size, reason, phash = line.split()
        assert obj == {
            "time": float(t),
            "kind": kind,
            "src": src,
            "dst": dst,
            "size": int(size),
            "reason": None if reason == "-" else reason,
            "phash": phash,
        }
        kinds.add(kind)
    assert {"send", "deliver", "drop"} <= kinds  # the tiny scenario loses 10% each way


@pytest.mark.parametrize(("point", "counter"), [("deliver", "delivered"), ("send", "sent")])
def test_pcap_has_one_record_per_datagram(
    tiny: Path, tmp_path: Path, point: str, counter: str
) -> None:
    out = tmp_path / point
    flag = "--pcap" if point == "deliver" else "--pcap=send"
    assert run(str(tiny), "--out", str(out), flag) == 0
    for doer, result in zip(DOERS, summary(out)["runs"], strict=True):
        recs = records(out / f"{doer}.pcap")
        assert len(recs) == total(result, counter) > 0
        times = [ts for ts, _ in recs]
        assert times == sorted(times) and times[-1] <= 3.0
        ip = dpkt.ip.IP(recs[0][1])
        assert ip.p == dpkt.ip.IP_PROTO_UDP
        assert {ip.src, ip.dst} == {
            bytes(map(int, ipv4_of(h).split("."))) for h in ("alice", "bob")
        }
        assert {ip.data.sport, ip.data.dport} == {47951, 47952}


def test_tshark_reads_the_run_capture(tiny: Path, tmp_path: Path, tshark: str) -> None:
    out = tmp_path / "res"
    assert run(str(tiny), "--out", str(out), "--doer", "PeerMemoerDoer", "--pcap") == 0
    shown = subprocess.run(
        [tshark, "-n", "-r", str(out / "PeerMemoerDoer.pcap"), "-T", "fields"]
        + ["-e", "ip.src", "-e", "udp.dstport", "-e", "udp.length"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    delivered = total(summary(out)["runs"][0], "delivered")
    assert len(shown) == delivered
    assert f"{ipv4_of('alice')}\t47952\t{8 + 1240}" in shown  # a full gram, alice -> bob


def test_a_run_without_capture_removes_an_earlier_runs_files(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    assert run(str(tiny), "--out", str(out), "--pcap", "--trace") == 0
    assert {p.name for p in out.glob("*Doer*")} == {
        f"{d}{s}" for d in DOERS for s in (".pcap", ".trace.txt")
    }
    assert run(str(tiny), "--out", str(out), "--trace=jsonl") == 0  # the same run again
    assert {p.name for p in out.glob("*Doer*")} == {f"{d}.trace.jsonl" for d in DOERS}


def test_a_failed_run_leaves_no_capture(tiny: Path, tmp_path: Path, capsys) -> None:
    mod = tmp_path / "brokendoers.py"
    mod.write_text(
        "from memosim import PeerMemoerDoer\n"
        "class Broken(PeerMemoerDoer):\n"
        "    def recur(self, tyme=None):\n"
        "        raise RuntimeError('broken on purpose')\n"
    )
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        out = tmp_path / "res"
        code = run(
            str(tiny), "--out", str(out), "--doer", "brokendoers:Broken", "--pcap", "--trace"
        )
    finally:
        sys.path.remove(str(tmp_path))
    err = capsys.readouterr().err
    assert code == 2 and "raising RuntimeError: broken on purpose" in err  # one line
    assert not out.exists()


def test_capture_stages_until_saved_and_discards_on_exit(tmp_path: Path) -> None:
    from memosim.sim import Network, Trace
    from memosim.sim.clock import GridEnvironment

    env = GridEnvironment()
    trace = Trace()
    net = Network(env, 1, trace)
    a, b = net.endpoint(("a", 1)), net.endpoint(("b", 2))
    with Capture("send", "text") as capture:
        capture.open("x:Y", net)
        a.send(b"hi", b.ha)
        env.run()
        capture.close("x:Y", trace)
        staged = list(capture.staged)
        assert [p.name for p in staged] == ["x_Y.pcap", "x_Y.trace.txt"]
        assert all(p.exists() for p in staged)
    assert not any(p.exists() for p in staged)  # never saved: gone with the staging dir
    net = Network(env, 1)
    a, b = net.endpoint(("a", 1)), net.endpoint(("b", 2))
    with Capture("deliver", None) as capture:
        capture.open("x:Y", net)
        a.send(b"again", b.ha)
        env.run()
        capture.close("x:Y", trace)
        moved = capture.save(tmp_path, ["x:Y"])
    assert [p.name for p in moved] == ["x_Y.pcap"] and len(records(moved[0])) == 1
    assert file_stem("mydoers.jitter:JitteryDoer") == "mydoers.jitter_JitteryDoer"
    assert capture_files("A") == ["A.pcap", "A.trace.txt", "A.trace.jsonl"]
    with pytest.raises(ValueError):
        Capture("both")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "--pcap", "{file}"],
            "memosim run: error: argument --pcap: expected deliver or send, found '{file}' "
            "(without a value, put the option after FILE) (see memosim run --help)\n",
        ),
        (
            ["run", "{file}", "--trace", "xml"],
            "memosim run: error: argument --trace: expected text or jsonl, found 'xml' "
            "(see memosim run --help)\n",
        ),
    ],
)
def test_bad_capture_options_are_one_line(
    tiny: Path, argv: list[str], message: str, capsys
) -> None:
    assert main([a.format(file=tiny) for a in argv]) == 2
    assert capsys.readouterr().err == message.format(file=tiny)


@pytest.mark.udp
def test_udp_run_captures_the_relays_network(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text(
        TINY.replace("duration_s = 3.0", "duration_s = 1.2").replace("count = 20", "count = 10")
    )
    out = tmp_path / "udp"
    argv = [str(path), "--backend", "udp", "--doer", "PeerMemoerDoer", "--out", str(out)]
    assert run(*argv, "--pcap", "--trace=jsonl") == 0
    result = summary(out)["runs"][0]
    assert len(records(out / "PeerMemoerDoer.pcap")) == total(result, "delivered") > 0
    events = [json.loads(x) for x in (out / "PeerMemoerDoer.trace.jsonl").read_text().splitlines()]
    assert sum(e["kind"] == "send" for e in events) == total(result, "sent")
    assert sum(e["kind"] == "deliver" for e in events) == total(result, "delivered")
