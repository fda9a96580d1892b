"""Review r4: a scenario using every network feature repeats byte for byte
across processes with different PYTHONHASHSEED, under `memosim check`, and
whatever order its [[links]] entries are written in (docs/scenarios.md:
each directed pair's impairments are said once, so order cannot matter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PEERS = """
[[peers]]
name = "alice"
port = 47301
egress = { rate = { bps = 400_000, queue_limit = 8 }, delay = { base_s = 0.004, jitter_s = 0.003 } }

[[peers]]
name = "bob"
port = 47302
ingress = { rate = { bps = 300_000, queue_limit = 6 }, loss = { rate = 0.02 }, delay = { base_s = 0.002, jitter_s = 0.001, keep_order = true } }

[[peers]]
name = "carol"
port = 47303
"""

LINKS = [
    """
[[links]]
src = "alice"
dst = "bob"
loss = { model = "gilbert_elliott", p = 0.05, r = 0.4, good_loss = 0.01 }
delay = { base_s = 0.02, jitter_s = 0.01, distribution = "pareto" }
reorder = { rate = 0.2, gap = 2 }
duplicate = { rate = 0.1 }
corrupt = { rate = 0.05, deliver = true }
rate = { bps = 1_000_000, queue_limit = 10 }
mtu = 1400
""",
    """
[[links]]
src = "bob"
dst = "alice"
loss = { rate = 0.1, correlation = 0.3 }
delay = { base_s = 0.015, jitter_s = 0.008, distribution = "normal", keep_order = true }
corrupt = { rate = 0.03 }
schedule = [ { at = 1.0, state = "down" }, { at = 1.5, state = "up" } ]
""",
    """
[[links]]
src = "*"
dst = "carol"
both = true
delay = { base_s = 0.01, jitter_s = 0.004, distribution = "lognormal" }
loss = { rate = 0.05 }
""",
]

REST = """
[[partitions]]
peers = ["carol"]
start_s = 0.5
end_s = 1.2

[[workload]]
src = "*"
dst = "*"
count = 15
interval_s = 0.1
memo_size = { dist = "uniform", min = 200, max = 5000 }
"""

HEAD = """
[scenario]
description = "every network feature at once"
duration_s = 6.0
seed = 11
doers = ["SafePeerMemoerDoer"]
"""

PROBE = """
import json, sys
from memosim.testbed.api import run
r = run(sys.argv[1])
print(json.dumps([(x.doer, x.trace_digest, x.summary["links"]) for x in r.runs]))
"""


def _write(tmp_path: Path, name: str, links: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEAD + PEERS + "".join(links) + REST)
    return path


def _digests(path: Path, hashseed: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_same_digest_across_hash_seeds_and_link_order(tmp_path: Path) -> None:
    forward = _write(tmp_path, "forward.toml", LINKS)
    backward = _write(tmp_path, "backward.toml", LINKS[::-1])
    a = _digests(forward, "0")
    b = _digests(forward, "4242")
    c = _digests(backward, "77")
    assert a == b == c
    assert len(a) == 1 and len(a[0][1]) == 64
    links = a[0][2]  # every impairment did something in this run
    assert {"loss", "down", "partition", "ifqueue"} <= {
        r for c in links.values() for r in c.get("dropped", {})
    }


def test_memosim_check_agrees(tmp_path: Path) -> None:
    path = _write(tmp_path, "all.toml", LINKS)
    memosim = Path(sys.executable).with_name("memosim")
    out = subprocess.run([str(memosim), "check", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
