"""Carbon covers in a chunk: events and carbon hazards -> tCO2e lost per plot and year -> indemnity.

Per plot and simulated year (all independent causes combine as ``1 - prod(1 - s)``):

* physical share ``d``: the run's typhoon, flood and drought events through the plot's curves
  (``forest``: windthrow, flood, drought dieback; ``blue_carbon``: raft and meadow damage), the
  kernels' analytical mean damage ratio with value 1 (so entry probabilities and multi-curve chains
  apply exactly as for any risk);
* forest stock share ``s = 1 - (1 - d)(1 - fire)(1 - pest stock)``; sequestration share
  ``q = 1 - (1 - s)(1 - pest sequestration)`` (a dead tree stops growing);
* blue carbon: ``q = 1 - (1 - d)(1 - marine heat)``, and the sink is the year's removal, so ``s = q``.

Then, at the year's price P: value cover ``gul = insured tCO2e x s x P``; index cover ``gul = seq lost
x P`` and ``il = limit x share(seq lost / expected)``; delivery cover ``gul = max(contracted -
delivered, 0) x P`` with ``delivered = expected x (1 - q)``. Insured losses take the row's deductible
(value cover), limit and coinsurance. Losses are the same in every sample: the carbon step uses the
mean damage of the physical events (their sampled uncertainty is not propagated).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.carbon import hazards as hz
from engine.carbon.book import COVERS, CarbonBook
from engine.carbon.price import sample_prices
from engine.kernels import Exposure, Policies, occurrence_losses

VALUE, INDEX, DELIVERY = (COVERS.index(c) for c in ("value", "index", "delivery"))


@dataclass(frozen=True)
class CarbonInputs:
    """What the carbon step of a chunk needs (picklable): the book, its unit-value exposure for the
    kernels, the carbon peril's index and object, and the leaf of each plot's keys."""

    book: CarbonBook
    damage: Exposure       # value 1 per plot, no terms, one key per plot
    peril_index: int
    peril: object          # perils.carbon_sink.peril.CarbonSinkPeril
    leaf: np.ndarray       # int32[R] leaf of each plot (engine.keys)


def physical_shares(fp, carbon: CarbonInputs, curves, seed: int, years: np.ndarray) -> np.ndarray:
    """float64[Y, R]: share of each plot's sink destroyed by the chunk's physical events in each year."""
    book = carbon.book
    ex, pol = carbon.damage, Policies(np.zeros(book.n_plots), np.full(book.n_plots, np.inf))
    occ = occurrence_losses(fp, ex, pol, curves, book.n_plots, seed, 0)
    event, plot, damage = occ[0], occ[1], np.clip(occ[2][:, 0], 0.0, 1.0)
    year_row = np.searchsorted(years, fp.year[event])
    kept = np.zeros((years.size, book.n_plots))
    np.add.at(kept, (year_row, plot), np.log1p(-np.minimum(damage, 1.0 - 1e-15)))
    return -np.expm1(kept)


def year_losses(fp, carbon: CarbonInputs, curves, seed: int, years: np.ndarray) -> dict:
    """Per (year, plot) shares, tCO2e and losses of one chunk, dense float64[Y, R] arrays, plus the
    year's ``price`` and ``driver`` (float64[Y])."""
    book, peril = carbon.book, carbon.peril
    years = np.asarray(years, np.int64)
    shape = (years.size, book.n_plots)
    phys = physical_shares(fp, carbon, curves, seed, years)
    dryness, driver = peril.drivers(years, seed, book.county)
    fire = np.zeros(shape)
    pest_stock, pest_seq = np.zeros(shape), np.zeros(shape)
    forest = book.forest
    if forest.any():
        fire[:, forest] = hz.sample_fire_loss(peril.hazards.fire, seed, years, book.county[forest], dryness[:, forest])
        ps, pq = hz.sample_pest_loss(peril.hazards.pests, seed, years, book.group[forest], dryness[:, forest])
        pest_stock[:, forest], pest_seq[:, forest] = ps, pq
    heat = np.zeros(shape)
    if (~forest).any():
        anomaly = hz.sample_sst_anomaly(peril.hazards.marine_heat, seed, years)
        heat[:, ~forest] = hz.marine_heat_shares(peril.hazards.marine_heat, anomaly, book.group[~forest])
    stock_share = np.where(forest, hz.combine_shares(phys, fire, pest_stock), hz.combine_shares(phys, heat))
    seq_share = np.where(forest, hz.combine_shares(stock_share, pest_seq), stock_share)
    price = sample_prices(peril.price, seed, years, driver, peril.price_rho)
    out = {"physical": phys, "fire": fire, "pest": hz.combine_shares(pest_stock, pest_seq), "marine_heat": heat,
           "stock_share": stock_share, "sequestration_share": seq_share, "price": price,
           "driver": np.zeros(years.size) if driver is None else driver}
    plot = np.tile(np.arange(book.n_plots), years.size)
    flat = cover_losses(book, plot, stock_share.ravel(), seq_share.ravel(), np.repeat(price, book.n_plots))
    out.update({name: values.reshape(shape) for name, values in flat.items()})
    return out


def cover_losses(book: CarbonBook, plot, stock_share, seq_share, price) -> dict:
    """``tco2e_lost``, ``gul`` (tCO2e lost x price, before terms), ``il`` (after the cover's terms) and
    ``at_risk`` (the carbon at stake x price) of (year, plot) pairs: ``plot`` int[n], the shares and
    the year's price float64[n]. Also used to reprice the same losses at other carbon prices."""
    plot = np.asarray(plot)
    p = np.asarray(price, float)
    cover = book.cover[plot]
    expected = book.sequestration_tco2e[plot]
    seq_lost = expected * seq_share
    contracted = book.contracted_tco2e[plot]
    shortfall = np.maximum(contracted - (expected - seq_lost), 0.0)
    tco2e = np.select([cover == VALUE, cover == INDEX], [book.insured_tco2e[plot] * stock_share, seq_lost], shortfall)
    gul = tco2e * p
    limit = book.limit[plot]
    index = np.zeros_like(gul)
    for name, schedule in book.grades.items():
        mine = book.product[plot] == name
        ratio = np.where(expected[mine] > 0, seq_lost[mine] / np.where(expected[mine] > 0, expected[mine], 1.0), 0.0)
        index[mine] = schedule.share(np.clip(ratio, 0.0, 1.0)) * limit[mine]
    value = np.minimum(np.maximum(gul - book.deductible[plot], 0.0), limit)
    delivery = np.minimum(np.maximum(shortfall - book.retention[plot], 0.0) * p, limit)
    il = np.select([cover == VALUE, cover == INDEX], [value, index], delivery) * book.coinsurance[plot]
    at_risk = np.select([cover == VALUE, cover == INDEX], [book.insured_tco2e[plot], expected], contracted) * p
    return {"tco2e_lost": tco2e, "gul": gul, "il": il, "at_risk": at_risk}
