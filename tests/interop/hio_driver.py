"""Drive hio 0.7.20's own PeerMemoer from the command line (interop harness).

Run this file with the python of the hio venv (see hiovenv.py), never with
memosim's: it imports only hio and the standard library. Every mode writes JSON
lines to stdout, flushed as they are made, and nothing else to stdout.

Modes:

``info [--seed HEX ...]``
    {"hio": version, "python": version} then, per seed, the key strings that
    hio's own encoders make: {"seed": hex, "vid": "B...", "qvk": "B...",
    "qss": "A..."}.

``recv --host H --port P --count N --timeout S [--authic] [--keep JSON] [--dump]``
    Opens a hio PeerMemoer, prints {"ha": [host, port]} once bound, services it
    until N memos are in its inbox or S seconds pass, then prints one line
    {"memo": str, "src": [host, port], "vid": str|null} per memo and a last
    line {"done": n, "timed_out": bool, "errors": n}. An exception that hio
    raises out of service() is printed as {"error": repr} and the loop goes on;
    the exit status is then 2 (0 otherwise, also on timeout).
    --dump also prints {"rx": base64url(gram), "src": [...]} per datagram.

``send --dst HOST:PORT --memos JSON --code bAAA --curt 0|1 [--size N] [--vid V --keep JSON] [--dump]``
    Opens a hio PeerMemoer on port 0 of --host, prints {"ha": [...]}, memoits
    each memo of the JSON list (``-`` reads the list from stdin) to dst and
    services until it is sent, all bounded by --timeout; then prints
    {"sent": memos, "grams": n} and exits 0 (3 when it could not send all).
    An item of the list is a memo string, or an object {"memo": str, and
    optionally "code", "curt", "size", "vid"} whose settings are applied to the
    peer (hio's own code/curt/size setters, in that order) before its memo.
    --dump also prints {"tx": base64url(gram)} per datagram.

``rend --cases JSON``
    No sockets. For each case {"memo", "code", "curt", "size", "vid", "keep",
    "mid"} prints {"grams": [base64url(gram), ...]} made by hio's rend. "mid"
    (32 hex digits, optional) fixes the 16 raw bytes that hio's makeMID
    encodes, by standing in for ``uuid.uuid1`` in hio's memoing module only;
    makeMID itself runs unchanged. An exception is printed as {"error": repr}.

keep JSON maps vid -> [qvk, qss] and becomes {vid: hio Keyage(qvk, qss)}.
hio 0.7.20's UDP Peer opens AF_INET sockets only, so hosts are IPv4 literals.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import types


def out(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(bytes(data)).decode()


def load_json_arg(text: str | None):
    if text is None:
        return None
    if text == "-":
        return json.loads(sys.stdin.read())
    return json.loads(text)


def make_keep(keep_json):
    from hio.core.memo.memoing import Keyage

    if not keep_json:
        return None
    return {vid: Keyage(qvk=pair[0], qss=pair[1]) for vid, pair in keep_json.items()}


def parse_hostport(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        raise SystemExit(f"bad host:port {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def peer_class(dump: bool):
    """hio's PeerMemoer, or a subclass whose send/receive also print datagrams."""
    from hio.core.udp.peermemoing import PeerMemoer

    if not dump:
        return PeerMemoer

    class DumpingPeerMemoer(PeerMemoer):
        def receive(self, **kwa):
            data, src = super().receive(**kwa)
            if data:
                out({"rx": b64(data), "src": list(src) if src else None})
            return data, src

        def send(self, data, dst, **kwa):
            cnt = super().send(data, dst, **kwa)
            out({"tx": b64(bytes(data[:cnt]))})
            return cnt

    return DumpingPeerMemoer


def cmd_info(args) -> int:
    import hio
    import pysodium
    from hio.core.memo.memoing import Memoer

    out({"hio": hio.__version__, "python": sys.version.split()[0]})
    for seed_hex in args.seed or []:
        seed = bytes.fromhex(seed_hex)
        verkey, _sigkey = pysodium.crypto_sign_seed_keypair(seed)
        out(
            {
                "seed": seed_hex,
                "vid": Memoer._encodeVID(verkey, code="B"),
                "qvk": Memoer._encodeQVK(verkey),
                "qss": Memoer._encodeQSS(seed),
            }
        )
    return 0


