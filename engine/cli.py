"""``qilu-run``: compose and validate the config, run the pipeline, print the summary table.

Hydra app over ``configs/qilu.yaml``; e.g.
``qilu-run run.n_years=50000 run.seed=7 portfolio=shandong_demo output.dir=out/demo``.
Every check (config keys, registries, portfolio file) runs before any output is written.
"""
from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from engine.config import CONFIG_DIR, ConfigError, register_schema, to_settings
from engine.oasis.files import OasisFormatError
from engine.portfolio import PortfolioError


def run_from_config(cfg: DictConfig, base_dir: Path | None = None, echo=print):
    """Validate ``cfg``, build the plan and execute it; returns :class:`engine.pipeline.RunOutput`."""
    from engine.pipeline import execute
    from engine.plan import build_plan
    from engine.summary import format_table, summary_table

    settings = to_settings(cfg, base_dir)
    plan = build_plan(settings)
    if plan.placeholder:
        echo("WARNING: this run uses a PLACEHOLDER peril (uncalibrated); see summary.json '_run'.")
    for warning in plan.warnings:
        echo(f"NOTE: {warning}")
    resolved = OmegaConf.to_yaml(cfg, resolve=True)
    out = execute(plan, resolved, echo=echo)
    wanted = [k for k in plan.keys.names if any(key_matches(k, p) for p in settings.config.output.print_keys)]
    echo(format_table(summary_table(out.summary, wanted)))
    if (out.folder / "carbon_counties.csv").exists():   # carbon covers: results by county
        import pandas as pd

        from engine.carbon.outputs import format_counties
        echo(format_counties(pd.read_csv(out.folder / "carbon_counties.csv")))
    echo(f"{len(plan.years):,} years in {out.seconds:.1f} s -> {out.folder}")
    return out


def key_matches(key: str, pattern: str) -> bool:
    """Glob match segment by segment: ``product/*`` matches products but not product x county keys."""
    parts, globs = key.split("/"), pattern.split("/")
    return len(parts) == len(globs) and all(fnmatch.fnmatchcase(a, g) for a, g in zip(parts, globs))


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="qilu")
def _hydra_main(cfg: DictConfig) -> None:
    try:
        run_from_config(cfg)
    except (ConfigError, PortfolioError, OasisFormatError, FileExistsError, FileNotFoundError) as err:
        print(f"qilu-run: error: {err}", file=sys.stderr)
        sys.exit(2)


def run_main() -> None:
    """Console-script entry point of ``qilu-run``."""
    register_schema()
    _hydra_main()
