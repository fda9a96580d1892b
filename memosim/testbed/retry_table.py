"""A scenario's retry settings: the ``[retry]`` table and each peer's ``retry``.

The keys are :data:`memosim.core.retry.RETRY_KEYS`; a top-level ``[retry]``
sets them for every peer and a ``[[peers]]`` entry's ``retry = {...}``
overrides them key by key, as ``[defaults]`` and a peer's gram settings do.
Each key is checked here with :mod:`memosim.validation`'s leaf checks, so a
wrong value reads like every other scenario error (and never reaches
RetryPolicy's own check); docs/scenarios.md documents every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from ..core.limits import Limits
from ..core.retry import (
    CONGESTION,
    MAX_COPIES,
    POLICIES,
    RETRY_KEYS,
    RetryPolicy,
    default_ack_delay,
)
from ..errors import ScenarioError
from ..validation import at, check_keys, choice, integer, nonneg, number, positive, table

__all__ = ["DEFAULT_RETRY", "as_options", "resolve_retry", "retry_table"]

#: The policy of a peer that sets nothing: RetryPolicy's defaults.
DEFAULT_RETRY = RetryPolicy()
_EXPECTED = f"a table of retry settings ({', '.join(RETRY_KEYS)})"
# Names people are likely to reach for, and the key meant.
_HINTS = {
    "rto": "min_rto",
    "tries": "max_tries",
    "retries": "max_tries",
    "tyme": "max_tyme",
    "timeout": "init_rto",
    "delay": "ack_delay",
    "cwnd": "window",
    "copies": "resend_copies",
    "cc": "congestion",
    "congestion_control": "congestion",
    "initial_cwnd": "initial_window",
}
#: The longest max_tyme a scenario takes: half of what every receiver remembers
#: a delivered Sure memo's id (Limits.done_expiry, which a scenario cannot set),
#: so a copy that a sender's last retry left in the network, delayed up to the
#: other half, still meets the id and is dropped, never delivered again.
MAX_TYME = Limits().done_expiry / 2
_MAX_TYME_EXPECTED = (
    f"a number in (0, {MAX_TYME:g}] (receivers remember a delivered memo"
    f" {Limits().done_expiry:g} s: a sender retrying longer could deliver it twice)"
)
_INTEGERS = ("max_tries", "window", "packet_threshold", "resend_copies", "initial_window")


def retry_table(x: Any, path: str) -> dict[str, Any]:
    """The retry keys a table sets, each checked (path: "retry" or "peers[i].retry")."""
    d = table(x, path, _EXPECTED)
    check_keys(d, path, RETRY_KEYS, _HINTS)
    out: dict[str, Any] = {}
    for key in d:
        if key == "policy":
            out[key] = choice(d[key], at(path, key), POLICIES)
        elif key == "congestion":
            out[key] = choice(d[key], at(path, key), CONGESTION)
        elif key == "resend_copies":
            out[key] = integer(d, key, path, 1, MAX_COPIES)
        elif key in _INTEGERS:
            out[key] = integer(d, key, path, 1)
        elif key == "ack_delay":
            out[key] = nonneg(d, key, path)
        elif key == "max_tyme":
            out[key] = number(d, key, path, _MAX_TYME_EXPECTED, lambda v: 0 < v <= MAX_TYME)
        elif key == "time_threshold":
            out[key] = number(d, key, path, "a number >= 1", lambda v: v >= 1)
        else:
            out[key] = positive(d, key, path)
    return out


def resolve_retry(
    top: Mapping[str, Any], own: Mapping[str, Any], path: str = "retry"
) -> RetryPolicy:
    """The policy of a peer: RetryPolicy's defaults, then ``top`` ([retry]),
    then ``own`` (the peer's retry, at ``path``), checked as a whole:
    min_rto <= max_rto is judged at the most specific of the two that was set."""
    given = {**top, **own}
    lo = given.get("min_rto", DEFAULT_RETRY.min_rto)
    hi = given.get("max_rto", DEFAULT_RETRY.max_rto)
    if lo > hi:
        key, other = _blamed("min_rto", "max_rto", top, own)
        op = "<=" if key == "min_rto" else ">="
        origin = _origin(other, top, own, path)
        raise ScenarioError(
            "", _where(key, own, path), f"a number {op} {other} ({origin})", given[key]
        )
    policy = given.get("policy", DEFAULT_RETRY.policy)
    ack_delay = given.get("ack_delay")
    if ack_delay is None:
        ack_delay = default_ack_delay(policy)
    if hi <= ack_delay:  # every timeout would fire before every partial ack
        key, _ = _blamed("max_rto", "ack_delay", top, own)
        if key == "max_rto":
            origin = (
                _origin("ack_delay", top, own, path)
                if "ack_delay" in given
                else f"{ack_delay:g}, the {policy} policy's default"
            )
            expected, found = f"a number > ack_delay ({origin})", hi
        else:
            expected = f"a number < max_rto ({_origin('max_rto', top, own, path)})"
            found = ack_delay
        raise ScenarioError("", _where(key, own, path), expected, found)
    return RetryPolicy(**given)


def _blamed(
    key: str, other: str, top: Mapping[str, Any], own: Mapping[str, Any]
) -> tuple[str, str]:
    """Of two keys in conflict, (the one to name, the other): the more specific
    one set, a peer's own over [retry] over a default."""
    if key in own or (key in top and other not in own):
        return key, other
    return other, key


def _where(key: str, own: Mapping[str, Any], path: str) -> str:
    """The key path a peer's value of key was set at."""
    return at(path if key in own else "retry", key)


def _origin(key: str, top: Mapping[str, Any], own: Mapping[str, Any], path: str) -> str:
    """Where a peer's value of key comes from: "retry.max_rto = 0.5"."""
    if key in own:
        return f"{at(path, key)} = {own[key]:g}"
    if key in top:
        return f"{at('retry', key)} = {top[key]:g}"
    return f"{getattr(DEFAULT_RETRY, key):g}, the default"


def as_options(policy: RetryPolicy) -> dict[str, Any]:
    """Every key of a policy: what a Memoer takes as ``retry={...}``."""
    return {f.name: getattr(policy, f.name) for f in fields(policy)}
