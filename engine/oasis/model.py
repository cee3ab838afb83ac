"""Run Qilu's engine on an Oasis model: its files become a RunPlan like any other run.

Mapping (docs/oasis.md):

* areaperil -> site; item -> risk (value = its coverage's TIV); vulnerability id -> asset class
  ``v<id>`` with one curve over the model's intensity bins;
* footprint intensity bin b -> intensity ``b - 0.5`` on a curve axis [0, n_bins], so bin b is
  curve bin b - 1; a footprint with hazard uncertainty keeps each bin's probability;
* occurrence: period -> simulated year; each occurrence is an event whose draws are keyed by the
  Oasis event id (``footprint_id``), so every occurrence of an event has the same losses, as in Oasis;
* item group_id -> correlation group: items of a group share their random numbers, as in gulmc;
* damage bins: Oasis ``interpolation`` is the bin mean (analytical mean = sidx -1), draws follow the
  gulmc rule inside a bin; a zero-damage point bin is added in front when the model has none;
* financial structure: one level, calcrule 1 (deductible and limit), 12 (deductible only) or 14
  (limit only) per item -> the risk's deductible and limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine import dtypes
from engine.eventset import EventSet
from engine.oasis import files
from engine.oasis.files import OasisFormatError

MEASURE = "intensity_bin"


@dataclass(frozen=True)
class OasisTables:
    """Damage and vulnerability tables of an Oasis model, as Qilu curve arrays."""

    vulnerability_ids: np.ndarray   # int32[C]
    n_intensity_bins: int           # G
    mean: np.ndarray                # float64[C, G]: sum_d p_d * interpolation_d
    var: np.ndarray                 # float64[C, G]: from bin means (as gulmc's sidx -2)
    cdf: np.ndarray                 # float64[C, G, D]
    bin_low: np.ndarray             # float64[D]
    bin_high: np.ndarray
    bin_mean: np.ndarray


def damage_tables(vulnerability: pd.DataFrame, damage_bins: pd.DataFrame, vulnerability_ids,
                  n_intensity_bins: int) -> OasisTables:
    """Curve tables for ``vulnerability_ids`` over intensity bins 1..G (see module docstring)."""
    low = damage_bins["bin_from"].to_numpy(np.float64)
    high = damage_bins["bin_to"].to_numpy(np.float64)
    interp = damage_bins["interpolation"].to_numpy(np.float64)
    shift = 0
    if not (low[0] == 0.0 and high[0] == 0.0):  # a point bin at zero damage for "nothing happens"
        low, high, interp, shift = np.r_[0.0, low], np.r_[0.0, high], np.r_[0.0, interp], 1
    n_damage = len(low)
    ids = np.asarray(vulnerability_ids, np.int32)
    pdf = np.zeros((len(ids), n_intensity_bins, n_damage))
    v = vulnerability[vulnerability["vulnerability_id"].isin(ids)]
    if len(v):
        if v["intensity_bin_id"].max() > n_intensity_bins or v["intensity_bin_id"].min() < 1:
            raise OasisFormatError(f"vulnerability: intensity_bin_id outside 1..{n_intensity_bins} (the footprint's bins)")
        if v["damage_bin_id"].max() > len(damage_bins) or v["damage_bin_id"].min() < 1:
            raise OasisFormatError(f"vulnerability: damage_bin_id outside 1..{len(damage_bins)} (damage_bin_dict)")
        c = np.searchsorted(ids, v["vulnerability_id"].to_numpy())
        np.add.at(pdf, (c, v["intensity_bin_id"].to_numpy() - 1, v["damage_bin_id"].to_numpy() - 1 + shift),
                  v["probability"].to_numpy(np.float64))
    total = pdf.sum(axis=2)
    empty = total <= 0.0
    pdf[empty, 0] = 1.0                      # no vulnerability row for a bin: no damage
    total[empty] = 1.0
    if np.any(np.abs(total - 1.0) > 1e-4):
        c, g = np.argwhere(np.abs(total - 1.0) > 1e-4)[0]
        raise OasisFormatError(f"vulnerability {ids[c]}, intensity bin {g + 1}: probabilities sum to {total[c, g]:.6f}")
    pdf /= total[:, :, None]
    mean = pdf @ interp
    var = np.maximum(pdf @ (interp ** 2) - mean ** 2, 0.0)
    cdf = np.cumsum(pdf, axis=2)
    cdf[:, :, -1] = 1.0
    return OasisTables(ids, n_intensity_bins, mean, var, cdf, low, high, interp)


def item_terms(items: pd.DataFrame, fm: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-item deductible and limit (CNY or the model's currency) from a one-level FM structure."""
    n = len(items)
    deductible, limit = np.zeros(n), np.full(n, np.inf)
    if fm is None:
        return deductible, limit
    prog, pol, prof = fm["fm_programme"], fm["fm_policytc"], fm["fm_profile"]
    if prog["level_id"].nunique() > 1 or pol["level_id"].nunique() > 1:
        raise OasisFormatError("fm_programme/fm_policytc: only one financial level is supported")
    if pol["layer_id"].nunique() > 1:
        raise OasisFormatError("fm_policytc: only one layer is supported")
    agg = prog.set_index("from_agg_id")["to_agg_id"]
    profile_of = pol.set_index("agg_id")["profile_id"]
    profiles = prof.set_index("profile_id")
    unsupported = sorted(set(profiles["calcrule_id"]) - {1, 12, 14})
    if unsupported:
        raise OasisFormatError(f"fm_profile: calcrule(s) {unsupported} not supported; Qilu imports 1 (deductible "
                               "and limit), 12 (deductible) and 14 (limit)")
    agg_id = items["item_id"].map(agg)
    if agg_id.isna().any():
        raise OasisFormatError(f"fm_programme: item {int(items['item_id'][agg_id.isna()].iloc[0])} has no level-1 node")
    rows = profiles.loc[agg_id.map(profile_of).to_numpy()]
    rule = rows["calcrule_id"].to_numpy()
    deductible = np.where(rule == 14, 0.0, rows["deductible1"].to_numpy(np.float64))
    limit = np.where(rule == 12, np.inf, rows["limit1"].to_numpy(np.float64))
    return deductible, limit


