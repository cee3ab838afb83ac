"""Loss kernels: footprints -> damage -> insured loss -> (event, key) losses.

Plain arrays in, arrays out, grouped into four records (namedtuples numba understands):

* ``Footprint`` — one chunk's events: ``event_id`` int64[E], ``year`` int64[E], ``doy`` int16[E],
  ``peril`` int32[E] (row of ``Curves.curve_index``), ``offsets`` int64[E+1], ``site`` int32[N],
  ``intensity`` float32[N, M], ``rng_id`` int64[E] (the id draws are keyed by: the footprint's
  event id, shared by every occurrence of it), ``uncertain`` uint8[E] (1: the event's sites may
  list several intensities with probabilities) and ``probability`` float32[N] (read only for
  uncertain events);
* ``Exposure`` — the portfolio: ``site_offsets`` int64[S+1] and ``site_risks`` int32[R] (risks of
  site s are ``site_risks[site_offsets[s]:site_offsets[s+1]]``), per risk float64[R] ``value``,
  ``deductible``, ``limit``, ``franchise``, ``coinsurance`` (CNY, share), int16[R] ``klass``,
  int32[R] ``policy``, uint8[R] ``flags`` (:func:`risk_flags`), uint64[R] ``uid``, int32[R] ``leaf`` (the risk's
  finest aggregation key) and int32[L, A] ``leaf_keys`` (the A keys a leaf feeds, e.g.
  product x county -> itself, product, county, portfolio): the hot loop adds each risk to one
  leaf, and leaves roll up to their keys once per event;
* ``Policies`` — float64[P] ``deductible`` and ``limit`` (CNY, per occurrence or per season);
* ``Curves`` — the compiled :class:`engine.vulnerability.Vulnerability` tables (``bin_mean``
  float64[D] is each damage bin's mean: its midpoint for Qilu's curves, Oasis' ``interpolation``), with
  ``curve_index`` int32[n_run_perils, n_classes] and ``measure_col`` int32[C] already mapped to
  this run's perils and footprint measures. ``curve_next`` int32[C] chains further curves of the
  same (peril, class) on other measures (-1 ends the chain), e.g. wind and flood depth for a
  building under a typhoon: components are independent and combine as ``1 - prod(1 - d_j)``.

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

Footprint = namedtuple("Footprint", "event_id year doy peril offsets site intensity rng_id uncertain probability")

#: Salt that separates hazard-intensity draws from damage draws of the same (event, risk).
HAZARD_SALT = np.uint64(0x5DEECE66D2B79F5)
Exposure = namedtuple("Exposure", "site_offsets site_risks value deductible limit franchise coinsurance "
                                  "klass policy flags uid leaf leaf_keys")

# Per-risk flags: the hot loop takes a short path for risks with none set (plain deductible and
# limit, no policy terms, occurrence basis), which is most property risks.
SEASONAL, POLICY_TERMS, FRANCHISE, COINSURANCE = 1, 2, 4, 8


def risk_flags(seasonal, franchise, coinsurance, policy, policy_deductible, policy_limit):
    """uint8[R] flags from per-risk arrays and per-policy terms (see SEASONAL .. COINSURANCE)."""
    policy_terms = (policy_deductible > 0) | np.isfinite(policy_limit)
    return (np.where(seasonal, SEASONAL, 0) | np.where(policy_terms[policy], POLICY_TERMS, 0)
            | np.where(franchise > 0, FRANCHISE, 0) | np.where(coinsurance < 1, COINSURANCE, 0)).astype(np.uint8)


def check_records(ex, pol) -> None:
    """Raise if ``ex.flags`` disagrees with the risks' terms or ``pol`` (the short path would skip terms)."""
    expected = risk_flags(ex.flags & SEASONAL > 0, ex.franchise, ex.coinsurance, ex.policy, pol.deductible, pol.limit)
    if not np.array_equal(expected, ex.flags):
        bad = int(np.flatnonzero(expected != ex.flags)[0])
        raise ValueError(f"Exposure.flags of risk {bad} is {ex.flags[bad]}, its terms and policy need {expected[bad]}; "
                         "build flags with risk_flags() from the same Policies")
Policies = namedtuple("Policies", "deductible limit")
Curves = namedtuple("Curves", "curve_index measure_col x_max mean var cdf bin_low bin_high susceptibility bin_mean "
                               "curve_next")

