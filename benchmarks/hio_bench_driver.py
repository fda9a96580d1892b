"""hio 0.7.20 side of the codec benchmark (run with the hio venv's python).

For each case it makes memos go through hio's own Memoer end to end, with no
sockets: ``memoit`` then ``serviceAllTx`` renders every memo into grams (rend,
signing when the code is signed) and, because the Memoer is ``echoic``, its
``send`` stub puts each gram in ``.echos``; ``serviceAllRx`` then takes every
gram back out of ``.echos`` (``receive``), parses and strips it (``pick``,
verifying signatures), fuses the memo and moves it to ``.inbox``. Each case
runs for about ``--seconds`` of wall time after one warm-up batch, and every
batch's memos are checked to come back unchanged.

Prints one JSON object on stdout::

    {"<case>": {"grams_per_s": float, "mb_per_s": float, "grams": int,
                "memos": int, "seconds": float, "memo_bytes": int,
                "code": str, "curt": bool, "size": int}, ...}

grams and memos are the totals over the timed batches; mb_per_s counts memo
payload bytes (UTF-8), 1 MB = 1e6 bytes.

The case table and ``make_memo`` below use only the standard library, so the
memosim side of the benchmark can import them to run the very same cases.
hio is imported only when the benchmark runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

SIZE = 1240  # hio's UDP MaxGramSize (IPv6 minimum MTU 1280 - 40)

# name -> (memo length in bytes, code, curt)
CASES: dict[str, tuple[int, str, bool]] = {
    "text_12k": (12 * 1024, "bAAA", False),
    "text_100b": (100, "bAAA", False),
    "binary_12k": (12 * 1024, "bAAA", True),
    "binary_100b": (100, "bAAA", True),
    "signed_text_12k": (12 * 1024, "bAAC", False),
    "signed_binary_12k": (12 * 1024, "bAAC", True),
    "signed_text_100b": (100, "bAAC", False),
    "signed_binary_100b": (100, "bAAC", True),
}

# Fixed signing key so runs repeat: seed = sha256(label). Same scheme as
# tests/interop/keymat.py.
SEED = hashlib.sha256(b"memosim-interop:bench").digest()

_FILL = "The quick brown fox jumps over the lazy dog; memosim bench 0123456789. "


def make_memo(length: int) -> str:
    """An ASCII memo of exactly ``length`` bytes (deterministic)."""
    reps = length // len(_FILL) + 1
    return (_FILL * reps)[:length]


def batch_memos(length: int) -> int:
    """Memos per batch: about 64 KB of payload, at least one memo."""
    return max(1, (64 * 1024) // max(1, length))


def _qb64_32(code: str, raw: bytes) -> str:
    import base64

    return code + base64.urlsafe_b64encode(b"\x00" + raw).decode()[1:]


def run_case(name: str, length: int, code: str, curt: bool, size: int, seconds: float) -> dict:
    import pysodium
    from hio.core.memo.memoing import Keyage, Memoer

    verkey, _ = pysodium.crypto_sign_seed_keypair(SEED)
    vid = _qb64_32("B", verkey)
    keep = {vid: Keyage(qvk=_qb64_32("B", verkey), qss=_qb64_32("A", SEED))}
    signed = code == "bAAC"

    peer = Memoer(
        name=f"bench-{name}",
        code=code,
        curt=curt,
        size=size,
        echoic=True,
        keep=keep,
        vid=vid if signed else None,
    )
    peer.reopen()
    memo = make_memo(length)
    per_batch = batch_memos(length)
    dst = "bench"

    def one_batch() -> int:
        for _ in range(per_batch):
            peer.memoit(memo, dst)
        peer.serviceAllTx()  # rend (+ sign) every memo; grams land in .echos
        grams = len(peer.echos)
        peer.serviceAllRx()  # receive from .echos, pick (+ verify), fuse
        inbox = peer.inbox
        if len(inbox) != per_batch or peer.echos or peer.rxgs:
            raise RuntimeError(
                f"{name}: {len(inbox)}/{per_batch} memos fused, "
                f"{len(peer.echos)} grams left, {len(peer.rxgs)} partial"
            )
        for got, _src, got_vid in inbox:
            if got != memo or got_vid != (vid if signed else None):
                raise RuntimeError(f"{name}: memo came back changed")
        inbox.clear()
        return grams

    one_batch()  # warm-up
    total_grams = total_memos = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while True:
        total_grams += one_batch()
        total_memos += per_batch
        now = time.perf_counter()
        if now >= deadline:
            break
    elapsed = now - t0
    peer.close()
    return {
        "grams_per_s": total_grams / elapsed,
        "mb_per_s": total_memos * length / elapsed / 1e6,
        "grams": total_grams,
        "memos": total_memos,
        "seconds": round(elapsed, 4),
        "memo_bytes": length,
        "code": code,
        "curt": curt,
        "size": size,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="hio 0.7.20 Memoer codec benchmark")
    ap.add_argument("--seconds", type=float, default=1.5, help="timed seconds per case")
    ap.add_argument("--size", type=int, default=SIZE, help="gram size")
    ap.add_argument(
        "--case", action="append", choices=sorted(CASES), help="run only this case (repeatable)"
    )
    ap.add_argument(
        "--serve",
        action="store_true",
        help="read 'case seconds' lines on stdin, answer each with a JSON line",
    )
    args = ap.parse_args(argv)

    if args.serve:  # paired runs: the caller times its own case right before each
        for line in sys.stdin:
            name, seconds = line.split()
            length, code, curt = CASES[name]
            result = run_case(name, length, code, curt, args.size, float(seconds))
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
        return 0

    results = {}
    for name in args.case or list(CASES):
        length, code, curt = CASES[name]
        results[name] = run_case(name, length, code, curt, args.size, args.seconds)
    sys.stdout.write(json.dumps(results) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
