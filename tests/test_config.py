"""Config tree: every option composes and validates; bad keys and values fail before any work."""
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException

from engine.config import CONFIG_DIR, ConfigError, to_settings
from runner import compose_config

ROOT = Path(__file__).resolve().parents[1]


def options(group):
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("group", ["portfolio", "climate", "scenario", "run", "compute", "output", "pricing"])
def test_every_single_option_composes_and_validates(group, tmp_path):
    for option in options(group):
        cfg = compose_config(f"{group}={option}", f"output.dir={tmp_path}")
        to_settings(cfg, tmp_path)


@pytest.mark.parametrize("group", ["peril", "product"])
def test_every_multi_option_composes_and_validates(group, tmp_path):
    for option in options(group):
        cfg = compose_config(f"{group}=[{option}]", f"output.dir={tmp_path}")
        settings = to_settings(cfg, tmp_path)
        assert [name for name, _ in getattr(settings, group + "s")] == [option]


def test_defaults_are_frozen_settings(tmp_path):
    settings = to_settings(compose_config(f"output.dir={tmp_path}"), tmp_path)
    assert settings.portfolio_path.is_file()
    assert settings.output_dir == tmp_path
    with pytest.raises(AttributeError):
        settings.pricing.risk_load = "wang"


@pytest.mark.parametrize("override", ["run.foo=1", "pricing.colour=red", "output.directory=x"])
def test_unknown_key_fails_at_composition(override):
    with pytest.raises(ConfigCompositionException, match="foo|colour|directory"):
        compose_config(override)


@pytest.mark.parametrize("override, message", [
    ("run.n_years=0", "run.n_years"),
    ("run.samples=-1", "run.samples"),
    ("run.chunk_years=-5", "run.chunk_years"),
    ("compute.kind=cloud", "compute.kind"),
    ("output.event_set=hdf4", "output.event_set"),
    ("pricing.risk_load=magic", "unknown risk_load 'magic'"),
    ("pricing.expense_ratio=0.9", "pricing"),
    ("+peril.typhoon.bogus=1", "unknown key(s) ['bogus']"),
    ("peril.typhoon.kind=tsunami", "unknown peril kind 'tsunami'; valid peril kinds: ["),
    ("peril.typhoon.mode=forecast", "mode 'forecast' is not one of"),
    ("+climate.frequency.volcano=1.2", "names no peril of this run"),
    ("climate.warming_c=9", "climate.warming_c"),
    ("+peril.typhoon.climate_sensitivity.rain_per_k=0.1", "unknown key(s) ['rain_per_k']"),
    ("output.perspectives=[gul]", "output.perspectives"),
    ("output.perspectives=[il,il]", "output.perspectives"),
    ("output.ord_formats=[xlsx]", "output.ord_formats"),
    ("output.keys=[portfolio,planet]", "output.keys"),
    ("model.kind=catmodel", "model.kind"),
    ("model=oasis", "model.dir"),
])
def test_invalid_values_name_the_key(override, message, tmp_path):
    cfg = compose_config(override, f"output.dir={tmp_path}")
    with pytest.raises(ConfigError) as err:
        to_settings(cfg, tmp_path)
    assert message in str(err.value)


def test_missing_physical_value_has_no_silent_default(tmp_path):
    cfg = compose_config("~peril.typhoon.pool_radius_km", f"output.dir={tmp_path}")
    with pytest.raises(ConfigError, match=r"needs \['pool_radius_km'\]"):
        to_settings(cfg, tmp_path)


def test_cli_rejects_unknown_key_and_writes_nothing(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "run.py"), "run.foo=1", f"output.dir={tmp_path / 'o'}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    assert "foo" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_bad_value_cleanly(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "run.py"), "run.n_years=0", f"output.dir={tmp_path / 'o'}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("qilu-run: error: config key 'run.n_years'")
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_a_broken_oasis_model_cleanly(tmp_path):
    model = tmp_path / "model"
    (model / "static").mkdir(parents=True)
    (model / "input").mkdir()
    (model / "static" / "damage_bin_dict.csv").write_text("bin_index,bin_from,bin_to,interpolation,damage_type\n1,0,0,0,0\n")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "run.py"), "model=oasis", f"model.dir={model}",
                           f"output.dir={tmp_path / 'o'}"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("qilu-run: error:") and "vulnerability" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
