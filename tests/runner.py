"""Helpers for tests that compose the real Hydra config and run the pipeline."""
from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir

from engine.config import CONFIG_DIR, register_schema


def compose_config(*overrides: str):
    """The composed ``configs/qilu.yaml`` with ``overrides`` (as on the command line)."""
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="qilu", overrides=list(overrides))


def run(tmp: Path, *overrides: str, name: str = "run"):
    """Run the pipeline quietly into ``tmp/name``; returns RunOutput."""
    from engine.cli import run_from_config

    cfg = compose_config(f"output.dir={tmp / name}", "run.progress=false", *overrides)
    return run_from_config(cfg, base_dir=tmp, echo=lambda *a, **k: None)
