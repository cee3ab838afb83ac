"""Per-key metrics and premiums from the year-key loss rows of a whole run.

With Q secondary-uncertainty samples the metrics pool all (year, sample) trials ("full
uncertainty", ORD EPCalc 2) and the AAL standard error comes from per-year means over samples;
in mean mode each year is one trial of the analytical-mean losses.
"""
from __future__ import annotations

import numpy as np

from engine import metrics
from engine.pricing import technical_premium


def trial_rows(year_rows: dict, samples: int) -> dict:
    """The rows the metrics use: sample -1 in mean mode, samples 1..Q otherwise."""
    sel = year_rows["sample"] == -1 if samples == 0 else year_rows["sample"] > 0
    return {c: v[sel] for c, v in year_rows.items()}


def summarise_keys(year_rows: dict, key_names, sum_insured, n_years: int, samples: int, basis) -> dict:
    """``{key: {aal, aal_se, oep, aep, tvar_99, n_years, sum_insured, premium}}`` for every key."""
    rows = trial_rows(year_rows, samples)
    q = max(samples, 1)
    n_trials = n_years * q
    order = np.argsort(rows["key"], kind="stable")
    keys = rows["key"][order]
    bounds = np.searchsorted(keys, np.arange(len(key_names) + 1))
    out = {}
    for k, name in enumerate(key_names):
        sel = order[bounds[k]:bounds[k + 1]]
        total, largest = rows["loss"][sel], rows["max_event"][sel]
        year_means = None
        if q > 1:
            years, inverse = np.unique(rows["year"][sel], return_inverse=True)
            year_means = np.bincount(inverse, weights=total, minlength=years.size) / q
        stats = metrics.summarise(largest, total, n_trials, samples_per_year=q, year_means=year_means)
        stats["n_years"] = int(n_years)
        stats["samples"] = int(samples)
        stats["sum_insured"] = float(sum_insured[k])
        stats["premium"] = technical_premium(total, n_trials, sum_insured[k], basis)
        out[name] = stats
    return out


def premium_frame(summary: dict):
    """One row per key: level, product, county, sum insured, AAL and the premium breakdown."""
    import pandas as pd

    rows = []
    for key, s in summary.items():
        if key.startswith("_"):
            continue
        parts = key.split("/")
        product = parts[1] if parts[0] == "product" else ""
        county = int(parts[parts.index("county") + 1]) if "county" in parts[0::2] else None
        level = {1: "portfolio", 2: parts[0]}.get(len(parts), "product_county")
        premium = dict(s["premium"])
        subsidy = premium.pop("subsidy", {})   # full-cost covers: who pays the gross premium
        rows.append({"key": key, "level": level, "product": product, "county": county,
                     "sum_insured": s["sum_insured"], "aal": s["aal"], "aal_se": s["aal_se"],
                     "oep_100": s["oep"][100], "oep_250": s["oep"][250], "tvar_99": s["tvar_99"],
                     **premium, **{f"subsidy_{part}": v for part, v in subsidy.items()}})
    frame = pd.DataFrame(rows)
    frame["county"] = frame["county"].astype("Int64")
    return frame


def ep_frame(year_rows: dict, key_names, wanted, n_trials: int):
    """Full empirical OEP and AEP curves of the ``wanted`` keys (long format)."""
    import pandas as pd

    parts = []
    order = np.argsort(year_rows["key"], kind="stable")
    keys = year_rows["key"][order]
    bounds = np.searchsorted(keys, np.arange(len(key_names) + 1))
    for name in wanted:
        k = key_names.index(name)
        sel = order[bounds[k]:bounds[k + 1]]
        for basis, column in (("OEP", "max_event"), ("AEP", "loss")):
            loss, prob, period = metrics.ep_curve(year_rows[column][sel], n_trials)
            parts.append(pd.DataFrame({"key": name, "basis": basis, "rank": np.arange(1, loss.size + 1),
                                       "return_period": period, "exceedance_probability": prob, "loss": loss}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["key", "basis", "rank", "return_period", "exceedance_probability", "loss"])


def summary_table(summary: dict, wanted) -> "list[list[str]]":
    """Rows for the printed summary: key, sum insured, AAL +- SE, 100/250-yr OEP, TVaR, premium, rate."""
    rows = []
    for name in wanted:
        if name not in summary:
            continue
        s = summary[name]
        p = s["premium"]
        rows.append([name, f"{s['sum_insured'] / 1e6:,.1f}", f"{s['aal'] / 1e6:,.2f} ± {s['aal_se'] / 1e6:,.2f}",
                     f"{s['oep'][100] / 1e6:,.1f}", f"{s['oep'][250] / 1e6:,.1f}", f"{s['tvar_99'] / 1e6:,.1f}",
                     f"{p['gross'] / 1e6:,.2f}", f"{1000 * p['rate']:.3f}‰" if np.isfinite(p["rate"]) else "-"])
    return rows


TABLE_HEADER = ["key", "SI (M CNY)", "AAL ± SE (M)", "OEP100 (M)", "OEP250 (M)", "TVaR99 (M)",
                "premium (M)", "rate"]


def format_table(rows) -> str:
    widths = [max(len(str(r[i])) for r in [TABLE_HEADER] + rows) for i in range(len(TABLE_HEADER))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(TABLE_HEADER), line(["-" * w for w in widths])] + [line(r) for r in rows])
