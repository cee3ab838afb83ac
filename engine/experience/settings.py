"""The ``experience:`` block of a product config, validated into frozen settings.

Keys (under ``product.<name>.experience``)::

    path: ${qilu_data:experience/garlic.csv}   # claims-experience table (CSV/Parquet), required
    crops: [garlic]            # crops of the table to use (default: all)
    counties: [370828, ...]    # counties to price (default: those with data); a county without rows
                               # is priced from the county distribution (no history)
    prior_run: null            # a Qilu run folder: its summary.json gives the cat-model loss cost
    prior_product: null        # product name inside that run (default: this product's name)
    prior_loss_cost: null      # or the prior centre given directly (loss cost per year, > 0)
    prior_sd: 0.5              # weight of the prior: sd of log(overall loss cost) around the centre
    risk_load: 0.10            # risk load as a share of the expected loss cost (>= 0)
    expense_ratio: 0.15        # expenses (and profit, tax) as a share of the gross premium, [0, 1)
    credible_level: 0.90       # level of the equal-tailed credible interval, (0, 1)
    sampler: {method: nuts, draws: 1000, tune: 1000, chains: 2, cores: 2, target_accept: 0.9, seed: 20231}

Premium rate (per unit of sum insured per year) = loss cost x (1 + risk_load) / (1 - expense_ratio).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional

from engine.config import ConfigError, resolve_path
from engine.experience.bayes import SamplerSettings


@dataclass(frozen=True)
class ExperienceSettings:
    """Validated experience settings of one product (paths absolute)."""

    product: str
    path: Path
    crops: tuple = ()
    counties: tuple = ()
    prior_run: Optional[Path] = None
    prior_product: Optional[str] = None
    prior_loss_cost: Optional[float] = None
    prior_sd: float = 0.5
    risk_load: float = 0.10
    expense_ratio: float = 0.15
    credible_level: float = 0.90
    sampler: SamplerSettings = field(default_factory=SamplerSettings)

    def rate(self, loss_cost):
        """Premium rate from loss cost (same shape): ``loss_cost * (1 + risk_load) / (1 - expense_ratio)``."""
        return loss_cost * (1.0 + self.risk_load) / (1.0 - self.expense_ratio)


KEYS = ("path", "crops", "counties", "prior_run", "prior_product", "prior_loss_cost", "prior_sd", "risk_load",
        "expense_ratio", "credible_level", "sampler")


def experience_settings(product: str, block: dict, base_dir: Path, sampler_overrides: dict | None = None
                        ) -> ExperienceSettings:
    """Validate ``product.<product>.experience`` (a plain dict) into :class:`ExperienceSettings`.

    ``sampler_overrides`` (the top-level ``sampler`` of ``configs/price.yaml``) replace keys of the
    product's sampler block. Raises :class:`ConfigError` naming the key.
    """
    prefix = f"product.{product}.experience"

    def check(ok, key, message):
        if not ok:
            raise ConfigError(f"config key '{prefix}.{key}': {message}" if key else f"config key '{prefix}': {message}")

    check(isinstance(block, dict) and block, "", "this product has no experience block; add one with at least "
          "'path' (see configs/product/special_crop/garlic_jinxiang.yaml)")
    unknown = sorted(set(block) - set(KEYS))
    check(not unknown, unknown[0] if unknown else "", f"unknown key; valid keys: {list(KEYS)}")
    check(block.get("path"), "path", "give the claims-experience table (CSV or Parquet)")
    path = resolve_path(str(block["path"]), base_dir)
    check(path.is_file(), "path", f"file {path} not found")
    crops = tuple(str(c) for c in (block.get("crops") or ()))
    counties = block.get("counties") or ()
    try:
        counties = tuple(int(c) for c in counties)
    except (TypeError, ValueError):
        check(False, "counties", f"must list county adcodes (integers), got {list(counties)}")
    values = {}
    for key, default, low, high, low_open, high_open in (
            ("prior_sd", 0.5, 0.0, math.inf, True, True), ("risk_load", 0.10, 0.0, math.inf, False, True),
            ("expense_ratio", 0.15, 0.0, 1.0, False, True), ("credible_level", 0.90, 0.0, 1.0, True, True)):
        raw = block.get(key, default)
        try:
            v = float(raw)
        except (TypeError, ValueError):
            check(False, key, f"must be a number, got {raw!r}")
        ok = math.isfinite(v) and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
        check(ok, key, f"must be in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}, got {v}")
        values[key] = v
    prior_loss_cost = block.get("prior_loss_cost")
    if prior_loss_cost is not None:
        try:
            prior_loss_cost = float(prior_loss_cost)
        except (TypeError, ValueError):
            check(False, "prior_loss_cost", f"must be a number, got {prior_loss_cost!r}")
        check(math.isfinite(prior_loss_cost) and 0 < prior_loss_cost < 1, "prior_loss_cost",
              f"must be a loss cost in (0, 1), got {prior_loss_cost}")
    prior_run = block.get("prior_run")
    if prior_run is not None:
        check(prior_loss_cost is None, "prior_run", "give prior_run or prior_loss_cost, not both")
        prior_run = resolve_path(str(prior_run), base_dir)
        check((prior_run / "summary.json").is_file(), "prior_run",
              f"{prior_run} is not a finished Qilu run folder (no summary.json)")
    sampler_block = dict(block.get("sampler") or {})
    sampler_block.update(sampler_overrides or {})
    known = {f.name for f in fields(SamplerSettings)}
    bad = sorted(set(sampler_block) - known)
    check(not bad, f"sampler.{bad[0]}" if bad else "sampler", f"unknown key; valid keys: {sorted(known)}")
    try:
        sampler = SamplerSettings(**{**asdict(SamplerSettings()), **sampler_block})
    except (TypeError, ValueError) as err:
        key = str(err).split(":", 1)[0] if ":" in str(err) else ""
        check(False, f"sampler.{key}" if key in known else "sampler", str(err))
    return ExperienceSettings(product, path, crops, counties, prior_run, block.get("prior_product"), prior_loss_cost,
                              values["prior_sd"], values["risk_load"], values["expense_ratio"],
                              values["credible_level"], sampler)
