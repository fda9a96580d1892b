"""Link spec validation and the impairment models on their own."""

import math
import statistics

import pytest

from memosim.errors import ScenarioError
from memosim.sim import build_link_impairments
from memosim.sim.impairments import (
    BernoulliLoss,
    CorruptModel,
    DelayModel,
    GilbertElliottLoss,
    LinkConfig,
    RateLimit,
    ReorderModel,
    Schedule,
)
from memosim.sim.rng import Streams

FULL = {
    "loss": {"rate": 0.01, "correlation": 0.25},
    "delay": {"base_s": 0.02, "jitter_s": 0.005, "distribution": "normal", "keep_order": True},
    "reorder": {"rate": 0.1, "gap": 5},
    "duplicate": {"rate": 0.001},
    "corrupt": {"rate": 0.002, "deliver": True},
    "rate": {"bps": 1_000_000, "queue_limit": 10},
    "mtu": 1500,
    "schedule": [
        {"at": 1, "state": "down"},
        {"at": 2.5, "state": "up"},
        {"at": 9, "state": "down"},
    ],
}


def test_full_spec_builds():
    c = build_link_impairments(FULL, "links[0]")
    assert c.loss == BernoulliLoss(0.01, 0.25)
    assert c.delay == DelayModel(0.02, 0.005, "normal", True)
    assert c.reorder == ReorderModel(0.1, 5)
    assert c.duplicate.rate == 0.001
    assert c.corrupt == CorruptModel(0.002, True)
    assert c.rate == RateLimit(1_000_000.0, 10, 28)
    assert c.mtu == 1500
    assert c.schedule == Schedule(((1.0, 2.5), (9.0, math.inf)))
    assert not c.clean


def test_empty_and_none_specs_are_clean():
    assert build_link_impairments({}, "x").clean
    assert build_link_impairments(None).clean
    c = LinkConfig(mtu=1400)
    assert build_link_impairments(c) is c


def test_gilbert_elliott_defaults_follow_netem():
    c = build_link_impairments({"loss": {"model": "gilbert_elliott", "p": 0.1}}, "l")
    assert c.loss == GilbertElliottLoss(p=0.1, r=0.9, bad_loss=1.0, good_loss=0.0)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"loss": {"rate": 1.5}}, "links[0].loss.rate: expected a number in [0, 1], found 1.5"),
        ({"loss": {"rate": True}}, "links[0].loss.rate: expected a number in [0, 1], found true"),
        ({"loss": {}}, "links[0].loss.rate: expected a number in [0, 1], found nothing"),
        (
            {"loss": {"rate": 0.1, "corr": 1}},
            "links[0].loss.corr: expected one of the keys model, rate, correlation, found an unknown key",
        ),
        (
            {"loss": {"model": "markov"}},
            'links[0].loss.model: expected "bernoulli" or "gilbert_elliott", found "markov"',
        ),
        (
            {"loss": {"model": "gilbert_elliott", "p": 0.1, "r": -1}},
            "links[0].loss.r: expected a number in [0, 1], found -1",
        ),
        (
            {"loss": 0.1},
            "links[0].loss: expected a table with keys model, rate, correlation, found 0.1",
        ),
        (
            {"lost": {}},
            'links[0].lost: expected one of the keys loss, delay, reorder, duplicate, corrupt, rate, mtu, schedule, found an unknown key (did you mean "loss"?)',
        ),
        ({"delay": {"base_s": -0.1}}, "links[0].delay.base_s: expected a number >= 0, found -0.1"),
        (
            {"delay": {"base_s": 0.1, "distribution": "cauchy"}},
            'links[0].delay.distribution: expected "uniform" or "normal" or "pareto" or "lognormal", found "cauchy"',
        ),
        (
            {"delay": {"base_s": 0, "jitter_s": 0.1, "distribution": "pareto"}},
            "links[0].delay.base_s: expected a number > 0 (the mean of the pareto delay), found 0",
        ),
        (
            {"delay": {"base_s": 0.1, "keep_order": 1}},
            "links[0].delay.keep_order: expected true or false, found 1",
        ),
        (
            {"reorder": {"rate": 0.5}},
            "links[0].reorder: expected a delay on the same link (as in netem), found {rate = 0.5}",
        ),
        (
            {"delay": {"base_s": 0.1}, "reorder": {"rate": 0.5, "gap": 1.5}},
            "links[0].reorder.gap: expected an integer >= 0, found 1.5",
        ),
        (
            {"duplicate": {"rate": "often"}},
            'links[0].duplicate.rate: expected a number in [0, 1], found "often"',
        ),
        (
            {"corrupt": {"rate": 0.1, "deliver": "yes"}},
            'links[0].corrupt.deliver: expected true or false, found "yes"',
        ),
        ({"rate": {"bps": 0}}, "links[0].rate.bps: expected a number > 0, found 0"),
        (
            {"rate": {"bps": 1e6, "queue_limit": 0}},
            "links[0].rate.queue_limit: expected an integer >= 1, found 0",
        ),
        (
            {"mtu": 1500.0},
            "links[0].mtu: expected an integer >= 29 (IPv4 datagram bytes), found 1500.0",
        ),
        ({"mtu": 20}, "links[0].mtu: expected an integer >= 29 (IPv4 datagram bytes), found 20"),
        (
            {"schedule": {"at": 1}},
            'links[0].schedule: expected an array of tables {at = seconds, state = "down" | "up"}, found {at = 1}',
        ),
        (
            {"schedule": [{"at": 1, "state": "off"}]},
            'links[0].schedule[0].state: expected "down" or "up", found "off"',
        ),
        (
            {"schedule": [{"at": 2, "state": "down"}, {"at": 1, "state": "up"}]},
            "links[0].schedule[1].at: expected a time >= 2.0 (entries in time order), found 1",
        ),
        (
            {"schedule": [{"at": float("nan"), "state": "down"}]},
            "links[0].schedule[0].at: expected a number >= 0, found nan",
        ),
        (
            "lossy",
            'links[0]: expected a table with keys loss, delay, reorder, duplicate, corrupt, rate, mtu, schedule, found "lossy"',
        ),
    ],
)
def test_errors_name_the_key_path(spec, message):
    with pytest.raises(ScenarioError) as info:
        build_link_impairments(spec, "links[0]")
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    assert message.startswith(info.value.path + ": ")


