"""Batched count-regression fits: many small GLMs solved at once.

Every group is one model.  The groups' data are stacked into padded 3-D
arrays -- ``X`` (G, T, p), ``y``/``offset``/``mask`` (G, T) -- and each
iteration forms all G weighted cross-product matrices with one ``einsum``
and solves them with one batched ``np.linalg.solve``.  ``mask`` is 1 for a
real observation and 0 for padding; ``active`` (G, p) marks the columns a
group uses: an inactive column (e.g. a season the group never observed) gets
1 on the diagonal of its information matrix and stays at 0.

* :func:`poisson_irls` -- Poisson, log link, by iteratively reweighted
  least squares (Fisher scoring = Newton for the canonical link).
* :func:`nb2_ml` -- negative binomial NB2 (Var = mu + alpha mu^2), maximum
  likelihood in (beta, alpha) jointly, as statsmodels'
  ``NegativeBinomial(loglike_method="nb2")``: alternating a Fisher-scoring
  step for beta given alpha with Newton steps for log(alpha) given mu, to
  convergence; the covariance is the inverse of the observed information of
  the joint (beta, alpha) log-likelihood (what statsmodels reports).
"""

from __future__ import annotations

import numpy as np
from scipy import special

_ETA_MAX = 700.0
_LOG_ALPHA_MIN = np.log(1e-10)
_LOG_ALPHA_MAX = np.log(1e4)


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve of A x = b, falling back to a pseudo-inverse where singular."""
    try:
        return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("gpq,gq->gp", np.linalg.pinv(A), b)


def _inv(A: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(A)


def _cross(X, w, active):
    """X' diag(w) X for every group, with 1 on the diagonal of inactive columns."""
    A = np.matmul((X * w[..., None]).transpose(0, 2, 1), X)
    idx = np.arange(X.shape[2])
    A[:, idx, idx] += ~active
    return A


def _scoring_step(X, y, offset, active, w, eta, mu, beta):
    r"""One Fisher-scoring (IRLS) step of a log-link model with working weights ``w``.

    Returns the new (beta, eta, mu) and the step's size relative to beta,
    max|beta_new - beta| / (1 + max|beta_new|), per group.

    Notes
    -----
    Working response :math:`z = \eta - \text{offset} + (y - \mu)/\mu`;
    :math:`\beta_{new} = (X'WX)^{-1} X'Wz`.
    """
    z = eta - offset + (y - mu) / mu
    new = _solve(_cross(X, w, active), np.einsum("gtp,gt->gp", X, w * z))
    new[~active] = 0.0
    rel = np.abs(new - beta).max(axis=1) / (1 + np.abs(new).max(axis=1))
    eta = np.clip(np.einsum("gtp,gp->gt", X, new) + offset, -_ETA_MAX, _ETA_MAX)
    return new, eta, np.exp(eta), rel


def poisson_irls(X, y, offset, mask, active, *, maxiter=100, tol=1e-10):
    """Poisson GLM with log link and offset, for every group at once.

    Returns
    -------
    beta : (G, p)
    cov : (G, p, p) inverse Fisher information
    mu : (G, T) fitted means (0 on padding)
    converged : (G,) bool
    """
    G, T, p = X.shape
    ybar = (y * mask).sum(1) / np.maximum(mask.sum(1), 1)
    mu = (y + ybar[:, None]) / 2 + 1e-3  # statsmodels' GLM start, kept positive
    eta = np.log(mu)
    # first step from the starting mu (working response in eta - offset)
    beta = np.zeros((G, p))
    converged = np.zeros(G, dtype=bool)
    for it in range(maxiter):
        beta, eta, mu, rel = _scoring_step(X, y, offset, active, mu * mask, eta, mu, beta)
        if it > 0:
            converged = rel <= tol
            if converged.all():
                break
    w = mu * mask
    cov = _inv(_cross(X, w, active))
    return beta, cov, mu * mask, converged


def _psi_diffs(y, r):
    """psi(y + r) - psi(r) and psi'(y + r) - psi'(r) for integer counts y >= 0.

    For integer y these are the finite sums sum_{j<y} 1/(r+j) and
    -sum_{j<y} 1/(r+j)^2, computed as a per-group cumulative table indexed
    by y (fast and exact for the small counts of community-months); large
    tables fall back to scipy's digamma / trigamma.
    """
    G = y.shape[0]
    ymax = int(y.max()) if y.size else 0
    if G * (ymax + 1) <= 5_000_000:
        j = np.arange(ymax, dtype=np.float64)
        inv = 1.0 / (r + j[None, :])                        # (G, ymax)
        h1 = np.concatenate([np.zeros((G, 1)), np.cumsum(inv, axis=1)], axis=1)
        h2 = np.concatenate([np.zeros((G, 1)), np.cumsum(inv * inv, axis=1)], axis=1)
        yi = y.astype(np.int64)
        return np.take_along_axis(h1, yi, 1), -np.take_along_axis(h2, yi, 1)
    return (special.digamma(y + r) - special.digamma(r),
            special.zeta(2, y + r) - special.zeta(2, r))


