"""Shared fixtures (helpers live in tests/helpers.py)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import seed_of

from memosim import make_keyage


@pytest.fixture
def signer() -> tuple[str, dict[str, Any]]:
    """(vid, keep) for a 'B' (self-verifying) signer."""
    vid, keyage = make_keyage(seed_of("alice"))
    return vid, {vid: keyage}


@pytest.fixture(scope="session")
def tshark() -> str:
    """tshark's path. `make test` installs it first when missing (tools/tshark.sh)."""
    found = shutil.which("tshark")
    if found is None:
        pytest.fail(
            "tshark is missing: `make test` installs it when run as root "
            "(tools/tshark.sh); elsewhere: apt-get install tshark",
            pytrace=False,
        )
    return found


@pytest.fixture
def doers_importable() -> Iterator[None]:
    """tests/ on sys.path for the test's length, so that scenarios may name
    the deliberately broken Doers of tests/explore_doers.py by import path,
    as a user names their own."""
    tests = str(Path(__file__).parent)
    sys.path.insert(0, tests)
    yield
    sys.path.remove(tests)
