"""Adversarial review of the fast retry policy's quiet acks (issue 13, commits
2be9cfb and 885b61b): each test is a finding and FAILS on the code reviewed.

The promise attacked: the fast policy recovers losses quickly without many
spurious retransmissions. Every test here runs a case where nothing (or
almost nothing) is lost, and shows the sender resending grams the receiver
already holds because a QUIET ack was read as proof of loss when it is not.
Each test names the cause and a suggested fix in its docstring.
"""

from __future__ import annotations

import tomllib
from collections import deque
from pathlib import Path
from typing import Any

from helpers import EchoLink, kind_of, wound_pair

from memosim import Memoer
from memosim.core import grams
from memosim.core.codes import MemoDex
from memosim.core.flights import Flights
from memosim.core.retry import RetryPolicy
from memosim.core.stats import Stats
from memosim.core.surewire import Ack
from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
SURE = MemoDex.GramSureZero
MEMO = "q" * 100  # fifteen grams at size 40


def summary(doc: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    """The SafePeerMemoerDoer run's summary of a scenario given as a TOML dict."""
    doc["scenario"]["doers"] = ["SafePeerMemoerDoer"]
    (result,) = run_scenario(parse_scenario(doc, "review"), backend="sim", seed=seed).runs
    return result.summary


def shipped(name: str, **retry: Any) -> dict[str, Any]:
    doc = tomllib.loads((ROOT / "scenarios" / name).read_text())
    doc.setdefault("retry", {}).update(retry)
    return summary(doc)


# ---- finding 1 (high): a link slower than one gram per ack delay ------------
SLOW_LINK = """
[scenario]
name = "slow-link"
duration_s = 20.0
seed = 1
tock_s = 0.005
[defaults]
gram_size = 1240
acked = true
[retry]
policy = "{policy}"
[[peers]]
name = "alice"
port = 5001
[[peers]]
name = "bob"
port = 5002
[[links]]
src = "alice"
dst = "bob"
both = true
delay = {{ base_s = 0.02 }}
rate = {{ bps = 400000 }}
[[workload]]
src = "alice"
dst = "bob"
count = 30
interval_s = 0.5
memo_size = {{ dist = "fixed", bytes = 6000 }}
"""


def test_fast_policy_retransmits_nothing_on_a_lossless_rate_limited_link() -> None:
    """No loss, no jitter, 400 kbit/s: a 1240-byte gram takes 25 ms to
    serialise, longer than the fast ack delay (15 ms), so the receiver sees a
    "pause" after every gram and sends a QUIET ack listing the grams so far.
    The sender takes every later gram of the burst (all sent at the same
    tyme, so `at <= burst`) as lost and sends each twice: measured 601 grams
    retransmitted for 30 memos (224 spurious), the extra copies fill the
    bottleneck queue and real queue drops follow; p99 latency 5.07 s against
    0.15 s with the rto policy.

    Cause: a pause at the receiver is taken as proof that every gram sent
    with the listed ones is missing (flights._detect `quiet or ...`), which
    only holds when a burst arrives faster than one gram per ack delay.
    Fix: take quiet evidence only for grams sent before the newest listed
    one in send order (pn < the ack's largest newly acked pn), not for its
    burst-mates (`at == burst`), or have the receiver call a pause quiet
    only when it is several inter-arrival gaps long."""
    rto = summary(tomllib.loads(SLOW_LINK.format(policy="rto")))
    fast = summary(tomllib.loads(SLOW_LINK.format(policy="fast")))
    assert rto["grams_retransmitted"] == 0 and rto["memos_delivered"] == 30
    assert fast["memos_delivered"] == 30
    assert fast["grams_retransmitted"] == 0, fast["grams_retransmitted"]
    assert fast["latency_s"]["p99"] <= rto["latency_s"]["p99"], fast["latency_s"]


# ---- finding 2 (high): jitter larger than the ack delay -------------------
def test_fast_policy_retransmits_nothing_on_the_shipped_lossless_reordering_scenarios() -> None:
    """scenarios/reorder-heavy.toml and signed-reorder.toml lose nothing; the
    rto policy retransmits 0 grams on both. With retry.policy = "fast":
    370 grams retransmitted (260 spurious) and 36 (26 spurious).

    Cause: jitter (15 ms and 10 ms standard deviation) spreads a burst over
    more than the 15 ms ack delay, so a receiver sees a pause mid-burst and
    flags its ack QUIET; the sender then skips the `mate` wait (srtt + 4
    rttvar) that was there for exactly this reordering, and resends twice.
    Fix: as finding 1; or let quiet evidence lose only grams older than the
    newest acked one by more than the time threshold's rttvar margin."""
    for name in ("reorder-heavy.toml", "signed-reorder.toml"):
        rto = shipped(name, policy="rto")
        fast = shipped(name, policy="fast")
        assert rto["grams_retransmitted"] == 0 and rto["lost_silently"] == 0, name
        # on a lossless link every resend is waste: bound it against what was
        # sent (the lead's change: a ratio of resends is meaningless here)
        spurious = fast["spurious_retransmissions"]
        assert spurious <= 0.01 * fast["grams_sent"], (name, fast)
        assert fast["grams_retransmitted"] <= 5, (name, fast["grams_retransmitted"])


# ---- finding 3 (medium): ack_delay = 0 is accepted and every ack is QUIET ----
def test_fast_policy_with_ack_delay_zero_does_not_flood_retransmissions() -> None:
    """[retry] ack_delay = 0 passes validation (`>= 0`). A quiet receiver
    then acks each gram at once and, since `tyme >= arrived + 0` always
    holds, flags every ack QUIET: the sender declares every burst-mate
    still in flight lost. On the retry-policies network (5% loss) that is
    7441 grams retransmitted for 300 memos (6579 spurious) against about
    316 with the default 0.015.

    Cause: acker.flush `quiet = self.quiet and tyme >= rec.arrived +
    self.delay` is true for delay 0. Fix: never flag QUIET when delay is 0
    (or require ack_delay > 0 for the fast policy in RetryPolicy)."""
    base = shipped("retry-policies.toml", policy="fast")
    zero = shipped("retry-policies.toml", policy="fast", ack_delay=0.0)
    assert zero["memos_delivered"] == 300
    assert zero["grams_retransmitted"] <= 2 * base["grams_retransmitted"], (
        zero["grams_retransmitted"],
        base["grams_retransmitted"],
    )


# ---- finding 4 (medium): a quiet ack cut short by its range limit -----------
def test_a_quiet_ack_cut_at_upto_does_not_resend_grams_the_receiver_holds() -> None:
    """Gram size 40 leaves room for one range per ack, so an ack lists the
    lowest range and sets `upto` where the first left-out range starts:
    grams past upto are not "not held", they are not described. The first
    copies of grams 1 and 3 of a fifteen-gram memo are lost; the quiet ack
    says (0, 1), upto 1, and the sender resends grams 1..14 twice each (28
    datagrams) where 1 and 3 were all that was missing (4 datagrams when
    the receiver's acks have room for every range).

    Cause: Flights.apply ignores `ack.upto`: _detect's quiet branch loses
    every outstanding gram past it, and once gram 1's resend is acked the
    packet threshold does the same (grams past upto are "older" than an
    acked resend). Passing upto to the quiet branch alone is not enough
    (tried). Fix: remember the latest ack's upto on the flight and let
    _detect skip grams numbered at or past it, for every rule: an ack too
    small for every range says nothing about them."""
    resent = _resends_after_losing(1, 3)
    assert sorted(set(resent)) == [1, 3], resent


def _resends_after_losing(*lost: int) -> list[int]:
    """Gram numbers a fast sender sends again for MEMO at size 40 over an
    instant link that loses the first copy of each gram in `lost`."""
    sent: list[tuple[int, float]] = []
    dropped: set[int] = set()
    clock: list[Any] = []

    def drop(gram: bytes, src: str, dst: str) -> bool:
        if src != "a" or kind_of(gram) != "data":
            return False
        num = grams.parse(gram).num
        sent.append((num, clock[0].tyme))
        if num in lost and num not in dropped:
            dropped.add(num)
            return True
        return False

    a, b, tymist = wound_pair(
        EchoLink(drop=drop),
        tock=1 / 1024,
        code=SURE,
        size=40,
        retry={"policy": "fast", "congestion": "none"},
    )
    clock.append(tymist)
    a.memoit(MEMO, "b")
    for _ in range(2048):
        a.service()
        b.service()
        tymist.tick()
    assert [memo for memo, *_ in b.inbox] == [MEMO]  # delivered either way
    return [num for num, tyme in sent if tyme > 0.0]


# ---- finding 5 (low): a late copy of a quiet ack ----------------------------
def test_a_late_copy_of_a_quiet_ack_does_not_declare_a_resent_gram_lost_again() -> None:
    """A quiet ack goes twice; the channel may also duplicate or reorder it.
    Its copy, arriving after a newer (non-quiet) ack has moved the flight's
    newest acked send tyme past a resend, declares that resend lost again
    (and spends one of max_tries) though the copy was made before the resend
    was sent.

    Window 3, grams 0-2 sent at 0. Quiet ack Q at 0.06 lists 0 and 2: gram 1
    is resent at 0.06 along with new grams 3, 4. A paced ack at 0.12 lists
    3, 4 (not yet 1, jittered). Q's copy at 0.121 sends gram 1 a third time.

    Cause: _detect's quiet test compares with flight.largest_sent, a
    property of the flight, not of the ack. Fix: take quiet evidence only
    from an ack that newly acks grams, for grams sent no later than the
    newest of those (newest[0] in apply)."""
    out: deque[tuple[bytes, Any]] = deque()
    stats = Stats()
    retry = RetryPolicy(policy="fast", resend_copies=1, window=3)
    flights = Flights(txgs=out, failures=deque(), stats=stats, retry=retry)
    flights.add(MEMO, "b", None, Memoer(code=SURE, size=40).rend(MEMO), 0.0)
    flight = next(iter(flights.flights.values()))
    count = flight.count
    est = flights.dests["b"].est  # a calm path, so quiet acks are evidence
    for _ in range(12):
        est.sample(0.05)
    assert 1.5 * est.rttvar <= retry.ack_delay_s

    def sent() -> list[int]:
        nums = [grams.parse(g).num for g, _ in out]
        out.clear()
        return nums

    assert sent() == [0, 1, 2]
    quiet = Ack(False, 1, count, [(0, 1), (2, 3)], True, 0.015)
    assert flights.apply(flight, count, quiet, 0.06) is None
    assert sent() == [1, 3, 4]  # gram 1 lost at once, the window refilled
    paced = Ack(False, 1, count, [(0, 1), (2, 5)], False, 0.0)
    assert flights.apply(flight, count, paced, 0.12) is None
    assert sent() == [5, 6]
    assert flights.apply(flight, count, quiet._replace(hold=0.03), 0.121) is None
    assert sent() == [], "a stale quiet copy resent gram 1 again"
    assert flight.tx[1] == 2


# ---- finding 6 (low): a saved run's BREACH verdict depends on sys.path -------
WINDING = '''
from memosim.memoing import MemoerDoer


class Winding(MemoerDoer):
    """Winds its peer (WindsPeer), so it promises acked delivery."""
'''


def test_the_breach_verdict_of_a_saved_summary_does_not_depend_on_imports(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """report.breaches decides whether silent loss is a breach by importing
    the Doer's class (promises_delivery -> doer_class) each time a table is
    formatted. The same summary.json, formatted where the user's module is
    not importable (another shell, no PYTHONPATH; memosim.testbed.api.table
    of a loaded summary), loses its BREACH line; formatting a summary also
    imports, and so runs, the module it names.

    Cause: the promise is recomputed from the Doer's name, not recorded.
    Fix: record `promises_delivery` in each run's summary when the run is
    made, and let breaches() read that field (falling back to the name only
    for built-in Doers)."""
    from memosim.testbed.report import breaches

    run = {  # as summary.json records it (memosim.testbed.metrics.summarize)
        "doer": "reviewdoers:Winding",
        "promises_acked": True,
        "lost_silently": 2,
        "duplicates_delivered": 0,
        "corrupt_delivered": 0,
    }
    (tmp_path / "reviewdoers.py").write_text(WINDING)
    monkeypatch.syspath_prepend(str(tmp_path))
    with_module = breaches(run)
    assert with_module == ["2 lost silently"]
    monkeypatch.undo()  # the module is no longer importable
    monkeypatch.delitem(__import__("sys").modules, "reviewdoers", raising=False)
    assert breaches(run) == with_module
