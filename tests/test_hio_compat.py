"""memosim.compat.hio: hio's import paths served by memosim's modules."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import memosim
from memosim import doing, memoing, peermemoing, tyming
from memosim.compat import helping
from memosim.compat import hio as compat
from memosim.transports import udp


def _is_hio(name: str) -> bool:
    return name == "hio" or name.startswith("hio.")


@pytest.fixture
def layer():
    # The real hio may be imported in this process already, by an impl = "hio"
    # run of an earlier test (memosim.testbed.hio_peers keeps its own reference
    # to it). Set it aside while the layer serves hio's paths, then put it back.
    real = {n: m for n, m in sys.modules.items() if _is_hio(n)}
    for name in real:
        del sys.modules[name]
    compat.install()
    try:
        yield
    finally:
        compat.uninstall()
        assert not any(_is_hio(n) for n in sys.modules)
        sys.modules.update(real)


def test_hio_paths_give_memosims_modules_and_names(layer):
    from hio.base import doing as hdoing
    from hio.base import tyming as htyming
    from hio.core.memo import AuthMemoer, Keyage, Memoer, MemoerDoer, ZeroDex
    from hio.core.memo import memoing as hmemo
    from hio.core.udp import peermemoing as hpeer
    from hio.core.udp import udping
    from hio.help import helping as hhelp
    from hio.hioing import MemoerError, MemoerVerifyError

    assert (hmemo, hpeer, udping, hdoing, htyming, hhelp) == (
        memoing,
        peermemoing,
        udp,
        doing,
        tyming,
        helping,
    )
    assert (Memoer, AuthMemoer, MemoerDoer) == (
        memosim.Memoer,
        memosim.AuthMemoer,
        memosim.MemoerDoer,
    )
    assert Keyage is memosim.Keyage and ZeroDex is memoing.ZeroDex
    assert (MemoerError, MemoerVerifyError) == (memosim.MemoerError, memosim.MemoerVerifyError)
    import hio

    assert hio.MemoerError is memosim.MemoerError and compat.installed()
    assert importlib.import_module("hio.core.udp").Peer is udp.Peer
    assert importlib.import_module("hio.base").Doist is memosim.Doist


@pytest.mark.parametrize(
    "name", ["hio.core.tcp", "hio.help.timing", "hio.base.filing", "hio.core.memo.other"]
)
def test_hio_modules_outside_the_layer_do_not_import(layer, name):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)


def test_install_is_idempotent_and_refuses_a_real_hio_already_imported(layer):
    compat.install()
    assert compat.installed()
    compat.uninstall()
    sys.modules["hio"] = types.ModuleType("hio")  # stands for a real hio imported first
    try:
        with pytest.raises(RuntimeError, match="already imported"):
            compat.install()
        assert not compat.installed()
    finally:
        del sys.modules["hio"]
    compat.install()  # the fixture's uninstall expects it on


def test_python_dash_m_runs_a_script_with_the_layer_on(tmp_path):
    script = tmp_path / "uses_hio.py"
    script.write_text(
        "import sys\n"
        "from hio.core.memo import memoing\n"
        "from hio.core.udp.peermemoing import openPM\n"
        "print(memoing.__name__, openPM.__module__, sys.argv[1:])\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "memosim.compat.hio", str(script), "x", "y"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["memosim.memoing", "memosim.peermemoing", "['x',", "'y']"]
    # Without the layer the same script gets the real hio (installed in .venv for
    # impl = "hio" peers by `make test`), never memosim's modules.
    bare = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.split() == ["hio.core.memo.memoing", "hio.core.udp.peermemoing", "[]"]


def test_python_dash_m_without_a_target_prints_usage():
    run = subprocess.run(
        [sys.executable, "-m", "memosim.compat.hio", "-m"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and run.stderr.startswith("usage:")


@pytest.mark.parametrize(
    "text, data",
    [
        ("bAAA", b"l\x00\x00"),
        ("bAAC", b"l\x00\x02"),
        ("A", b"\x00"),
        ("AB", b"\x00\x10"),
        ("0B", b"\xd0\x10"),
        ("abc", b"i\xb7\x00"),
        ("-_", b"\xfb\xf0"),
    ],
)
def test_code_conversions_match_hio_helping(text, data):
    # values printed by hio 0.7.20's hio.help.helping for the same inputs
    assert helping.codeB64ToB2(text) == data
    assert helping.codeB2ToB64(data, len(text)) == text


def test_code_b2_to_b64_reads_only_the_front_and_needs_enough_bytes():
    header = memoing.Memoer(curt=True, midder=lambda: bytes(16)).rend("Hello")[0]
    assert helping.codeB2ToB64(header, 4) == "bAAA"
    with pytest.raises(ValueError):
        helping.codeB2ToB64(b"l\x00", 4)