def _nb2_alpha_derivs(y, mu, mask, a):
    """Sum over t of dl/da and d2l/da2 of the NB2 log-likelihood, per group."""
    a_ = a[:, None]
    r = 1 / a_
    amu = a_ * mu
    l1p = np.log1p(amu)
    dpsi, dpsi1 = _psi_diffs(y, r)
    A = l1p - dpsi
    da = A / a_ ** 2 + (y - mu) / (a_ * (1 + amu))
    dA = mu / (1 + amu) + dpsi1 / a_ ** 2
    daa = (-2 * A / a_ ** 3 + dA / a_ ** 2
           - (y - mu) * (1 + 2 * amu) / (a_ ** 2 * (1 + amu) ** 2))
    return (da * mask).sum(1), (daa * mask).sum(1)


def nb2_loglike(y, mu, mask, a):
    """NB2 log-likelihood per group (for checks)."""
    a_ = a[:, None]
    r = 1 / a_
    ll = (special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1)
          - r * np.log1p(a_ * mu) + y * np.log(a_ * mu) - y * np.log1p(a_ * mu))
    return (ll * mask).sum(1)


def nb2_ml(X, y, offset, mask, active, beta0, alpha0, *, maxiter=200, tol=1e-10):
    """NB2 maximum likelihood for every group at once.

    Returns
    -------
    beta : (G, p)
    alpha : (G,)
    cov : (G, p + 1, p + 1) inverse observed information of (beta, alpha)
    mu : (G, T)
    converged : (G,) bool
    at_boundary : (G,) bool -- alpha went to the lower limit 1e-10 (no
        overdispersion by likelihood; the fit is then the Poisson one)
    """
    G, T, p = X.shape
    beta = beta0.copy()
    lam = np.log(np.clip(alpha0, 1e-8, 1e3))
    eta = np.clip(np.einsum("gtp,gp->gt", X, beta) + offset, -_ETA_MAX, _ETA_MAX)
    mu = np.exp(eta)
    converged = np.zeros(G, dtype=bool)
    for it in range(maxiter):
        # Newton steps for log(alpha) given mu (more at the start)
        for _ in range(3 if it < 3 else 1):
            a = np.exp(lam)
            s, h = _nb2_alpha_derivs(y, mu, mask, a)
            g1 = a * s                      # d l / d lam
            g2 = a * a * h + a * s          # d2 l / d lam2
            dl = np.where(g2 < 0, -g1 / np.where(g2 < 0, g2, -1.0), np.sign(g1))
            dl = np.clip(dl, -3.0, 3.0)
            lam_new = np.clip(lam + dl, _LOG_ALPHA_MIN, _LOG_ALPHA_MAX)
            dlam = np.abs(lam_new - lam)
            lam = lam_new
        a = np.exp(lam)
        # Fisher-scoring step for beta given alpha
        w = mu / (1 + a[:, None] * mu) * mask
        beta, eta, mu, rel = _scoring_step(X, y, offset, active, w, eta, mu, beta)
        at_min = lam <= _LOG_ALPHA_MIN + 1e-12
        converged = (rel <= tol) & ((dlam <= tol * (1 + np.abs(lam))) | at_min)
        if it > 0 and converged.all():
            break
    a = np.exp(lam)
    cov = _nb2_cov(X, y, mu, mask, active, a)
    return beta, a, cov, mu * mask, converged, lam <= _LOG_ALPHA_MIN + 1e-12


def _nb2_cov(X, y, mu, mask, active, a):
    """Inverse of minus the observed Hessian of the NB2 loglike in (beta, alpha)."""
    G, T, p = X.shape
    a_ = a[:, None]
    den = (1 + a_ * mu) ** 2
    w_bb = mu * (1 + a_ * y) / den * mask           # - d2l/deta2
    w_ba = (y - mu) * mu / den * mask               # - d2l/deta da
    _, h_aa = _nb2_alpha_derivs(y, mu, mask, a)
    H = np.zeros((G, p + 1, p + 1))
    H[:, :p, :p] = _cross(X, w_bb, active)
    hb = np.einsum("gtp,gt->gp", X, w_ba)
    hb[~active] = 0.0
    H[:, :p, p] = hb
    H[:, p, :p] = hb
    H[:, p, p] = -h_aa
    return _inv(H)
