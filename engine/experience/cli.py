"""``qilu-price``: price a special-crop product from its claims experience, county by county.

Hydra app over ``configs/price.yaml``; choose the product with ``product=special_crop/<name>``::

    qilu-price product=special_crop/garlic_jinxiang
    qilu-price product=special_crop/apple_yantai sampler.draws=1000 output.dir=out/apple
    qilu-price product=special_crop/garlic_jinxiang \
        product.garlic_jinxiang.experience.prior_run=out/shandong_demo-... \
        product.garlic_jinxiang.experience.prior_product=special_crop

Every check (config keys, the experience table, the prior run, the output folder) runs before
the model is fitted. The output folder (written atomically, :class:`engine.outputs.RunFolder`)
holds ``price_table.csv``, ``price_table.parquet``, ``price_summary.json`` and ``config.yaml``.
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

import hydra
from omegaconf import MISSING, DictConfig, OmegaConf

from engine.config import CONFIG_DIR, ConfigError, register_resolvers, resolve_path
from engine.experience.table import ExperienceError


@dataclass
class PriceOutputConfig:
    dir: str = MISSING
    overwrite: bool = False


@dataclass
class SamplerOverrides:
    """Command-line overrides of the product's ``experience.sampler`` (None: keep the product's)."""

    method: Optional[str] = None
    draws: Optional[int] = None
    tune: Optional[int] = None
    chains: Optional[int] = None
    cores: Optional[int] = None
    target_accept: Optional[float] = None
    seed: Optional[int] = None
    advi_iterations: Optional[int] = None


@dataclass
class PriceConfig:
    product: Dict[str, Any] = field(default_factory=dict)
    sampler: SamplerOverrides = field(default_factory=SamplerOverrides)
    output: PriceOutputConfig = field(default_factory=PriceOutputConfig)


@dataclass(frozen=True)
class PriceJob:
    """A validated ``qilu-price`` job."""

    product: object            # engine.products.Product
    experience: object         # engine.experience.settings.ExperienceSettings
    output_dir: Path
    overwrite: bool


def register_schema() -> None:
    """Put :class:`PriceConfig` in Hydra's ConfigStore as ``price_schema``."""
    from hydra.core.config_store import ConfigStore

    register_resolvers()
    ConfigStore.instance().store(name="price_schema", node=PriceConfig)


def to_job(cfg: DictConfig, base_dir: Path | None = None) -> PriceJob:
    """Validate a composed ``qilu-price`` config; raises :class:`ConfigError` naming the key."""
    from engine.experience.settings import experience_settings
    from engine.products import build_product

    register_resolvers()
    base_dir = Path(base_dir or Path.cwd())
    try:
        obj: PriceConfig = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(PriceConfig), cfg))
    except Exception as err:  # omegaconf errors carry the full key
        raise ConfigError(f"invalid config: {err}") from None
    if len(obj.product) != 1:
        raise ConfigError(f"config key 'product': choose exactly one product, e.g. product=special_crop/"
                          f"garlic_jinxiang (got {sorted(obj.product)})")
    (name, params), = obj.product.items()
    if not (isinstance(params, dict) and "kind" in params):
        raise ConfigError(f"config key 'product.{name}': needs a 'kind'")
    try:
        product = build_product(name, dict(params))
    except (KeyError, TypeError, ValueError) as err:
        raise ConfigError(f"config key 'product.{name}': {err.args[0] if err.args else err}") from None
    experience = experience_settings(name, dict(product.experience or {}), base_dir,
                                     {k: v for k, v in asdict(obj.sampler).items() if v is not None})
    unknown = sorted(set(experience.counties) - set(_county_names()))
    if unknown:
        raise ConfigError(f"config key 'product.{name}.experience.counties': {unknown} are not "
                          "Shandong county adcodes (engine/data/geo/shandong_counties.csv)")
    output_dir = resolve_path(obj.output.dir, base_dir)
    if output_dir.exists() and not obj.output.overwrite:
        raise ConfigError(f"config key 'output.dir': {output_dir} exists; choose another output.dir "
                          "or set output.overwrite=true")
    return PriceJob(product, experience, output_dir, obj.output.overwrite)


def price_from_config(cfg: DictConfig, base_dir: Path | None = None, echo=print) -> Path:
    """Validate ``cfg``, fit the three models, print and write the rate table; returns the folder."""
    job = to_job(cfg, base_dir)
    return price(job, OmegaConf.to_yaml(cfg, resolve=True), echo)


