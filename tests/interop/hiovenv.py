"""Create or find the virtual environment that holds the reference hio 0.7.20.

hio is never imported into memosim's own environment: it declares
Requires-Python >= 3.14 (it runs fine on 3.11) and pins a different crypto
stack (pysodium over the system libsodium). The interop tests and the
benchmark therefore run hio in a separate interpreter, created here at
``<repo>/.venv-hio`` (gitignored), and talk to it over UDP loopback or pipes.

``ensure_hio_venv()`` is idempotent and safe to call from several processes at
once (pytest-xdist workers, a benchmark next to a test run): the work is done
under an exclusive ``fcntl`` lock and finished by writing a stamp file that
records what was installed. A venv whose stamp is missing or different (an
interrupted install, a changed pin list, another base interpreter) is
completed or reinstalled in place.

Environment variables:

- ``MEMOSIM_HIO_PYTHON``: use this interpreter (which must already have
  hio 0.7.20) instead of creating anything;
- ``MEMOSIM_HIO_VENV``: create/find the venv at this path instead;
- ``MEMOSIM_HIO_BASE_PYTHON``: the interpreter that runs ``-m venv``
  (default: the one running this code).

Command line: ``python tests/interop/hiovenv.py [--reset]`` prints the path of
the venv's python, creating the venv first when needed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HIO_VERSION = "0.7.20"

# hio's dependencies, pinned to the versions that were checked to work with
# hio 0.7.20 on CPython 3.11, so that a clean clone gets the same stack.
PINS = (
    f"hio=={HIO_VERSION}",
    "pysodium==0.7.19",
    "lmdb==3.0.0",
    "msgpack==1.2.4",
    "cbor2==6.3.0",
    "multidict==7.2.1",
    "falcon==4.4.0",
    "ordered-set==4.1.0",
    "sortedcontainers==2.4.0",
    "blake3==1.0.11",
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO / ".venv-hio"
STAMP_NAME = ".memosim-hio-stamp.json"
LOCK_NAME = ".memosim-hio.lock"

VENV_TIMEOUT = 180.0  # seconds for `python -m venv`
PIP_TIMEOUT = 900.0  # seconds for the whole pip install
CHECK_TIMEOUT = 60.0  # seconds for the import check

# What the import check runs inside the new venv: hio, its UDP PeerMemoer and
# pysodium's binding to the system libsodium (pysodium loads it with ctypes,
# so a missing libsodium shows only at import time).
_CHECK = (
    "import json, sys, pysodium, hio\n"
    "from hio.core.udp.peermemoing import PeerMemoer\n"
    "print(json.dumps({'hio': hio.__version__, 'python': sys.version.split()[0]}))\n"
)


class HioVenvError(RuntimeError):
    """The hio venv could not be created or does not work."""


def venv_dir() -> Path:
    """Where the hio venv lives (``MEMOSIM_HIO_VENV`` or ``<repo>/.venv-hio``)."""
    env = os.environ.get("MEMOSIM_HIO_VENV")
    return Path(env).resolve() if env else DEFAULT_VENV


def _venv_python(vdir: Path) -> Path:
    if os.name == "nt":  # pragma: no cover - the project runs on POSIX
        return vdir / "Scripts" / "python.exe"
    return vdir / "bin" / "python"


def _wanted_stamp() -> dict:
    return {"hio": HIO_VERSION, "pins": list(PINS)}


def _read_stamp(vdir: Path) -> dict | None:
    """The stamp's identifying part (what was installed), or None."""
    try:
        stamp = json.loads((vdir / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict):
        return None
    return {k: stamp.get(k) for k in ("hio", "pins")}


def _run(cmd: list[str], timeout: float, what: str) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as ex:
        raise HioVenvError(f"{what} timed out after {timeout:.0f} s: {' '.join(cmd)}") from ex
    except OSError as ex:
        raise HioVenvError(f"{what} could not run: {' '.join(cmd)}: {ex}") from ex
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + "\n" + proc.stderr).strip().splitlines()[-40:])
        raise HioVenvError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc


