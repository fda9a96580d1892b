"""Shared fixtures (helpers live in tests/helpers.py)."""

from __future__ import annotations

import shutil
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
