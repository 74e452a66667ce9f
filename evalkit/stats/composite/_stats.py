"""Skewness and kurtosis as COINr computes them (e1071 type 2), for one vector."""

from __future__ import annotations

import numpy as np

from evalkit.stats.composite._treat import moments


def skew(x) -> float:
    """Sample skewness, e1071 ``type = 2`` (Excel's SKEW), missing values dropped.

    Parameters
    ----------
    x : array_like
        Numbers; NaN are ignored.

    Returns
    -------
    float
        NaN with fewer than 3 values or no spread.

    Notes
    -----
    With :math:`d = x - \\bar x` and :math:`n` values,

    .. math:: g_1 = \\frac{\\sqrt{n(n-1)}}{n-2}\\,\\frac{\\sqrt{n}\\sum d^3}{(\\sum d^2)^{3/2}}.

    References
    ----------
    Joanes, D. N., Gill, C. A. (1998). Comparing measures of sample skewness
    and kurtosis. The Statistician 47(1), 183–189 (type 2 = :math:`G_1`).

    Examples
    --------
    COINr's treat vignette: ``x <- c(1:10, 30, 100); skew(x)`` gives 3.063241.

    >>> round(skew(list(range(1, 11)) + [30, 100]), 6)
    3.063241
    """
    return float(moments(np.asarray(x, dtype=float)[None, :])[0][0])


def kurt(x) -> float:
    """Sample excess kurtosis, e1071 ``type = 2`` (Excel's KURT), missing values dropped.

    Parameters
    ----------
    x : array_like
        Numbers; NaN are ignored.

    Returns
    -------
    float
        NaN with fewer than 4 values or no spread.

    Notes
    -----
    With :math:`r = n\\sum d^4/(\\sum d^2)^2`,

    .. math:: g_2 = \\frac{(n-1)\\left((n+1)(r-3)+6\\right)}{(n-2)(n-3)}.

    References
    ----------
    Joanes, D. N., Gill, C. A. (1998). Comparing measures of sample skewness
    and kurtosis. The Statistician 47(1), 183–189 (type 2 = :math:`G_2`).

    Examples
    --------
    COINr's treat vignette: ``kurt(c(1:10, 30, 100))`` gives 9.741391.

    >>> round(kurt(list(range(1, 11)) + [30, 100]), 6)
    9.741391
    """
    return float(moments(np.asarray(x, dtype=float)[None, :])[1][0])