def price(job: PriceJob, resolved_config: str = "", echo=print) -> Path:
    """Run a validated job (see :func:`price_from_config`)."""
    from engine.experience.bayes import fit_bayes
    from engine.experience.credibility import buhlmann_straub
    from engine.experience.glm import TWEEDIE_POWER, fit_glm
    from engine.experience.prior import cat_model_prior
    from engine.experience.rates import format_rate_table, rate_table
    from engine.experience.table import county_years, read_experience
    from engine.outputs import RunFolder
    from engine.provenance import file_sha256, git_state

    t0 = time.perf_counter()
    ex = job.experience
    table = read_experience(ex.path, ex.crops or None)
    priced = list(ex.counties) or sorted(table["county"].unique())
    cat = None
    prior_centre = ex.prior_loss_cost
    if ex.prior_run is not None:
        try:
            cat = cat_model_prior(ex.prior_run, ex.prior_product or job.product.name, priced)
        except ValueError as err:
            raise ConfigError(f"config key 'product.{job.product.name}.experience.prior_run': {err}") from None
        prior_centre = cat.overall

    echo(f"qilu-price: {job.product.name}: {len(table)} rows, {table['county'].nunique()} counties, "
         f"years {table['year'].min()}-{table['year'].max()} from {ex.path}")
    bayes = fit_bayes(table, ex.sampler, prior_centre, ex.prior_sd, extra_counties=priced)
    glm = fit_glm(table)
    cy = county_years(table)
    warnings = []
    try:
        cred = buhlmann_straub(cy["county"], cy["loss_cost"], cy["sum_insured"])
    except ValueError as err:
        cred = None
        warnings.append(f"Bühlmann–Straub not available: {err}")
    rates = rate_table(table, bayes, glm, cred, ex, cat)
    rates = rates[rates["county"].isin(priced)].reset_index(drop=True)
    d = bayes.diagnostics
    if d.get("r_hat_max") is not None and d["r_hat_max"] > 1.01:
        warnings.append(f"r_hat {d['r_hat_max']:.3f} > 1.01: run longer chains (sampler.draws, sampler.tune)")
    if d.get("ess_bulk_min") is not None and d["ess_bulk_min"] < 100 * ex.sampler.chains:
        warnings.append(f"bulk ESS {d['ess_bulk_min']:.0f} < 100 per chain: intervals are rough")
    if d.get("divergences"):
        warnings.append(f"{d['divergences']} divergent transitions: raise sampler.target_accept")
    if ex.sampler.method == "advi":
        warnings.append("ADVI (mean-field) intervals are too narrow; use method=nuts for final rates")

    level = ex.credible_level
    pooled_q = [float(x) for x in _quantiles(bayes.pooled, level)]
    summary = {
        "product": job.product.name,
        "description": job.product.description,
        "method": {
            "bayes": "hierarchical hurdle: Bernoulli claim year (logit: intercept + county + crop effects) x "
                     "Gamma loss cost given a claim (log mean: intercept + county + crop effects; shape x sum "
                     "insured weight); partial pooling (engine/experience/bayes.py)",
            "glm": f"Tweedie GLM, power {TWEEDIE_POWER}, log link, county and crop factors, var_weights = sum insured",
            "buhlmann": "Bühlmann–Straub per county, sum-insured weights, county-years summed over crops",
            "rate": "loss cost x (1 + risk_load) / (1 - expense_ratio)",
        },
        "loadings": {"risk_load": ex.risk_load, "expense_ratio": ex.expense_ratio},
        "credible_level": level,
        "prior": {**bayes.prior, "source": cat.source if cat else None},
        "pooled_loss_cost": {"mean": float(bayes.pooled.mean()), "lower": pooled_q[0], "upper": pooled_q[1]},
        "sampler": {**asdict(ex.sampler), **d},
        "buhlmann": None if cred is None else {"s2": cred.s2, "a": cred.a, "k": cred.k,
                                                "collective": cred.collective, "grand_mean": cred.grand_mean},
        "glm": {"deviance": float(glm.result.deviance), "scale": float(glm.result.scale),
                "converged": bool(getattr(glm.result, "converged", True))},
        "data": {"path": str(ex.path), "sha256": file_sha256(ex.path), "rows": int(len(table)),
                 "counties": int(table["county"].nunique()), "crops": sorted(table["crop"].unique()),
                 "years": [int(table["year"].min()), int(table["year"].max())]},
        "git": git_state(),
        "warnings": warnings,
    }
    folder = RunFolder(job.output_dir, overwrite=job.overwrite)
    try:
        rates.to_csv(folder.path("price_table.csv"), index=False, float_format="%.6g")
        rates.to_parquet(folder.path("price_table.parquet"), index=False)
        if resolved_config:
            folder.path("config.yaml").write_text(resolved_config)
        summary["seconds"] = time.perf_counter() - t0
        folder.write_json("price_summary.json", summary)
        final = folder.commit()
    except BaseException:
        folder.abort()
        raise
    echo(format_rate_table(rates, level))
    echo(f"pooled loss cost {100 * bayes.pooled.mean():.2f}% [{100 * pooled_q[0]:.2f}, {100 * pooled_q[1]:.2f}]; "
         f"rate = LC x (1 + {ex.risk_load:g}) / (1 - {ex.expense_ratio:g})")
    diag = (f"r_hat max {d['r_hat_max']:.3f}, ESS bulk min {d['ess_bulk_min']:.0f}, divergences {d['divergences']}"
            if d.get("r_hat_max") is not None else "ADVI")
    echo(f"{d['sampler']} {ex.sampler.chains}x{ex.sampler.draws} draws: {diag}; "
         f"sampling {d['seconds']:.1f} s, total {summary['seconds']:.1f} s -> {final}")
    for w in warnings:
        echo(f"WARNING: {w}")
    return final


def _quantiles(x, level):
    import numpy as np
    return np.quantile(x, [(1 - level) / 2, (1 + level) / 2])


def _county_names() -> dict:
    from engine.geo import load_counties
    return dict(zip(load_counties()["adcode"].astype(int), load_counties()["name"]))


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="price")
def _hydra_main(cfg: DictConfig) -> None:
    try:
        price_from_config(cfg)
    except (ConfigError, ExperienceError, FileExistsError, FileNotFoundError) as err:
        print(f"qilu-price: error: {err}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    """Console-script entry point of ``qilu-price``."""
    register_schema()
    _hydra_main()
