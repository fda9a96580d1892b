"""Why a peer drops a gram or a memo: every reason tag, with what it means.

`Stats.dropped` counts drops by these tags, the log names them, and
docs/memoer.md prints this table (tests/test_drops.py keeps the three and
the code in step: every tag the code can produce is here, and every tag
here is produced somewhere).
"""

from __future__ import annotations

__all__ = ["DROP_REASONS"]

DROP_REASONS: dict[str, str] = {
    # not a well-formed gram (grams.parse)
    "empty": "not a gram: no bytes",
    "encoding": "not a gram: the lead sextet is neither text nor binary",
    "code": "not a gram: an unknown code",
    "short": "not a gram: shorter than its code's header",
    "header": "not a gram: the neck and mid are not Base64",
    "mid": "not a gram: a malformed memo id",
    "vid": "not a gram: a malformed vid",
    "sig": "not a gram: a malformed signature",
    # signatures
    "unsigned": "an authic peer got an unsigned gram",
    "not-sure": "a peer that takes only acked (Sure) traffic got a plain gram",
    "no-vid": "a signed gram with no vid to verify it by",
    "unknown-vid": "a D or E vid that is not in the keep",
    "signature": "a signature that does not verify",
    # reassembly
    "number": "gram number 0 on a later gram, at or above the memo's count, or above any count",
    "mismatch": "a later gram whose code is not the pair of its memo's zeroth code",
    "duplicate": "a copy of a gram already held, or a gram of a memo already delivered",
    "superseded": "an unsigned gram of a mid whose verified signed zeroth gram arrived, "
    "or an early gram of a mid whose zeroth gram came from another source",
    # acked (Sure) delivery, receiver
    "sure-tag": "a completed Sure memo whose tag does not match: damaged, discarded and reset",
    "sure-full": "a Sure memo refused: the delivered-id memory of its source is full",
    "code-flip": "a plain memo whose bytes are a Sure payload or Ack body with a damaged code",
    # acked (Sure) delivery, sender
    "ack-body": "an Ack body that is not whole, ascending, non-empty ranges",
    "ack-check": "an Ack whose check does not match: damaged",
    "ack-version": "an Ack of an unknown version",
    "ack-unknown": "an Ack for no memo in flight",
    "ack-src": "an Ack from another address than the memo's destination (or its host name's numeric address)",
    "ack-vid": "an Ack of a signed memo that is not an AckAuth signed by its receiver",
    "ack-count": "an Ack whose neck is neither 0 nor the memo's count",
    "ack-range": "an Ack listing a gram past the memo's count",
    "ack-memo": "a done Ack naming another memo's tag: one substituted under the memo's id",
    # local
    "parse-bug": "defence in depth: the parser raised something unexpected",
    "send-error": "the OS refused a send (far side not there)",
    "tx-invalid": "a queued memo that could no longer be rendered",
}
