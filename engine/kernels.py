"""Loss kernels: footprints -> damage -> insured loss -> (event, key) losses.

Plain arrays in, arrays out, grouped into four records (namedtuples numba understands):

* ``Footprint`` — one chunk's events: ``event_id`` int64[E], ``year`` int64[E], ``doy`` int16[E],
  ``peril`` int32[E] (row of ``Curves.curve_index``), ``offsets`` int64[E+1], ``site`` int32[N],
  ``intensity`` float32[N, M];
* ``Exposure`` — the portfolio: ``site_offsets`` int64[S+1] and ``site_risks`` int32[R] (risks of
  site s are ``site_risks[site_offsets[s]:site_offsets[s+1]]``), per risk float64[R] ``value``,
  ``deductible``, ``limit``, ``franchise``, ``coinsurance`` (CNY, share), int16[R] ``klass``,
  int32[R] ``policy``, bool[R] ``seasonal``, uint64[R] ``uid``, int32[R, 4] ``keys``;
* ``Policies`` — float64[P] ``deductible`` and ``limit`` (CNY, per occurrence or per season);
* ``Curves`` — the compiled :class:`engine.vulnerability.Vulnerability` tables, with
  ``curve_index`` int32[n_run_perils, n_classes] and ``measure_col`` int32[C] already mapped to
  this run's perils and footprint measures.

Mean mode (``n_samples == 0``) uses each intensity bin's mean damage ratio (the Oasis analytical
mean, sample -1) and also returns a first-order (delta-method) variance of each row's loss from
secondary uncertainty, risks independent. Sampled mode draws ``n_samples`` damage ratios per
(event, risk) from the bin distributions with ``engine.rng.uniform_at(pair_key(seed, event_id,
risk uid), sample)``: a pure function of the key, so chunking and worker count never change a draw.

Occurrence risks are finished event by event. Seasonal risks (crop yield covers) only record
their per-event damage ratios here; :func:`season_losses` combines them over each year as
``1 - prod(1 - d)`` and allocates the season's indemnity back to its events.
"""
from collections import namedtuple

import numpy as np

from engine.jit import kernel
from engine.rng import pair_key, uniform_at
from engine.terms import policy_factor, risk_terms, risk_terms_slope

Footprint = namedtuple("Footprint", "event_id year doy peril offsets site intensity")
Exposure = namedtuple("Exposure", "site_offsets site_risks value deductible limit franchise coinsurance "
                                  "klass policy seasonal uid keys")
Policies = namedtuple("Policies", "deductible limit")
Curves = namedtuple("Curves", "curve_index measure_col x_max mean var cdf bin_low bin_high susceptibility")

KEYS_PER_RISK = 4  # portfolio, product, county, product x county


@kernel
def _grow1(a, needed):
    if needed <= a.shape[0]:
        return a
    b = np.empty(max(needed, 2 * a.shape[0]), a.dtype)
    b[:a.shape[0]] = a
    return b


@kernel
def _grow2(a, needed):
    if needed <= a.shape[0]:
        return a
    b = np.empty((max(needed, 2 * a.shape[0]), a.shape[1]), a.dtype)
    b[:a.shape[0]] = a
    return b


@kernel
def draw_damage(cdf_row, bin_low, bin_high, u):
    """Damage ratio for uniform ``u`` from one intensity bin's damage distribution.

    ``cdf_row`` float64[D] cumulative bin probabilities; the bin is the first with cdf >= u and the
    damage is interpolated linearly inside it (uniform damage within a bin).
    """
    lo = 0
    hi = cdf_row.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf_row[mid] < u:
            lo = mid + 1
        else:
            hi = mid
    prev = cdf_row[lo - 1] if lo > 0 else 0.0
    width = cdf_row[lo] - prev
    if width <= 0.0:
        return bin_low[lo]
    return bin_low[lo] + (bin_high[lo] - bin_low[lo]) * (u - prev) / width


