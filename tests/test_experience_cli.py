"""``qilu-price``: configs compose and validate, bad keys fail before work, the demo writes its files."""
import json
import subprocess
import sys

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from engine.config import CONFIG_DIR, ConfigError, register_schema as register_qilu_schema, to_settings
from engine.experience.cli import price_from_config, register_schema, to_job
from engine.experience.rates import COLUMNS

PRODUCTS = ["garlic_jinxiang", "greenhouse_shouguang", "apple_yantai", "sea_cucumber_qingdao"]
FAST = ["sampler.draws=150", "sampler.tune=150", "sampler.cores=1"]


def price_cfg(*overrides):
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("price", overrides=list(overrides))


@pytest.mark.parametrize("product", PRODUCTS)
def test_every_special_crop_product_composes_for_price_and_run(product, tmp_path):
    job = to_job(price_cfg(f"product=special_crop/{product}", f"output.dir={tmp_path}/o"))
    assert job.product.name == product and job.experience.path.is_file()
    assert job.experience.sampler.draws == 1000 and job.experience.credible_level == 0.9
    register_qilu_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("qilu", overrides=[f"product=[special_crop,special_crop/{product}]", "output.dir=x"])
    names = [n for n, _ in to_settings(cfg).products]
    assert names == ["special_crop", product]       # '# @package product': no 'special_crop/' nesting


def test_default_product_is_garlic(tmp_path):
    assert to_job(price_cfg(f"output.dir={tmp_path}/o")).product.name == "garlic_jinxiang"


@pytest.mark.parametrize("override,key", [
    ("product.garlic_jinxiang.experience.risk_load=-0.1", "product.garlic_jinxiang.experience.risk_load"),
    ("product.garlic_jinxiang.experience.expense_ratio=1.0", "product.garlic_jinxiang.experience.expense_ratio"),
    ("product.garlic_jinxiang.experience.credible_level=1.5", "product.garlic_jinxiang.experience.credible_level"),
    ("product.garlic_jinxiang.experience.path=nope.csv", "product.garlic_jinxiang.experience.path"),
    ("product.garlic_jinxiang.experience.prior_run=nowhere", "product.garlic_jinxiang.experience.prior_run"),
    ("product.garlic_jinxiang.experience.prior_loss_cost=2", "product.garlic_jinxiang.experience.prior_loss_cost"),
    ("product.garlic_jinxiang.experience.counties=[110101]", "product.garlic_jinxiang.experience.counties"),
    ("+product.garlic_jinxiang.experience.prior_weight=3", "product.garlic_jinxiang.experience.prior_weight"),
    ("+product.garlic_jinxiang.experience.sampler.draw=10", "product.garlic_jinxiang.experience.sampler.draw"),
    ("sampler.method=hmc", "product.garlic_jinxiang.experience.sampler.method"),
    ("sampler.target_accept=0.2", "product.garlic_jinxiang.experience.sampler.target_accept"),
    ("product=special_crop", "product.special_crop.experience"),
    ("product=[special_crop/garlic_jinxiang,special_crop/apple_yantai]", "product"),
    ("+product.garlic_jinxiang.colour=red", "product.garlic_jinxiang"),
])
def test_invalid_config_names_the_key(override, key, tmp_path):
    with pytest.raises(ConfigError) as err:
        to_job(price_cfg(override, f"output.dir={tmp_path}/o"))
    assert f"'{key}'" in str(err.value)


def test_existing_output_folder_fails_before_work(tmp_path):
    (tmp_path / "o").mkdir()
    with pytest.raises(ConfigError, match="'output.dir'"):
        to_job(price_cfg(f"output.dir={tmp_path}/o"))


@pytest.mark.slow
def test_price_demo_writes_table_and_summary(tmp_path):
    lines = []
    folder = price_from_config(price_cfg("product=special_crop/greenhouse_shouguang", f"output.dir={tmp_path}/gh",
                                         *FAST), echo=lines.append)
    assert sorted(p.name for p in folder.iterdir()) == ["config.yaml", "price_summary.json", "price_table.csv",
                                                         "price_table.parquet"]
    assert not list(tmp_path.glob(".gh.partial-*"))
    table = pd.read_parquet(folder / "price_table.parquet")
    assert list(table.columns) == COLUMNS and len(table) == 8 and 370783 in set(table["county"])
    csv = pd.read_csv(folder / "price_table.csv")
    assert list(csv.columns) == COLUMNS and len(csv) == 8
    assert (table["bayes_rate_lower"] < table["bayes_rate"]).all() and (table["bayes_rate"] < table["bayes_rate_upper"]).all()
    factor = 1.10 / 0.85
    pd.testing.assert_series_equal(table["bayes_rate"], table["bayes_loss_cost"] * factor, check_names=False)
    pd.testing.assert_series_equal(table["glm_rate"], table["glm_loss_cost"] * factor, check_names=False)
    summary = json.loads((folder / "price_summary.json").read_text())
    s = summary["sampler"]
    assert s["draws"] == 150 and s["divergences"] >= 0 and s["r_hat_max"] > 0.99 and s["ess_bulk_min"] > 0
    assert summary["product"] == "greenhouse_shouguang" and summary["data"]["crops"] == ["cucumber", "pepper", "tomato"]
    assert summary["seconds"] > 0 and any("寿光" in line for line in lines)


@pytest.mark.slow
def test_qilu_price_command_end_to_end(tmp_path):
    """The console script on the default demo (garlic, with a county without history) at reduced size."""
    out = tmp_path / "garlic"
    proc = subprocess.run([sys.executable, "scripts/price.py",
                           f"output.dir={out}", *FAST], capture_output=True, text=True, cwd=CONFIG_DIR.parent,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "金乡县" in proc.stdout and "泗水县" in proc.stdout
    table = pd.read_csv(out / "price_table.csv")
    new = table.set_index("county").loc[370831]
    assert new["years"] == 0 and new["bayes_rate"] > 0 and new["credibility_z"] == 0
    bad = subprocess.run([sys.executable, "scripts/price.py", f"output.dir={out}"], capture_output=True, text=True,
                         cwd=CONFIG_DIR.parent, timeout=120)
    assert bad.returncode == 2 and "'output.dir'" in bad.stderr
