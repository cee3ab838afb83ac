"""Read and validate a claims-experience table (CSV or Parquet).

One row per (county, crop, year) of a product's history:

==============  ========  ==================================================================
column          type      meaning
==============  ========  ==================================================================
county          int       county adcode (6 digits, a Shandong county of engine/data/geo)
crop            str       crop name as the product team writes it (e.g. ``garlic``)
year            int       underwriting year (1949..2100)
sum_insured     float     total sum insured of the year's policies, CNY, > 0
indemnity       float     total indemnity paid for the year, CNY, 0 <= indemnity <= sum_insured
policies        int       optional: number of policies (>= 0; may be blank)
area_mu         float     optional: insured area in mu (1 mu = 666.7 m^2), > 0 (may be blank)
==============  ========  ==================================================================

The loss cost of a row is ``indemnity / sum_insured`` (dimensionless, per year). Errors name the
file, the row (the line number of a CSV, the 1-based row of a Parquet file) and the column.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED = ("county", "crop", "year", "sum_insured", "indemnity")
OPTIONAL = ("policies", "area_mu")


class ExperienceError(ValueError):
    """An invalid claims-experience table; the message names the file, row and column."""


def read_experience(path, crops=None, counties=None) -> pd.DataFrame:
    """Read, validate and optionally filter a claims-experience table.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file with the columns above.
    crops : list of str, optional
        Keep only these crops; each must occur in the file.
    counties : list of int, optional
        Keep only these county adcodes (a county without rows is allowed: it has no history).

    Returns
    -------
    pandas.DataFrame
        Columns ``county`` (int64), ``crop`` (str), ``year`` (int64), ``sum_insured`` and
        ``indemnity`` (float64, CNY), ``loss_cost`` (float64, indemnity / sum insured) and the
        optional columns present, sorted by county, crop and year, index 0..N-1.

    Raises
    ------
    ExperienceError
        On a missing file or column, a bad value (with its row), a duplicated (county, crop, year)
        or an unknown crop filter.
    """
    path = Path(path)
    if not path.is_file():
        raise ExperienceError(f"{path}: claims-experience file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            raw = pd.read_csv(path, dtype={"crop": str})
            first_row = 2   # line number of the first data row (after the header)
        elif suffix in (".parquet", ".pq"):
            raw = pd.read_parquet(path)
            first_row = 1
        else:
            raise ExperienceError(f"{path}: unsupported file type '{suffix}' (use .csv or .parquet)")
    except ExperienceError:
        raise
    except Exception as err:  # parser errors carry their own position
        raise ExperienceError(f"{path}: cannot read: {err}") from None
    table = validate_experience(raw, source=str(path), first_row=first_row)
    if crops:
        unknown = sorted(set(crops) - set(table["crop"]))
        if unknown:
            raise ExperienceError(f"{path}: crop(s) {unknown} not in the file (crops: {sorted(set(table['crop']))})")
        table = table[table["crop"].isin(list(crops))]
    if counties:
        table = table[table["county"].isin([int(c) for c in counties])]
    return table.reset_index(drop=True)


def validate_experience(raw: pd.DataFrame, source: str = "<table>", first_row: int = 1) -> pd.DataFrame:
    """Check a raw table and return a clean copy (the caller's frame is not changed).

    ``first_row`` is the number reported for the first data row (2 for a CSV with a header line).
    See :func:`read_experience` for the columns, the result and the errors.
    """
    from engine.geo import load_counties

    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ExperienceError(f"{source}: missing column(s) {missing}; required: {list(REQUIRED)}, "
                              f"optional: {list(OPTIONAL)}")
    if len(raw) == 0:
        raise ExperienceError(f"{source}: the table has no rows")
    out = pd.DataFrame(index=raw.index)

    def fail(mask, column, what):
        bad = np.flatnonzero(np.asarray(mask))
        if bad.size:
            i = bad[0]
            raise ExperienceError(f"{source}: row {i + first_row}, column '{column}': {what} "
                                  f"(got {raw[column].iloc[i]!r}; {bad.size} bad row(s) in all)")

    for column, kind in (("county", "int"), ("year", "int"), ("sum_insured", "float"), ("indemnity", "float"),
                         ("policies", "int"), ("area_mu", "float")):
        if column not in raw.columns:
            continue
        values = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        blank = raw[column].isna().to_numpy() if column in OPTIONAL else np.zeros(len(raw), bool)
        fail(~np.isfinite(values) & ~blank, column, "must be a finite number")   # optional columns may be blank
        if kind == "int":
            fail(np.isfinite(values) & (values != np.round(values)), column, "must be a whole number")
            out[column] = values.astype(np.int64) if not blank.any() else pd.array(
                [None if b else int(v) for v, b in zip(values, blank)], dtype="Int64")
        else:
            out[column] = values
    crop = raw["crop"]
    fail(crop.isna() | (crop.astype(str).str.strip() == ""), "crop", "must be a non-empty crop name")
    out["crop"] = crop.astype(str).str.strip()

    known = set(load_counties()["adcode"].astype(np.int64))
    fail(~out["county"].isin(known), "county", "is not the adcode of a Shandong county (engine/data/geo)")
    fail((out["year"] < 1949) | (out["year"] > 2100), "year", "must be in 1949..2100")
    fail(out["sum_insured"] <= 0, "sum_insured", "must be > 0 CNY")
    fail(out["indemnity"] < 0, "indemnity", "must be >= 0 CNY")
    fail(out["indemnity"] > out["sum_insured"] * (1 + 1e-9), "indemnity", "exceeds the row's sum_insured")
    if "policies" in out:
        fail((out["policies"] < 0).fillna(False), "policies", "must be >= 0")
    if "area_mu" in out:
        fail(out["area_mu"] <= 0, "area_mu", "must be > 0 mu")   # NaN (blank) compares False
    dup = out.duplicated(["county", "crop", "year"], keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        row = out.iloc[i]
        raise ExperienceError(f"{source}: row {i + first_row}, columns 'county, crop, year': duplicate of an earlier "
                              f"row ({row['county']}, {row['crop']}, {row['year']}); give one row per county, "
                              "crop and year")
    out["loss_cost"] = out["indemnity"] / out["sum_insured"]
    columns = ["county", "crop", "year", "sum_insured", "indemnity", "loss_cost"] + [c for c in OPTIONAL if c in out]
    return out[columns].sort_values(["county", "crop", "year"], kind="stable").reset_index(drop=True)


def county_years(table: pd.DataFrame) -> pd.DataFrame:
    """Sum a validated table over crops: one row per (county, year).

    Returns columns ``county, year, sum_insured, indemnity`` (CNY) and ``loss_cost``
    (their ratio), sorted by county and year.
    """
    g = table.groupby(["county", "year"], sort=True)[["sum_insured", "indemnity"]].sum().reset_index()
    g["loss_cost"] = g["indemnity"] / g["sum_insured"]
    return g
