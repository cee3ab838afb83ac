"""Treaties priced in a run and by qilu-treaty, checked against an independent pass over the PLT."""
import json

import numpy as np
import pandas as pd
import pytest

from engine.config import ConfigError
from runner import run


@pytest.fixture(scope="module")
def treaty_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("treaty")
    return run(tmp, "run.n_years=200", "treaty=[cat_xl_tower,crop_stop_loss]", "output.event_set=none", name="run")


def independent_layer(plt: pd.DataFrame, n_years: int, d: float, l: float, n_reinst: int) -> float:
    """Expected annual recovery of a per-occurrence layer, one year at a time in plain Python."""
    total = 0.0
    for _, year in plt.sort_values(["year", "doy", "event_id"]).groupby("year"):
        paid = 0.0
        for loss in year["loss"]:
            paid = min(paid + min(max(loss - d, 0.0), l), (1 + n_reinst) * l)
        total += paid
    return total / n_years


def test_in_run_layers_match_an_independent_pass_over_the_plt(treaty_run):
    folder = treaty_run.folder
    plt = pd.read_parquet(folder / "plt.parquet")
    plt = plt[(plt["key"].astype(str) == "portfolio") & (plt["sample"] == -1)]
    layers = pd.read_csv(folder / "treaty" / "cat_xl_tower" / "layers.csv").set_index("layer")
    for name, d, l, n in (("L1", 1e9, 2e9, 1), ("L2", 3e9, 4e9, 1), ("L3", 7e9, 6e9, 0)):
        assert layers.loc[name, "expected_loss"] == pytest.approx(independent_layer(plt, 200, d, l, n), rel=1e-9, abs=1e-3)
    doc = json.loads((folder / "treaty" / "cat_xl_tower" / "treaty.json").read_text())
    t = doc["totals"]
    assert t["gross"]["expected_loss"] == pytest.approx(t["ceded"]["expected_loss"] + t["net"]["expected_loss"])
    summary = json.loads((folder / "summary.json").read_text())
    assert t["gross"]["expected_loss"] == pytest.approx(summary["portfolio"]["aal"], rel=1e-9)
    assert [r["treaty"] for r in summary["_run"]["treaties"]] == ["cat_xl_tower", "crop_stop_loss"]
    ep = pd.read_parquet(folder / "treaty" / "cat_xl_tower" / "ep_curves.parquet")
    for curve in ("AEP", "OEP"):
        e = ep[ep["curve"] == curve].sort_values("return_period")
        assert np.all(np.diff(e["net"]) >= -1e-6) and np.all(np.diff(e["gross"]) >= -1e-6)   # monotone
        assert np.all(e["net"] <= e["gross"] + 1e-6)


def test_stop_loss_on_the_ylt(treaty_run):
    folder = treaty_run.folder
    ylt = pd.read_parquet(folder / "ylt.parquet")
    annual = ylt[(ylt["key"].astype(str) == "product/crop_full_cost") & (ylt["sample"] == -1)]["loss"].to_numpy()
    d, l = 1.5 * 1.72e8, 1.5 * 1.72e8
    expected = np.minimum(np.maximum(annual - d, 0), l).sum() / 200
    layers = pd.read_csv(folder / "treaty" / "crop_stop_loss" / "layers.csv")
    assert layers["expected_loss"].iloc[0] == pytest.approx(expected, rel=1e-9, abs=1e-3)


def test_qilu_treaty_on_an_analysts_tables(treaty_run, tmp_path):
    from engine.treaty.cli import price_from_config
    from hydra import compose, initialize_config_dir
    from engine.config import CONFIG_DIR, register_resolvers

    plt = pd.read_parquet(treaty_run.folder / "plt.parquet")
    plt = plt[(plt["key"].astype(str) == "portfolio") & (plt["sample"] == -1)][["year", "event_id", "doy", "loss"]]
    path = tmp_path / "vendor_plt.csv"
    plt.to_csv(path, index=False)
    register_resolvers()

    def price(*overrides):
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="qilu_treaty", overrides=list(overrides))
        return price_from_config(cfg, echo=lambda *a: None)

    out = price("treaty=cat_xl_tower", f"input={path}", "n_years=200")
    vendor = pd.read_csv(out / "layers.csv").set_index("layer")
    in_run = pd.read_csv(treaty_run.folder / "treaty" / "cat_xl_tower" / "layers.csv").set_index("layer")
    pd.testing.assert_series_equal(vendor["expected_loss"], in_run["expected_loss"], rtol=1e-9)
    # a YLT only takes aggregate layers; a missing n_years and a short n_years are clear errors
    ylt = tmp_path / "vendor_ylt.csv"
    plt.groupby("year", as_index=False)["loss"].sum().to_csv(ylt, index=False)
    with pytest.raises(ConfigError, match="is a YLT"):
        price("treaty=cat_xl_tower", f"input={ylt}", "n_years=200")
    with pytest.raises(ConfigError, match="n_years"):
        price("treaty=crop_stop_loss", f"input={ylt}")
    with pytest.raises(ConfigError, match="more than n_years=5"):
        price("treaty=crop_stop_loss", f"input={ylt}", "n_years=5")
    assert price("treaty=crop_stop_loss", f"input={ylt}", "n_years=200").is_dir()


def test_treaty_subject_must_be_an_output_key(tmp_path):
    from engine.config import to_settings
    from runner import compose_config
    cfg = compose_config("treaty=[qs_cat_xl]", "output.keys=[portfolio]", f"output.dir={tmp_path / 'x'}")
    with pytest.raises(ConfigError, match="treaty.qs_cat_xl.subject"):
        to_settings(cfg, tmp_path)
