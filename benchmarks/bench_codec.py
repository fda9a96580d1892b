"""Codec benchmark: memosim versus hio 0.7.20, side by side, same cases.

Each case sends memos through a Memoer end to end on the echo mock transport
(memoit -> rend [+ sign] -> echos -> receive -> parse [+ verify] -> fuse ->
inbox), checking every memo comes back unchanged. hio runs in its own
virtual environment (created on first use, see DEVELOPERS.md) in one process;
memosim runs in this process. Signed cases are also compared with two
baselines at the same gram size: sign+verify through PyNaCl's API
(SigningKey.sign + VerifyKey.verify; % nacl), and the libsodium calls that
memosim itself makes, without PyNaCl's per-call wrapper (% sodium): the cost
of Ed25519 alone, which no signed gram can beat.

    .venv/bin/python benchmarks/bench_codec.py [--rounds 12] [--seconds 0.25] [--no-hio]

Each round runs every case on memosim and, right after, (for signed cases)
on both baselines and then on hio, in short slices, so all sides sample the
same states of a shared machine whose speed drifts; the best run of each
side is compared.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from hio_bench_driver import CASES, SEED, SIZE, batch_memos, make_memo  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402

from memosim import Memoer, make_keyage  # noqa: E402
from memosim.core import keys  # noqa: E402

NACL_MESSAGES = 256  # distinct messages the PyNaCl baseline cycles through


def run_memosim_case(
    name: str, length: int, code: str, curt: bool, size: int, seconds: float
) -> dict:
    vid, keyage = make_keyage(SEED)
    signed = code == "bAAC"
    peer = Memoer(
        name=f"bench-{name}",
        code=code,
        curt=curt,
        size=size,
        echoic=True,
        keep={vid: keyage},
        vid=vid if signed else None,
    )
    peer.reopen()
    memo = make_memo(length)
    per_batch = batch_memos(length)

    def one_batch() -> int:
        for _ in range(per_batch):
            peer.memoit(memo, "bench")
        peer.serviceAllTx()
        grams = len(peer.echos)
        peer.serviceAllRx()
        inbox = peer.inbox
        if len(inbox) != per_batch or peer.echos or peer.rxgs:
            raise RuntimeError(f"{name}: {len(inbox)}/{per_batch} memos fused")
        for got, _src, got_vid in inbox:
            if got != memo or got_vid != (vid if signed else None):
                raise RuntimeError(f"{name}: memo came back changed")
        inbox.clear()
        return grams

    one_batch()
    total_grams = total_memos = 0
    t0 = time.perf_counter()
    while True:
        total_grams += one_batch()
        total_memos += per_batch
        now = time.perf_counter()
        if now - t0 >= seconds:
            break
    elapsed = now - t0
    gram_bytes = peer.stats.bytes_sent / max(1, peer.stats.grams_sent)
    return {
        "grams_per_s": total_grams / elapsed,
        "mb_per_s": total_memos * length / elapsed / 1e6,
        "grams": total_grams,
        "memos": total_memos,
        "mean_gram_bytes": gram_bytes,
    }


def _baseline_messages(gram_size: float) -> list[bytes]:
    """Distinct messages the size of a gram less its signature, the same on every run.

    They differ from each other, as a codec's grams do (each has its own memo
    id). Signing and verifying one message over and over would let the CPU
    learn the branches of that one signature's verification, which runs in
    variable time, and flatter a baseline (by about 1.5% on this machine).
    """
    size = max(1, round(gram_size) - 64)
    rng = random.Random(size)
    return [rng.randbytes(size) for _ in range(NACL_MESSAGES)]


def _rate(one_pass, count: int, seconds: float) -> float:
    t0 = time.perf_counter()
    done = 0
    while True:  # at least one pass
        one_pass()
        done += count
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return done / elapsed


def nacl_sign_verify_rate(gram_size: float, seconds: float) -> float:
    """Grams/s for PyNaCl's API alone: SigningKey.sign + VerifyKey.verify of one gram."""
    key = SigningKey(SEED)
    sign, verify = key.sign, key.verify_key.verify
    msgs = _baseline_messages(gram_size)

    def one_pass() -> None:
        for msg in msgs:
            signed = sign(msg)
            verify(signed.message, signed.signature)

    return _rate(one_pass, len(msgs), seconds)


def sodium_sign_verify_rate(gram_size: float, seconds: float) -> float:
    """Grams/s for the libsodium calls memosim itself makes (memosim.core.keys),
    without PyNaCl's per-call wrapper: the floor under any signed gram."""
    key = SigningKey(SEED)
    secret, verkey = bytes(key._signing_key), bytes(key.verify_key)
    sign, verify = keys.sign_detached, keys.verify_detached
    msgs = _baseline_messages(gram_size)

    def one_pass() -> None:
        for msg in msgs:
            verify(sign(msg, secret), msg, verkey)

    return _rate(one_pass, len(msgs), seconds)


