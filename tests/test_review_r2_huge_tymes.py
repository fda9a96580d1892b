"""Review r2: numbers the scenario checks accept but the run could not hold.

A link delay of 1e300 s, a 1e-300 bit/s rate or an ack_delay of 1e300 s is
valid input (a datagram or an ack that never comes within the run), but
dating the event on the nanosecond grid multiplied it past the float range
and the run died with OverflowError out of SimPy; a lognormal memo size with
a huge sigma overflowed math.exp. Each must run to its end like 1e20 does.
"""

from __future__ import annotations

import json
import math
import random
import textwrap
from pathlib import Path

import pytest

from memosim.cli import main
from memosim.sim.clock import GridEnvironment, on_grid
from memosim.testbed.scenario_model import SizeSpec

BASE = textwrap.dedent("""\
    [scenario]
    name = "huge"
    duration_s = 2.0
    seed = 1

    [[peers]]
    name = "alice"
    port = 47961
    {alice}

    [[peers]]
    name = "bob"
    port = 47962
    {bob}

    [[links]]
    src = "alice"
    dst = "bob"
    both = true
    {link}

    [[workload]]
    src = "alice"
    dst = "bob"
    count = 4
    interval_s = 0.1
    memo_size = {size}
    """)

FIXED = '{ dist = "fixed", bytes = 3000 }'

CASES = {
    "link delay base_s": {"link": "delay = { base_s = 1e300 }"},
    "link delay jitter_s": {"link": "delay = { base_s = 0.01, jitter_s = 1e300 }"},
    "link normal jitter_s": {
        "link": 'delay = { base_s = 0.01, jitter_s = 1e300, distribution = "normal" }'
    },
    "link rate bps": {"link": "rate = { bps = 1e-300 }"},
    "egress delay": {"alice": "egress = { rate = { bps = 1e6 }, delay = { base_s = 1e300 } }"},
    "egress rate": {"alice": "egress = { rate = { bps = 1e-300 } }"},
    "ingress rate": {"bob": "ingress = { rate = { bps = 1e-300 } }"},
    "ack_delay": {
        # max_rto must exceed ack_delay (retry.py): both huge
        "alice": "retry = { ack_delay = 1e300, max_rto = 1e301 }",
        "bob": "retry = { ack_delay = 1e300, max_rto = 1e301 }",
        "link": "loss = { rate = 0.3 }\ndelay = { base_s = 0.01, jitter_s = 0.002 }",
    },
    "retry timeouts": {
        "alice": "retry = { init_rto = 1e300, max_rto = 1e300 }",
        "link": "loss = { rate = 1.0 }",
    },
    "lognormal sigma": {"size": '{ dist = "lognormal", median = 100, sigma = 1e300, max = 5000 }'},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_huge_but_valid_tymes_run_to_the_end(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = {"alice": "", "bob": "", "link": "", "size": FIXED, **CASES[case]}
    path = tmp_path / "huge.toml"
    path.write_text(BASE.format(**fields))
    out = tmp_path / "out"
    status = main(["run", str(path), "--no-plots", "-q", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)
    for run in summary["runs"]:
        assert run["memos_sent"] == 4
        assert run["sim_s"] == 2.0


def test_grid_dates_an_event_past_the_float_range_never() -> None:
    env = GridEnvironment()
    late = env.timeout(1e300)
    soon = env.timeout(1.0)
    env.run(until=5.0)
    assert soon.processed and not late.processed
    assert on_grid(1e300) == 1e300 and on_grid(math.inf) == math.inf
    assert on_grid(0.07 + 0.02) == 0.09


def test_lognormal_size_with_a_huge_sigma_stays_in_bounds() -> None:
    spec = SizeSpec(dist="lognormal", median=100, sigma=1e300, min=3, max=5000)
    rng = random.Random(5)
    sizes = {spec.sample(rng) for _ in range(200)}
    assert sizes == {3, 5000}
