"""95 % confidence intervals for the indicators, with the standard library only.

Every sum goes through `math.fsum`, which rounds once, so a statistic does not depend on the order
of its inputs; variances are the fsum of squared deviations from the fsum mean. Functions return
`(estimate, low, high)`, with None where the sample is too small for the estimate or the interval.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from statistics import NormalDist

Interval = tuple[float | None, float | None, float | None]

_NONE: Interval = (None, None, None)
_UPPER = 0.975  # two-sided 95 %
_Z = NormalDist().inv_cdf(_UPPER)
_EXACT_MEDIAN_UP_TO = 1000  # exact binomial ranks up to this size, the normal approximation above
_CORNISH_FISHER_FROM = 1000.0  # degrees of freedom from which the expansion is exact to ~1e-12


# --- Student's t ---------------------------------------------------------------------------------


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` > 0 degrees of freedom (regularized incomplete beta)."""
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, not {df}")
    upper = _upper_tail(abs(t), df)
    return 1.0 - upper if t >= 0 else upper


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, for 0 < p < 1 and `df` > 0 (need not be an integer: Welch's df is not)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), not {p}")
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, not {df}")
    if p == 0.5:
        return 0.0
    # Work with the smaller tail: 1 - p loses digits when p is near 1, the tail itself does not.
    tail = 1.0 - p if p > 0.5 else p
    t = _upper_quantile(float(tail), float(df))
    return t if p > 0.5 else -t


@lru_cache(maxsize=4096)  # mean intervals ask again and again for the same integer df
def _upper_quantile(tail: float, df: float) -> float:
    if df == 1:  # Cauchy
        return 1.0 / math.tan(math.pi * tail)
    if df == 2:
        return (1.0 - 2.0 * tail) / math.sqrt(2.0 * tail * (1.0 - tail))
    guess = _cornish_fisher(NormalDist().inv_cdf(1.0 - tail), df)
    if df >= _CORNISH_FISHER_FROM:
        return guess
    return _solve_upper_tail(tail, df, guess)


def _cornish_fisher(z: float, df: float) -> float:
    """Abramowitz and Stegun 26.7.5: the t quantile as a series in 1/df around the normal one."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


def _solve_upper_tail(tail: float, df: float, guess: float) -> float:
    """Newton's method on the exact tail, kept inside a bracket by bisection (the tail falls as t grows)."""
    low, high = 0.0, max(guess, 1.0)
    while _upper_tail(high, df) > tail:
        low, high = high, 2.0 * high
    t = guess if low < guess < high else (low + high) / 2
    for _ in range(200):
        excess = _upper_tail(t, df) - tail
        if excess > 0:
            low = t
        else:
            high = t
        step = excess / _t_density(t, df)
        following = t + step if low < t + step < high else (low + high) / 2
        if abs(following - t) <= 1e-13 * max(1.0, t):
            return following
        t = following
    return t


def _upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    return 0.5 * _regularized_beta(df / 2, 0.5, df / (df + t * t))


def _t_density(t: float, df: float) -> float:
    log_density = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi) - (df + 1) / 2 * math.log1p(t * t / df)
    return math.exp(log_density)


def _regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) by its continued fraction, on the side of the symmetry where it converges fast."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta, by the modified Lentz method (Numerical Recipes 6.4)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 100_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return fraction


# --- means and medians ---------------------------------------------------------------------------


def mean_ci(values: Sequence[float]) -> Interval:
    """The mean and its t-based 95 % interval; no interval below two values."""
    n = len(values)
    if n == 0:
        return _NONE
    mean = math.fsum(values) / n
    if n < 2:
        return mean, None, None
    half = t_quantile(_UPPER, n - 1) * math.sqrt(_sum_of_squares(values, mean) / (n - 1) / n)
    return mean, mean - half, mean + half


def median_ci(sorted_values: Sequence[float]) -> Interval:
    """The median and a distribution-free interval [x_(k), x_(n-k+1)] of coverage at least 95 % (see `median_ranks`)."""
    n = len(sorted_values)
    if n == 0:
        return _NONE
    middle = n // 2
    median = float(sorted_values[middle]) if n % 2 else (sorted_values[middle - 1] + sorted_values[middle]) / 2
    ranks = median_ranks(n)
    if ranks is None:
        return median, None, None
    return median, float(sorted_values[ranks[0] - 1]), float(sorted_values[ranks[1] - 1])


