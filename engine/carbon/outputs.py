"""Carbon results of a run: detail rows, prices, results by county and the price sensitivity.

Files (in the run folder, next to the other products' results):

* ``carbon_years.parquet`` — every (year, plot) with tCO2e lost or a payout: the shares lost to the
  physical perils, fire, pests and marine heat, tCO2e lost, the year's price, ground-up and insured loss;
* ``carbon_prices.parquet`` — the carbon price and its driver of every simulated year;
* ``carbon_counties.csv`` — per carbon product and county: plots, mu, tCO2e insured, sum insured,
  expected loss (CNY and tCO2e), gross premium, premium per mu and rate;
* ``carbon_price_sensitivity.csv`` — each carbon product's premium with the price level and volatility
  scaled (common random numbers: the same years, shares and normals, only the price model changes).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.carbon.losses import INDEX, VALUE, cover_losses
from engine.carbon.products import price_sensitivity

LEVELS = (0.5, 0.75, 1.0, 1.5, 2.0)
VOLATILITIES = (0.5, 1.0, 1.5)
DETAIL = ("physical", "fire", "pest", "marine_heat", "stock_share", "sequestration_share", "tco2e_lost",
          "price", "gul", "il")


class CarbonResults:
    """Collects the chunks' carbon tables and writes the carbon files when the run ends."""

    def __init__(self, folder, plan):
        self.folder, self.plan = folder, plan
        self.carbon = plan.inputs.carbon
        self.writer = None
        self.parts = []            # detail columns kept for the sensitivity (small: nonzero pairs)
        self.prices = []

    def append(self, table: dict) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        book, t = self.carbon.book, self.plan.portfolio.table
        rows = t.iloc[book.risk[table["plot"]]]
        frame = pd.DataFrame({"year": table["year"], "risk_id": rows["risk_id"].to_numpy(),
                              "product": book.product[table["plot"]], "county": book.county[table["plot"]],
                              "carbon_kind": np.where(book.forest[table["plot"]], "forest", "blue"),
                              "carbon_group": book.group[table["plot"]],
                              **{c: table[c] for c in DETAIL}})
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.folder.path("carbon_years.parquet"), arrow.schema, compression="zstd")
        self.writer.write_table(arrow.cast(self.writer.schema))
        self.parts.append({c: table[c] for c in ("year", "plot", "stock_share", "sequestration_share")})
        self.prices.append(pd.DataFrame({"year": table["price_years"], "price": table["price_all"],
                                         "driver": table["driver_all"]}))

    def close(self, summary: dict) -> dict:
        """Write the files; returns the run facts for summary.json ``_run.carbon``."""
        if self.writer is not None:
            self.writer.close()
        prices = pd.concat(self.prices, ignore_index=True)
        prices.to_parquet(self.folder.path("carbon_prices.parquet"), index=False)
        counties = county_table(self.plan, summary, self._mean_tco2e())
        counties.to_csv(self.folder.path("carbon_counties.csv"), index=False)
        sensitivity = self.sensitivity(prices)
        sensitivity.to_csv(self.folder.path("carbon_price_sensitivity.csv"), index=False)
        return {"plots": self.carbon.book.n_plots, "mean_price_cny": float(prices["price"].mean()),
                "price_p5_p95_cny": [float(prices["price"].quantile(0.05)), float(prices["price"].quantile(0.95))],
                "files": ["carbon_years.parquet", "carbon_prices.parquet", "carbon_counties.csv",
                          "carbon_price_sensitivity.csv"]}

    def _detail(self) -> dict:
        if not self.parts:
            return {"year": np.empty(0, np.int64), "plot": np.empty(0, np.int32), "stock_share": np.empty(0),
                    "sequestration_share": np.empty(0)}
        return {c: np.concatenate([p[c] for p in self.parts]) for c in self.parts[0]}

    def _mean_tco2e(self) -> np.ndarray:
        """float64[R]: mean annual tCO2e lost per plot (at the base price)."""
        d, book = self._detail(), self.carbon.book
        lost = cover_losses(book, d["plot"], d["stock_share"], d["sequestration_share"], np.ones(d["plot"].size))
        return np.bincount(d["plot"], weights=lost["tco2e_lost"], minlength=book.n_plots) / len(self.plan.years)

    def sensitivity(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Each carbon product's premium with the price level x ``LEVELS`` and volatility x
        ``VOLATILITIES`` (:func:`engine.carbon.products.price_sensitivity`, common random numbers)."""
        plan, book, peril = self.plan, self.carbon.book, self.carbon.peril
        prices = prices.sort_values("year")
        years = prices["year"].to_numpy(np.int64)
        driver = prices["driver"].to_numpy() if peril.price_rho != 0 else None
        d = self._detail()
        row_year = np.searchsorted(years, d["year"])
        si_of_plot = plan.portfolio.table["sum_insured"].to_numpy()[book.risk]
        tables = []
        for product in dict.fromkeys(book.product):
            sel = (book.product == product)[d["plot"]]

            def annual(p, _scaled, sel=sel):   # the same years' shares, repriced at the scaled prices
                il = cover_losses(book, d["plot"][sel], d["stock_share"][sel], d["sequestration_share"][sel],
                                  p[row_year[sel]])["il"]
                return np.bincount(row_year[sel], weights=il, minlength=years.size)

            mine = book.product == product
            si, mu = float(si_of_plot[mine].sum()), float(book.area_mu[mine].sum())
            table = price_sensitivity(annual, peril.price, plan.inputs.seed, years, plan.settings.pricing, mu, si,
                                      LEVELS, VOLATILITIES, driver, peril.price_rho)
            tables.append(table.assign(product=product, sum_insured=si, insured_mu=mu))
        out = pd.concat(tables, ignore_index=True)
        return out[["product"] + [c for c in out.columns if c != "product"]]


def county_table(plan, summary: dict, mean_tco2e: np.ndarray) -> pd.DataFrame:
    """Results of each carbon product in each county (from the run's ``product/<p>/county/<c>`` keys)."""
    from engine import geo

    book = plan.inputs.carbon.book
    names = geo.load_counties().set_index("adcode")["name_pinyin"].to_dict()
    t = plan.portfolio.table
    rows = []
    for (product, county), idx in pd.Series(np.arange(book.n_plots)).groupby([book.product, book.county]):
        idx = idx.to_numpy()
        s = summary.get(f"product/{product}/county/{county}")
        premium = (s or {}).get("premium", {})
        cover = book.cover[idx]
        insured = np.select([cover == VALUE, cover == INDEX], [book.insured_tco2e[idx], book.sequestration_tco2e[idx]],
                            book.contracted_tco2e[idx])
        mu = float(book.area_mu[idx].sum())
        gross = float(premium.get("gross", 0.0))
        rows.append({"product": product, "county": int(county), "county_name": names.get(int(county), ""),
                     "plots": idx.size, "insured_mu": mu, "insured_tco2e": float(insured.sum()),
                     "sum_insured": float(t["sum_insured"].to_numpy()[book.risk[idx]].sum()),
                     "expected_loss": float((s or {}).get("aal", 0.0)),
                     "expected_tco2e_lost": float(mean_tco2e[idx].sum()),
                     "gross_premium": gross, "premium_per_mu": gross / mu if mu else np.nan,
                     "rate": float(premium.get("rate", 0.0)), "tvar_99": float((s or {}).get("tvar_99", 0.0))})
    return pd.DataFrame(rows)


def format_counties(frame: pd.DataFrame) -> str:
    """The carbon county table as printed by ``qilu-run``."""
    head = (f"{'carbon product':<18} {'county':<16} {'mu':>10} {'tCO2e':>11} {'SI (M)':>8} {'EL (k)':>9} "
            f"{'tCO2e/yr':>9} {'prem/mu':>8} {'rate':>8}")
    lines = [head, "-" * len(head)]
    for r in frame.itertuples(index=False):
        lines.append(f"{r.product:<18} {f'{r.county} {r.county_name}'[:16]:<16} {r.insured_mu:>10,.0f} "
                     f"{r.insured_tco2e:>11,.0f} {r.sum_insured / 1e6:>8.2f} {r.expected_loss / 1e3:>9.1f} "
                     f"{r.expected_tco2e_lost:>9.1f} {r.premium_per_mu:>8.2f} {r.rate * 1000:>7.2f}‰")
    return "\n".join(lines)