#: Salt that separates the damage draws of a class's second, third... curve (component j >= 1).
COMPONENT_SALT = np.uint64(0x9E3779B97F4A7C15)



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
def _linear_density_offset(h, w, r, x):
    """Offset t in a bin of width w and probability h whose density is linear with mean offset x w:
    the root of a t^2 + b t = r with a = 3h(2x - 1)/w^2, b = 2h(2 - 3x)/w (Oasis gulmc rule)."""
    a = 3.0 * h * (2.0 * x - 1.0) / (w * w)
    b = 2.0 * h * (2.0 - 3.0 * x) / w
    disc = max(b * b + 4.0 * a * r, 0.0)
    return 2.0 * r / (b + np.sqrt(disc)) if b > 0.0 else (np.sqrt(disc) - b) / (2.0 * a)


@kernel(inline="always")
def draw_damage_in_bin(cdf_row, bin_low, bin_high, bin_mean, u):
    """Damage ratio for uniform ``u`` from one intensity bin's damage distribution.

    ``cdf_row`` float64[D] cumulative bin probabilities; the bin is the first with cdf >= u. Inside it
    the damage density is uniform when the bin mean is the midpoint (Qilu's curves), else linear
    with that mean (the Oasis rule, :func:`_linear_density_offset`): with width w, bin probability h,
    offset r = u - cdf_before and x = (mean - low) / w. A point bin (w = 0) gives its upper bound.
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
    h = cdf_row[lo] - prev
    low = bin_low[lo]
    w = bin_high[lo] - low
    if w <= 0.0 or h <= 0.0:
        return bin_high[lo]
    r = u - prev
    # |x - 0.5| <= 5e-6 with x = (mean - low) / w, without the division on the common path
    if abs(bin_mean[lo] - low - 0.5 * w) <= 5e-6 * w:
        return low + r * w / h
    return low + _linear_density_offset(h, w, r, (bin_mean[lo] - low) / w)


@kernel
def intensity_bin(x, x_max, n_bins):
    """Intensity bin of ``x`` on a curve's axis [0, x_max] cut into ``n_bins`` equal bins.

    Computed as ``int(x * (n_bins / x_max))``: the kernels precompute the scale per event.
    """
    g = int(x * (n_bins / x_max))
    return g if g < n_bins else n_bins - 1


Scratch = namedtuple("Scratch", "t_risk t_loss t_var pol_slot t_pol pol_sum leaf_slot t_leaf leaf_loss leaf_var "
                                "leaf_exp s_event s_risk s_damage s_var damage ev_curve ev_col ev_scale ev_sus ev_count")


def _scratch(n_risks, n_pol, n_leaves, n_classes, q_dim, cap):
    return Scratch(np.empty(cap, np.int32), np.empty((cap, q_dim)), np.empty(cap), np.full(n_pol, -1, np.int32),
                   np.empty(n_pol, np.int32), np.zeros((n_pol, q_dim)), np.full(n_leaves, -1, np.int32),
                   np.empty(n_leaves, np.int32), np.zeros((n_leaves, q_dim)), np.zeros(n_leaves), np.zeros(n_leaves),
                   np.empty(cap, np.int64), np.empty(cap, np.int32), np.empty((cap, q_dim)), np.empty(cap),
                   np.empty(q_dim), np.empty(n_classes, np.int32), np.empty(n_classes, np.int32),
                   np.empty(n_classes), np.empty(n_classes), np.empty(n_classes, np.int32))


_scratch_jit = kernel(_scratch)


@kernel
def _ensure(sc, needed_t, needed_s):
    """Scratch with room for ``needed_t`` waiting risks and ``needed_s`` seasonal records."""
    if needed_t <= sc.t_risk.shape[0] and needed_s <= sc.s_event.shape[0]:
        return sc
    return Scratch(_grow1(sc.t_risk, needed_t), _grow2(sc.t_loss, needed_t), _grow1(sc.t_var, needed_t),
                   sc.pol_slot, sc.t_pol, sc.pol_sum, sc.leaf_slot, sc.t_leaf, sc.leaf_loss, sc.leaf_var,
                   sc.leaf_exp, _grow1(sc.s_event, needed_s), _grow1(sc.s_risk, needed_s),
                   _grow2(sc.s_damage, needed_s), _grow1(sc.s_var, needed_s), sc.damage, sc.ev_curve, sc.ev_col,
                   sc.ev_scale, sc.ev_sus, sc.ev_count)


@kernel
def _draw_entry(fp, n0, n1, u):
    """The footprint entry in ``n0:n1`` that uniform ``u`` selects by the entries' probabilities
    (cumulative, in order); -1 when ``u`` falls in the remainder (no hazard)."""
    acc = 0.0
    for n in range(n0, n1):
        acc += fp.probability[n]
        if u <= acc:
            return n
    return -1


@kernel
def _mixture_damage(fp, cv, n0, n1, col, c, scale, sus, sampled, n_samples, key, hazard_key, damage):
    """Damage of one risk whose site has several intensity entries ``n0:n1`` with probabilities.

    Hazard intensity uncertainty (Oasis footprints): entry n occurs with ``fp.probability[n]``
    (the remainder, if any, is no hazard). Mean mode: the mixture mean and variance of the damage.
    Sampled mode: the intensity is drawn with ``uniform_at(hazard_key, q)``, then the damage
    within that intensity's bin with ``uniform_at(key, q)``. Returns the damage variance (mean mode).
    """
    n_bins = cv.mean.shape[1]
    if sampled:
        for q in range(n_samples):
            h = _draw_entry(fp, n0, n1, uniform_at(hazard_key, q + 1))
            x = fp.intensity[h, col] if h >= 0 else 0.0
            if x > 0.0:
                g = min(int(x * scale), n_bins - 1)
                damage[q] = sus * draw_damage_in_bin(cv.cdf[c, g], cv.bin_low, cv.bin_high, cv.bin_mean,
                                                     uniform_at(key, q + 1))
            else:
                damage[q] = 0.0
        return 0.0
    mean = 0.0
    second = 0.0
    for n in range(n0, n1):
        x = fp.intensity[n, col]
        if x > 0.0:
            g = min(int(x * scale), n_bins - 1)
            m = cv.mean[c, g]
            mean += fp.probability[n] * m
            second += fp.probability[n] * (cv.var[c, g] + m * m)
    damage[0] = sus * mean
    return sus * sus * max(second - mean * mean, 0.0)


@kernel
def _any_hazard(fp, cv, n, c):
    """True if any curve of the chain starting at ``c`` reads a positive intensity at entry ``n``."""
    while c >= 0:
        col = cv.measure_col[c]
        if col >= 0 and fp.intensity[n, col] > 0.0:
            return True
        c = cv.curve_next[c]
    return False


@kernel
def _entry_moments(fp, cv, n, c):
    """Mean and second moment of D = 1 - prod_j (1 - d_j) over the chain from ``c`` at entry ``n``
    (components independent): E[D] = 1 - prod (1 - m_j), E[D^2] = 1 - 2 prod (1 - m_j) + prod (v_j + (1 - m_j)^2)."""
    n_bins = cv.mean.shape[1]
    surv = 1.0
    surv2 = 1.0
    while c >= 0:
        col = cv.measure_col[c]
        x = fp.intensity[n, col] if col >= 0 else 0.0
        if x > 0.0:
            g = min(int(x * (n_bins / cv.x_max[c])), n_bins - 1)
            m = cv.mean[c, g]
            surv *= 1.0 - m
            surv2 *= cv.var[c, g] + (1.0 - m) * (1.0 - m)
        c = cv.curve_next[c]
    return 1.0 - surv, 1.0 - 2.0 * surv + surv2


@kernel
def _combined_draw(fp, cv, n, c, seed, rng_id, uid, q):
    """Sample ``q`` (1-based) of D = 1 - prod_j (1 - d_j) at entry ``n``; component j is drawn with
    ``uniform_at(pair_key(seed, rng_id, uid ^ j * COMPONENT_SALT), q)`` (component 0: the single-curve key)."""
    n_bins = cv.mean.shape[1]
    surv = 1.0
    j = 0
    while c >= 0:
        col = cv.measure_col[c]
        x = fp.intensity[n, col] if col >= 0 else 0.0
        if x > 0.0:
            g = min(int(x * (n_bins / cv.x_max[c])), n_bins - 1)
            key = pair_key(seed, rng_id, uid ^ (COMPONENT_SALT * np.uint64(j)))
            surv *= 1.0 - draw_damage_in_bin(cv.cdf[c, g], cv.bin_low, cv.bin_high, cv.bin_mean, uniform_at(key, q))
        j += 1
        c = cv.curve_next[c]
    return 1.0 - surv


@kernel
def _combined_damage(fp, cv, n0, n1, c, sus, sampled, n_samples, seed, rng_id, uid, hazard_key, damage):
    """Damage of a risk whose class has several curves (chain head ``c``) at footprint entries ``n0:n1``.

    Components are independent: D = 1 - prod_j (1 - d_j) (:func:`_entry_moments`, :func:`_combined_draw`).
    Several entries are a hazard mixture (entry h with ``fp.probability[h]``, the rest no hazard), as in
    :func:`_mixture_damage`; one entry of probability 1 is the plain case. Writes ``sus * D`` per sample
    to ``damage``; returns its variance in mean mode (0 when sampling).
    """
    mixture = n1 - n0 > 1 or fp.probability[n0] < 1.0
    if sampled:
        for q in range(n_samples):
            h = _draw_entry(fp, n0, n1, uniform_at(hazard_key, q + 1)) if mixture else n0
            damage[q] = sus * _combined_draw(fp, cv, h, c, seed, rng_id, uid, q + 1) if h >= 0 else 0.0
        return 0.0
    mean = 0.0
    second = 0.0
    for i in range(n0, n1):
        p = fp.probability[i] if mixture else 1.0
        d1, d2 = _entry_moments(fp, cv, i, c)
        mean += p * d1
        second += p * d2
    damage[0] = sus * mean
    return sus * sus * max(second - mean * mean, 0.0)


@kernel
def _event_damage(e, fp, ex, pol, cv, seed, n_samples, sc, n_s):
    """Hot loop of one event: damage -> risk terms -> leaf (or the policy queue, or season records).

    ``sc`` must have room for every risk at the event's sites. Returns (touched leaves, risks
    waiting for policy terms, policies touched, seasonal records so far).
    """
    q_dim = max(n_samples, 1)
    sampled = n_samples > 0
    n_bins = cv.mean.shape[1]
    peril_row = fp.peril[e]
    doy = fp.doy[e]
    uncertain = fp.uncertain[e] != 0
    for k in range(sc.ev_curve.shape[0]):  # per asset class, what this event's peril and day mean
        c = cv.curve_index[peril_row, k]
        first = -1  # first curve whose measure the footprint carries; count of such curves
        count = 0
        while c >= 0:
            if cv.measure_col[c] >= 0:
                count += 1
                if first < 0:
                    first = c
            c = cv.curve_next[c]
        sc.ev_curve[k] = first
        sc.ev_count[k] = count
        sc.ev_col[k] = cv.measure_col[first] if first >= 0 else -1
        sc.ev_scale[k] = n_bins / cv.x_max[first] if first >= 0 else 0.0
        sc.ev_sus[k] = cv.susceptibility[k, doy]
    n_t = 0
    n_tp = 0
    n_tl = 0
    prev_site = -1
    n = fp.offsets[e]
    end = fp.offsets[e + 1]
    while n < end:
        s = fp.site[n]
        m = n + 1  # entries n:m are this site's (several only with hazard uncertainty)
        if uncertain:
            while m < end and fp.site[m] == s:
                m += 1
        if s <= prev_site:
            raise ValueError("an event's footprint lists a site twice (sites must increase; repeats need probabilities)")
        prev_site = s
        single = m - n == 1 and (not uncertain or fp.probability[n] >= 1.0)
        for j in range(ex.site_offsets[s], ex.site_offsets[s + 1]):
            r = ex.site_risks[j]
            k = ex.klass[r]
            c = sc.ev_curve[k]
            if c < 0:
                continue
            col = sc.ev_col[k]
            x = fp.intensity[n, col]
            multi = sc.ev_count[k] > 1
            if multi:
                hit = False
                for h in range(n, m):
                    hit = hit or (_any_hazard(fp, cv, h, c) and (single or fp.probability[h] > 0.0))
                if not hit:
                    continue
            elif single and not x > 0.0:
                continue
            if not single and not multi:
                hit = False
                for h in range(n, m):
                    hit = hit or (fp.intensity[h, col] > 0.0 and fp.probability[h] > 0.0)
                if not hit:
                    continue
            value = ex.value[r]
            leaf = ex.leaf[r]
            if sc.leaf_slot[leaf] < 0:
                sc.leaf_slot[leaf] = n_tl
                sc.t_leaf[n_tl] = leaf
                n_tl += 1
                for q in range(q_dim):
                    sc.leaf_loss[leaf, q] = 0.0
                sc.leaf_var[leaf] = 0.0
                sc.leaf_exp[leaf] = 0.0
            sc.leaf_exp[leaf] += value
            sus = sc.ev_sus[k]
            if sus == 0.0:
                continue
            flags = ex.flags[r]
            if multi:
                dvar = _combined_damage(fp, cv, n, m, cv.curve_index[peril_row, k], sus, sampled, n_samples, seed,
                                        fp.rng_id[e], ex.uid[r], pair_key(seed, fp.rng_id[e], ex.uid[r] ^ HAZARD_SALT),
                                        sc.damage)
            elif not single:
                dvar = _mixture_damage(fp, cv, n, m, col, c, sc.ev_scale[k], sus, sampled, n_samples,
                                       pair_key(seed, fp.rng_id[e], ex.uid[r]),
                                       pair_key(seed, fp.rng_id[e], ex.uid[r] ^ HAZARD_SALT), sc.damage)
            else:
                g = int(x * sc.ev_scale[k])
                if g >= n_bins:
                    g = n_bins - 1
                if flags == 0 and not sampled:  # short path: mean damage, deductible and limit, to the leaf
                    gu = sus * cv.mean[c, g] * value
                    ded = ex.deductible[r]
                    lim = ex.limit[r]
                    loss = gu - ded
                    if loss > 0.0:
                        if loss >= lim:
                            loss = lim
                        else:
                            sc.leaf_var[leaf] += cv.var[c, g] * sus * sus * value * value
                        sc.leaf_loss[leaf, 0] += loss
                    continue
                if sampled:
                    key = pair_key(seed, fp.rng_id[e], ex.uid[r])
                    cdf_row = cv.cdf[c, g]
                    for q in range(n_samples):
                        sc.damage[q] = sus * draw_damage_in_bin(cdf_row, cv.bin_low, cv.bin_high,
                                                                cv.bin_mean, uniform_at(key, q + 1))
                    dvar = 0.0
                else:
                    sc.damage[0] = sus * cv.mean[c, g]
                    dvar = cv.var[c, g] * sus * sus
            if flags & SEASONAL:
                sc.s_event[n_s] = e
                sc.s_risk[n_s] = r
                for q in range(q_dim):
                    sc.s_damage[n_s, q] = sc.damage[q]
                sc.s_var[n_s] = dvar
                n_s += 1
                continue
            ded = ex.deductible[r]
            lim = ex.limit[r]
            fra = ex.franchise[r]
            coi = ex.coinsurance[r]
            slope = risk_terms_slope(sc.damage[0] * value, ded, lim, fra, coi)
            var = slope * slope * dvar * value * value
            p = ex.policy[r]
            if not flags & POLICY_TERMS:  # no policy terms: straight to the leaf
                for q in range(q_dim):
                    sc.leaf_loss[leaf, q] += risk_terms(sc.damage[q] * value, ded, lim, fra, coi)
                sc.leaf_var[leaf] += var
                continue
            if sc.pol_slot[p] < 0:
                sc.pol_slot[p] = n_tp
                sc.t_pol[n_tp] = p
                n_tp += 1
                for q in range(q_dim):
                    sc.pol_sum[p, q] = 0.0
            for q in range(q_dim):
                loss = risk_terms(sc.damage[q] * value, ded, lim, fra, coi)
                sc.t_loss[n_t, q] = loss
                sc.pol_sum[p, q] += loss
            sc.t_var[n_t] = var
            sc.t_risk[n_t] = r
            n_t += 1
        n = m
    return n_tl, n_t, n_tp, n_s


@kernel(inline="always")
def _loss_rate(d, trigger, total_loss):
    """Full-cost loss rate of a season damage ``d``: 0 below the trigger, 1 from the total-loss level."""
    if d < trigger:
        return 0.0
    if d >= total_loss:
        return 1.0
    return d


@kernel
def _apply_policies(ex, pol, sc, n_t, n_tp):
    """Policy deductible/limit on each touched policy; its risks' losses go to their leaves pro rata."""
    q_dim = sc.pol_sum.shape[1]
    for i in range(n_tp):
        p = sc.t_pol[i]
        for q in range(q_dim):
            sc.pol_sum[p, q] = policy_factor(sc.pol_sum[p, q], pol.deductible[p], pol.limit[p])
    for i in range(n_t):
        r = sc.t_risk[i]
        p = ex.policy[r]
        leaf = ex.leaf[r]
        for q in range(q_dim):
            sc.leaf_loss[leaf, q] += sc.t_loss[i, q] * sc.pol_sum[p, q]
        sc.leaf_var[leaf] += sc.t_var[i] * sc.pol_sum[p, 0] * sc.pol_sum[p, 0]
    for i in range(n_tp):
        sc.pol_slot[sc.t_pol[i]] = -1


