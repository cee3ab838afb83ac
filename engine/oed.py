"""OED (Open Exposure Data) location files: read them as a Qilu portfolio or as Oasis items.

Columns used (OED v3 names; others are ignored):

* ``LocNumber`` (id), ``Latitude``, ``Longitude`` (WGS-84), ``AccNumber``/``PolNumber`` (policy);
* TIV per coverage type 1..4: ``BuildingTIV``, ``OtherTIV``, ``ContentsTIV``, ``BITIV``;
* site terms, all perils: ``LocDed{n}{Coverage}`` and ``LocLimit{n}{Coverage}`` per coverage
  (``LocDed1Building`` ...), or ``LocDed6All``/``LocLimit6All`` for the whole location;
* ``OccupancyCode`` -> Qilu asset class through :data:`OCCUPANCY_CLASSES` (ranges of the OED
  occupancy code list; an explicit ``asset_class`` column wins).

As a Qilu portfolio a location is one risk: value = sum of its TIVs, deductible/limit from the
``6All`` terms (or the sum of the per-coverage terms). As Oasis items each (location, coverage)
with TIV > 0 and a row in the model's keys file (``LocNumber, CoverageTypeID, AreaPerilID,
VulnerabilityID``; Oasis' keys.csv uses ``LocID`` for the same thing) is one item with its
coverage's deductible and limit (calcrule 1).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.portfolio import PortfolioError

COVERAGES = {1: "Building", 2: "Other", 3: "Contents", 4: "BI"}
TIV_COLUMNS = {1: "BuildingTIV", 2: "OtherTIV", 3: "ContentsTIV", 4: "BITIV"}

#: OED occupancy codes -> Qilu asset classes (OED spec: 1000-1099 residential, 1100-1199 commercial,
#: 1200-1299 industrial; 2700-2799 agriculture is left to an explicit asset_class column).
OCCUPANCY_CLASSES = ((1000, 1099, "residential"), (1100, 1199, "commercial"), (1150, 1199, "commercial"),
                     (1200, 1299, "industrial"))


def is_oed(frame: pd.DataFrame) -> bool:
    return {"LocNumber", "Latitude", "Longitude"} <= set(frame.columns)


def _number(frame, column, source):
    values = pd.to_numeric(frame[column], errors="coerce") if column in frame.columns else pd.Series(0.0, index=frame.index)
    bad = values.isna() & frame.get(column, pd.Series(index=frame.index)).notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise PortfolioError(f"{source}, row {i + 2}, column '{column}': '{frame[column].iloc[i]}' is not a number")
    return values.fillna(0.0).astype(float)


def _asset_class(frame: pd.DataFrame, source) -> pd.Series:
    if "asset_class" in frame.columns:
        return frame["asset_class"].astype(str)
    if "OccupancyCode" not in frame.columns:
        raise PortfolioError(f"{source}: an OED file needs OccupancyCode (or an asset_class column) to pick curves")
    code = pd.to_numeric(frame["OccupancyCode"], errors="coerce")
    out = pd.Series(None, index=frame.index, dtype=object)
    for lo, hi, name in OCCUPANCY_CLASSES:
        out[(code >= lo) & (code <= hi)] = name
    if out.isna().any():
        i = int(np.flatnonzero(out.isna().to_numpy())[0])
        raise PortfolioError(f"{source}, row {i + 2}, column 'OccupancyCode': {frame['OccupancyCode'].iloc[i]} has no "
                             "Qilu asset class (1000-1299 are mapped); add an asset_class column")
    return out


def to_portfolio_table(frame: pd.DataFrame, product: str, source="OED file") -> pd.DataFrame:
    """A Qilu portfolio table (engine/portfolio.py columns) from OED locations, one risk each."""
    tiv = sum(_number(frame, c, source) for c in TIV_COLUMNS.values())
    if "LocDed6All" in frame.columns or "LocLimit6All" in frame.columns:
        deductible, limit = _number(frame, "LocDed6All", source), _number(frame, "LocLimit6All", source)
    else:
        deductible = sum(_number(frame, f"LocDed{n}{c}", source) for n, c in COVERAGES.items())
        limit = sum(_number(frame, f"LocLimit{n}{c}", source) for n, c in COVERAGES.items())
    policy = frame["PolNumber"] if "PolNumber" in frame.columns else frame.get("AccNumber", frame["LocNumber"])
    table = pd.DataFrame({
        "risk_id": frame["LocNumber"].astype(str), "lon": frame["Longitude"], "lat": frame["Latitude"],
        "product": frame["product"].astype(str) if "product" in frame.columns else product,
        "asset_class": _asset_class(frame, source), "value": tiv, "sum_insured": tiv, "deductible": deductible,
        "limit": limit.where(limit > 0, np.nan), "policy_id": policy.astype(str)})
    return table


def to_items(frame: pd.DataFrame, keys: pd.DataFrame, source="OED file") -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Oasis items, coverages and one-level FM terms (calcrule 1) from OED locations and a keys table."""
    keys = keys.rename(columns={"LocID": "LocNumber"})
    need = ["LocNumber", "CoverageTypeID", "AreaPerilID", "VulnerabilityID"]
    missing = [c for c in need if c not in keys.columns]
    if missing:
        raise PortfolioError(f"keys file: missing column(s) {missing}; expected {need}")
    locs = frame.assign(LocNumber=frame["LocNumber"].astype(str)).set_index("LocNumber")
    keys = keys.assign(LocNumber=keys["LocNumber"].astype(str))
    unknown = sorted(set(keys["LocNumber"]) - set(locs.index))
    if unknown:
        raise PortfolioError(f"keys file: LocNumber(s) {unknown[:5]} are not in the OED location file")
    rows = []
    for k in keys.itertuples(index=False):
        cov = int(k.CoverageTypeID)
        if cov not in COVERAGES:
            raise PortfolioError(f"keys file: CoverageTypeID {cov} is not 1..4")
        tiv = float(pd.to_numeric(locs.at[k.LocNumber, TIV_COLUMNS[cov]], errors="coerce")) \
            if TIV_COLUMNS[cov] in locs.columns else 0.0
        if not tiv > 0:
            continue
        ded = locs.get(f"LocDed{cov}{COVERAGES[cov]}", pd.Series(0.0, index=locs.index)).get(k.LocNumber, 0.0)
        lim = locs.get(f"LocLimit{cov}{COVERAGES[cov]}", pd.Series(0.0, index=locs.index)).get(k.LocNumber, 0.0)
        rows.append((k.LocNumber, cov, int(k.AreaPerilID), int(k.VulnerabilityID), tiv,
                     float(ded or 0.0), float(lim) if lim and lim > 0 else tiv))
    if not rows:
        raise PortfolioError(f"{source}: no location has both a TIV and a key")
    t = pd.DataFrame(rows, columns=["loc", "cov", "areaperil_id", "vulnerability_id", "tiv", "ded", "lim"])
    t["item_id"] = np.arange(1, len(t) + 1)
    t["coverage_id"] = t.groupby(["loc", "cov"], sort=False).ngroup() + 1
    t["group_id"] = t.groupby("loc", sort=False).ngroup() + 1       # one correlation group per location
    items = t[["item_id", "coverage_id", "areaperil_id", "vulnerability_id", "group_id"]]
    coverages = t.drop_duplicates("coverage_id")[["coverage_id", "tiv"]]
    ids = t["item_id"]
    fm = {"fm_programme": pd.DataFrame({"from_agg_id": ids, "level_id": 1, "to_agg_id": ids}),
          "fm_policytc": pd.DataFrame({"level_id": 1, "agg_id": ids, "layer_id": 1, "profile_id": ids}),
          "fm_profile": pd.DataFrame({"profile_id": ids, "calcrule_id": 1, "deductible1": t["ded"], "deductible2": 0.0,
                                      "deductible3": 0.0, "attachment1": 0.0, "limit1": t["lim"], "share1": 0.0,
                                      "share2": 0.0, "share3": 0.0}),
          "fm_xref": pd.DataFrame({"output": ids, "agg_id": ids, "layer_id": 1})}
    return items.reset_index(drop=True), coverages.reset_index(drop=True), fm


def read_oed(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    frame = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
    if not is_oed(frame):
        raise PortfolioError(f"{path}: not an OED location file (needs LocNumber, Latitude, Longitude)")
    return frame
