"""Review r2: a golden file is input to the pytest plugin, checked like one.

`--memosim-scenarios DIR` compares each scenario with DIR/golden/<name>.json.
A golden that was not JSON, not an object, or whose seeds were not tables
failed the test with a JSONDecodeError or AttributeError traceback from
memosim's own code; a golden path that is a directory gave an
IsADirectoryError, and with --memosim-regen a DIR/golden that is a file gave
a FileExistsError. Each is now one line naming the file, and --memosim-regen
rewrites a golden it cannot read.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_pytest_plugin import pytest_in  # noqa: E402

SCENARIO = """\
[scenario]
name = "{name}"
duration_s = 2.0

[[peers]]
name = "alice"
port = 47701

[[peers]]
name = "bob"
port = 47702

[[workload]]
src = "alice"
dst = "bob"
count = 2
interval_s = 0.1
memo_size = {{ dist = "fixed", bytes = 100 }}
"""

GOLDENS = {
    "notjson": ("garbage", "expected JSON"),
    "notobject": ("[1, 2]", "found an array"),
    "badseeds": ('{"format": 1, "seeds": {"1": 5}}', "seeds"),
    "notutf8": (b"\xff\xfe", "expected UTF-8"),
}


def _failures(stdout: str) -> list[str]:
    failure = stdout.split("FAILURES", 1)[1].split("short test summary")[0]
    return [ln for ln in failure.splitlines() if ln.strip() and ln.strip()[0] not in "_="]


def _project(tmp_path: Path) -> Path:
    nets = tmp_path / "nets"
    (nets / "golden").mkdir(parents=True)
    for name, (golden, _) in GOLDENS.items():
        (nets / f"{name}.toml").write_text(SCENARIO.format(name=name))
        target = nets / "golden" / f"{name}.json"
        if isinstance(golden, bytes):
            target.write_bytes(golden)
        else:
            target.write_text(golden)
    (nets / "isdir.toml").write_text(SCENARIO.format(name="isdir"))
    (nets / "golden" / "isdir.json").mkdir()
    return nets


def test_a_malformed_golden_fails_in_one_line_naming_it(tmp_path: Path) -> None:
    nets = _project(tmp_path)
    done = pytest_in(tmp_path, "--memosim-scenarios", "nets")
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stdout and "Error:" not in done.stdout, done.stdout
    lines = _failures(done.stdout)
    assert len(lines) == len(GOLDENS) + 1, lines
    for name, (_, said) in GOLDENS.items():
        mine = [ln for ln in lines if f"golden/{name}.json" in ln]
        assert len(mine) == 1 and said in mine[0], lines
        assert "--memosim-regen" in mine[0]
    assert any("golden/isdir.json" in ln and "is a directory" in ln for ln in lines), lines

    regen = pytest_in(tmp_path, "--memosim-scenarios", "nets", "--memosim-regen")
    assert regen.returncode == 1, regen.stdout  # the directory is still in the way
    (nets / "golden" / "isdir.json").rmdir()
    regen = pytest_in(tmp_path, "--memosim-scenarios", "nets", "--memosim-regen")
    assert regen.returncode == 0, regen.stdout
    assert pytest_in(tmp_path, "--memosim-scenarios", "nets").returncode == 0


def test_a_golden_directory_that_is_a_file_is_one_line_under_regen(tmp_path: Path) -> None:
    nets = tmp_path / "nets"
    nets.mkdir()
    (nets / "one.toml").write_text(SCENARIO.format(name="one"))
    (nets / "golden").write_text("")
    done = pytest_in(tmp_path, "--memosim-scenarios", "nets", "--memosim-regen")
    assert done.returncode == 1
    lines = _failures(done.stdout)
    assert len(lines) == 1 and "golden" in lines[0] and "cannot write" in lines[0], lines
