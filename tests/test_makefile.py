"""The Makefile as a newcomer meets it: the interpreter checked first, .venv rebuilt
for another PYTHON, the demo repeatable, the notebooks target there.

Every make runs in a subprocess with VENV pointing into a temporary folder
(or a dry run), so the real .venv is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")

# A stand-in interpreter: answers the version and identity questions of
# tools/venv.sh as Python 3.12 from another installation would, and makes a
# "venv" by copying itself.
FAKE_312 = """#!/bin/sh
case "$*" in
  *base_prefix*) echo "/fake/python3.12 (3, 12, 1)" ;;
  *version_info*) echo "3.12.1" ;;
  "-m venv"*) for last; do :; done; mkdir -p "$last/bin"; cp "$0" "$last/bin/python" ;;
  *) exit 1 ;;
esac
"""
FAKE_310 = """#!/bin/sh
[ "$1" = "-c" ] && { echo "3.10.12"; exit 0; }
exit 1
"""


def make(
    *args: str, path_first: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHON", None)
    env.pop("MAKEFLAGS", None)
    if path_first is not None:
        env["PATH"] = f"{path_first}:{env['PATH']}"
    assert MAKE is not None
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def script(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_old_python3_is_refused_at_once_with_the_way_out(tmp_path: Path) -> None:
    script(tmp_path / "bin", "python3", FAKE_310)
    venv = tmp_path / "venv"
    for target in ("demo", "test"):
        done = make(target, f"VENV={venv}", path_first=tmp_path / "bin", timeout=30)
        assert done.returncode == 2
        first = done.stderr.splitlines()[0]
        assert first == (
            "memosim needs Python >= 3.11, and PYTHON=python3 is Python 3.10.12; "
            "choose another interpreter, e.g. make demo PYTHON=python3.12"
        )
        assert not venv.exists()  # nothing made, no pip started


def test_a_python_that_does_not_run_is_named(tmp_path: Path) -> None:
    done = make("demo", f"VENV={tmp_path / 'venv'}", "PYTHON=python3.99-missing", timeout=30)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith(
        "memosim needs Python >= 3.11, and PYTHON=python3.99-missing does not run;"
    )


def test_venv_is_rebuilt_when_python_names_another_interpreter(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    (venv / ".installed").touch()
    fake = script(tmp_path / "bin", "python3.12", FAKE_312)
    args = ("venv", f"VENV={venv}", f"PYTHON={fake}", "INSTALL=true")
    done = make(*args)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(
        f"rebuilding {venv}: it holds Python {sys.version.split()[0]}, "
        f"and PYTHON={fake} is Python 3.12.1"
    )
    assert lines[1] == f"creating {venv} with {fake} (Python 3.12.1)"
    assert (venv / "bin" / "python").read_text() == FAKE_312  # the new interpreter
    again = make(*args)  # the same interpreter: nothing to do
    assert again.returncode == 0 and again.stdout == ""
    # PYTHON not given: the venv is kept as it is
    kept = make("venv", f"VENV={venv}", "INSTALL=true")
    assert kept.returncode == 0 and "rebuilding" not in kept.stdout


def test_install_says_what_it_does_before_pip(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    done = make(
        "venv",
        f"VENV={venv}",
        f"PYTHON={sys.executable}",
        "VENVFLAGS=--without-pip",
        "INSTALL=echo pip would run",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == [
        f"installing memosim and its test tools into {venv} (pip; a few minutes on a fresh "
        "machine)",
        "pip would run",
    ]
    assert (venv / ".installed").exists()


def test_make_demo_twice_replaces_its_own_results(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    for _ in range(2):
        done = make("demo", f"DEMO_OUT={out}", timeout=300)
        assert done.returncode == 0, done.stderr
        assert f"wrote {out}/: summary.json, memos.csv, latency.png, delivery.png" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "delivery.png",
        "latency.png",
        "memos.csv",
        "summary.json",
        "timeline.jsonl",
        "timelines",
    ]


def test_notebooks_target_installs_the_extra_and_starts_jupyterlab() -> None:
    done = make("-n", "notebooks")
    assert done.returncode == 0, done.stderr
    assert "pip install -q -e '.[test,dask,notebooks]'" in done.stdout
    assert ".venv/bin/jupyter lab notebooks/" in done.stdout
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'notebooks = [\n    "jupyterlab>=4",' in pyproject


def tshark_setup(tmp_path: Path, uid: int) -> subprocess.CompletedProcess[str]:
    """tools/tshark.sh on a PATH without tshark, as user uid, with an apt-get
    that logs its arguments and 'installs' a tshark on that PATH."""
    bin_dir = tmp_path / "bin"
    cp = shutil.which("cp")
    script(bin_dir, "id", f"#!/bin/sh\necho {uid}\n")
    script(
        bin_dir,
        "apt-get",
        f'#!/bin/sh\necho "$*" >> {tmp_path}/apt.log\n'
        f'[ "$1" = install ] && {cp} {bin_dir}/id {bin_dir}/tshark\nexit 0\n',
    )
    timeout = shutil.which("timeout")
    assert timeout is not None
    if not (bin_dir / "timeout").exists():
        (bin_dir / "timeout").symlink_to(timeout)
    return subprocess.run(
        ["/bin/sh", str(REPO / "tools" / "tshark.sh")],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": str(bin_dir)},
    )


def test_make_test_sets_up_tshark_before_pytest() -> None:
    done = make("-n", "test")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    setup = lines.index("sh tools/tshark.sh")
    assert setup < next(i for i, line in enumerate(lines) if "-m pytest" in line)


def test_make_test_installs_hio_into_the_venv_before_pytest() -> None:
    # impl = "hio" peers import hio from .venv; hio declares Python >= 3.14
    done = make("-n", "test")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    install = next(i for i, line in enumerate(lines) if "--ignore-requires-python" in line)
    assert "hio==0.7.20" in lines[install]
    assert install < next(i for i, line in enumerate(lines) if "-m pytest" in line)


def test_tshark_setup_installs_as_root_and_only_says_what_is_needed_elsewhere(
    tmp_path: Path,
) -> None:
    user = tshark_setup(tmp_path / "user", 1000)
    assert user.returncode == 0 and user.stdout == ""
    assert user.stderr == (
        "tshark is missing: tests/test_sim_pcap.py needs it (as root: apt-get install tshark)\n"
    )
    assert not (tmp_path / "user" / "apt.log").exists()
    root = tshark_setup(tmp_path / "root", 0)
    assert root.returncode == 0 and root.stderr == ""
    assert root.stdout == "installing tshark for the pcap test (apt-get; once)\n"
    assert (tmp_path / "root" / "apt.log").read_text() == (
        "install -y -q --no-install-recommends tshark\n"
    )
    again = tshark_setup(tmp_path / "root", 0)  # there now: nothing to do
    assert again.returncode == 0 and again.stdout == again.stderr == ""
