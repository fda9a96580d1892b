"""Simulation benchmark: simulated grams per wall second, end to end.

Codec + Memoer + acked delivery + Doers + SimDoist + SimPy network, with
peers in a ring (peer i sends 12 KB memos to peer i+1) over links losing 5%
each way. Reports datagrams (data grams, retransmissions and acks) moved per
wall second and wall microseconds per datagram for 2, 10 and 100 peers: the
cost per datagram should stay flat as peers grow.

    .venv/bin/python benchmarks/bench_sim.py [--memos 60] [--peers 2,10,100]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memosim.testbed.runner import run_sim  # noqa: E402
from memosim.testbed.scenario import parse_scenario  # noqa: E402


def ring(peers: int, memos: int, doer: str, loss: float) -> dict:
    interval = 0.05
    duration = memos * interval + 15.0
    return {
        "scenario": {"name": f"ring-{peers}", "duration_s": duration, "seed": 1,
                     "tock_s": 0.005, "doers": [doer]},
        "peers": [{"name": f"p{i}", "port": 40000 + i} for i in range(peers)],
        "links": [{"src": "*", "dst": "*", "loss": {"rate": loss},
                   "delay": {"base_s": 0.01, "jitter_s": 0.002}}],
        "workload": [
            {"src": f"p{i}", "dst": f"p{(i + 1) % peers}", "count": memos,
             "interval_s": interval, "memo_size": {"dist": "fixed", "bytes": 12288}}
            for i in range(peers)
        ],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memos", type=int, default=60, help="memos each peer sends")
    ap.add_argument("--peers", default="2,10,100", help="comma-separated peer counts")
    ap.add_argument("--doer", default="SafePeerMemoerDoer")
    ap.add_argument("--loss", type=float, default=0.05)
    args = ap.parse_args(argv)
    print(f"sim benchmark: ring of peers, 12 KB memos, {args.loss:.0%} loss, {args.doer}")
    print(f"{'peers':>6}{'datagrams':>11}{'delivered':>11}{'wall s':>9}{'dgrams/s':>11}"
          f"{'us/dgram':>10}")
    for n in (int(x) for x in args.peers.split(",")):
        scenario = parse_scenario(ring(n, args.memos, args.doer, args.loss), f"ring-{n}")
        t0 = time.perf_counter()
        result = run_sim(scenario, args.doer, 1)
        wall = time.perf_counter() - t0
        s = result.summary
        datagrams = s["grams_sent"] + s["acks_sent"]
        print(f"{n:>6}{datagrams:>11,}{s['memos_delivered']:>11,}{wall:>9.2f}"
              f"{datagrams / wall:>11,.0f}{1e6 * wall / datagrams:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
