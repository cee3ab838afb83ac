"""The carbon-sink plots of a portfolio: which rows they are and how much carbon each holds.

A carbon cover's row (its product has basis ``carbon``) carries, besides the usual risk columns:

=====================  =====================================================================
``carbon_kind``        ``forest`` or ``blue``
``carbon_group``       a forest group or blue-carbon group of ``configs/carbon/growth.yaml``
``stand_age_years``    forest: stand age at inception (years, > 0)
``area_mu``            plot area (mu, > 0)
``verified_tco2e``     optional: the verified sink (forest: standing stock; blue: annual removal);
                       the growth curve's value when empty
``contracted_tco2e``   delivery covers: credits contracted for the policy year (tCO2e, > 0)
=====================  =====================================================================

``asset_class`` stays physical (``forest``, ``blue_carbon``): the typhoon, flood and drought curves of
that class give the share of the sink each event destroys.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.carbon import growth as gr
from engine.portfolio import _fail

KINDS = ("forest", "blue")
COLUMNS = ("carbon_kind", "carbon_group", "stand_age_years", "area_mu", "verified_tco2e", "contracted_tco2e")
COVERS = ("value", "index", "delivery")


@dataclass(frozen=True)
class CarbonBook:
    """Carbon plots as plain arrays (R plots; ``risk`` indexes the portfolio rows).

    ``insured_tco2e`` is what a sink value cover values: the standing stock of a forest plot, the
    annual removal of a blue plot. ``sequestration_tco2e`` is the year's expected removal (forest:
    the curve's one-year increment at the plot's age), the base of the index and delivery covers.
    """

    risk: np.ndarray               # int32[R] portfolio rows
    forest: np.ndarray             # bool[R]
    group: np.ndarray              # str[R]
    county: np.ndarray             # int64[R] adcode
    area_mu: np.ndarray            # float64[R]
    insured_tco2e: np.ndarray      # float64[R]
    sequestration_tco2e: np.ndarray  # float64[R] expected annual removal
    contracted_tco2e: np.ndarray   # float64[R] (0 unless a delivery cover)
    cover: np.ndarray              # int8[R] index into COVERS
    product: np.ndarray            # str[R]
    deductible: np.ndarray         # float64[R] CNY
    limit: np.ndarray              # float64[R] CNY (before our coinsurance share)
    coinsurance: np.ndarray        # float64[R]
    grades: dict                   # product name -> IndexSchedule (index covers)
    retention: np.ndarray          # float64[R] delivery retention (tCO2e)

    @property
    def n_plots(self) -> int:
        return int(self.risk.size)


def carbon_book(table: pd.DataFrame, products: dict, params: gr.GrowthParams, source="portfolio") -> CarbonBook | None:
    """The carbon plots of ``table`` (None when no row has a carbon cover); errors name row and column."""
    covers = {name: p.carbon for name, p in products.items() if getattr(p, "carbon", None) is not None}
    rows = np.flatnonzero(table["product"].isin(list(covers)).to_numpy())
    if rows.size == 0:
        return None
    line = lambda i: int(rows[i]) + 2  # noqa: E731  file line after the header
    for column in ("carbon_kind", "carbon_group", "area_mu"):
        if column not in table.columns:
            _fail(source, f"carbon covers need the column '{column}' (see engine/carbon/book.py)")
    t = table.iloc[rows]
    kind = t["carbon_kind"].astype(str).str.strip().str.lower().to_numpy()
    bad = ~np.isin(kind, KINDS)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        _fail(source, f"'{kind[i]}' is not one of {list(KINDS)}", line(i), "carbon_kind")
    forest = kind == "forest"
    group = t["carbon_group"].astype(str).str.strip().to_numpy()
    for mask, names, what in ((forest, params.forest_names(), "forest"), (~forest, params.blue_names(), "blue")):
        wrong = mask & ~np.isin(group, names)
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            _fail(source, f"'{group[i]}' is not a {what} group of configs/carbon/growth.yaml; valid: {names}",
                  line(i), "carbon_group")

    def number(column, required, positive=True):
        if column not in t.columns:
            values = np.full(len(t), np.nan)
        else:
            values = pd.to_numeric(t[column], errors="coerce").to_numpy(float)
            text = t[column].notna().to_numpy() & np.isnan(values)
            if text.any():
                i = int(np.flatnonzero(text)[0])
                _fail(source, f"'{t[column].iloc[i]}' is not a number", line(i), column)
        need = required & np.isnan(values)
        if need.any():
            i = int(np.flatnonzero(need)[0])
            _fail(source, "is empty; this carbon plot needs it", line(i), column)
        given = ~np.isnan(values)
        bad = given & ~((values > 0) if positive else (values >= 0)) | given & ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            _fail(source, f"{values[i]!r} must be {'> 0' if positive else '>= 0'} and finite", line(i), column)
        return values

    cover = np.array([COVERS.index(covers[p].cover) for p in t["product"]], np.int8)
    area = number("area_mu", np.ones(len(t), bool))
    age = number("stand_age_years", forest)
    verified = number("verified_tco2e", np.zeros(len(t), bool))
    contracted = number("contracted_tco2e", cover == COVERS.index("delivery"))
    stock = np.zeros(len(t))
    seq = np.zeros(len(t))
    if forest.any():
        stock[forest] = gr.plot_stock(params, group[forest], age[forest], area[forest])
        seq[forest] = gr.annual_increment_per_mu(params, group[forest], age[forest]) * area[forest]
    if (~forest).any():
        seq[~forest] = gr.blue_plot_sequestration(params, group[~forest], area[~forest])
    insured = np.where(np.isnan(verified), np.where(forest, stock, seq), verified)
    policy_terms = (t["policy_deductible"].to_numpy(float) > 0) if "policy_deductible" in t else np.zeros(len(t), bool)
    if policy_terms.any():
        i = int(np.flatnonzero(policy_terms)[0])
        _fail(source, "carbon covers apply their terms per plot and year; policy deductibles do not apply "
                      "(set it to 0)", line(i), "policy_deductible")
    coins = t["coinsurance"].to_numpy(float)
    contracted = np.nan_to_num(contracted)
    retention = np.array([covers[p].retention_share for p in t["product"]]) * contracted
    grades = {name: c.index for name, c in covers.items() if c.index is not None}
    return CarbonBook(rows.astype(np.int32), forest, group, t["county"].to_numpy(np.int64) if "county" in t else
                      np.zeros(len(t), np.int64), area, insured, seq, contracted, cover,
                      t["product"].astype(str).to_numpy(), t["deductible"].to_numpy(float),
                      t["limit"].to_numpy(float), coins, grades, retention)