@kernel
def intensity_bin(x, x_max, n_bins):
    """Intensity bin of ``x`` on a curve's axis [0, x_max] cut into ``n_bins`` equal bins."""
    g = int(x / x_max * n_bins)
    return g if g < n_bins else n_bins - 1


@kernel
def occurrence_losses(fp, ex, pol, cv, n_keys, seed, n_samples):
    """Insured loss per (event, key) for occurrence risks; damage records for seasonal risks.

    Returns
    -------
    row_event : int64[n]   event index within the chunk
    row_key : int32[n]     aggregation key
    row_loss : float64[n, Q]  loss (CNY) per sample; Q = max(n_samples, 1)
    row_var : float64[n]   delta-method variance of the loss (mean mode; 0 when sampling)
    row_exposure : float64[n]  summed value of the key's risks inside the footprint (CNY)
    s_event, s_risk, s_damage[m, Q], s_var : seasonal risks' damage ratios per (event, risk)
    """
    n_events = fp.event_id.shape[0]
    n_risks = ex.value.shape[0]
    n_pol = pol.deductible.shape[0]
    n_cls_bins = cv.mean.shape[1]
    q_dim = max(n_samples, 1)
    sampled = n_samples > 0

    risk_slot = np.full(n_risks, -1, np.int32)
    cap = 1024
    t_risk = np.empty(cap, np.int32)
    t_loss = np.empty((cap, q_dim))
    t_var = np.empty(cap)
    pol_slot = np.full(n_pol, -1, np.int32)
    t_pol = np.empty(n_pol, np.int32)
    pol_sum = np.zeros((n_pol, q_dim))
    key_slot = np.full(n_keys, -1, np.int32)
    t_key = np.empty(n_keys, np.int32)
    key_loss = np.zeros((n_keys, q_dim))
    key_var = np.zeros(n_keys)
    key_exp = np.zeros(n_keys)
    damage = np.empty(q_dim)

    n_out = 0
    row_event = np.empty(4096, np.int64)
    row_key = np.empty(4096, np.int32)
    row_loss = np.empty((4096, q_dim))
    row_var = np.empty(4096)
    row_exposure = np.empty(4096)
    n_s = 0
    s_event = np.empty(256, np.int64)
    s_risk = np.empty(256, np.int32)
    s_damage = np.empty((256, q_dim))
    s_var = np.empty(256)

    for e in range(n_events):
        peril_row = fp.peril[e]
        doy = fp.doy[e]
        n_t = 0
        n_tp = 0
        n_tk = 0
        for n in range(fp.offsets[e], fp.offsets[e + 1]):
            s = fp.site[n]
            for j in range(ex.site_offsets[s], ex.site_offsets[s + 1]):
                r = ex.site_risks[j]
                c = cv.curve_index[peril_row, ex.klass[r]]
                if c < 0:
                    continue
                col = cv.measure_col[c]
                if col < 0:
                    continue
                x = fp.intensity[n, col]
                if not x > 0.0:
                    continue
                if risk_slot[r] != -1:
                    raise ValueError("an event's footprint lists the same site twice")
                sus = cv.susceptibility[ex.klass[r], doy]
                g = intensity_bin(x, cv.x_max[c], n_cls_bins)
                if sampled:
                    key = pair_key(seed, fp.event_id[e], ex.uid[r])
                    for q in range(n_samples):
                        damage[q] = sus * draw_damage(cv.cdf[c, g], cv.bin_low, cv.bin_high, uniform_at(key, q + 1))
                else:
                    damage[0] = sus * cv.mean[c, g]
                dvar = 0.0 if sampled else cv.var[c, g] * sus * sus
                if ex.seasonal[r]:
                    if damage.max() > 0.0:
                        s_event = _grow1(s_event, n_s + 1)
                        s_risk = _grow1(s_risk, n_s + 1)
                        s_damage = _grow2(s_damage, n_s + 1)
                        s_var = _grow1(s_var, n_s + 1)
                        s_event[n_s] = e
                        s_risk[n_s] = r
                        s_damage[n_s] = damage
                        s_var[n_s] = dvar
                        n_s += 1
                    risk_slot[r] = -2  # seen in this event
                    t_risk = _grow1(t_risk, n_t + 1)
                    t_risk[n_t] = r
                    n_t += 1
                    continue
                t_risk = _grow1(t_risk, n_t + 1)
                t_loss = _grow2(t_loss, n_t + 1)
                t_var = _grow1(t_var, n_t + 1)
                value = ex.value[r]
                for q in range(q_dim):
                    t_loss[n_t, q] = risk_terms(damage[q] * value, ex.deductible[r], ex.limit[r],
                                                ex.franchise[r], ex.coinsurance[r])
                slope = risk_terms_slope(damage[0] * value, ex.deductible[r], ex.limit[r],
                                         ex.franchise[r], ex.coinsurance[r])
                t_var[n_t] = slope * slope * dvar * value * value
                t_risk[n_t] = r
                risk_slot[r] = n_t
                n_t += 1
                p = ex.policy[r]
                if pol_slot[p] < 0:
                    pol_slot[p] = n_tp
                    t_pol[n_tp] = p
                    n_tp += 1
                    pol_sum[p] = 0.0
                for q in range(q_dim):
                    pol_sum[p, q] += t_loss[n_t - 1, q]
        # policy terms -> allocation factors (kept in pol_sum), then keys
        for i in range(n_tp):
            p = t_pol[i]
            for q in range(q_dim):
                pol_sum[p, q] = policy_factor(pol_sum[p, q], pol.deductible[p], pol.limit[p])
        for i in range(n_t):
            r = t_risk[i]
            slot = risk_slot[r]
            risk_slot[r] = -1
            for k in range(ex.keys.shape[1]):
                kk = ex.keys[r, k]
                if key_slot[kk] < 0:
                    key_slot[kk] = n_tk
                    t_key[n_tk] = kk
                    n_tk += 1
                    key_loss[kk] = 0.0
                    key_var[kk] = 0.0
                    key_exp[kk] = 0.0
                key_exp[kk] += ex.value[r]
                if slot < 0:  # seasonal: exposure only, losses come from season_losses
                    continue
                p = ex.policy[r]
                for q in range(q_dim):
                    key_loss[kk, q] += t_loss[slot, q] * pol_sum[p, q]
                key_var[kk] += t_var[slot] * pol_sum[p, 0] * pol_sum[p, 0]
        for i in range(n_tp):
            pol_slot[t_pol[i]] = -1
        row_event = _grow1(row_event, n_out + n_tk)
        row_key = _grow1(row_key, n_out + n_tk)
        row_loss = _grow2(row_loss, n_out + n_tk)
        row_var = _grow1(row_var, n_out + n_tk)
        row_exposure = _grow1(row_exposure, n_out + n_tk)
        for i in range(n_tk):
            kk = t_key[i]
            key_slot[kk] = -1
            row_event[n_out] = e
            row_key[n_out] = kk
            row_loss[n_out] = key_loss[kk]
            row_var[n_out] = key_var[kk]
            row_exposure[n_out] = key_exp[kk]
            n_out += 1
    return (row_event[:n_out], row_key[:n_out], row_loss[:n_out], row_var[:n_out], row_exposure[:n_out],
            s_event[:n_s], s_risk[:n_s], s_damage[:n_s], s_var[:n_s])


