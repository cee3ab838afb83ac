"""Portfolio: the risks a run prices, loaded from CSV or Parquet and validated.

One row per risk (see ``engine/data/portfolios/README.md`` for the demo):

=====================  ========  ==========================================================
column                 required  meaning
=====================  ========  ==========================================================
risk_id                yes       unique id (text or integer)
lon, lat               yes       WGS-84 degrees, inside the model domain (Shandong)
product                yes       name of a product in the run's ``product`` config
asset_class            yes       a class with vulnerability curves
value                  yes       exposure value, CNY, > 0
sum_insured            yes       CNY, >= 0 (losses are capped at it)
county                 no        county adcode (found from the coordinates when missing)
deductible             no        CNY per occurrence (per season for seasonal products), 0
limit                  no        CNY, default and cap: sum_insured
franchise              no        CNY: nothing paid unless the ground-up loss exceeds it, 0
coinsurance            no        insurer's share in (0, 1], 1
policy_id              no        default: the risk id
policy_deductible      no        CNY on the policy's summed loss, 0 (same on all its rows)
policy_limit           no        CNY, default unlimited (same on all its rows)
quantity, quantity_unit no       informative (mu planted, buildings)
site_<name>            no        a numeric site attribute perils read (e.g. ``site_elevation_m``,
                                 ``site_floodplain``); same value on every row of a site
=====================  ========  ==========================================================

Risks at the same coordinates share a site; perils evaluate hazard at sites only. Site attributes
given in the file override what a peril would derive from the coordinates (see each peril).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from engine import dtypes, geo
from engine.rng import stable_uid

REQUIRED = ("risk_id", "lon", "lat", "product", "asset_class", "value", "sum_insured")
OPTIONAL_DEFAULTS = {"deductible": 0.0, "franchise": 0.0, "coinsurance": 1.0, "policy_deductible": 0.0}
NUMERIC = ("lon", "lat", "value", "sum_insured", "deductible", "limit", "franchise", "coinsurance",
           "policy_deductible", "policy_limit")


class PortfolioError(ValueError):
    """A portfolio file that cannot be priced; the message names file, row and column."""


@dataclass(frozen=True)
class Sites:
    """Where hazard is evaluated: float64[S] ``lon``, ``lat`` (WGS-84), int64[S] ``county``, and
    ``attributes``: name -> float64[S] from the portfolio's ``site_<name>`` columns (NaN where a
    site has no value: the peril derives it)."""

    lon: np.ndarray
    lat: np.ndarray
    county: np.ndarray
    attributes: Mapping[str, np.ndarray] = field(default_factory=dict)

    def attribute(self, name: str):
        """float64[S] attribute ``name`` (NaN where missing), or None if the portfolio has no such column."""
        return self.attributes.get(name)

    def __len__(self) -> int:
        return len(self.lon)


@dataclass(frozen=True)
class Portfolio:
    """Validated risks as arrays (R risks, P policies, S sites) plus the cleaned table."""

    table: pd.DataFrame          # cleaned copy of the input, one row per risk, original order
    sites: Sites
    site_index: np.ndarray       # int32[R]
    policy_ids: np.ndarray       # object[P]
    policy_index: np.ndarray     # int32[R]
    policy_deductible: np.ndarray  # float64[P]
    policy_limit: np.ndarray     # float64[P]
    uid: np.ndarray              # uint64[R], hash of risk_id: secondary-uncertainty draws follow the risk
    checksum: str                # sha256 of the source file

    @property
    def n_risks(self) -> int:
        return len(self.table)


def _fail(path, message, row=None, column=None) -> None:
    where = str(path)
    if row is not None:
        where += f", row {row}"
    if column is not None:
        where += f", column '{column}'"
    raise PortfolioError(f"{where}: {message}")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet exposure file (by suffix), ids and text columns as strings."""
    path = Path(path)
    if not path.is_file():
        raise PortfolioError(f"{path}: portfolio file not found; set portfolio.path to a CSV or Parquet file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype={"risk_id": str, "policy_id": str, "product": str, "asset_class": str})
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise PortfolioError(f"{path}: unknown portfolio format '{suffix}'; use .csv or .parquet")


def load_portfolio(path: str | Path, products, asset_classes, default_product: str | None = None) -> Portfolio:
    """Load and validate a portfolio file; see the module docstring for the columns.

    An OED location file (LocNumber, Latitude, Longitude, ...) is mapped first (engine/oed.py); its
    risks get the product ``default_product`` unless the file has a ``product`` column.

    Parameters
    ----------
    products : collection of str
        Product names configured for the run; every row's ``product`` must be one of them.
    asset_classes : collection of str
        Asset classes with vulnerability curves.
    """
    from engine import oed

    path = Path(path)
    frame = read_table(path)
    if oed.is_oed(frame):
        if "product" not in frame.columns and not default_product:
            raise PortfolioError(f"{path}: an OED location file has no product column; set portfolio.product=<name>")
        frame = oed.to_portfolio_table(frame, default_product, source=path)
    from engine.provenance import file_sha256
    checksum = file_sha256(path)
    return validate(frame, products, asset_classes, source=path, checksum=checksum)


def validate(frame: pd.DataFrame, products, asset_classes, source="portfolio", checksum="") -> Portfolio:
    """Check a risk table and build the :class:`Portfolio` arrays; the caller's frame is not changed."""
    df = frame.copy()
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        _fail(source, f"missing required column(s) {missing}; required columns are {list(REQUIRED)}")
    if len(df) == 0:
        _fail(source, "no risks")
    row_no = lambda i: int(i) + 2  # 1-based file line, after the header  # noqa: E731

    for column, default in OPTIONAL_DEFAULTS.items():
        if column not in df.columns:
            df[column] = default
    if "limit" not in df.columns:
        df["limit"] = np.nan
    if "policy_limit" not in df.columns:
        df["policy_limit"] = np.inf
    for column in NUMERIC:
        values = pd.to_numeric(df[column], errors="coerce")
        bad = values.isna() & df[column].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(source, f"'{df[column].iloc[i]}' is not a number", row_no(i), column)
        df[column] = values.astype(float)
    df["limit"] = df["limit"].fillna(df["sum_insured"])
    df["policy_limit"] = df["policy_limit"].fillna(np.inf)
    for column in ("deductible", "franchise", "policy_deductible", "coinsurance"):
        df[column] = df[column].fillna(OPTIONAL_DEFAULTS[column])

    for column in ("risk_id", "product", "asset_class", "lon", "lat", "value", "sum_insured"):
        nan = df[column].isna().to_numpy()
        if nan.any():
            i = int(np.flatnonzero(nan)[0])
            _fail(source, "is empty (NaN); every risk needs it", row_no(i), column)
    checks = [
        ("value", df["value"] <= 0, "must be > 0 (exposure value in CNY)"),
        ("sum_insured", df["sum_insured"] < 0, "must be >= 0 (CNY)"),
        ("deductible", df["deductible"] < 0, "must be >= 0 (CNY)"),
        ("limit", df["limit"] <= 0, "must be > 0 (CNY); leave it empty for the sum insured"),
        ("franchise", df["franchise"] < 0, "must be >= 0 (CNY)"),
        ("coinsurance", (df["coinsurance"] <= 0) | (df["coinsurance"] > 1), "must be in (0, 1] (insurer's share)"),
        ("policy_deductible", df["policy_deductible"] < 0, "must be >= 0 (CNY)"),
        ("policy_limit", df["policy_limit"] <= 0, "must be > 0 (CNY)"),
    ]
    for column, bad, why in checks:
        bad = bad.to_numpy() | ~np.isfinite(df[column].to_numpy()) & (column != "policy_limit")
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            _fail(source, f"{df[column].iloc[i]!r} {why}", row_no(i), column)

    ids = df["risk_id"].astype(str)
    dup = ids.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        _fail(source, f"duplicate risk_id '{ids.iloc[i]}' (first seen at row "
                      f"{row_no(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])}); ids must be unique", row_no(i), "risk_id")
    df["risk_id"] = ids

    lon, lat = df["lon"].to_numpy(), df["lat"].to_numpy()
    outside = ~geo.in_domain(lon, lat)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        d = geo.MODEL_DOMAIN
        _fail(source, f"({lon[i]}, {lat[i]}) is outside the model domain lon {d.lon_min}..{d.lon_max}, "
                      f"lat {d.lat_min}..{d.lat_max} (WGS-84 degrees; lon first)", row_no(i), "lon/lat")

    for column, known, what in (("product", products, "the run's product config"),
                                ("asset_class", asset_classes, "the vulnerability curves")):
        unknown = ~df[column].astype(str).isin(list(known)).to_numpy()
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            _fail(source, f"unknown {column} '{df[column].iloc[i]}'; {what} define {sorted(known)}", row_no(i), column)

    counties = geo.load_counties()["adcode"].to_numpy()
    if "county" in df.columns and df["county"].notna().all():
        county = pd.to_numeric(df["county"], errors="coerce")
        bad = county.isna().to_numpy() | ~np.isin(county.to_numpy(), counties)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            _fail(source, f"'{df['county'].iloc[i]}' is not a Shandong county adcode (engine/data/geo/"
                          "shandong_counties.csv); leave the column out to locate risks by coordinates",
                  row_no(i), "county")
        df["county"] = county.astype(np.int64)
    else:
        df["county"] = geo.county_of(lon, lat).astype(np.int64)
        lost = (df["county"] == 0).to_numpy()
        if lost.any():
            i = int(np.flatnonzero(lost)[0])
            _fail(source, f"({lon[i]}, {lat[i]}) lies in no Shandong county; give a county column or fix the "
                          "coordinates", row_no(i), "lon/lat")

    df["limit"] = np.minimum(df["limit"], df["sum_insured"])  # nothing beyond the sum insured is paid
    if "policy_id" not in df.columns:
        df["policy_id"] = df["risk_id"]
    df["policy_id"] = df["policy_id"].fillna(df["risk_id"]).astype(str)
    policy_ids, policy_index = np.unique(df["policy_id"].to_numpy(), return_inverse=True)
    policy_terms = df.groupby("policy_id", sort=True)[["policy_deductible", "policy_limit"]].agg(["min", "max"])
    for column in ("policy_deductible", "policy_limit"):
        differ = policy_terms[(column, "min")] != policy_terms[(column, "max")]
        if differ.any():
            _fail(source, f"policy '{differ.index[differ.to_numpy()][0]}' has different values on its rows; "
                          "give every row of a policy the same policy terms", column=column)

    coords = np.round(np.column_stack([lon, lat]), 6)
    site_coords, site_index = np.unique(coords, axis=0, return_inverse=True)
    site_county = np.zeros(len(site_coords), np.int64)
    site_county[site_index] = df["county"].to_numpy()
    sites = Sites(site_coords[:, 0].copy(), site_coords[:, 1].copy(), site_county,
                  _site_attributes(df, site_index, len(site_coords), source, row_no))
    return Portfolio(
        table=df.reset_index(drop=True), sites=sites, site_index=site_index.astype(dtypes.SITE),
        policy_ids=policy_ids, policy_index=policy_index.astype(np.int32),
        policy_deductible=policy_terms[("policy_deductible", "min")].to_numpy(float),
        policy_limit=policy_terms[("policy_limit", "min")].to_numpy(float),
        uid=stable_uid(df["risk_id"].to_numpy()), checksum=checksum)


def _site_attributes(df: pd.DataFrame, site_index: np.ndarray, n_sites: int, source, row_no) -> dict:
    """``site_<name>`` columns as float64[S] arrays; one value per site (NaN: let the peril derive it)."""
    out = {}
    for column in [c for c in df.columns if str(c).startswith("site_") and len(str(c)) > 5]:
        values = pd.to_numeric(df[column], errors="coerce")
        bad = values.isna() & df[column].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(source, f"'{df[column].iloc[i]}' is not a number (site attributes are numeric; "
                          "use 0/1 for flags)", row_no(i), column)
        v = values.to_numpy(float)
        per_site = np.full(n_sites, np.nan)
        per_site[site_index] = v
        clash = ~(np.isclose(per_site[site_index], v) | (np.isnan(v) & np.isnan(per_site[site_index])))
        if clash.any():
            i = int(np.flatnonzero(clash)[0])
            _fail(source, f"risks at the same coordinates give different {column} values; give every "
                          "row of a site the same value", row_no(i), column)
        out[str(column)[5:]] = per_site
    return out
