"""Simulation benchmark: simulated datagrams per CPU second, end to end.

Codec + Memoer + acked delivery + Doers + SimDoist + SimPy network, with
peers in a ring (peer i sends 12 KB memos to peer i+1) over links losing 5%
each way. Reports datagrams (data grams, retransmissions and acks) moved per
second and microseconds per datagram for 2, 10 and 100 peers: the cost per
datagram should stay flat as peers grow.

    .venv/bin/python benchmarks/bench_sim.py [--memos 60] [--peers 2,10,100] [--parts]

--parts also times the pieces a simulated datagram passes through, alone:
the network and the Memoer (and one bare SimPy event), and prints how many
times their sum a datagram costs end to end. Times are this process's CPU
time (time.process_time), so other work on a shared machine inflates them
less than wall time would; every figure is the best of --repeat runs, the
parts timed between the end-to-end runs so both sample the same machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memosim.testbed.scenario import parse_scenario  # noqa: E402
from memosim.testbed.simrun import run_sim  # noqa: E402


def ring(peers: int, memos: int, doer: str, loss: float) -> dict:
    interval = 0.05
    duration = memos * interval + 15.0
    return {
        "scenario": {
            "name": f"ring-{peers}",
            "duration_s": duration,
            "seed": 1,
            "tock_s": 0.005,
            "doers": [doer],
        },
        "peers": [{"name": f"p{i}", "port": 40000 + i} for i in range(peers)],
        "links": [
            {
                "src": "*",
                "dst": "*",
                "loss": {"rate": loss},
                "delay": {"base_s": 0.01, "jitter_s": 0.002},
            }
        ],
        "workload": [
            {
                "src": f"p{i}",
                "dst": f"p{(i + 1) % peers}",
                "count": memos,
                "interval_s": interval,
                "memo_size": {"dist": "fixed", "bytes": 12288},
            }
            for i in range(peers)
        ],
    }


def network_floor(datagrams: int, loss: float) -> float:
    """Wall us per datagram for the network alone: the ring's link (loss,
    10 +- 2 ms), the trace on, bursts of 11 pre-made 1240-byte datagrams every
    50 ms, and a receiver that only empties its inbox, on the nanosecond-grid
    environment every memosim run uses. No Memoer, no Doist."""
    from memosim.sim.clock import GridEnvironment
    from memosim.sim.network import Network
    from memosim.sim.trace import Trace

    env = GridEnvironment()
    net = Network(
        env,
        1,
        trace=Trace(keep=False),
        default={"loss": {"rate": loss}, "delay": {"base_s": 0.01, "jitter_s": 0.002}},
    )
    a = net.endpoint(("p0", 40000))
    b = net.endpoint(("p1", 40001))
    b.on_arrival = lambda ep: ep.inbox.clear()
    grams = [bytes([65 + i]) * 1240 for i in range(11)]

    def sender():
        for _ in range(datagrams // len(grams)):
            for gram in grams:
                a.send(gram, b.ha)
            yield env.timeout(0.05)

    env.process(sender())
    t0 = time.process_time()
    env.run()
    return 1e6 * (time.process_time() - t0) / (datagrams // len(grams) * len(grams))


def codec_floor(memos: int) -> float:
    """Wall us per gram for the Memoer alone on the echo mock: 12 KB memos
    with the ring's code, memoit -> grams -> memo, no network, no Doist."""
    from memosim import Memoer
    from memosim.core.codes import SureDex

    peer = Memoer(code=next(iter(SureDex)), size=1240, echoic=True)
    peer.reopen()
    memo = "x" * 12288
    t0 = time.process_time()
    grams = 0
    for _ in range(memos):
        peer.memoit(memo, "far")
        peer.serviceAllTx()
        grams += len(peer.echos)
        peer.serviceAllRx()
        peer.inbox.clear()
    return 1e6 * (time.process_time() - t0) / grams


def event_floor(events: int) -> float:
    """Wall us per bare SimPy timeout event with one callback (the least a
    scheduled datagram arrival can cost)."""
    import simpy

    env = simpy.Environment()
    sink = []
    for i in range(events):
        env.timeout(i * 1e-6).callbacks.append(sink.append)
    t0 = time.process_time()
    env.run()
    return 1e6 * (time.process_time() - t0) / events


def end_to_end(peers: int, memos: int, doer: str, loss: float) -> tuple[int, int, float]:
    """(datagrams, memos delivered, CPU us per datagram) of one ring run."""
    scenario = parse_scenario(ring(peers, memos, doer, loss), f"ring-{peers}")
    t0 = time.process_time()
    result = run_sim(scenario, doer, 1)
    cpu = time.process_time() - t0
    s = result.summary
    datagrams = s["grams_sent"] + s["acks_sent"]
    return datagrams, s["memos_delivered"], 1e6 * cpu / datagrams


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memos", type=int, default=60, help="memos each peer sends")
    ap.add_argument("--peers", default="2,10,100", help="comma-separated peer counts")
    ap.add_argument("--doer", default="SafePeerMemoerDoer")
    ap.add_argument("--loss", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    ap.add_argument(
        "--parts",
        action="store_true",
        help="also time the network, the Memoer and a SimPy event alone, and the ratio",
    )
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.peers.split(",")]
    best: dict[int, tuple[int, int, float]] = {}
    net = codec = event = float("inf")
    for _ in range(max(1, args.repeat)):
        for n in sizes:
            run = end_to_end(n, args.memos, args.doer, args.loss)
            if n not in best or run[2] < best[n][2]:
                best[n] = run
        if args.parts:
            net = min(net, network_floor(11_000, args.loss))
            codec = min(codec, codec_floor(1_000))
            event = min(event, event_floor(20_000))
    print(f"sim benchmark: ring of peers, 12 KB memos, {args.loss:.0%} loss, {args.doer}")
    print(f"CPU time of this process, best of {max(1, args.repeat)} runs each")
    print(f"{'peers':>6}{'datagrams':>11}{'delivered':>11}{'dgrams/s':>11}{'us/dgram':>10}")
    for n in sizes:
        datagrams, delivered, us = best[n]
        print(f"{n:>6}{datagrams:>11,}{delivered:>11,}{1e6 / us:>11,.0f}{us:>10.1f}")
    if args.parts:
        parts = net + codec
        print("parts, us per datagram:")
        print(f"  network alone (link, loss, delay, trace, delivery)  {net:6.1f}")
        print(f"  Memoer alone (memoit .. memo, echo mock)            {codec:6.1f}")
        print(f"  (the network's share: one bare SimPy event           {event:6.1f})")
        print(
            f"  network + Memoer, before Doers, Doist and acks      {parts:6.1f}"
            f"  (= {1e6 / parts:,.0f} datagrams/s at most)"
        )
        ratios = ", ".join(f"{n} peers {best[n][2] / parts:.2f}x" for n in sizes)
        print(f"end to end / parts: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
