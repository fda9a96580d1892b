"""RetryPolicy: every knob of acked delivery, as one value a scenario or a caller sets.

The same names serve a scenario's [retry] table, `Memoer(retry={...})` and
this dataclass, so a user sets them in code exactly as in a file
(docs/acked-delivery.md and docs/scenarios.md list each with its meaning).

policy "rto" is loss recovery by retransmission timeout alone (RFC 6298,
rto.py): a lost gram waits out its backed-off timeout. policy "fast" adds
loss detection from acks (RFC 9002 section 6.1): a gram is lost when a gram
sent `packet_threshold` transmissions after it to the same destination was
acked, when it is `time_threshold` round trips older than one that was, or
when a quiet ack (made after a pause of `ack_delay` in the memo's grams)
leaves it out; RTT samples less the receiver's hold (section 5.3); a tail
probe (section 6.2) after a probe timeout that leaves out RFC 6298's 200 ms
floor; and `resend_copies` copies of each gram found lost, so a second loss
rarely costs a probe timeout.

congestion "newreno" bounds the grams in flight per destination by a
congestion window (congestion.py, RFC 9002 section 7) that starts at
`initial_window` and never exceeds `window`; "none" keeps the fixed
`window` alone, as memosim did before it had congestion control.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .congestion import CONGESTION
from .errors import MemoerError
from .rto import K_INITIAL_RTO, K_MAX_RTO, K_MIN_RTO

__all__ = ["CONGESTION", "POLICIES", "RETRY_KEYS", "RetryPolicy", "default_ack_delay"]

POLICIES = ("fast", "rto")
MAX_COPIES = 4  # resend_copies beyond this only floods the path


def default_ack_delay(policy: str) -> float:
    """The tyme a receiver holds a partial ack under `policy` unless told."""
    return 0.015 if policy == "fast" else 0.05


@dataclass(frozen=True)
class RetryPolicy:
    """Acked delivery's knobs (tyme in seconds)."""

    policy: str = (
        "rto"  # "rto": timeouts only (as memosim always did); "fast": loss detection from acks
    )
    init_rto: float = K_INITIAL_RTO  # timeout before any RTT sample
    min_rto: float = K_MIN_RTO  # timeout floor (the "rto" policy's, and the fast RTO's)
    max_rto: float = K_MAX_RTO  # timeout ceiling and backoff cap
    max_tries: int = 10  # transmissions of one gram before its memo fails
    max_tyme: float = 60.0  # tyme a memo is retried before it fails
    ack_delay: float | None = None  # tyme a receiver holds a partial ack: 0.05 (rto), 0.015 (fast)
    window: int = 64  # unacked grams in flight per destination
    packet_threshold: int = 3  # fast: lost when this many later transmissions were acked
    time_threshold: float = 9 / 8  # fast: lost when this many RTTs older than an acked one
    resend_copies: int | None = None  # fast: copies of a gram found lost sent at once: 2 (fast)
    congestion: str = "newreno"  # "newreno": a congestion window under `window`; "none": fixed
    initial_window: int = 8  # newreno: the window before any ack, in grams

    def __post_init__(self) -> None:
        def bad(key: str, expected: str) -> MemoerError:
            return MemoerError(f"retry.{key}: expected {expected}, found {getattr(self, key)!r}")

        if self.policy not in POLICIES:
            raise bad("policy", 'one of "fast", "rto"')
        fast = self.policy == "fast"
        if self.congestion not in CONGESTION:
            raise bad("congestion", 'one of "newreno", "none"')
        if self.ack_delay is None:  # the policy's own default
            object.__setattr__(self, "ack_delay", default_ack_delay(self.policy))
        if self.resend_copies is None:
            object.__setattr__(self, "resend_copies", 2 if fast else 1)
        numbers = {  # key: (lowest, the comparison a value must pass)
            "init_rto": (0.0, ">"),
            "min_rto": (0.0, ">"),
            "max_rto": (0.0, ">"),
            "max_tyme": (0.0, ">"),
            "ack_delay": (0.0, ">="),
            "time_threshold": (1.0, ">="),
        }
        for key, (low, compare) in numbers.items():
            value = getattr(self, key)
            fine = (
                not isinstance(value, bool)
                and isinstance(value, (int, float))
                and math.isfinite(value)
                and (value > low or (compare == ">=" and value == low))
            )
            if not fine:
                raise bad(key, f"a number {compare} {low:g}")
        if not self.min_rto <= self.max_rto:
            raise bad("min_rto", f"a number <= max_rto ({self.max_rto})")
        if not self.max_rto > self.ack_delay_s:  # every timeout would beat every partial ack
            raise bad("max_rto", f"a number > ack_delay ({self.ack_delay_s:g})")
        if isinstance(self.resend_copies, int) and self.resend_copies > MAX_COPIES:
            raise bad("resend_copies", f"an integer in [1, {MAX_COPIES}]")
        for key in ("max_tries", "window", "packet_threshold", "resend_copies", "initial_window"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(key, "an integer >= 1")

    @property
    def ack_delay_s(self) -> float:
        """ack_delay as given, or the policy's default (set in __post_init__)."""
        return 0.0 if self.ack_delay is None else float(self.ack_delay)

    @property
    def resend_copies_n(self) -> int:
        """resend_copies as given, or the policy's default (set in __post_init__)."""
        return 1 if self.resend_copies is None else int(self.resend_copies)

    @classmethod
    def of(cls, retry: RetryPolicy | Mapping[str, Any] | None, **given: Any) -> RetryPolicy:
        """A policy from a RetryPolicy, a mapping of its keys, or None, with the
        keyword values that are not None laid over it. Over a mapping or None
        the keys are joined before the policy is made, so the policy's own
        defaults (ack_delay, resend_copies) follow the policy given last."""
        set_ = {key: value for key, value in given.items() if value is not None}
        if isinstance(retry, RetryPolicy):
            values = {f.name: getattr(retry, f.name) for f in fields(cls)}
            _blame_named({**values, **set_}, set(set_), set())
            return replace(retry, **set_) if set_ else retry
        if retry is None:
            retry = {}
        elif not isinstance(retry, Mapping):
            raise MemoerError(f"retry: expected a mapping or RetryPolicy, found {retry!r}")
        unknown = sorted(set(retry) - set(RETRY_KEYS))
        if unknown:
            raise MemoerError(
                f"retry: unknown key {unknown[0]!r}, expected one of {', '.join(RETRY_KEYS)}"
            )
        values = {f.name: f.default for f in fields(cls)}
        _blame_named({**values, **retry, **set_}, set(set_), set(retry))
        return cls(**{**retry, **set_})


def _number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x)


def _blame_named(values: Mapping[str, Any], given: set[str], under: set[str]) -> None:
    """Of two keys that conflict, name the more specific one the caller gave
    (a keyword over the mapping it is laid on, either over a default);
    __post_init__, which cannot tell them apart, names a fixed one."""

    def rather(key: str, other: str) -> bool:
        return (key in given and other not in given) or (
            key in under and other not in given | under
        )

    low, high, delay = values["min_rto"], values["max_rto"], values["ack_delay"]
    if delay is None and values["policy"] in POLICIES:
        delay = default_ack_delay(values["policy"])
    if not (_number(low) and _number(high) and _number(delay)):
        return  # __post_init__ says what is wrong
    if low > high and rather("max_rto", "min_rto"):
        raise MemoerError(f"retry.max_rto: expected a number >= min_rto ({low:g}), found {high!r}")
    if low <= high and high <= delay and rather("ack_delay", "max_rto"):
        raise MemoerError(
            f"retry.ack_delay: expected a number < max_rto ({high:g}), found {delay!r}"
        )


RETRY_KEYS = tuple(f.name for f in fields(RetryPolicy))
