"""ORD loss curves and averages: EPT, PSEPT (lecpy rules), PALT, ALCT (aalpy rules)."""
from __future__ import annotations


import numpy as np

from engine.metrics import RETURN_PERIODS
from engine.ord.run import RunData


# ----------------------------------------------------------------------------------------------
# AAL tables: PALT, ALCT (aalpy)
# ----------------------------------------------------------------------------------------------

def normal_quantile(level: float) -> float:
    """aalpy's z for a two-sided ``level``: Abramowitz-Stegun 26.2.23 at p = (1 + level) / 2."""
    t = np.sqrt(-2.0 * np.log(1.0 - (1.0 + level) / 2.0))
    return float(t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
                 / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3))


def _mean_sd(total, squares, n):
    """aalpy's calculate_mean_stddev (negative rounding residues of the variance taken as 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / n, np.sqrt(np.maximum((squares - total * total / n) / (n - 1), 0.0))


def alct_subsets(samples: int) -> list:
    """ALCT subset sizes (aalpy get_num_subsets): m = 1, 2, 4, ... while the block of samples [m, 2m)
    fits (2m - 1 <= Q, none when Q = 1), then Q itself."""
    sizes = []
    while samples > 1 and 2 * (1 << len(sizes)) - 1 <= samples:
        sizes.append(1 << len(sizes))
    return sizes + [samples]


def aal_tables(run: RunData, present, confidence=0.95) -> dict:
    """PALT and ALCT rows of the keys in ``present`` (bool[K]), from the year loss table.

    With X_p the period loss of sample -1 and X_ps of sample s (zero years included):
    PALT type 1 mean = sum X_p / P, SD = sqrt((sum X_p^2 - (sum X_p)^2 / P) / (P - 1)); type 2 the
    same over the P*Q pairs. ALCT per subset (samples [m, 2m) for m = 1, 2, 4, ..., then all Q):
    N = m P, B_p = sum over the subset of X_ps, VarElementVuln = (sum X^2 - sum_p B_p^2 / m) / (N - m) / N,
    VarElementHaz = (sum_p B_p^2 / m^2 - P mean^2) / (P - 1) / P, StandardError = sqrt(VarElementVuln),
    CI = mean -+ z StandardError (0, 0 when that is not > 0).
    """
    ylt, n_keys, n_periods, n_samples = run.ylt, len(run.names), run.n_periods, run.samples
    keys = np.flatnonzero(present)
    palt = []
    for kind, sel, n in ((1, ylt["sample"] == -1, n_periods), (2, ylt["sample"] > 0, n_periods * n_samples)):
        if kind == 2 and not n_samples:
            continue
        x, k = ylt["loss"][sel], ylt["key"][sel]
        mean, sd = _mean_sd(np.bincount(k, x, n_keys), np.bincount(k, x * x, n_keys), n)
        palt.append({"key": keys, "SampleType": np.full(keys.size, kind), "MeanLoss": mean[keys], "SDLoss": sd[keys]})
    out = {"palt": _concat(palt, ("key", "SampleType")), "alct": {}}
    if not n_samples:
        return out
    sizes = np.asarray(alct_subsets(n_samples), np.float64)
    n_sets = sizes.size
    sel = ylt["sample"] > 0
    x, k, p = ylt["loss"][sel], ylt["key"][sel], ylt["period"][sel].astype(np.int64)
    block = np.floor(np.log2(ylt["sample"][sel])).astype(np.int64)   # samples [2^b, 2^(b+1)) -> b
    part = block < n_sets - 1
    # every sample row feeds its power-of-two block (if any) and the last set, all samples
    set_key = np.concatenate([k[part] * n_sets + block[part], k * n_sets + n_sets - 1])
    gx = np.concatenate([x[part], x])
    groups, inverse = np.unique(set_key * (n_periods + 1) + np.concatenate([p[part], p]), return_inverse=True)
    b_sum, b_sq = np.bincount(inverse, gx, groups.size), np.bincount(inverse, gx * gx, groups.size)
    total, squares, period_sq = (np.bincount(groups // (n_periods + 1), w, n_keys * n_sets)
                                 for w in (b_sum, b_sq, b_sum * b_sum))
    rows = (keys[:, None] * n_sets + np.arange(n_sets)).ravel()
    total, squares, period_sq = total[rows], squares[rows], period_sq[rows]
    m = np.tile(sizes, keys.size)
    n = m * n_periods
    mean, sd = _mean_sd(total, squares, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_vuln = (squares - period_sq / m) / (n - m) / n
        var_haz = (period_sq / (m * m) - n_periods * mean * mean) / (n_periods - 1) / n_periods
        se, se_haz = np.sqrt(np.maximum(var_vuln, 0.0)), np.sqrt(np.maximum(var_haz, 0.0))
        ci = se * normal_quantile(confidence)
        out["alct"] = {"key": np.repeat(keys, n_sets), "MeanLoss": mean, "SDLoss": sd, "SampleSize": m,
                       "LowerCI": np.where(ci > 0, mean - ci, 0.0), "UpperCI": np.where(ci > 0, mean + ci, 0.0),
                       "StandardError": se, "RelativeError": se / mean, "VarElementHaz": var_haz,
                       "StandardErrorHaz": se_haz, "RelativeErrorHaz": se_haz / mean, "VarElementVuln": var_vuln,
                       "StandardErrorVuln": se, "RelativeErrorVuln": se / mean}
    return out


# ----------------------------------------------------------------------------------------------
# EP tables: EPT, PSEPT (lecpy)
# ----------------------------------------------------------------------------------------------

def ep_points(curve, value, n_trials, return_periods=None, curves=None, presorted=False):
    """Loss and TVaR points of empirical EP curves by lecpy's rules (write_ept / write_psept).

    Parameters
    ----------
    curve : int64[n]    curve of each trial value
    value : float64[n]  trial values (period or period-sample losses); zeros may be omitted
    n_trials : int      N, trials per curve (P, or P*Q for full uncertainty)
    return_periods : sequence of int or None
        None: every rank i of the positive values, ReturnPeriod N/i, Loss the i-th largest value,
        TVaR the mean of the top i. Else the ``-r`` rule: targets T > N skipped; i* = the first rank
        with N/i* <= T; Loss = 0 if the i*-th value is 0 or absent, that value if N/i* = T, else linear
        in return period between ranks i*-1 and i*; TVaR = (sum of the top i*-1 values + the losses
        of the targets met at rank i* so far) / (i* + their number - 1) (lecpy's running update).
    curves : int64[c], optional
        Curves reported in return-period mode even without a positive value (their losses are 0).
    presorted : bool
        The values are already sorted by curve, then by value descending.

    Returns
    -------
    curve int64[m], return_period float64[m], loss float64[m], tvar float64[m]
    """
    if not presorted:
        order = np.lexsort((-value, curve))
        curve, value = curve[order], value[order]
    ids, start, count = np.unique(curve, return_index=True, return_counts=True)
    csum = np.empty_like(value)
    for s0, c0 in zip(start, count):  # per curve: no cancellation against other curves' totals
        np.cumsum(value[s0:s0 + c0], out=csum[s0:s0 + c0])
    if return_periods is None:
        rank = np.arange(value.size) - np.repeat(start, count) + 1
        return curve, n_trials / rank, value, csum / rank
    if curves is not None:
        extra = np.setdiff1d(curves, ids)
        ids = np.concatenate([ids, extra])
        start = np.concatenate([start, np.zeros(extra.size, start.dtype)])
        count = np.concatenate([count, np.zeros(extra.size, count.dtype)])
    targets = np.array([t for t in sorted(set(return_periods), reverse=True) if t <= n_trials], np.float64)
    if targets.size == 0 or ids.size == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0)
    rank = np.maximum(np.ceil(n_trials / targets), 1).astype(np.int64)
    rank += n_trials / rank > targets                                      # float guard: N/i* <= T
    rank -= (rank > 1) & (n_trials / np.maximum(rank - 1, 1) <= targets)  # and N/(i*-1) > T
    # [curve, target] tables; index value.size reads the appended 0 (a rank beyond the curve's values)
    value, csum = np.append(value, 0.0), np.append(csum, 0.0)
    n, first, i = count[:, None], start[:, None], rank[None, :]
    at = lambda r: np.where((r >= 1) & (r <= n), first + r - 1, value.size - 1)  # noqa: E731
    current, previous, above = value[at(i)], value[at(i - 1)], csum[at(np.minimum(i - 1, n))]
    rp, rp_prev = n_trials / rank, n_trials / np.maximum(rank - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (targets - rp) * (previous - current) / (rp_prev - rp) + current
    loss = np.where(current == 0, 0.0, np.where(rp == targets, current, between))
    tvar = np.empty_like(loss)
    met, group_rank = np.zeros(ids.size), -1
    for j in range(targets.size):
        if rank[j] != group_rank:
            met, n_met, group_rank = np.zeros(ids.size), 0, rank[j]
        met = met + loss[:, j]
        tvar[:, j] = (above[:, j] + met) / (rank[j] + n_met)
        n_met += 1
    return (np.repeat(ids, targets.size), np.tile(targets, ids.size), loss.ravel(), tvar.ravel())


def ep_tables(run: RunData, present, return_periods=RETURN_PERIODS, full_curve=False) -> dict:
    """EPT (EPCalc 1 mean, 2 full uncertainty, 3 wheatsheaf mean, 4 sample mean; EPType 1 OEP,
    2 OEP TVaR, 3 AEP, 4 AEP TVaR) and PSEPT rows from the year loss table (OEP: a year's largest
    event loss, AEP: its total). ``present`` (bool[K]): keys with loss records, which get EPCalc 1
    rows of zeros in return-period mode even without a positive mean loss (as lecpy ``-r``)."""
    ylt, n_periods, n_samples = run.ylt, run.n_periods, run.samples
    rps = None if full_curve else return_periods
    mean, sampled = ylt["sample"] == -1, ylt["sample"] > 0
    k, p, s = ylt["key"][sampled], ylt["period"][sampled].astype(np.int64), ylt["sample"][sampled].astype(np.int64)
    ept, psept = [], []
    for ep_type, column in ((1, "max_event_loss"), (3, "loss")):
        x = ylt[column][sampled]
        calcs = [(1, ylt["key"][mean], ylt[column][mean], n_periods, np.flatnonzero(present))]
        if n_samples:
            calcs.append((2, k, x, n_periods * n_samples, None))
            # 3: wheatsheaf mean, the i-th largest per-sample values averaged over samples (absent = 0)
            o = np.lexsort((-x, s, k))
            ko, so, xo = k[o], s[o], x[o]
            first = np.concatenate([[True], (ko[1:] != ko[:-1]) | (so[1:] != so[:-1])])
            rank = np.arange(o.size) - np.maximum.accumulate(np.where(first, np.arange(o.size), 0))
            code, inverse = np.unique(ko * (n_periods + 1) + rank, return_inverse=True)
            ranked = np.bincount(inverse, xo, code.size) / n_samples
            calcs.append((3, code // (n_periods + 1), ranked, n_periods, None))
            # 4: sample mean, per period the mean over samples
            code, inverse = np.unique(k * (n_periods + 1) + p, return_inverse=True)
            calcs.append((4, code // (n_periods + 1), np.bincount(inverse, x, code.size) / n_samples, n_periods,
                          None))
            c, rp, loss, tvar = ep_points(ko * (n_samples + 1) + so, xo, n_periods, rps, presorted=True)
            psept.append(_ep_frame(c // (n_samples + 1), rp, loss, tvar, ep_type, "SampleId", c % (n_samples + 1)))
        for calc, curve, values, n_trials, curves in calcs:
            c, rp, loss, tvar = ep_points(curve, values, n_trials, rps, curves)
            ept.append(_ep_frame(c, rp, loss, tvar, ep_type, "EPCalc", np.full(c.size, calc)))
    return {"ept": _concat(ept, ("key", "EPCalc", "EPType", "-ReturnPeriod")),
            "psept": _concat(psept, ("key", "SampleId", "EPType", "-ReturnPeriod"))}


def _ep_frame(key, rp, loss, tvar, ep_type, label, label_values):
    both = lambda a, b: np.concatenate([a, b])  # noqa: E731
    return {"key": both(key, key), label: both(label_values, label_values),
            "EPType": both(np.full(key.size, ep_type), np.full(key.size, ep_type + 1)),
            "ReturnPeriod": both(rp, rp), "Loss": both(loss, tvar)}


def _concat(parts, sort_by) -> dict:
    """Concatenate column dicts and sort rows by ``sort_by`` (a leading '-' sorts descending)."""
    if not parts:
        return {}
    out = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    keys = [-out[c[1:]] if c.startswith("-") else out[c] for c in reversed(sort_by)]
    order = np.lexsort(keys)
    return {c: v[order] for c, v in out.items()}