@lru_cache(maxsize=4096)
def median_ranks(n: int) -> tuple[int, int] | None:
    """The 1-based ranks (k, n - k + 1) bounding the median's 95 % interval among n sorted values.

    k is the largest rank with P(B <= k - 1) <= 2.5 % for B ~ Binomial(n, 1/2), so the interval covers the
    median with probability 1 - 2 P(B <= k - 1) >= 95 %; exact up to n = 1000, the normal approximation with a
    continuity correction above. None below n = 6, where even [min, max] covers less than 95 %.
    """
    if n < 1:
        raise ValueError("n must be positive")
    k = _exact_median_rank(n) if n <= _EXACT_MEDIAN_UP_TO else math.floor(n / 2 + 0.5 - _Z * math.sqrt(n) / 2)
    return None if k < 1 else (k, n - k + 1)


def _exact_median_rank(n: int) -> int:
    # Integers throughout, so the 2.5 % boundary is decided without rounding: 40 * P(B <= i) * 2^n <= 2^n.
    total = 1 << n
    term, cumulative, k = 1, 0, 0  # term = C(n, k)
    while 40 * (cumulative + term) <= total:
        cumulative += term
        k += 1
        term = term * (n - k + 1) // k
    return k


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (0 < q <= 100): the value of rank ceil(q n / 100)."""
    if not 0 < q <= 100:
        raise ValueError(f"q must be in (0, 100], not {q}")
    n = len(sorted_values)
    if n == 0:
        return None
    rank = math.ceil(Fraction(q) * n / 100)  # exact, so 90 % of 10 values is rank 9, not 10
    return float(sorted_values[max(rank, 1) - 1])


# --- proportions ---------------------------------------------------------------------------------


def wilson(successes: int, n: int) -> Interval:
    """The proportion and its Wilson score 95 % interval."""
    if n == 0:
        return _NONE
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n}")
    p = successes / n
    z2 = _Z * _Z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = _Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0 or n successes a bound is exactly 0 or 1; the arithmetic would leave ~1e-17 of rounding there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return p, low, high


# --- differences: after (b) minus before (a) ------------------------------------------------------


def welch_difference(a_values: Sequence[float], b_values: Sequence[float]) -> Interval:
    """mean(b) - mean(a) and its Welch 95 % interval (Welch–Satterthwaite df).

    No interval when either sample has fewer than two values or both have no spread (the df is undefined).
    """
    n_a, n_b = len(a_values), len(b_values)
    if n_a == 0 or n_b == 0:
        return _NONE
    mean_a, mean_b = math.fsum(a_values) / n_a, math.fsum(b_values) / n_b
    difference = mean_b - mean_a
    if n_a < 2 or n_b < 2:
        return difference, None, None
    se2_a = _sum_of_squares(a_values, mean_a) / (n_a - 1) / n_a  # squared standard errors of the two means
    se2_b = _sum_of_squares(b_values, mean_b) / (n_b - 1) / n_b
    se2 = se2_a + se2_b
    if se2 == 0:
        return difference, None, None
    share_a, share_b = se2_a / se2, se2_b / se2  # in shares of se², so tiny variances do not underflow when squared
    df = 1.0 / (share_a * share_a / (n_a - 1) + share_b * share_b / (n_b - 1))
    half = t_quantile(_UPPER, df) * math.sqrt(se2)
    return difference, difference - half, difference + half


def newcombe_difference(s_a: int, n_a: int, s_b: int, n_b: int) -> Interval:
    """p_b - p_a and Newcombe's hybrid score 95 % interval (his method 10, from the two Wilson intervals)."""
    p_a, low_a, high_a = wilson(s_a, n_a)
    p_b, low_b, high_b = wilson(s_b, n_b)
    if p_a is None or p_b is None:
        return _NONE
    assert low_a is not None and high_a is not None and low_b is not None and high_b is not None
    difference = p_b - p_a
    low = difference - math.sqrt((p_b - low_b) ** 2 + (high_a - p_a) ** 2)
    high = difference + math.sqrt((high_b - p_b) ** 2 + (p_a - low_a) ** 2)
    return difference, low, high


def _sum_of_squares(values: Sequence[float], mean: float) -> float:
    deviations = [x - mean for x in values]
    return math.fsum(map(operator.mul, deviations, deviations))  # map in C: a million values in milliseconds