def check_hio_python(python: Path | str) -> dict:
    """Import hio (and pysodium) with ``python``; return its versions.

    Raises HioVenvError when the import fails or the version is not 0.7.20.
    """
    proc = _run([str(python), "-c", _CHECK], CHECK_TIMEOUT, "hio import check")
    try:
        info = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as ex:
        raise HioVenvError(f"hio import check printed {proc.stdout!r}") from ex
    if info.get("hio") != HIO_VERSION:
        raise HioVenvError(f"{python} has hio {info.get('hio')}, want {HIO_VERSION}")
    return info


def ensure_hio_venv(*, quiet: bool = True) -> Path:
    """Return the python executable of a venv holding hio 0.7.20.

    Creates ``<repo>/.venv-hio`` when it is missing or incomplete. Safe to call
    concurrently from several processes. Raises HioVenvError on failure (for
    example when PyPI cannot be reached or libsodium is missing).
    """
    override = os.environ.get("MEMOSIM_HIO_PYTHON")
    if override:
        py = Path(override)
        if not py.exists():
            raise HioVenvError(f"MEMOSIM_HIO_PYTHON={override} does not exist")
        return py

    vdir = venv_dir()
    py = _venv_python(vdir)
    base_python = os.environ.get("MEMOSIM_HIO_BASE_PYTHON", sys.executable)
    wanted = _wanted_stamp()

    # Fast path without the lock: a finished venv never changes afterwards.
    if py.exists() and _read_stamp(vdir) == wanted:
        return py

    vdir.mkdir(parents=True, exist_ok=True)
    with open(vdir / LOCK_NAME, "a+") as lockf:
        fcntl.flock(lockf.fileno(), fcntl.LOCK_EX)  # waits for a concurrent creator
        try:
            if py.exists() and _read_stamp(vdir) == wanted:
                return py  # another process finished it while we waited

            (vdir / STAMP_NAME).unlink(missing_ok=True)
            t0 = time.monotonic()
            if not quiet:
                print(f"creating hio {HIO_VERSION} venv at {vdir} ...", file=sys.stderr)
            # No --clear: it would delete the lock file we hold. venv over a
            # partial venv and pip install over a partial install both finish
            # the job in place.
            _run([base_python, "-m", "venv", str(vdir)], VENV_TIMEOUT, "python -m venv")
            _run(
                [
                    str(py),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    "-q",
                    # hio 0.7.20 declares Requires-Python >= 3.14 but runs on 3.11
                    "--ignore-requires-python",
                    *PINS,
                ],
                PIP_TIMEOUT,
                "pip install hio",
            )
            info = check_hio_python(py)
            stamp = dict(wanted, python=info.get("python"), created_with=base_python)
            tmp = vdir / (STAMP_NAME + ".tmp")
            tmp.write_text(json.dumps(stamp, indent=1) + "\n")
            os.replace(tmp, vdir / STAMP_NAME)
            if not quiet:
                print(
                    f"hio venv ready in {time.monotonic() - t0:.1f} s: {py}",
                    file=sys.stderr,
                )
            return py
        finally:
            fcntl.flock(lockf.fileno(), fcntl.LOCK_UN)


def reset_hio_venv() -> None:
    """Delete the hio venv (under the lock, so no concurrent creator is cut off)."""
    vdir = venv_dir()
    if not vdir.exists():
        return
    with open(vdir / LOCK_NAME, "a+") as lockf:
        fcntl.flock(lockf.fileno(), fcntl.LOCK_EX)
        shutil.rmtree(vdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reset", action="store_true", help="delete the venv first")
    ap.add_argument("--check", action="store_true", help="also run the import check")
    args = ap.parse_args(argv)
    if args.reset:
        reset_hio_venv()
    try:
        py = ensure_hio_venv(quiet=False)
        if args.check:
            print(json.dumps(check_hio_python(py)), file=sys.stderr)
    except HioVenvError as ex:
        print(f"error: {ex}", file=sys.stderr)
        return 1
    print(py)
    return 0


if __name__ == "__main__":
    sys.exit(main())