@dataclass(frozen=True)
class OasisPeril:
    """The Oasis model's occurrences and footprints as Qilu events (picklable: paths and arrays)."""

    name: str
    static: str
    occurrence: pd.DataFrame         # event_id, period_no, occ_year, occ_month, occ_day (sorted by period)
    site_areaperils: np.ndarray      # uint32[S], sorted: site index -> areaperil id
    measures: tuple = (MEASURE,)
    units: tuple = ("bin index - 0.5",)
    placeholder: bool = False

    def events(self, years, sites, peril_index, seed) -> EventSet:
        fp = _footprint(self.static)
        occ = self.occurrence
        years = np.asarray(years, np.int64)
        periods = occ["period_no"].to_numpy()
        part = occ.iloc[np.searchsorted(periods, years[0], "left"):np.searchsorted(periods, years[-1], "right")]
        rank = part.groupby("period_no").cumcount().to_numpy()
        ids, yrs, doys, fids, offsets, site_parts, inten, probs = [], [], [], [], [0], [], [], []
        cache = {}
        for (event, period, month, day), k in zip(part[["event_id", "period_no", "occ_month", "occ_day"]]
                                                  .itertuples(index=False, name=None), rank):
            if event not in cache:
                rows = fp.rows(event)
                pos = np.searchsorted(self.site_areaperils, rows["areaperil_id"])
                pos = np.minimum(pos, len(self.site_areaperils) - 1)
                keep = self.site_areaperils[pos] == rows["areaperil_id"]
                cache[event] = (pos[keep].astype(dtypes.SITE), rows["intensity_bin_id"][keep] - 0.5,
                                rows["probability"][keep])
            site, x, p = cache[event]
            if site.size == 0:
                continue
            ids.append(dtypes.event_ids(period, peril_index, k))
            yrs.append(period)
            doys.append(_day_of_year(month, day))
            fids.append(event)
            site_parts.append(site)
            inten.append(x)
            probs.append(p)
            offsets.append(offsets[-1] + site.size)
        n = len(ids)
        cat = lambda parts, dtype, shape=(0,): np.concatenate(parts).astype(dtype) if parts else np.empty(shape, dtype)  # noqa: E731
        return EventSet(np.array(ids, dtypes.EVENT_ID), np.array(yrs, dtypes.YEAR), np.array(doys, dtypes.DOY),
                        np.full(n, peril_index, dtypes.PERIL), np.array(offsets, dtypes.OFFSET),
                        cat(site_parts, dtypes.SITE), cat(inten, dtypes.INTENSITY)[:, None],
                        (), self.measures, self.units, {"source": "Oasis model"},
                        probability=cat(probs, dtypes.INTENSITY), footprint_id=np.array(fids, dtypes.EVENT_ID))


_FOOTPRINTS: dict = {}


def _footprint(static: str) -> files.Footprint:
    """One open footprint per process (workers re-open it from the path)."""
    if static not in _FOOTPRINTS:
        _FOOTPRINTS[static] = files.Footprint(Path(static))
    return _FOOTPRINTS[static]


_CUM_DAYS = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _day_of_year(month, day) -> int:
    """Day of year in a non-leap year (1..365); months outside 1..12 fall back to 1 July."""
    if not 1 <= month <= 12:
        return 182
    return int(min(_CUM_DAYS[month - 1] + day, 365))
