"""Rewrite command output shown in the docs with what the code prints now.

- docs/cli.md: its one-command transcripts (tests/test_doc_outputs.py checks
  them). Lines that cannot repeat keep their old text: "wrote ..." (where
  the files went) and progress lines.
- README.md: the demo table's rows (tests/test_doc_outputs.py checks them).
- examples/regression-project: its golden (pytest --memosim-regen), and
  docs/regression.md's copy of it and of the failure pytest prints after
  the loss edit (tests/test_pytest_plugin.py checks them).

After a change that moves results on purpose (a golden move), run

    .venv/bin/python tools/regen_docs.py

and review the diff.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from test_doc_outputs import PROGRESS, run_shown  # noqa: E402


def regen_example() -> None:
    """The example project's golden, and docs/regression.md's copies."""
    project = REPO / "examples" / "regression-project"
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    subprocess.run([*pytest, "--memosim-regen"], cwd=project, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        moved = Path(tmp) / "project"
        shutil.copytree(project, moved)
        toml = moved / "scenarios" / "lossy-link.toml"
        toml.write_text(
            toml.read_text().replace("loss = { rate = 0.10 }", "loss = { rate = 0.20 }")
        )
        out = subprocess.run(pytest, cwd=moved, capture_output=True, text=True).stdout
    head, tail = (
        "sim results of scenario lossy-link moved",
        "git diff scenarios/golden/lossy-link.json",
    )
    block = out[out.index(head) : out.index(tail, out.index(head)) + len(tail)]
    doc = REPO / "docs" / "regression.md"
    text = doc.read_text()
    a = text.index(head)
    b = text.index(tail, a) + len(tail)
    text = text[:a] + block + text[b:]
    golden = (project / "scenarios" / "golden" / "lossy-link.json").read_text().rstrip("\n")
    i = text.index("```json", text.index("`scenarios/golden/lossy-link.json`, as")) + len(
        "```json\n"
    )
    j = text.index("```", i)
    doc.write_text(text[:i] + golden + "\n" + text[j:])
    print("examples/regression-project and docs/regression.md regenerated")


def regen_readme_demo() -> None:
    """README's demo table: its rows as `make demo` prints them now."""
    readme = REPO / "README.md"
    text = readme.read_text()
    section = text.index("## What the demo shows")
    start = text.index("```\n", section) + len("```\n")
    end = text.index("```", start)
    rows = text[start:end].splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        printed = [x.rstrip() for x in run_shown("memosim run scenarios/default.toml", Path(tmp))]
    fresh = []
    for row in rows:
        label = row[:24].rstrip()
        match = [x for x in printed if x[:24].rstrip() == label] if label else [printed[2]]
        fresh.append(match[0] if match else row)
    readme.write_text(text[:start] + "\n".join(fresh) + "\n" + text[end:])
    print("README.md demo table regenerated")


def main() -> int:
    regen_example()
    regen_readme_demo()
    path = REPO / "docs" / "cli.md"
    lines = path.read_text().splitlines()
    out: list[str] = []
    at = 0
    changed = 0
    while at < len(lines):
        line = lines[at]
        out.append(line)
        at += 1
        if not line.startswith("```"):
            continue
        end = at
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        block = lines[at:end]
        single = (
            block
            and block[0].startswith("$ memosim")
            and sum(x.startswith("$") for x in block) == 1
        )
        if single:
            with tempfile.TemporaryDirectory() as tmp:
                printed = [x.rstrip() for x in run_shown(block[0][2:], Path(tmp))]
            kept = [x for x in block[1:] if x.startswith("wrote ") or PROGRESS.match(x)]
            fresh = [x for x in printed if not x.startswith("wrote ") and not PROGRESS.match(x)]
            new = [block[0], *fresh, *kept]
            changed += new != block
            block = new
        out.extend(block)
        at = end
    path.write_text("\n".join(out) + "\n")
    print(f"docs/cli.md: {changed} transcript(s) rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
