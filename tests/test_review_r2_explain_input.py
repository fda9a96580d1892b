"""Review r2: `memosim explain DIR` reads DIR/timeline.jsonl, which is input.

A line that is not JSON gave "Expecting value: line 1 column 1 (char 0)"
without naming the file; a record missing a key or holding the wrong type
gave a KeyError or TypeError traceback; and `--doer` refused every Doer but
the two built-ins, so a custom Doer's run could not be explained by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memosim.cli import main

GOOD = {
    "doer": "mydoers:Paced",
    "memo": 0,
    "key": "0:alice>bob:0",
    "mid": "abc",
    "grams": 2,
    "outcome": "delivered",
    "copies": 1,
    "sent_s": 0.5,
    "delivered_s": 0.52,
    "events": [[0.5, "send", 0, None, "alice->bob"], [0.51, "deliver", 0, None, "alice->bob"]],
    "window": [[0.5, 8]],
}


def _explain(
    tmp_path: Path, lines: list[str], capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    (tmp_path / "timeline.jsonl").write_bytes(("\n".join(lines) + "\n").encode("utf-8", "replace"))
    status = main(["explain", str(tmp_path), "--memo", "0", *extra])
    return status, capsys.readouterr().err


def test_a_custom_doer_is_explained_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _explain(tmp_path, [json.dumps(GOOD)], capsys, "--doer", "mydoers:Paced")
    assert status == 0, err
    assert (tmp_path / "timelines" / "mydoers:Paced-0.png").is_file()


def _without(key: str) -> dict[str, object]:
    return {k: v for k, v in GOOD.items() if k != key}


BAD = {
    "not json": ("garbage", "line 1"),
    "not an object": ("[1, 2]", "line 1"),
    "no doer": (json.dumps(_without("doer")), "doer"),
    "no events": (json.dumps(_without("events")), "events"),
    "events not a list": (json.dumps({**GOOD, "events": "x"}), "events"),
    "event too short": (json.dumps({**GOOD, "events": [[0.5, "send"]]}), "events[0]"),
    "event kind unknown": (
        json.dumps({**GOOD, "events": [[0.5, "warp", 0, None, "a->b"]]}),
        "events[0]",
    ),
    "sent_s a string": (json.dumps({**GOOD, "sent_s": "soon"}), "sent_s"),
    "grams negative": (json.dumps({**GOOD, "grams": -3}), "grams"),
    "window not pairs": (json.dumps({**GOOD, "window": 5}), "window"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_timeline_is_one_line_naming_file_line_and_key(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line, where = BAD[case]
    status, err = _explain(tmp_path, [line], capsys)
    assert status == 2
    assert len(err.splitlines()) == 1, err
    assert "timeline.jsonl: line 1" in err and where in err, err
    assert "Traceback" not in err


def test_a_timeline_that_is_not_utf8_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "timeline.jsonl").write_bytes(json.dumps(GOOD).encode() + b"\n\xff\n")
    status = main(["explain", str(tmp_path), "--memo", "0"])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1, err
    assert "timeline.jsonl: line 2" in err and "UTF-8" in err, err
