"""The README's benchmarks run and report what they claim to: one short
round of each, hio's side included (its venv is the interop tests' one).
Figures are not judged here: speed targets live in the benchmarks."""

from __future__ import annotations

import json
import re
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
    rc = bench_codec.main(
        [
            "--rounds",
            "1",
            "--seconds",
            "0.02",
            "--case",
            "signed_binary_100b",
            "--case",
            "text_12k",
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    figures = json.loads(out.read_text())
    for side in ("memosim", "hio"):
        assert set(figures[side]) == {"signed_binary_100b", "text_12k"}
        assert all(case["grams_per_s"] > 0 for case in figures[side].values())
    for baseline in ("nacl", "sodium"):  # only signed cases have baselines
        assert set(figures[baseline]) == {"signed_binary_100b"}
        assert figures[baseline]["signed_binary_100b"] > 0
    assert figures["memosim"]["text_12k"]["memos"] >= 1
    table = capsys.readouterr().out
    assert "x hio" in table and "% nacl" in table and "% sodium" in table
    row = next(line for line in table.splitlines() if line.startswith("signed_binary_100b"))
    assert row.count("%") == 4  # best and paired share, against each baseline


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


def test_sodium_baseline_signs_and_verifies_the_same_messages(monkeypatch):
    signed: list[bytes] = []
    verified: list[bool] = []
    real_sign, real_verify = bench_codec.keys.sign_detached, bench_codec.keys.verify_detached

    def sign(msg, secret):
        signed.append(msg)
        return real_sign(msg, secret)

    def verify(sig, msg, verkey):
        verified.append(real_verify(sig, msg, verkey))
        return verified[-1]

    monkeypatch.setattr(bench_codec.keys, "sign_detached", sign)
    monkeypatch.setattr(bench_codec.keys, "verify_detached", verify)
    assert bench_codec.sodium_sign_verify_rate(300, 0.0) > 0
    assert signed == bench_codec._baseline_messages(300)
    assert len(verified) == len(signed) and all(verified)


def test_sim_benchmark_moves_and_delivers(capsys):
    assert bench_sim.main(["--memos", "3", "--peers", "2", "--repeat", "1"]) == 0
    row = capsys.readouterr().out.strip().splitlines()[-1].split()
    peers, datagrams, delivered = int(row[0]), int(row[1].replace(",", "")), int(row[2])
    assert peers == 2 and delivered == 6 and datagrams >= 6 * 10  # 12 KB memos: 10 grams each


def test_explore_benchmark_reports_runs_per_second_and_agrees_across_workers(capsys):
    import bench_explore

    assert bench_explore.main(["--runs", "2", "--workers", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "explore adversarial: 2 runs x 2 Doers"
    assert out[2].split()[0] == "1" and float(out[2].split()[2]) > 0
    assert out[2].endswith("0 []")  # the real Doers break nothing
    assert out[-1] == "rows identical on every worker count"


NUMBER = re.compile(r"\d[\d,]*(\.\d+)?")


def shape(line: str) -> str:
    """A line with its figures and column padding masked."""
    return " ".join(NUMBER.sub("N", line).split())


def shown_sim_output() -> list[str]:
    """The bench_sim.py --parts output block of docs/simulation.md."""
    text = (ROOT / "docs" / "simulation.md").read_text()
    block = text.split("```text\nsim benchmark:", 1)[1].split("```", 1)[0]
    return ("sim benchmark:" + block).splitlines()


def test_sim_benchmark_parts_prints_the_docs_lines_and_a_ratio_that_adds_up(capsys):
    args = ["--memos", "1", "--peers", "2,10,100", "--repeat", "1", "--parts"]
    assert bench_sim.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    # the same lines as the output shown in the docs, figures aside
    assert [shape(line) for line in out] == [shape(line) for line in shown_sim_output()]
    # end to end / parts is each ring's us/dgram over network + Memoer
    e2e = {int(r.split()[0]): float(r.split()[-1]) for r in out[3:6]}
    parts_line = next(r for r in out if r.lstrip().startswith("network + Memoer"))
    parts = float(parts_line.split("acks")[1].split()[0])
    ratios = re.findall(r"(\d+) peers (\d+\.\d+)x", out[-1])
    assert [int(n) for n, _ in ratios] == [2, 10, 100]
    for n, ratio in ratios:
        assert float(ratio) == pytest.approx(e2e[int(n)] / parts, rel=0.02)  # printed rounded


def test_congestion_benchmark_prints_the_table_docs_show(capsys):
    """Simulated, so exact: docs/acked-delivery.md shows what it prints now."""
    import bench_congestion

    assert bench_congestion.main([]) == 0
    out = [line for line in capsys.readouterr().out.splitlines() if line]
    doc = (ROOT / "docs" / "acked-delivery.md").read_text().splitlines()
    at = doc.index(out[0])
    shown = [line for line in doc[at : at + len(out) + 4] if line and not line.startswith("```")]
    assert shown[: len(out)] == out
