"""Basis risk of parametric covers: how often, and by how much, the index payout and the indemnity differ.

The indemnity is the modelled mean loss of the same risk under an indemnity cover with the same
terms (its physical asset class, deductible and limit), computed by the kernels in the same run.
Per event and risk, a **loss event** is an indemnity of at least ``materiality`` x the limit and a
**payout event** any payout. Reported per product (and per product and county):

* ``p_pay_given_loss`` — share of loss events the index pays (1 - false-negative rate);
* ``p_no_loss_given_pay`` — share of payout events without a material loss (false positives);
* ``aal_payout`` / ``aal_indemnity`` — annual averages (CNY), and their ratio;
* ``shortfall_aal`` — E[sum over the year of max(indemnity - payout, 0)] (CNY/year): what the buyer
  bears; ``excess_aal`` the reverse;
* ``mean_abs_diff`` — mean |payout - indemnity| over events where either is positive (CNY);
* ``annual_correlation`` — Pearson correlation of the annual payout and indemnity per risk-year
  (all simulated years, zeros included).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ("product", "county", "risks", "loss_events", "payout_events", "p_pay_given_loss", "p_no_loss_given_pay",
           "aal_payout", "aal_indemnity", "payout_to_indemnity", "shortfall_aal", "excess_aal", "mean_abs_diff",
           "annual_correlation")


def _stats(rows: pd.DataFrame, n_years: int, n_risks: int, materiality: float) -> dict:
    loss = rows["indemnity"] >= materiality * rows["limit"]
    pay = rows["payout"] > 0
    annual = rows.groupby(["year", "risk"])[["payout", "indemnity"]].sum()
    n_cells = n_years * n_risks   # risk-years, most of them zero for both
    corr = np.nan
    if n_cells > 1 and len(annual):
        k = len(annual)
        x, y = annual["payout"].to_numpy(), annual["indemnity"].to_numpy()
        mx, my = x.sum() / n_cells, y.sum() / n_cells
        cov = (x @ y) / n_cells - mx * my   # zeros of the other risk-years add nothing to the sums
        vx, vy = (x @ x) / n_cells - mx * mx, (y @ y) / n_cells - my * my
        corr = cov / np.sqrt(vx * vy) if vx > 0 and vy > 0 and k > 0 else np.nan
    aal_pay, aal_ind = rows["payout"].sum() / n_years, rows["indemnity"].sum() / n_years
    return {"risks": n_risks, "loss_events": int(loss.sum()), "payout_events": int(pay.sum()),
            "p_pay_given_loss": float((pay & loss).sum() / loss.sum()) if loss.any() else np.nan,
            "p_no_loss_given_pay": float((pay & ~loss).sum() / pay.sum()) if pay.any() else np.nan,
            "aal_payout": aal_pay, "aal_indemnity": aal_ind,
            "payout_to_indemnity": aal_pay / aal_ind if aal_ind > 0 else np.nan,
            "shortfall_aal": float((annual["indemnity"] - annual["payout"]).clip(lower=0).sum() / n_years),
            "excess_aal": float((annual["payout"] - annual["indemnity"]).clip(lower=0).sum() / n_years),
            "mean_abs_diff": float((rows["payout"] - rows["indemnity"]).abs().mean()) if len(rows) else 0.0,
            "annual_correlation": float(corr)}


def basis_risk(table: pd.DataFrame, portfolio_table: pd.DataFrame, parametric_rows, n_years: int,
               materiality: float = 0.01) -> pd.DataFrame:
    """Basis-risk statistics per product and per (product, county); see the module docstring.

    ``table``: per (event, risk) ``year``, ``risk`` (portfolio row), ``payout``, ``indemnity`` (CNY).
    ``parametric_rows``: portfolio rows of all parametric risks (risks never hit still count).
    """
    info = portfolio_table.iloc[np.asarray(parametric_rows)][["product", "county"]].copy()
    info["limit"] = (portfolio_table["limit"] * portfolio_table["coinsurance"]).to_numpy()[np.asarray(parametric_rows)]
    info.index = np.asarray(parametric_rows)
    rows = table.join(info, on="risk")
    out = []
    for product, risks in info.groupby("product"):
        out.append({"product": product, "county": "all",
                    **_stats(rows[rows["product"] == product], n_years, len(risks), materiality)})
        for county, crisks in risks.groupby("county"):
            sel = rows[(rows["product"] == product) & (rows["county"] == county)]
            out.append({"product": product, "county": str(county), **_stats(sel, n_years, len(crisks), materiality)})
    return pd.DataFrame(out, columns=list(COLUMNS))
