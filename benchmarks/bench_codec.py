"""Codec benchmark: memosim versus hio 0.7.20, side by side, same cases.

Each case sends memos through a Memoer end to end on the echo mock transport
(memoit -> rend [+ sign] -> echos -> receive -> parse [+ verify] -> fuse ->
inbox), checking every memo comes back unchanged. hio runs in its own
virtual environment (created on first use, see DEVELOPERS.md) in one process;
memosim runs in this process. Signed cases are also compared with the bare
PyNaCl sign+verify rate for the same gram size, the ceiling any signed
memogram codec can reach.

    .venv/bin/python benchmarks/bench_codec.py [--seconds 1.5] [--no-hio]
"""

from __future__ import annotations

import argparse
import json
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


def run_memosim_case(name: str, length: int, code: str, curt: bool, size: int,
                     seconds: float) -> dict:
    vid, keyage = make_keyage(SEED)
    signed = code == "bAAC"
    peer = Memoer(name=f"bench-{name}", code=code, curt=curt, size=size, echoic=True,
                  keep={vid: keyage}, vid=vid if signed else None)
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
    return {"grams_per_s": total_grams / elapsed,
            "mb_per_s": total_memos * length / elapsed / 1e6,
            "grams": total_grams, "memos": total_memos, "mean_gram_bytes": gram_bytes}


def nacl_sign_verify_rate(gram_size: int, seconds: float) -> float:
    """Grams/s for PyNaCl alone: SigningKey.sign + VerifyKey.verify of one gram."""
    key = SigningKey(SEED)
    verify = key.verify_key.verify
    msg = b"x" * max(1, round(gram_size) - 64)
    count = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(200):
            signed = key.sign(msg)
            verify(signed.message, signed.signature)
        count += 200
    return count / (time.perf_counter() - t0)


def run_hio(seconds: float, size: int) -> dict:
    from tests.interop.hiovenv import ensure_hio_venv

    python = ensure_hio_venv()
    out = subprocess.run(
        [str(python), str(ROOT / "benchmarks" / "hio_bench_driver.py"),
         "--seconds", str(seconds), "--size", str(size)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _keep_best(table: dict, name: str, result: dict) -> None:
    if name not in table or result["grams_per_s"] > table[name]["grams_per_s"]:
        table[name] = result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.5, help="timed seconds per case")
    ap.add_argument("--size", type=int, default=SIZE, help="gram size")
    ap.add_argument("--no-hio", action="store_true", help="skip the hio side")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds; the best of each is kept (shared machines are noisy)")
    ap.add_argument("--json", type=Path, help="also write all figures to this file")
    args = ap.parse_args(argv)

    ours: dict = {}
    theirs: dict = {}
    nacl: dict = {}
    for _ in range(max(1, args.rounds)):
        for name, spec in CASES.items():
            _keep_best(ours, name, run_memosim_case(name, *spec, args.size, args.seconds))
            if spec[1] == "bAAC":  # baseline at the same mean gram size, measured right after
                rate = nacl_sign_verify_rate(ours[name]["mean_gram_bytes"], args.seconds)
                nacl[name] = max(nacl.get(name, 0.0), rate)
        if not args.no_hio:
            for name, result in run_hio(args.seconds, args.size).items():
                _keep_best(theirs, name, result)

    print(f"codec benchmark, gram size {args.size}, {args.seconds:g} s per case, "
          f"best of {max(1, args.rounds)} interleaved rounds")
    print("% nacl: signed grams/s over bare PyNaCl sign+verify at the same gram size")
    head = (f"{'case':<20}{'memosim g/s':>13}{'MB/s':>8}{'hio g/s':>12}{'MB/s':>8}"
            f"{'x hio':>8}{'% nacl':>8}")
    print(head)
    print("-" * len(head))
    for name, mine in ours.items():
        hio = theirs.get(name)
        ratio = f"{mine['grams_per_s'] / hio['grams_per_s']:.2f}" if hio else "-"
        hio_g = f"{hio['grams_per_s']:,.0f}" if hio else "-"
        hio_mb = f"{hio['mb_per_s']:.2f}" if hio else "-"
        pct = f"{100 * mine['grams_per_s'] / nacl[name]:.0f}%" if name in nacl else ""
        print(f"{name:<20}{mine['grams_per_s']:>13,.0f}{mine['mb_per_s']:>8.2f}"
              f"{hio_g:>12}{hio_mb:>8}{ratio:>8}{pct:>8}")
    if args.json:
        args.json.write_text(json.dumps({"memosim": ours, "hio": theirs, "nacl": nacl},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