@kernel
def season_losses(event_year, s_event, s_risk, s_damage, s_var, ex, pol, n_keys):
    """Seasonal risks: combine each year's damage ratios, apply terms, allocate back to events.

    For risk r in year y with event damage ratios d_i: season damage D = 1 - prod(1 - d_i), insured
    loss = risk terms on D * value, then policy terms on the sum over the policy's risks in that
    year; the result is allocated to the events in proportion to d_i. Contributions must be in
    event order (hence year order). Returns rows like :func:`occurrence_losses` (row_exposure 0:
    exposure was counted there), one row per (contribution, key); callers sum duplicates.
    """
    n = s_event.shape[0]
    q_dim = s_damage.shape[1]
    n_risks = ex.value.shape[0]
    n_keys_r = ex.keys.shape[1]
    surv = np.ones((n_risks, q_dim))
    dsum = np.zeros((n_risks, q_dim))
    dvar = np.zeros(n_risks)
    risk_loss = np.zeros((n_risks, q_dim))
    pol_sum = np.zeros((pol.deductible.shape[0], q_dim))
    row_event = np.empty(n * n_keys_r, np.int64)
    row_key = np.empty(n * n_keys_r, np.int32)
    row_loss = np.empty((n * n_keys_r, q_dim))
    row_var = np.empty(n * n_keys_r)
    n_out = 0
    start = 0
    while start < n:
        stop = start
        year = event_year[s_event[start]]
        while stop < n and event_year[s_event[stop]] == year:
            stop += 1
        for i in range(start, stop):
            r = s_risk[i]
            for q in range(q_dim):
                surv[r, q] *= 1.0 - s_damage[i, q]
                dsum[r, q] += s_damage[i, q]
        # first-order variance of D: dD/dd_i = prod_{j != i} (1 - d_j)
        for i in range(start, stop):
            r = s_risk[i]
            rest = surv[r, 0] / (1.0 - s_damage[i, 0]) if s_damage[i, 0] < 1.0 else 0.0
            dvar[r] += s_var[i] * rest * rest
        for i in range(start, stop):
            r = s_risk[i]
            if dsum[r, 0] < 0.0:  # already finished this year
                continue
            value = ex.value[r]
            for q in range(q_dim):
                gu = (1.0 - surv[r, q]) * value
                risk_loss[r, q] = risk_terms(gu, ex.deductible[r], ex.limit[r], ex.franchise[r], ex.coinsurance[r])
                pol_sum[ex.policy[r], q] += risk_loss[r, q]
            slope = risk_terms_slope((1.0 - surv[r, 0]) * value, ex.deductible[r], ex.limit[r],
                                     ex.franchise[r], ex.coinsurance[r])
            dvar[r] = dvar[r] * slope * slope * value * value
            for q in range(q_dim):
                dsum[r, q] = -dsum[r, q] - 1.0  # mark finished, keep the sum recoverable
        for i in range(start, stop):
            p = ex.policy[s_risk[i]]
            for q in range(q_dim):
                if pol_sum[p, q] >= 0.0:
                    pol_sum[p, q] = -1.0 - policy_factor(pol_sum[p, q], pol.deductible[p], pol.limit[p])
        for i in range(start, stop):
            r = s_risk[i]
            p = ex.policy[r]
            for k in range(n_keys_r):
                row_event[n_out] = s_event[i]
                row_key[n_out] = ex.keys[r, k]
                for q in range(q_dim):
                    total = -dsum[r, q] - 1.0
                    share = s_damage[i, q] / total if total > 0.0 else 0.0
                    row_loss[n_out, q] = risk_loss[r, q] * (-pol_sum[p, q] - 1.0) * share
                share0 = s_damage[i, 0] / (-dsum[r, 0] - 1.0) if -dsum[r, 0] - 1.0 > 0.0 else 0.0
                factor0 = -pol_sum[p, 0] - 1.0
                row_var[n_out] = dvar[r] * (factor0 * share0) ** 2
                n_out += 1
        for i in range(start, stop):  # reset for the next year
            r = s_risk[i]
            surv[r] = 1.0
            dsum[r] = 0.0
            dvar[r] = 0.0
            pol_sum[ex.policy[r]] = 0.0
        start = stop
    return row_event[:n_out], row_key[:n_out], row_loss[:n_out], row_var[:n_out], np.zeros(n_out)
