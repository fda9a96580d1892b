"""The acked promise under scenarios/adversarial.toml, over 20 seeds (sim backend).

30% loss, 50% duplication, 50% reordering and delivered bit flips on both
paths, a partition that heals, and the ack path down for longer than every
expiry. For each seed SafePeerMemoerDoer must deliver every memo exactly
once and intact or report it in its sender's failures: no memo lost
silently, none left in flight at the end, no duplicate, no corrupt delivery,
so that delivered + (gave up - false give-ups) = sent.

The per-seed figures (delivered, gave up, false give-ups, retransmissions)
are printed (``pytest -s``) and are part of the failure message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "adversarial.toml"
SEEDS = range(1, 21)
DOER = "SafePeerMemoerDoer"
COLUMNS = (
    "seed",
    "memos_sent",
    "memos_delivered",
    "gave_up",
    "false_give_ups",
    "grams_retransmitted",
    "lost_silently",
    "in_flight_at_end",
    "duplicates_delivered",
    "corrupt_delivered",
)


def figures(seed: int) -> dict:
    result = run_scenario(load_scenario(SCENARIO), seed=seed, doers=(DOER,))
    run = result.run(DOER)
    row = {"seed": seed, **{k: run.summary[k] for k in COLUMNS[1:]}}
    row["failed_rows"] = sum(1 for r in run.rows if r["outcome"] == "failed")
    row["reported"] = sum(1 for r in run.rows if r["failed"] != "")
    return row


def table(rows: list[dict]) -> str:
    heads = [c.replace("memos_", "").replace("grams_", "") for c in COLUMNS]
    widths = [max(len(h), 6) for h in heads]
    lines = ["  ".join(f"{h:>{w}}" for h, w in zip(heads, widths))]
    lines += ["  ".join(f"{row[c]:>{w}}" for c, w in zip(COLUMNS, widths)) for row in rows]
    return "\n".join(lines)


def problems(row: dict) -> list[str]:
    out = [
        f"{key} {row[key]}"
        for key in (
            "lost_silently",
            "in_flight_at_end",
            "duplicates_delivered",
            "corrupt_delivered",
        )
        if row[key]
    ]
    if row["memos_delivered"] + row["gave_up"] - row["false_give_ups"] != row["memos_sent"]:
        out.append("delivered + gave_up - false_give_ups != sent")
    if row["reported"] != row["gave_up"]:  # every give-up counted is one in failures
        out.append(f"failures hold {row['reported']} memos, gave_up says {row['gave_up']}")
    return out


def test_adversarial_keeps_the_acked_promise_on_every_seed() -> None:
    rows = [figures(seed) for seed in SEEDS]
    text = table(rows)
    print(f"\nadversarial.toml, {DOER}, sim backend\n{text}")
    broken = {row["seed"]: problems(row) for row in rows if problems(row)}
    if broken:
        pytest.fail(
            "acked promise broken:\n"
            + "\n".join(f"  seed {seed}: {', '.join(p)}" for seed, p in broken.items())
            + f"\nper seed:\n{text}",
            pytrace=False,
        )
    assert all(row["memos_sent"] == 100 for row in rows)
