"""Named random streams: deterministic, independent, machine-independent."""

import pytest

from memosim.sim.rng import Streams, derive_seed


def test_same_seed_and_name_same_sequence():
    a = Streams(42).stream("link:a->b:loss")
    b = Streams(42).stream("link:a->b:loss")
    assert [a.random() for _ in range(100)] == [b.random() for _ in range(100)]


def test_names_and_seeds_separate_streams():
    draws = {
        (seed, name): Streams(seed).stream(name).random()
        for seed in (0, 1, -1, 2**70)
        for name in ("a", "b", "link:a->b:loss", "")
    }
    assert len(set(draws.values())) == len(draws)


def test_adding_a_stream_never_shifts_another():
    s = Streams(7)
    alone = s.stream("x")
    first = [alone.random() for _ in range(10)]
    s2 = Streams(7)
    other = s2.stream("y")
    other.random()
    again = s2.stream("x")
    assert [again.random() for _ in range(10)] == first


def test_pinned_values_are_stable_across_machines():
    # SHA-256 derivation and MT19937 are fixed algorithms: these literals
    # must hold on every machine and Python >= 3.11.
    assert derive_seed(1, "x") == 0x18907DCBC6AE326ABBDC028C6904F3BF5849E776FC1A65C4B12463A2FC611150
    rng = Streams(1).stream("x")
    assert [rng.random(), rng.random()] == [0.6142168896448298, 0.9096346354931722]


def test_randbytes():
    f = Streams(3).randbytes("peer:alice:mids")
    g = Streams(3).randbytes("peer:alice:mids")
    a, b = f(16), f(16)
    assert len(a) == 16 and a != b
    assert g(16) == a
    assert f(0) == b""


@pytest.mark.parametrize("bad", [1.5, "1", True, None])
def test_seed_must_be_int(bad):
    with pytest.raises(TypeError):
        Streams(bad)
