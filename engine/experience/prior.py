"""The catastrophe model's expected loss cost, read from a finished Qilu run, as a prior centre.

A run's ``summary.json`` holds, per key ``product/<name>/county/<adcode>``, the ``aal`` (CNY per
year) and ``sum_insured`` (CNY) of that product in that county. The cat-model loss cost of a
county is ``aal / sum_insured``; the overall loss cost over the priced counties is
``sum aal / sum sum_insured`` (sum-insured weighted). It only covers the perils of that run (e.g.
typhoon), so it is a floor for an all-peril crop cover rather than its centre; ``prior_sd``
says how far the product team trusts it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CatPrior:
    """Cat-model loss costs: ``overall`` (float, per year) and ``by_county`` {adcode: loss cost}."""

    overall: float
    by_county: dict
    source: str


def cat_model_prior(run_dir, product: str, counties) -> CatPrior:
    """Cat-model loss cost of ``product`` over ``counties`` from ``<run_dir>/summary.json``.

    Parameters
    ----------
    run_dir : str or Path
        A finished Qilu run folder.
    product : str
        The product's name in that run (e.g. ``special_crop``).
    counties : iterable of int
        Counties to look up; those absent from the run are skipped.

    Raises
    ------
    ValueError
        When the run has none of the counties for the product, or their AAL is 0.
    """
    path = Path(run_dir) / "summary.json"
    summary = json.loads(path.read_text())
    by_county, aal, si = {}, 0.0, 0.0
    for c in counties:
        stats = summary.get(f"product/{product}/county/{int(c)}")
        if stats is None or not stats.get("sum_insured"):
            continue
        by_county[int(c)] = stats["aal"] / stats["sum_insured"]
        aal += stats["aal"]
        si += stats["sum_insured"]
    if not by_county:
        products = sorted({k.split("/")[1] for k in summary if k.startswith("product/")})
        raise ValueError(f"{path}: no key product/{product}/county/<adcode> for the priced counties "
                         f"(products in the run: {products}; the run needs output.keys with product/county)")
    if aal <= 0:
        raise ValueError(f"{path}: product '{product}' has zero AAL in the priced counties; no prior centre")
    return CatPrior(aal / si, by_county, str(path))
