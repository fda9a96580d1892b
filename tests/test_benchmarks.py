"""The README's benchmarks run and report what they claim to: one short
round of each, hio's side included (its venv is the interop tests' one).
Figures are not judged here: speed targets live in the benchmarks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_codec  # noqa: E402
import bench_sim  # noqa: E402


@pytest.mark.interop
def test_codec_benchmark_reports_memosim_hio_and_nacl(tmp_path, capsys):
    out = tmp_path / "codec.json"
    rc = bench_codec.main(["--rounds", "1", "--seconds", "0.02", "--case", "signed_binary_100b",
                           "--case", "text_12k", "--json", str(out)])
    assert rc == 0
    figures = json.loads(out.read_text())
    for side in ("memosim", "hio"):
        assert set(figures[side]) == {"signed_binary_100b", "text_12k"}
        assert all(case["grams_per_s"] > 0 for case in figures[side].values())
    assert set(figures["nacl"]) == {"signed_binary_100b"}  # only signed cases have a baseline
    assert figures["memosim"]["text_12k"]["memos"] >= 1
    table = capsys.readouterr().out
    assert "x hio" in table and "% nacl" in table
    assert table.count("signed_binary_100b") == 1 and "%" in table.split("signed_binary_100b")[1]


def test_nacl_baseline_cycles_distinct_messages(monkeypatch):
    seen: list[bytes] = []
    real_sign = bench_codec.SigningKey.sign

    def spy(self, msg, *a, **kw):
        seen.append(msg)
        return real_sign(self, msg, *a, **kw)

    monkeypatch.setattr(bench_codec.SigningKey, "sign", spy)
    assert bench_codec.nacl_sign_verify_rate(300, 0.0) > 0
    assert len(seen) == bench_codec.NACL_MESSAGES
    assert len(set(seen)) == len(seen) and all(len(m) == 236 for m in seen)


def test_sim_benchmark_moves_and_delivers(capsys):
    assert bench_sim.main(["--memos", "3", "--peers", "2"]) == 0
    row = capsys.readouterr().out.strip().splitlines()[-1].split()
    peers, datagrams, delivered = int(row[0]), int(row[1].replace(",", "")), int(row[2])
    assert peers == 2 and delivered == 6 and datagrams >= 6 * 10  # 12 KB memos: 10 grams each
