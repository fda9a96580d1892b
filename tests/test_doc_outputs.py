"""Command output shown in README.md and docs/cli.md is what the code prints now.

Each `$ memosim ...` block of docs/cli.md is run as a user runs it (the
installed command, in a subprocess, from the repository root, with its
--out moved to a temporary folder) and its printed lines must match the
block. README's demo table must appear, row for row, in what `make demo`'s
command prints. Only what cannot repeat is masked: wall-clock seconds and
where the files went.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MEMOSIM = Path(sys.executable).with_name("memosim")
WALL = re.compile(r"\bin \d+(\.\d+)? s\b")


def blocks(path: Path) -> list[list[str]]:
    """The fenced code blocks of a Markdown file, as lists of lines."""
    out, block = [], None
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                out.append(block)
                block = None
        elif block is not None:
            block.append(line)
    return out


def normal(lines: list[str]) -> list[str]:
    """Lines with what cannot repeat masked: wall seconds, the files written."""
    kept = []
    for line in lines:
        if line.startswith(("wall s", "wrote ")) or PROGRESS.match(line):
            continue
        kept.append(WALL.sub("in X s", line.rstrip()))
    return kept


def run_shown(command: str, tmp_path: Path) -> list[str]:
    argv = shlex.split(command)
    assert argv[0] == "memosim"
    if argv[1] in ("run", "sweep", "explore"):  # results into tmp_path, no PNGs
        if "--out" in argv:
            argv[argv.index("--out") + 1] = str(tmp_path / "out")
        else:
            argv += ["--out", str(tmp_path / "out")]
        if argv[1] != "explore":  # explore writes no plots
            argv.append("--no-plots")
    done = subprocess.run(
        [str(MEMOSIM), *argv[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


# transcripts of one command (the error examples, several commands on made-up
# files, are checked by tests/test_cli.py)
CLI_EXAMPLES = [
    b
    for b in blocks(REPO / "docs" / "cli.md")
    if b and b[0].startswith("$ memosim") and sum(x.startswith("$") for x in b) == 1
]
PROGRESS = re.compile(r"^sweep \d+/\d+ ")  # drawn on a terminal only


def test_docs_show_examples() -> None:
    assert len(CLI_EXAMPLES) >= 4  # run, sweep, list, validate


@pytest.mark.parametrize("block", CLI_EXAMPLES, ids=lambda b: b[0][2:40])
def test_cli_doc_example_prints_what_it_shows(block: list[str], tmp_path: Path) -> None:
    printed = normal(run_shown(block[0][2:], tmp_path))
    assert printed == normal(block[1:])


# what docs/cli.md shows of the files `memosim run --pcap --trace --out results/capture` wrote
CAPTURE = "results/capture/"
CAPTURE_EXAMPLES = [
    b for b in blocks(REPO / "docs" / "cli.md") if b and b[0].startswith(("$ tshark", "$ head"))
]


def test_capture_examples_print_what_they_show(tmp_path: Path, tshark: str) -> None:
    """The tshark and head transcripts, on the files of the run shown before them."""
    assert len(CAPTURE_EXAMPLES) == 2
    run = next(b for b in CLI_EXAMPLES if f"--out {CAPTURE.rstrip('/')} " in b[0])
    run_shown(run[0][2:], tmp_path)
    for block in CAPTURE_EXAMPLES:
        argv = [a.replace(CAPTURE, f"{tmp_path / 'out'}/") for a in shlex.split(block[0][2:])]
        if argv[0] == "tshark":
            argv[0] = tshark
        done = subprocess.run(
            argv, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=True
        )
        assert [x.rstrip() for x in done.stdout.splitlines()] == block[1:], block[0]


def test_readme_demo_table_is_what_make_demo_prints(tmp_path: Path) -> None:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## What the demo shows") :]
    table = next(
        b for b in blocks(REPO / "README.md") if b and "PeerMemoerDoer" in b[0] and b[0] in section
    )
    makefile = (REPO / "Makefile").read_text()
    command = re.search(r"\$\(VENV\)/bin/(memosim run [^\n]+)", makefile).group(1)  # type: ignore[union-attr]
    printed = [line.rstrip() for line in run_shown(command, tmp_path)]
    for row in table:
        assert row.rstrip() in printed, f"README row not printed: {row!r}"


def test_readme_testbed_commands_run_as_shown(tmp_path: Path) -> None:
    """The README's testbed block, from a folder holding the scenarios (the udp
    command takes 40 wall seconds and is run by tests/test_cli_newcomer.py's
    udp tests in short form); the run writes where the README says."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## The testbed") :]
    block = next(b for b in blocks(REPO / "README.md") if b and b[0] in section)
    commands = [shlex.split(line.split("#")[0]) for line in block]
    assert [c[:2] for c in commands] == [
        [".venv/bin/memosim", "list"],
        [".venv/bin/memosim", "run"],
        [".venv/bin/memosim", "run"],
        [".venv/bin/memosim", "sweep"],
    ]
    assert commands[2][-2:] == ["--backend", "udp"]
    (tmp_path / "scenarios").symlink_to(REPO / "scenarios")
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    printed = {}
    for argv in (commands[0], commands[1], commands[3]):
        done = subprocess.run(
            [str(MEMOSIM), *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        printed[argv[1]] = done.stdout.splitlines()
    assert printed["list"][0].split() == ["name", "file", "description"]
    last = printed["run"][-1]
    assert last == (
        "wrote results/loss-20/sim-seed1/: summary.json, memos.csv, latency.png, delivery.png, "
        "timeline.jsonl, timelines/ (11 PNGs)"
    )
    assert "`wrote results/loss-20/sim-seed1/: ...`" in " ".join(section.split())
    assert printed["sweep"][-1].startswith("wrote results/loss-5-sweep/: sweep.csv")