@kernel
def occurrence_losses(fp, ex, pol, cv, n_keys, seed, n_samples):
    """Insured loss per (event, key) for occurrence risks; damage records for seasonal risks.

    Per event: each footprint entry's risks get a damage ratio (mean or Q samples), risk terms,
    and either go straight to their leaf key (policy without terms) or wait for the policy stage
    (policy deductible/limit, pro-rata allocation back to risks). Leaves then roll up to keys.

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
    n_up = ex.leaf_keys.shape[1]
    q_dim = max(n_samples, 1)
    sc = _scratch_jit(ex.value.shape[0], pol.deductible.shape[0], ex.leaf_keys.shape[0], cv.susceptibility.shape[0],
                      q_dim, 1024)
    key_slot = np.full(n_keys, -1, np.int32)
    t_key = np.empty(n_keys, np.int32)
    key_loss = np.zeros((n_keys, q_dim))
    key_var = np.zeros(n_keys)
    key_exp = np.zeros(n_keys)
    n_out = 0
    row_event = np.empty(4096, np.int64)
    row_key = np.empty(4096, np.int32)
    row_loss = np.empty((4096, q_dim))
    row_var = np.empty(4096)
    row_exposure = np.empty(4096)
    n_s = 0
    for e in range(n_events):
        bound = 0  # risks at this event's sites: room needed in the scratch
        for n in range(fp.offsets[e], fp.offsets[e + 1]):
            bound += ex.site_offsets[fp.site[n] + 1] - ex.site_offsets[fp.site[n]]
        sc = _ensure(sc, bound, n_s + bound)
        n_tl, n_t, n_tp, n_s = _event_damage(e, fp, ex, pol, cv, seed, n_samples, sc, n_s)
        _apply_policies(ex, pol, sc, n_t, n_tp)
        n_tk = 0  # leaves roll up to their keys
        for i in range(n_tl):
            leaf = sc.t_leaf[i]
            sc.leaf_slot[leaf] = -1
            for a in range(n_up):
                kk = ex.leaf_keys[leaf, a]
                if key_slot[kk] < 0:
                    key_slot[kk] = n_tk
                    t_key[n_tk] = kk
                    n_tk += 1
                    for q in range(q_dim):
                        key_loss[kk, q] = 0.0
                    key_var[kk] = 0.0
                    key_exp[kk] = 0.0
                for q in range(q_dim):
                    key_loss[kk, q] += sc.leaf_loss[leaf, q]
                key_var[kk] += sc.leaf_var[leaf]
                key_exp[kk] += sc.leaf_exp[leaf]
        if n_out + n_tk > row_event.shape[0]:
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
            for q in range(q_dim):
                row_loss[n_out, q] = key_loss[kk, q]
            row_var[n_out] = key_var[kk]
            row_exposure[n_out] = key_exp[kk]
            n_out += 1
    return (row_event[:n_out], row_key[:n_out], row_loss[:n_out], row_var[:n_out], row_exposure[:n_out],
            sc.s_event[:n_s], sc.s_risk[:n_s], sc.s_damage[:n_s], sc.s_var[:n_s])


@kernel
def season_losses_terms(event_year, event_doy, s_event, s_risk, s_damage, s_var, ex, pol, crop, n_keys):
    """Seasonal risks: combine each year's damage ratios, apply terms, allocate back to events.

    For risk r in year y with event damage ratios d_i: season damage D = 1 - prod(1 - d_i); the crop
    rules (``crop``: :data:`CropTerms`) turn it into the loss rate L = 0 if D < trigger[r], 1 if
    D >= total_loss[r], else D, and the ground-up loss is ``value * cap[class, doy] * L`` with doy the
    day of the year's last damaging event (the growth-stage cap of the full-cost rules); insured loss
    = risk terms on it, then policy terms on the sum over the policy's risks in that year; the result
    is allocated to the events in proportion to d_i. Contributions must be in event order (hence
    year order). Returns rows like :func:`occurrence_losses` (row_exposure 0: exposure was counted
    there), one row per (contribution, key); callers sum duplicates.
    """
    n = s_event.shape[0]
    q_dim = s_damage.shape[1]
    n_risks = ex.value.shape[0]
    n_up = ex.leaf_keys.shape[1]
    surv = np.ones((n_risks, q_dim))
    last_doy = np.zeros(n_risks, np.int64)
    dsum = np.zeros((n_risks, q_dim))
    dvar = np.zeros(n_risks)
    risk_loss = np.zeros((n_risks, q_dim))
    pol_sum = np.zeros((pol.deductible.shape[0], q_dim))
    row_event = np.empty(n * n_up, np.int64)
    row_key = np.empty(n * n_up, np.int32)
    row_loss = np.empty((n * n_up, q_dim))
    row_var = np.empty(n * n_up)
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
            if s_damage[i, 0] > 0.0:
                last_doy[r] = event_doy[s_event[i]]
        # first-order variance of D: dD/dd_i = prod_{j != i} (1 - d_j)
        for i in range(start, stop):
            r = s_risk[i]
            rest = surv[r, 0] / (1.0 - s_damage[i, 0]) if s_damage[i, 0] < 1.0 else 0.0
            dvar[r] += s_var[i] * rest * rest
        for i in range(start, stop):
            r = s_risk[i]
            if dsum[r, 0] < 0.0:  # already finished this year
                continue
            cap = crop.cap[crop.cap_row[r], last_doy[r]]
            value = ex.value[r] * cap
            for q in range(q_dim):
                gu = _loss_rate(1.0 - surv[r, q], crop.trigger[r], crop.total_loss[r]) * value
                risk_loss[r, q] = risk_terms(gu, ex.deductible[r], ex.limit[r], ex.franchise[r], ex.coinsurance[r])
                pol_sum[ex.policy[r], q] += risk_loss[r, q]
            d0 = 1.0 - surv[r, 0]
            inside = 1.0 if crop.trigger[r] <= d0 < crop.total_loss[r] else 0.0   # dL/dD
            slope = risk_terms_slope(_loss_rate(d0, crop.trigger[r], crop.total_loss[r]) * value, ex.deductible[r],
                                     ex.limit[r], ex.franchise[r], ex.coinsurance[r]) * inside
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
            for a in range(n_up):
                row_event[n_out] = s_event[i]
                row_key[n_out] = ex.leaf_keys[ex.leaf[r], a]
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
            last_doy[r] = 0
        start = stop
    return row_event[:n_out], row_key[:n_out], row_loss[:n_out], row_var[:n_out], np.zeros(n_out)


#: Crop rules of seasonal covers (full-cost insurance): ``trigger`` and ``total_loss`` float64[R]
#: (loss-rate thresholds), ``cap_row`` int32[R] (each risk's row of ``cap``) and ``cap``
#: float64[n_rows, 367] (share of the sum insured at stake by day of year: the growth-stage caps).
#: :func:`neutral_crop_terms` changes nothing.
CropTerms = namedtuple("CropTerms", "trigger total_loss cap_row cap")


def neutral_crop_terms(n_risks: int, n_classes: int = 1) -> CropTerms:
    """No trigger, no total-loss rule, the whole sum insured at every stage."""
    return CropTerms(np.zeros(n_risks), np.full(n_risks, 2.0), np.zeros(n_risks, np.int32), np.ones((1, 367)))


def season_losses(event_year, s_event, s_risk, s_damage, s_var, ex, pol, n_keys, event_doy=None, crop=None):
    """:func:`season_losses_terms` with neutral crop rules unless ``crop`` is given."""
    if crop is None:
        crop = neutral_crop_terms(ex.value.shape[0])
    if event_doy is None:
        event_doy = np.zeros(event_year.shape[0], np.int64)
    return season_losses_terms(event_year, np.asarray(event_doy, np.int64), s_event, s_risk, s_damage, s_var, ex,
                               pol, crop, n_keys)
