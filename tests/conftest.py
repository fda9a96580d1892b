"""Shared fixtures (helpers live in tests/helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import seed_of

from memosim import make_keyage


@pytest.fixture
def signer() -> tuple[str, dict[str, Any]]:
    """(vid, keep) for a 'B' (self-verifying) signer."""
    vid, keyage = make_keyage(seed_of("alice"))
    return vid, {vid: keyage}
