"""The reports' duration histograms: log-spaced buckets whose value is within ALPHA of every duration
in them, merged by adding bucket counts, read as the median and p90 of the exact samples within the
bound docs/metrics.md states."""
from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from helpdesk.reports import ALPHA, ZERO, bucket_of, bucket_value, quantile

BOUND = ALPHA + 1e-9  # (floating point at a bucket's very edge)


def histogram(samples: list[float]) -> Counter[str]:
    return Counter(bucket_of(s) for s in samples)


def exact(samples: list[float], q: float) -> float:
    """The sample at rank floor(q * (n - 1)) of the sorted samples: what `quantile` estimates."""
    return sorted(samples)[math.floor(q * (len(samples) - 1))]


def test_the_stated_bound_is_under_five_percent() -> None:
    assert ALPHA < 0.048


@pytest.mark.parametrize("seconds", [1, 1.05, 1.1, 2, 59.9, 60, 61, 3600, 86_399, 86_400, 30 * 86_400, 4e8])
def test_a_bucket_stands_for_its_durations_within_the_bound(seconds: float) -> None:
    assert abs(bucket_value(bucket_of(seconds)) - seconds) <= BOUND * seconds


def test_every_duration_in_a_wide_range_is_within_the_bound() -> None:
    rng = random.Random(1)
    for _ in range(20_000):
        seconds = math.exp(rng.uniform(0, math.log(1e8)))
        assert abs(bucket_value(bucket_of(seconds)) - seconds) <= BOUND * seconds, seconds


def test_under_a_second_is_the_zero_bucket_and_reads_as_zero() -> None:
    assert bucket_of(0) == bucket_of(0.999) == ZERO
    assert bucket_value(ZERO) == 0.0
    assert quantile({ZERO: 3}, 0.5) == 0.0


def test_no_samples_no_quantile() -> None:
    assert quantile({}, 0.5) is None
    assert quantile({"12": 0}, 0.9) is None


@pytest.mark.parametrize("seed", range(8))
def test_median_and_p90_are_within_the_bound_of_the_exact_ones(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 2, 3, 10, 101, 1000, 5000])
    # Response times spread over orders of magnitude, some of them under a second.
    samples = [rng.lognormvariate(math.log(3600), 2.0) for _ in range(n)]
    buckets = histogram(samples)
    for q in (0.5, 0.9):
        estimate, truth = quantile(buckets, q), exact(samples, q)
        assert estimate is not None
        if truth < 1:
            assert estimate == 0.0
        else:
            assert abs(estimate - truth) <= BOUND * truth, (q, estimate, truth)


def test_histograms_merge_by_adding_their_buckets() -> None:
    """Days and agents merge as the report merges them: the sum of the parts' buckets reads exactly as
    one histogram of all the samples."""
    rng = random.Random(3)
    parts = [[rng.expovariate(1 / 900) for _ in range(rng.randrange(1, 300))] for _ in range(30)]
    merged: Counter[str] = Counter()
    for part in parts:
        merged.update(histogram(part))
    every = [s for part in parts for s in part]
    assert merged == histogram(every)
    for q in (0.5, 0.9):
        estimate = quantile(merged, q)
        truth = exact(every, q)
        assert estimate is not None and abs(estimate - truth) <= BOUND * truth


def test_the_quantile_is_of_the_ranked_sample_not_of_the_bucket_order_of_strings() -> None:
    # Bucket "9" sorts after "10" as text; the quantile ranks them as numbers.
    buckets = {"9": 1, "10": 1, "100": 1}
    assert quantile(buckets, 0.0) == bucket_value("9")
    assert quantile(buckets, 0.5) == bucket_value("10")
    assert quantile(buckets, 1.0) == bucket_value("100")
