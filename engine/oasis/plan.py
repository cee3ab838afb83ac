"""The RunPlan of ``qilu-run model=oasis model.dir=<dir>``: Oasis files in, Qilu's kernels and outputs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine import dtypes
from engine.config import ConfigError, Settings
from engine.keys import build_keys
from engine.kernels import Curves, Exposure, Policies, check_records, risk_flags
from engine.oasis import files
from engine.oasis.files import OasisFormatError
from engine.oasis.model import OasisPeril, damage_tables, item_terms
from engine.plan import ChunkInputs, RunPlan, ground_up
from engine.portfolio import Portfolio, Sites
from engine.rng import stable_uid

PRODUCT = "oasis"


def _exposure_from_oed(model_cfg, root):
    """Items, TIV by coverage and FM tables from an OED location file and the model's keys file."""
    from engine import oed
    from engine.config import resolve_path

    if not model_cfg.keys:
        raise ConfigError("config key 'model.keys': an OED location file needs the model's keys file "
                          "(LocNumber, CoverageTypeID, AreaPerilID, VulnerabilityID)")
    location = oed.read_oed(resolve_path(model_cfg.oed_location, root))
    keys = pd.read_csv(resolve_path(model_cfg.keys, root))
    items, coverages, fm = oed.to_items(location, keys, source=model_cfg.oed_location)
    tiv = np.full(int(coverages["coverage_id"].max()) + 1, np.nan)
    tiv[coverages["coverage_id"].to_numpy()] = coverages["tiv"].to_numpy(float)
    return items, tiv, fm


def build_oasis_plan(settings: Settings) -> RunPlan:
    """Read the model folder and map it onto Qilu's structures (engine/oasis/model.py docstring)."""
    cfg = settings.config
    root = settings.portfolio_path
    static, inputs = root / "static", root / "input"
    damage_bins = files.read_damage_bins(static)
    vulnerability = files.read_vulnerability(static)
    footprint = files.Footprint(static)
    occurrence, n_periods = files.read_occurrence(inputs, cfg.model.n_periods)
    if cfg.model.oed_location:
        items, tiv, fm = _exposure_from_oed(cfg.model, root)
    else:
        items, tiv, fm = files.read_items(inputs), files.read_coverages(inputs), files.read_fm(inputs)
    if cfg.run.first_year != 1:
        raise ConfigError("config key 'run.first_year': an Oasis model's periods start at 1; leave it at 1")
    if items["coverage_id"].max() >= len(tiv) or np.isnan(tiv[items["coverage_id"].to_numpy()]).any():
        raise OasisFormatError(f"{inputs}: an item's coverage_id has no TIV in coverages")
    events = files.read_events(inputs)
    if events is not None:
        occurrence = occurrence[occurrence["event_id"].isin(events)]
    occurrence = occurrence.sort_values(["period_no", "occ_year", "occ_month", "occ_day", "event_id"],
                                        kind="stable", ignore_index=True)

    # sites = areaperils of the items, risks = items ordered by site
    areaperils = np.unique(items["areaperil_id"].to_numpy())
    vuln_ids = np.unique(items["vulnerability_id"].to_numpy())
    tables = damage_tables(vulnerability, damage_bins, vuln_ids, footprint.n_intensity_bins)
    items = items.sort_values(["areaperil_id", "item_id"], kind="stable", ignore_index=True)
    deductible, limit = item_terms(items, fm)
    value = tiv[items["coverage_id"].to_numpy()]
    table = pd.DataFrame({
        "risk_id": items["item_id"].astype(str), "product": PRODUCT,
        "asset_class": "v" + items["vulnerability_id"].astype(str), "county": 0, "policy_id": items["item_id"].astype(str),
        "value": value, "sum_insured": value, "deductible": deductible,
        "limit": np.minimum(limit, value), "franchise": 0.0, "coinsurance": 1.0,
        "coverage_id": items["coverage_id"].to_numpy(), "group_id": items["group_id"].to_numpy()})
    site_index = np.searchsorted(areaperils, items["areaperil_id"].to_numpy()).astype(dtypes.SITE)
    sites = Sites(np.full(len(areaperils), np.nan), np.full(len(areaperils), np.nan), np.zeros(len(areaperils), np.int64))
    n = len(items)
    portfolio = Portfolio(table=table, sites=sites, site_index=site_index, policy_ids=table["policy_id"].to_numpy(),
                          policy_index=np.arange(n, dtype=np.int32), policy_deductible=np.zeros(n),
                          policy_limit=np.full(n, np.inf), uid=stable_uid(items["group_id"].to_numpy()), checksum="")
    keys = build_keys(table, tuple(cfg.output.keys))
    site_offsets = np.zeros(len(areaperils) + 1, dtypes.OFFSET)
    np.cumsum(np.bincount(site_index, minlength=len(areaperils)), out=site_offsets[1:])
    policies = Policies(np.zeros(n), np.full(n, np.inf))
    klass = np.searchsorted(vuln_ids, items["vulnerability_id"].to_numpy()).astype(np.int16)
    exposure = Exposure(
        site_offsets=site_offsets, site_risks=np.arange(n, dtype=dtypes.RISK), value=value,
        deductible=deductible, limit=table["limit"].to_numpy(), franchise=np.zeros(n), coinsurance=np.ones(n),
        klass=klass, policy=np.arange(n, dtype=np.int32),
        flags=risk_flags(np.zeros(n, bool), np.zeros(n), np.ones(n), np.arange(n), policies.deductible,
                         policies.limit),
        uid=portfolio.uid, leaf=keys.leaf, leaf_keys=keys.leaf_keys)
    check_records(exposure, policies)
    curves = Curves(curve_index=np.arange(len(vuln_ids), dtype=np.int32)[None, :], measure_col=np.zeros(len(vuln_ids), np.int32),
                    x_max=np.full(len(vuln_ids), float(tables.n_intensity_bins)), mean=tables.mean, var=tables.var,
                    cdf=tables.cdf, bin_low=tables.bin_low, bin_high=tables.bin_high,
                    susceptibility=np.ones((len(vuln_ids), 367)), bin_mean=tables.bin_mean,
                    curve_next=np.full(len(vuln_ids), -1, np.int32))
    peril = OasisPeril("oasis", str(static), occurrence, areaperils.astype(np.uint32))
    perspectives = tuple((name, *{"il": (exposure, policies), "gul": ground_up(exposure)}[name])
                         for name in cfg.output.perspectives)
    inputs_ = ChunkInputs((peril,), sites, perspectives, curves, len(keys.names), cfg.run.seed, cfg.run.samples)
    input_files = {p.name: p for folder in (static, inputs) for p in sorted(folder.iterdir())
                   if p.is_file() and p.suffix in (".bin", ".csv", ".idx", ".z")}
    years = np.arange(1, n_periods + 1, dtype=dtypes.YEAR)
    return RunPlan(settings, portfolio, keys, inputs_, years, (PRODUCT,), input_files)
