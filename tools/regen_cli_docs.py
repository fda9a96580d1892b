"""Rewrite the one-command transcripts of docs/cli.md with what the code prints now.

tests/test_doc_outputs.py checks them; after a change that moves what a
command prints on purpose (a golden move), run

    .venv/bin/python tools/regen_cli_docs.py

and review the diff. Lines that cannot repeat keep their old text: "wrote
..." (where the files went) and progress lines.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from test_doc_outputs import PROGRESS, run_shown  # noqa: E402


def main() -> int:
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
