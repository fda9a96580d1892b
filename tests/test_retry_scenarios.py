"""A scenario's [retry] table and per-peer retry: parsed, validated, reaching each
Memoer, changing what a fixed-seed run does, and sweepable from the command line."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from memosim.core.retry import RETRY_KEYS, RetryPolicy
from memosim.errors import ScenarioError
from memosim.testbed.backend import peer_options
from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import Scenario, load_scenario, parse_scenario

MEMOSIM = str(Path(sys.executable).with_name("memosim"))
ENV = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}

# Two peers, alice sends bob memos of five grams over a lossy, delayed link.
LOSSY = """
[scenario]
name = "lossy"
duration_s = 20.0
seed = 3
doers = {doers}
{retry}
[[peers]]
name = "alice"
port = 5001
{alice}
[[peers]]
name = "bob"
port = 5002

[[links]]
src = "alice"
dst = "bob"
both = true
loss = {{ rate = {loss} }}
delay = {{ base_s = 0.02 }}

[[workload]]
src = "alice"
dst = "bob"
count = 60
interval_s = 0.05
memo_size = {{ dist = "fixed", bytes = 6000 }}
"""


def doc(
    retry: str = "", alice: str = "", loss: float = 0.1, doers: str = '["SafePeerMemoerDoer"]'
) -> str:
    return LOSSY.format(retry=retry, alice=alice, loss=loss, doers=doers)


def scenario(tmp_path: Path, **kwa: Any) -> Scenario:
    path = tmp_path / "lossy.toml"
    path.write_text(doc(**kwa))
    return load_scenario(path)


def run(s: Scenario) -> dict[str, Any]:
    (result,) = run_scenario(s, backend="sim").runs
    return result.summary


def memosim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MEMOSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=ENV
    )


# ---------------------------------------------------------------- parsing


def test_top_level_retry_is_every_peers_and_a_peer_overrides_it_key_by_key(
    tmp_path: Path,
) -> None:
    s = scenario(
        tmp_path,
        retry='[retry]\nmin_rto = 0.5\nmax_tries = 4\npolicy = "rto"\n',
        alice="retry = { max_tries = 7, window = 2 }",
    )
    alice, bob = s.peers
    assert bob.retry == RetryPolicy(min_rto=0.5, max_tries=4, policy="rto")
    assert alice.retry == RetryPolicy(min_rto=0.5, max_tries=7, window=2, policy="rto")
    assert dict(alice.retry_set) == {"max_tries": 7, "window": 2} and not bob.retry_set
    options = peer_options(s, 1)
    assert options["alice"]["retry"] == {key: getattr(alice.retry, key) for key in RETRY_KEYS}
    # The canonical document holds what the file set, and round-trips.
    d = s.to_dict()
    assert d["retry"] == {"min_rto": 0.5, "max_tries": 4, "policy": "rto"}
    assert d["peers"][0]["retry"] == {"max_tries": 7, "window": 2}
    assert parse_scenario(d, s.file) == s


def test_a_file_without_retry_keeps_its_document_and_the_defaults(tmp_path: Path) -> None:
    s = scenario(tmp_path)
    assert "retry" not in s.to_dict() and all("retry" not in p for p in s.to_dict()["peers"])
    assert all(p.retry == RetryPolicy() for p in s.peers)


def test_every_key_is_accepted(tmp_path: Path) -> None:
    table = (
        '[retry]\npolicy = "fast"\ninit_rto = 0.5\nmin_rto = 0.1\nmax_rto = 4\n'
        "max_tries = 5\nmax_tyme = 30\nack_delay = 0\nwindow = 8\n"
        "packet_threshold = 2\ntime_threshold = 1.5\n"
    )
    got = scenario(tmp_path, retry=table).peers[1].retry
    assert got == RetryPolicy(
        policy="fast",
        init_rto=0.5,
        min_rto=0.1,
        max_rto=4.0,
        max_tries=5,
        max_tyme=30.0,
        ack_delay=0.0,
        window=8,
        packet_threshold=2,
        time_threshold=1.5,
    )


@pytest.mark.parametrize(
    ("retry", "alice", "message"),
    [
        (
            "[retry]\nmin_rto = 0\n",
            "",
            "retry.min_rto: expected a number > 0, found 0",
        ),
        (
            '[retry]\npolicy = "fats"\n',
            "",
            'retry.policy: expected "fast" or "rto", found "fats" (did you mean "fast"?)',
        ),
        (
            "[retry]\nmax_tries = 0\n",
            "",
            "retry.max_tries: expected an integer >= 1, found 0",
        ),
        (
            "[retry]\nwindow = 2.5\n",
            "",
            "retry.window: expected an integer >= 1, found 2.5",
        ),
        (
            "[retry]\nack_delay = -1\n",
            "",
            "retry.ack_delay: expected a number >= 0, found -1",
        ),
        (
            "[retry]\ntime_threshold = 0.5\n",
            "",
            "retry.time_threshold: expected a number >= 1, found 0.5",
        ),
        (
            "[retry]\nmin_rt = 1\n",
            "",
            "retry.min_rt: expected one of the keys " + ", ".join(RETRY_KEYS) + ","
            ' found an unknown key (did you mean "min_rto"?)',
        ),
        (
            "[retry]\nretries = 1\n",
            "",
            "retry.retries: expected one of the keys " + ", ".join(RETRY_KEYS) + ","
            ' found an unknown key (did you mean "max_tries"?)',
        ),
        (
            "retry = 3\n",
            "",
            "retry: expected a table of retry settings (" + ", ".join(RETRY_KEYS) + "), found 3",
        ),
        (
            "[retry]\nmin_rto = 5\nmax_rto = 2\n",
            "",
            "retry.min_rto: expected a number <= max_rto (retry.max_rto = 2), found 5.0",
        ),
        (
            "[retry]\nmin_rto = 90\n",
            "",
            "retry.min_rto: expected a number <= max_rto (60, the default), found 90.0",
        ),
        (
            "[retry]\nmin_rto = 1\n",
            "retry = { max_rto = 0.5 }",
            "peers[0].retry.max_rto: expected a number >= min_rto (retry.min_rto = 1), found 0.5",
        ),
        (
            "",
            "retry = { window = 0 }",
            "peers[0].retry.window: expected an integer >= 1, found 0",
        ),
    ],
)
def test_a_bad_retry_value_is_one_line(
    tmp_path: Path, retry: str, alice: str, message: str
) -> None:
    if retry.startswith("retry ="):  # a top-level key, before any table
        text = retry + doc(alice=alice)
    else:
        text = doc(retry=retry, alice=alice)
    path = tmp_path / "lossy.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: {message}"


def test_validate_reports_a_bad_retry_value_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "lossy.toml").write_text(doc(retry="[retry]\nmax_tries = -2\n"))
    done = memosim("validate", "lossy.toml", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "lossy.toml: retry.max_tries: expected an integer >= 1, found -2\n"


# ------------------------------------------------------- reaching behaviour


def test_a_larger_min_rto_retransmits_less_and_later(tmp_path: Path) -> None:
    # "rto": timeouts alone repair losses ("fast" would mostly repair them from acks)
    rto = '[retry]\npolicy = "rto"\n'
    quick = run(scenario(tmp_path, retry=rto + "min_rto = 0.05\ninit_rto = 0.05\n"))
    slow = run(scenario(tmp_path, retry=rto + "min_rto = 0.8\ninit_rto = 0.8\n"))
    assert quick["memos_delivered"] == slow["memos_delivered"] == 60
    assert quick["grams_retransmitted"] > slow["grams_retransmitted"] > 0
    assert slow["latency_s"]["max"] > quick["latency_s"]["max"] + 0.5


def test_max_tries_1_makes_memos_fail_under_loss(tmp_path: Path) -> None:
    one = run(scenario(tmp_path, retry="[retry]\nmax_tries = 1\n"))
    many = run(scenario(tmp_path))
    assert one["grams_retransmitted"] == 0 and one["gave_up"] > 0
    assert one["memos_delivered"] < 60 and many["memos_delivered"] == 60 and many["gave_up"] == 0


def test_a_peers_own_retry_reaches_that_peer_only(tmp_path: Path) -> None:
    own = run(scenario(tmp_path, alice="retry = { max_tries = 1 }"))
    receiver = run(scenario(tmp_path, alice="", retry=""))  # bob sends nothing: no effect
    assert own["gave_up"] > 0 and receiver["gave_up"] == 0


def test_window_1_holds_one_gram_in_flight(tmp_path: Path) -> None:
    # On a clean 20 ms link a five-gram memo takes one round trip with the default
    # window and about five with window = 1: each gram waits for the last one's ack.
    wide = run(scenario(tmp_path, loss=0.0))
    narrow = run(scenario(tmp_path, loss=0.0, retry="[retry]\nwindow = 1\n"))
    assert wide["memos_delivered"] == narrow["memos_delivered"] == 60
    assert wide["latency_s"]["p50"] < 0.05
    assert narrow["latency_s"]["p50"] > 4 * 0.04


def test_ack_delay_changes_the_acks_sent(tmp_path: Path) -> None:
    prompt = run(scenario(tmp_path, retry="[retry]\nack_delay = 0\n"))
    held = run(scenario(tmp_path, retry="[retry]\nack_delay = 0.2\n"))
    assert prompt["acks_sent"] > held["acks_sent"]


@pytest.mark.parametrize("policy", ["rto", "fast"])
def test_both_policies_run_and_deliver(tmp_path: Path, policy: str) -> None:
    s = scenario(tmp_path, retry=f'[retry]\npolicy = "{policy}"\n')
    assert all(p.retry.policy == policy for p in s.peers)
    assert run(s)["memos_delivered"] == 60


# ---------------------------------------------------------------- sweeps


def test_sweep_over_retry_min_rto_on_a_file_without_retry(tmp_path: Path) -> None:
    (tmp_path / "lossy.toml").write_text(doc())
    done = memosim(
        "sweep",
        "lossy.toml",
        "--param",
        "retry.policy=rto",
        "--param",
        "retry.min_rto=0.05,0.8",
        "--out",
        "sw",
        "--no-plots",
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    with (tmp_path / "sw" / "sweep_runs.csv").open() as f:
        rows = list(csv.DictReader(f))
    by = {row["retry.min_rto"]: row for row in rows}
    assert set(by) == {"0.05", "0.8"}
    # the floor of the retransmission timeout is what a lost gram waits
    assert float(by["0.8"]["latency_p90_s"]) > float(by["0.05"]["latency_p90_s"]) + 0.5
    bad = memosim("sweep", "lossy.toml", "--param", "retry.min_rto=0.1,-1", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
    assert "retry.min_rto: expected a number > 0, found -1" in bad.stderr
