"""RFC 6298 estimator, with literal tymes and exact expected values."""

from __future__ import annotations

import pytest

from memosim.core import rto
from memosim.core.rto import RttEstimator


def test_constants_are_the_rfc_ones() -> None:
    assert (rto.K_ALPHA, rto.K_BETA, rto.K) == (1 / 8, 1 / 4, 4)
    assert rto.K_INITIAL_RTO == 1.0
    assert rto.K_MAX_RTO >= 60.0
    assert 0.0 < rto.K_MIN_RTO < rto.K_INITIAL_RTO
    assert rto.K_GRANULARITY == 0.001


def test_initial_rto_before_any_sample() -> None:
    est = RttEstimator()
    assert est.srtt is None and est.rttvar is None
    assert est.rto == 1.0


def test_first_sample_sets_srtt_and_half_rttvar() -> None:
    est = RttEstimator()
    est.sample(0.5)
    assert est.srtt == 0.5
    assert est.rttvar == 0.25
    assert est.rto == 0.5 + 4 * 0.25  # 1.5


def test_later_samples_update_rttvar_before_srtt() -> None:
    est = RttEstimator()
    est.sample(1.0)  # srtt 1.0, rttvar 0.5
    est.sample(3.0)
    # rttvar uses the old srtt: 3/4 * 0.5 + 1/4 * |1.0 - 3.0| = 0.875
    assert est.rttvar == pytest.approx(0.875)
    assert est.srtt == pytest.approx(7 / 8 * 1.0 + 1 / 8 * 3.0)  # 1.25
    assert est.rto == pytest.approx(1.25 + 4 * 0.875)  # 4.75
    assert est.samples == 2


def test_granularity_floor_when_rttvar_vanishes() -> None:
    est = RttEstimator(min_rto=0.01)
    for _ in range(200):
        est.sample(0.1)
    assert est.rttvar < 0.001 / 4
    assert est.rto == pytest.approx(est.srtt + 0.001)


def test_min_and_max_clamp() -> None:
    est = RttEstimator()
    est.sample(0.01)  # 0.01 + 4 * 0.005 = 0.03, below the 0.2 floor
    assert est.rto == 0.2
    est.sample(100.0)
    assert est.rto == 60.0
    assert RttEstimator(initial_rto=500.0).rto == 60.0


def test_backoff_doubles_per_timeout_and_caps() -> None:
    est = RttEstimator()
    est.sample(0.1)  # rto 0.3
    assert est.rto == pytest.approx(0.3)
    assert [est.backed_off(n) for n in range(4)] == pytest.approx([0.3, 0.6, 1.2, 2.4])
    assert est.backed_off(8) == pytest.approx(60.0)  # 0.3 * 256 = 76.8, capped
    assert est.backed_off(1000) == 60.0
    assert est.rto == pytest.approx(0.3)  # backing off leaves the estimate alone


def test_karn_rule_skips_retransmitted_grams() -> None:
    est = RttEstimator()
    assert est.acked(sent=1.0, now=1.5, retransmitted=True) is False
    assert est.srtt is None and est.rto == 1.0
    assert est.acked(sent=2.0, now=2.25, retransmitted=False) is True
    assert est.srtt == 0.25


def test_negative_sample_is_ignored() -> None:
    est = RttEstimator()
    est.sample(-1.0)
    assert est.srtt is None and est.samples == 0


def test_bad_bounds_rejected() -> None:
    with pytest.raises(ValueError):
        RttEstimator(min_rto=0.0)
    with pytest.raises(ValueError):
        RttEstimator(min_rto=2.0, max_rto=1.0)
