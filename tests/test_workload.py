"""testbed/workload.py: self-identifying memos and their keys."""

from __future__ import annotations

import random

import pytest

from memosim.testbed.workload import MemoKey, make_memo, parse_key

KEY = MemoKey(2, "alice", "bob", 17)
TAG = "#2:alice>bob:17|"


@pytest.mark.parametrize("size", [0, len(TAG), len(TAG) + 1, 64, 100, 12_000])
def test_memo_is_its_tag_then_filler_of_exactly_the_size_asked(size: int) -> None:
    memo = make_memo(KEY, size, random.Random(1))
    assert memo.startswith(TAG) and memo.isascii()
    assert len(memo.encode()) == max(size, len(TAG))


@pytest.mark.parametrize("size", [1, 6, len(TAG) - 1])
def test_a_memo_too_short_for_its_tag_is_seeded_filler_of_that_size(size: int) -> None:
    memo = make_memo(KEY, size, random.Random(1))
    assert len(memo.encode()) == size and memo.isascii() and parse_key(memo) is None
    assert memo == make_memo(KEY, size, random.Random(1))
    assert memo != make_memo(KEY, size, random.Random(2)) or size == 1


def test_same_seed_same_memo_another_seed_another_filler() -> None:
    one = make_memo(KEY, 500, random.Random(7))
    assert one == make_memo(KEY, 500, random.Random(7))
    assert one != make_memo(KEY, 500, random.Random(8))
    # a long memo repeats one seeded 64-byte block: cheap, and still not constant
    body = one[len(TAG) :]
    assert body[:64] == body[64:128] and len(set(body[:64])) > 10


@pytest.mark.parametrize("key", [KEY, MemoKey(0, "a", "b", 0), MemoKey(12, "peer-1", "x.y", 9999)])
def test_parse_key_reads_back_the_key_from_text_or_bytes(key: MemoKey) -> None:
    memo = make_memo(key, 300, random.Random(3))
    assert parse_key(memo) == key
    assert parse_key(memo.encode()) == key


@pytest.mark.parametrize(
    "memo",
    [
        "",
        "no tag",
        "#x:alice>bob:1|",
        "#1:alice>bob:1",
        "#1:alice-bob:1|",
        b"\xff\xfe#1:a>b:1|",
        "." * 96 + "#1:a>b:1|",
    ],
)
def test_parse_key_is_none_for_an_unreadable_tag(memo: str | bytes) -> None:
    assert parse_key(memo) is None


@pytest.mark.parametrize("size", [len(TAG) + 5, 500])
def test_filler_is_one_letter_per_draw_and_takes_no_more_draws(size: int) -> None:
    rng, ref = random.Random(3), random.Random(3)
    body = make_memo(KEY, size, rng)[len(TAG) :]
    n = min(len(body), 64)
    fill = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-"
    assert body[:n] == "".join(fill[int(ref.random() * len(fill))] for _ in range(n))
    assert rng.random() == ref.random()  # the stream moved on by exactly n draws


@pytest.mark.parametrize("size", [0, 5, 18, 19, 40, 82, 83, 84, 200, 12288])
def test_a_planned_memo_unfolds_to_the_very_memo_and_keeps_small(size: int) -> None:
    from memosim.testbed.workload import Folded, plan_memo, unfold

    key = MemoKey(2, "alice", "bob", 17)  # tag "#2:alice>bob:17|", 16 characters
    planned = plan_memo(key, size, random.Random(size))
    assert unfold(planned) == make_memo(key, size, random.Random(size))
    if size > 16 + 64:  # the filler repeats: kept as tag, block and size
        assert isinstance(planned, Folded) and len(planned.block) == 64
    else:
        assert isinstance(planned, str)
