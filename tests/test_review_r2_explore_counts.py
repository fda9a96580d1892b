"""Review r2: the [explore] table's counts are bounded like the file's own limits.

`partitions.count = [0, 100000000]` drew a run with up to 1e8 partitions and
`memosim explore` never finished (killed after two minutes); `link_down.count
= [1000000, 1000000]` spent 69 s on one run. A scenario file is input from
anyone, and the docs promise a typo is refused in one line instead of
exhausting memory or CPU.
"""

from __future__ import annotations

import pytest

from memosim.errors import ScenarioError
from memosim.testbed.explore_spec import parse_explore
from memosim.testbed.limits import LIMITS, MAX_EXPLORE_COUNT


@pytest.mark.parametrize("key", ["partitions", "link_down"])
def test_a_count_range_past_the_limit_is_refused_at_its_key(key: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_explore({key: {"count": [0, MAX_EXPLORE_COUNT + 1]}})
    assert info.value.path == f"explore.{key}.count"
    assert f"high <= {MAX_EXPLORE_COUNT}" in str(info.value)


@pytest.mark.parametrize("key", ["partitions", "link_down"])
def test_a_count_range_at_the_limit_is_accepted(key: str) -> None:
    ranges = parse_explore({key: {"count": [1, MAX_EXPLORE_COUNT]}})
    assert ranges[key]["count"] == (1, MAX_EXPLORE_COUNT)


def test_the_limit_is_listed_with_the_others() -> None:
    assert LIMITS["explore count maximum"] == MAX_EXPLORE_COUNT