class HioServer:
    """hio's driver kept running in its own venv, timing one case per request."""

    def __init__(self, size: int) -> None:
        from tests.interop.hiovenv import ensure_hio_venv

        python = ensure_hio_venv()
        self.proc = subprocess.Popen(
            [
                str(python),
                str(ROOT / "benchmarks" / "hio_bench_driver.py"),
                "--serve",
                "--size",
                str(size),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, name: str, seconds: float) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{name} {seconds}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"hio driver died running {name}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _keep_best(table: dict, name: str, result: dict) -> None:
    if name not in table or result["grams_per_s"] > table[name]["grams_per_s"]:
        table[name] = result


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0.25, help="timed seconds per case and run")
    ap.add_argument("--size", type=int, default=SIZE, help="gram size")
    ap.add_argument("--no-hio", action="store_true", help="skip the hio side")
    ap.add_argument(
        "--rounds",
        type=int,
        default=12,
        help="rounds; in each, every case runs on memosim then at once on hio",
    )
    ap.add_argument(
        "--case", action="append", choices=sorted(CASES), help="run only this case (repeatable)"
    )
    ap.add_argument("--json", type=Path, help="also write all figures to this file")
    args = ap.parse_args(argv)

    names = args.case or list(CASES)
    ours: dict = {}
    theirs: dict = {}
    nacl: dict = {}
    sodium: dict = {}
    ratios: dict[str, list[float]] = {name: [] for name in names}  # paired x hio
    shares: dict[str, list[float]] = {name: [] for name in names}  # paired share of nacl
    floors: dict[str, list[float]] = {name: [] for name in names}  # paired share of sodium
    hio = None if args.no_hio else HioServer(args.size)
    try:
        for _ in range(max(1, args.rounds)):
            for name in names:
                spec = CASES[name]
                mine = run_memosim_case(name, *spec, args.size, args.seconds)
                _keep_best(ours, name, mine)
                if spec[1] == "bAAC":  # baselines at the same mean gram size, measured right after
                    rate = nacl_sign_verify_rate(mine["mean_gram_bytes"], args.seconds)
                    nacl[name] = max(nacl.get(name, 0.0), rate)
                    shares[name].append(mine["grams_per_s"] / rate)
                    rate = sodium_sign_verify_rate(mine["mean_gram_bytes"], args.seconds)
                    sodium[name] = max(sodium.get(name, 0.0), rate)
                    floors[name].append(mine["grams_per_s"] / rate)
                if hio is not None:
                    other = hio.run(name, args.seconds)
                    _keep_best(theirs, name, other)
                    ratios[name].append(mine["grams_per_s"] / other["grams_per_s"])
    finally:
        if hio is not None:
            hio.close()

    print(
        f"codec benchmark, gram size {args.size}, {max(1, args.rounds)} rounds of "
        f"{args.seconds:g} s per case and side"
    )
    print("Every round runs each case on memosim, then (signed cases) sign+verify at the same")
    print("gram size through PyNaCl's API (% nacl) and through the libsodium calls memosim makes")
    print("(% sodium), then hio, so all sides sample the same machine states.")
    print("g/s: best run of each side; x hio and the shares: ratio of those bests, then in")
    print("brackets the median of the back-to-back ratios (noisier; a check on the first).")
    head = (
        f"{'case':<20}{'memosim g/s':>13}{'MB/s':>8}{'hio g/s':>12}{'MB/s':>8}"
        f"{'x hio':>15}{'% nacl':>14}{'% sodium':>14}"
    )
    print(head)
    print("-" * len(head))
    for name, mine in ours.items():
        other = theirs.get(name)
        hio_g = f"{other['grams_per_s']:,.0f}" if other else "-"
        hio_mb = f"{other['mb_per_s']:.2f}" if other else "-"
        ratio = "-"
        if other:
            ratio = (
                f"{mine['grams_per_s'] / other['grams_per_s']:.2f} ({_median(ratios[name]):.2f})"
            )
        pct = floor = ""
        if name in nacl:
            pct = (
                f"{100 * mine['grams_per_s'] / nacl[name]:.0f}% "
                f"({100 * _median(shares[name]):.0f}%)"
            )
            floor = (
                f"{100 * mine['grams_per_s'] / sodium[name]:.0f}% "
                f"({100 * _median(floors[name]):.0f}%)"
            )
        print(
            f"{name:<20}{mine['grams_per_s']:>13,.0f}{mine['mb_per_s']:>8.2f}"
            f"{hio_g:>12}{hio_mb:>8}{ratio:>15}{pct:>14}{floor:>14}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "memosim": ours,
                    "hio": theirs,
                    "nacl": nacl,
                    "sodium": sodium,
                    "x_hio": {k: v for k, v in ratios.items() if v},
                    "share_of_nacl": {k: v for k, v in shares.items() if v},
                    "share_of_sodium": {k: v for k, v in floors.items() if v},
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
