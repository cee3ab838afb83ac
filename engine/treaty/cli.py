"""``qilu-treaty``: price a treaty program on a run folder's PLT or on an analyst's loss table.

    qilu-treaty treaty=cat_xl_tower input=out/demo
    qilu-treaty treaty=crop_stop_loss input=vendor_ylt.csv n_years=10000

Prints the layer table and writes layers.csv, treaty.json, ep_curves.parquet/png atomically
(engine/treaty/report.py). Bad configs and files fail before anything is written (exit 2).
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from engine.config import CONFIG_DIR, ConfigError, register_resolvers


def _basis(cfg):
    from engine.pricing import PricingBasis
    known = {f.name for f in dataclasses.fields(PricingBasis)}
    pricing = OmegaConf.to_container(cfg.pricing, resolve=True)
    unknown = sorted(set(pricing) - known)
    if unknown:
        raise ConfigError(f"config key 'pricing': unknown key(s) {unknown}")
    try:
        return PricingBasis(**pricing)
    except ValueError as err:
        raise ConfigError(f"config key 'pricing': {err}") from None


def price_from_config(cfg: DictConfig, echo=print) -> Path:
    """Validate, load, price and write; returns the output folder."""
    from engine.outputs import RunFolder
    from engine.treaty.inputs import from_run_folder, from_table
    from engine.treaty.report import price_treaty, write_treaty
    from engine.treaty.spec import parse_treaty

    treaties = OmegaConf.to_container(cfg.treaty, resolve=True) or {}
    if len(treaties) != 1:
        raise ConfigError(f"config key 'treaty': choose one treaty, e.g. treaty=cat_xl_tower (got {sorted(treaties)})")
    name, spec = next(iter(treaties.items()))
    if cfg.subject:
        spec["subject"] = cfg.subject
    try:
        treaty = parse_treaty(name, spec)
    except ValueError as err:
        raise ConfigError(f"config key 'treaty.{name}': {err}") from None
    basis = _basis(cfg)
    source = Path(str(cfg.input))
    try:
        if source.is_dir():
            per_risk = any(layer.type in ("surplus", "per_risk_xl") for layer in treaty.layers)
            subject, facts = from_run_folder(source, treaty.subject, per_risk=per_risk)
            default_out = source / "treaty" / name
        else:
            if cfg.n_years is None:
                raise ConfigError("config key 'n_years': give the number of simulated years of the table")
            subject, facts = from_table(source, int(cfg.n_years), cfg.first_year)
            if not facts["event_level"] and any(layer.type not in ("aggregate_xl", "stop_loss", "quota_share")
                                                for layer in treaty.layers):
                raise ConfigError(f"config key 'input': {source} is a YLT (no event_id); only aggregate layers "
                                  "(aggregate_xl, stop_loss) and quota shares apply to it")
            default_out = source.parent / f"{source.stem}-treaty-{name}"
        priced = price_treaty(treaty, subject, basis)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    folder = RunFolder(Path(cfg.output_dir) if cfg.output_dir else default_out, overwrite=bool(cfg.overwrite))
    try:
        write_treaty(folder.tmp, treaty, priced, facts)
        (folder.tmp / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
        final = folder.commit()
    except BaseException:
        folder.abort()
        raise
    echo(format_layers(priced["layers"]))
    t = priced["totals"]
    echo(f"gross EL {t['gross']['expected_loss'] / 1e6:,.1f} M, ceded {t['ceded']['expected_loss'] / 1e6:,.1f} M, "
         f"net {t['net']['expected_loss'] / 1e6:,.1f} M CNY/yr over {facts['n_trials']:,} trials -> {final}")
    return final


def format_layers(rows) -> str:
    head = f"{'layer':<10}{'type':<14}{'EL (M)':>12}{'SD (M)':>12}{'P(attach)':>11}{'P(exhaust)':>11}" \
           f"{'E[reinst]':>11}{'premium (M)':>13}{'RoL':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['layer']:<10}{r['type']:<14}{r['expected_loss'] / 1e6:>12,.2f}{r['std'] / 1e6:>12,.2f}"
                     f"{r['p_attach']:>11.4f}{r['p_exhaust']:>11.4f}{r['expected_reinstatement_factor']:>11.3f}"
                     f"{r['gross_premium'] / 1e6:>13,.2f}{r['rate_on_line']:>9.3%}")
    return "\n".join(lines)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="qilu_treaty")
def _hydra_main(cfg: DictConfig) -> None:
    try:
        price_from_config(cfg)
    except (ConfigError, FileExistsError, FileNotFoundError) as err:
        print(f"qilu-treaty: error: {err}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    """Console-script entry point of ``qilu-treaty``."""
    register_resolvers()
    _hydra_main()