def cmd_recv(args) -> int:
    cls = peer_class(args.dump)
    peer = cls(
        name="hio-recv",
        host=args.host,
        port=args.port,
        authic=args.authic,
        keep=make_keep(load_json_arg(args.keep)),
    )
    if not peer.reopen():
        out({"error": f"could not bind {args.host}:{args.port}"})
        return 1
    errors = 0
    try:
        out({"ha": list(peer.ha)})
        deadline = time.monotonic() + args.timeout
        while len(peer.inbox) < args.count:
            try:
                peer.service()
            except Exception as ex:  # hio raises out of service on some grams
                errors += 1
                out({"error": f"{type(ex).__name__}: {ex}"[:2000]})
            if len(peer.inbox) >= args.count or time.monotonic() >= deadline:
                break
            time.sleep(args.poll)
        timed_out = len(peer.inbox) < args.count
        for memo, src, vid in peer.inbox:
            out({"memo": memo, "src": list(src) if src else None, "vid": vid})
        out({"done": len(peer.inbox), "timed_out": timed_out, "errors": errors})
    finally:
        peer.close()
    return 2 if errors else 0


def cmd_send(args) -> int:
    memos = load_json_arg(args.memos)
    if not isinstance(memos, list):
        raise SystemExit("--memos must be a JSON list of strings")
    dst = parse_hostport(args.dst)
    cls = peer_class(args.dump)
    kwa = dict(
        name="hio-send",
        host=args.host,
        port=0,
        code=args.code,
        curt=bool(int(args.curt)),
        keep=make_keep(load_json_arg(args.keep)),
        vid=args.vid,
    )
    if args.size is not None:
        kwa["size"] = args.size
    peer = cls(**kwa)

    sent = []  # count grams as they leave
    orig_send = peer.send

    def counting_send(data, dst, **kw):
        cnt = orig_send(data, dst, **kw)
        if cnt:
            sent.append(cnt)
        return cnt

    peer.send = counting_send
    if not peer.reopen():
        out({"error": "could not bind"})
        return 1
    try:
        out({"ha": list(peer.ha)})
        if args.delay:
            time.sleep(args.delay)
        deadline = time.monotonic() + args.timeout
        for item in memos:
            if isinstance(item, dict):  # per-memo settings, applied as hio's setters
                if "code" in item:
                    peer.code = item["code"]
                if "curt" in item:
                    peer.curt = bool(item["curt"])
                if item.get("size") is not None:
                    peer.size = item["size"]
                peer.memoit(item["memo"], dst, item.get("vid", args.vid))
            else:
                peer.memoit(item, dst, args.vid)
            while True:  # send this memo before settings change for the next
                peer.service()
                if not peer.txms and not peer.txgs and peer.txbs[1] is None:
                    break
                if time.monotonic() >= deadline:
                    out({"error": "timed out sending", "left": len(peer.txgs)})
                    return 3
                time.sleep(args.poll)
        out({"sent": len(memos), "grams": len(sent)})
    finally:
        peer.close()
    return 0


def cmd_rend(args) -> int:
    from hio.core.memo import memoing
    from hio.core.udp.peermemoing import PeerMemoer

    real_uuid = memoing.uuid
    cases = load_json_arg(args.cases)
    for case in cases:
        try:
            mid_hex = case.get("mid")
            if mid_hex:
                raw = bytes.fromhex(mid_hex)
                memoing.uuid = types.SimpleNamespace(
                    uuid1=lambda raw=raw: types.SimpleNamespace(bytes=raw)
                )
            else:
                memoing.uuid = real_uuid
            kwa = dict(
                name="hio-rend",
                host="127.0.0.1",
                port=0,
                code=case.get("code", "bAAA"),
                curt=bool(case.get("curt", False)),
                keep=make_keep(case.get("keep")),
                vid=case.get("vid"),
            )
            if case.get("size") is not None:
                kwa["size"] = case["size"]
            peer = PeerMemoer(**kwa)  # not opened: rend needs no socket
            grams = peer.rend(case["memo"], case.get("vid"))
            out({"grams": [b64(g) for g in grams], "size": peer.size})
        except Exception as ex:
            out({"error": f"{type(ex).__name__}: {ex}"[:2000]})
        finally:
            memoing.uuid = real_uuid
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="drive hio 0.7.20 PeerMemoer")
    sub = ap.add_subparsers(dest="mode", required=True)

    p = sub.add_parser("info")
    p.add_argument("--seed", action="append", help="32-byte Ed25519 seed, hex")

    p = sub.add_parser("recv")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--poll", type=float, default=0.0005, help="sleep between services")
    p.add_argument("--authic", action="store_true")
    p.add_argument("--keep")
    p.add_argument("--dump", action="store_true")

    p = sub.add_parser("send")
    p.add_argument("--dst", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--memos", required=True)
    p.add_argument("--code", default="bAAA")
    p.add_argument("--curt", default="0")
    p.add_argument("--size", type=int)
    p.add_argument("--vid")
    p.add_argument("--keep")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--poll", type=float, default=0.0005)
    p.add_argument("--delay", type=float, default=0.0, help="sleep after binding")
    p.add_argument("--dump", action="store_true")

    p = sub.add_parser("rend")
    p.add_argument("--cases", required=True)

    args = ap.parse_args(argv)
    return {"info": cmd_info, "recv": cmd_recv, "send": cmd_send, "rend": cmd_rend}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