def test_schedule_windows():
    sched = build_link_impairments(
        {
            "schedule": [
                {"at": 0, "state": "up"},
                {"at": 1, "state": "down"},
                {"at": 1.5, "state": "down"},  # already down: no change
                {"at": 2, "state": "up"},
                {"at": 3, "state": "up"},
                {"at": 4, "state": "down"},
                {"at": 4, "state": "up"},  # zero-length window vanishes
            ]
        },
        "s",
    ).schedule
    assert sched.windows == ((1.0, 2.0),)


# ------------------------------------------------------------ model draws


def test_bernoulli_rate():
    lost = BernoulliLoss(0.2).bind(Streams(1).stream("t"))
    n = sum(lost() for _ in range(10_000))
    assert abs(n / 10_000 - 0.2) < 0.015


def test_bernoulli_correlation_clusters_losses():
    def runs(model):
        lost = model.bind(Streams(2).stream("t"))
        seq = [lost() for _ in range(20_000)]
        flips = sum(a != b for a, b in zip(seq, seq[1:]))
        return sum(seq), flips

    # at rate 0.5 the smoothing keeps the mean (it is symmetric around 0.5);
    # at other rates it moves the loss fraction toward 0 or 1, as netem's does
    plain_lost, plain_flips = runs(BernoulliLoss(0.5))
    corr_lost, corr_flips = runs(BernoulliLoss(0.5, correlation=0.8))
    assert abs(corr_lost / 20_000 - 0.5) < 0.03
    # correlated draws change state far less often
    assert corr_flips < 0.6 * plain_flips


def test_gilbert_elliott_rate_and_burst_length():
    lost = GilbertElliottLoss(p=0.05, r=0.25).bind(Streams(3).stream("t"))
    seq = [lost() for _ in range(40_000)]
    bursts = [len(b) for b in "".join("x" if x else "." for x in seq).split(".") if b]
    # stationary loss p / (p + r) = 1/6, mean burst 1 / r = 4
    assert abs(sum(seq) / len(seq) - 1 / 6) < 0.02
    assert 3.5 < statistics.mean(bursts) < 4.5


def test_reorder_gap_with_rate_one_picks_every_nth():
    picked = ReorderModel(1.0, gap=4).bind(Streams(0).stream("t"))
    assert [i for i in range(1, 17) if picked()] == [4, 8, 12, 16]
    every = ReorderModel(1.0, gap=0).bind(Streams(0).stream("t"))
    assert all(every() for _ in range(5))


def test_corrupt_flips_exactly_one_bit():
    flip = CorruptModel(1.0).bind(Streams(4).stream("t"))
    data = bytes(range(64))
    for _ in range(50):
        out = flip(data)
        assert len(out) == len(data)
        assert sum(bin(a ^ b).count("1") for a, b in zip(out, data)) == 1
    assert flip(b"") is None
    assert CorruptModel(0.0).bind(Streams(4).stream("t"))(data) is None


@pytest.mark.parametrize("dist", ["uniform", "normal", "pareto", "lognormal"])
def test_delay_distributions_have_base_mean(dist):
    base, jitter = 0.05, 0.01
    draw = DelayModel(base, jitter, dist).bind(Streams(5).stream(dist))
    xs = [draw() for _ in range(20_000)]
    assert min(xs) >= 0
    assert abs(statistics.mean(xs) - base) < 0.002
    # normal, pareto and lognormal: jitter is the standard deviation;
    # uniform: the half width, so sd = jitter / sqrt(3)
    sd = jitter / math.sqrt(3) if dist == "uniform" else jitter
    tol = 0.35 if dist == "pareto" else 0.05  # heavy tail: sd converges slowly
    assert abs(statistics.pstdev(xs) / sd - 1) < tol
    if dist == "uniform":
        assert base - jitter <= min(xs) and max(xs) <= base + jitter
    if dist in ("pareto", "lognormal"):
        assert min(xs) > 0 and max(xs) > base + 3 * jitter  # right-skewed


def test_constant_delay_binds_to_none():
    assert DelayModel(0.1).bind(Streams(0).stream("t")) is None


def test_extreme_spreads_stay_finite():
    rng = Streams(6).stream("t")
    assert DelayModel(0.0625, 2.2e-309, "pareto").bind(rng) is None  # constant
    for dist in ("pareto", "lognormal", "normal", "uniform"):
        for base, jitter in ((0.0625, 1e-13), (1e-9, 10.0)):
            draw = DelayModel(base, jitter, dist).bind(rng)
            assert all(math.isfinite(draw()) and draw() >= 0 for _ in range(100))
