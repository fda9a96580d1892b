"""core/codes.py: the header part sizes and overheads the codec derives offsets from."""

from __future__ import annotations

from memosim.core.codes import Pairs, Sizes, ZeroDex, overhead


def test_sizes_table_matches_spec() -> None:
    assert sum(Sizes["bAAC"]) == 4 + 4 + 24 + 44 + 88
    assert sum(Sizes["bAAD"]) == 4 + 4 + 24 + 88
    assert overhead("bAAC", True) == 123


def test_every_zeroth_code_pairs_with_a_later_code_of_its_family() -> None:
    assert set(Pairs) == set(ZeroDex)
    for zeroth, later in Pairs.items():
        assert Sizes[later].az == Sizes[zeroth].az  # signed stays signed
        assert Sizes[later].vz == 0  # only the zeroth gram names the signer
