"""Review r4: when a link's down window and a partition overlap, the drop
reason does not depend on whether the link was declared or made from the
default spec on first use (docs/network.md step 1 names `down` first)."""

from __future__ import annotations

import simpy

from memosim.sim import Network

DOWN = {"schedule": [{"at": 1.0, "state": "down"}, {"at": 3.0, "state": "up"}]}


def test_overlapping_down_and_partition_give_one_reason_on_every_link() -> None:
    env = simpy.Environment()
    net = Network(env, 1, default=DOWN)
    net.add_link("a", "b", DOWN)  # declared before the partition
    net.partition(["a"], 0.0, 5.0)
    net.endpoint(("b", 1))
    net.endpoint(("c", 1))

    def tx() -> object:
        yield env.timeout(2.0)  # inside both windows
        net.send(("a", 1), ("b", 1), b"x")
        net.send(("a", 1), ("c", 1), b"x")  # a->c: made from the default now

    env.process(tx())
    env.run()
    links = net.counters()["links"]
    assert links["a->b"]["dropped"] == links["a->c"]["dropped"] == {"down": 1}
