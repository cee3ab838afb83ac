"""Run-level invariants (engine.invariants.check_run): a real run passes; a corrupted copy of each
file fails with the file, key and return period, event or row in the message."""
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from runner import run

from engine.invariants import InvariantError, check_run

N_YEARS, SAMPLES = 200, 2
N_TRIALS = N_YEARS * SAMPLES


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory):
    """A small sampled run with ground-up tables and three treaties (two quick perils that still
    reach the cat XL, quota share and stop loss layers)."""
    tmp = tmp_path_factory.mktemp("invariants")
    return run(tmp, f"run.n_years={N_YEARS}", f"run.samples={SAMPLES}", "peril=[yellow_river,crop_residual]",
               "output.perspectives=[il,gul]", "treaty=[cat_xl_tower,crop_stop_loss,qs_cat_xl]",
               "output.event_set=none", "output.plots=false", "output.report=false", name="run").folder


@pytest.fixture
def copy(finished_run, tmp_path):
    return shutil.copytree(finished_run, tmp_path / "run")


def edit_table(path, change):
    """Rewrite a Parquet file after ``change(frame)`` (dictionary keys stay dictionaries)."""
    frame = pd.read_parquet(path)
    change(frame)
    frame.to_parquet(path, index=False)


def edit_json(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def expect(folder, pattern):
    with pytest.raises(InvariantError, match=pattern):
        check_run(folder, ("il", "gul"))


def test_a_real_run_passes(finished_run):
    check_run(finished_run, ("il", "gul"))


def test_a_run_without_elt_and_plt_passes(copy):
    for name in ("elt", "plt", "gul_elt", "gul_plt"):
        (copy / f"{name}.parquet").unlink()
    check_run(copy, ("il", "gul"))


def test_a_missing_summary_fails(copy):
    (copy / "gul_summary.json").unlink()
    expect(copy, "^gul_summary.json: missing")


# --- EP curves --------------------------------------------------------------------------------

def test_ep_curve_that_falls(copy):
    frame = pd.read_parquet(copy / "ep_curves.parquet")
    key = next(k for k in frame["key"].unique() if k.startswith("county/")
               and ((frame["key"] == k) & (frame["basis"] == "AEP")).sum() >= 2)

    def change(f):   # the 2nd largest loss (200 yr) above the largest (400 yr)
        rows = f.index[(f["key"] == key) & (f["basis"] == "AEP")]
        f.loc[rows[1], "loss"] = 2 * f.loc[rows[0], "loss"] + 1.0
    edit_table(copy / "ep_curves.parquet", change)
    expect(copy, rf"^ep_curves.parquet: key '{key}' AEP loss falls from \S+ at {N_TRIALS // 2} yr to \S+ "
                 rf"at {N_TRIALS} yr$")


def test_ep_curve_with_oep_above_aep(copy):
    def change(f):   # the largest portfolio OEP loss above the largest AEP loss
        oep = f.index[(f["key"] == "portfolio") & (f["basis"] == "OEP")][0]
        aep = f.index[(f["key"] == "portfolio") & (f["basis"] == "AEP")][0]
        f.loc[oep, "loss"] = 2 * f.loc[aep, "loss"]
    edit_table(copy / "gul_ep_curves.parquet", change)
    expect(copy, rf"^gul_ep_curves.parquet: key 'portfolio' OEP \S+ exceeds AEP \S+ at {N_TRIALS} yr$")


# --- loss tables ------------------------------------------------------------------------------

def test_negative_plt_loss(copy):
    def change(f):
        f.loc[5, "loss"] = -1.0
    edit_table(copy / "plt.parquet", change)
    expect(copy, r"^plt.parquet: row 5, year \d+, sample -?\d+, event \d+, key '[^']+': loss is -1.0; "
                 "it must be finite and >= 0$")


def test_plt_loss_above_the_sum_insured(copy):
    si = json.loads((copy / "summary.json").read_text())["portfolio"]["sum_insured"]
    row = int(np.flatnonzero(pd.read_parquet(copy / "plt.parquet")["key"] == "portfolio")[0])

    def change(f):
        f.loc[row, "loss"] = 1.5 * si
    edit_table(copy / "plt.parquet", change)
    expect(copy, rf"^plt.parquet: row {row}, .* key 'portfolio': loss \S+ exceeds the key's sum insured")


def test_duplicate_elt_row(copy):
    frame = pd.read_parquet(copy / "elt.parquet")
    pd.concat([frame, frame.iloc[[3]]], ignore_index=True).to_parquet(copy / "elt.parquet", index=False)
    expect(copy, rf"^elt.parquet: row {len(frame)}, event {frame['event_id'].iloc[3]}, key '{frame['key'].iloc[3]}': "
                 r"duplicate \(event_id, key\) row$")


def test_duplicate_gul_plt_row(copy):
    frame = pd.read_parquet(copy / "gul_plt.parquet")
    pd.concat([frame, frame.iloc[[0]]], ignore_index=True).to_parquet(copy / "gul_plt.parquet", index=False)
    expect(copy, rf"^gul_plt.parquet: row {len(frame)}, .*: duplicate \(year, sample, event_id, key\) row$")


def test_ylt_largest_event_above_the_annual_total(copy):
    def change(f):
        f.loc[7, "max_event_loss"] = 2 * f.loc[7, "loss"] + 1.0
    edit_table(copy / "ylt.parquet", change)
    expect(copy, r"^ylt.parquet: row 7, year \d+, sample -?\d+, key '[^']+': max_event_loss \S+ exceeds the "
                 "annual total")


def test_ylt_that_does_not_reproduce_the_summary(copy):
    def change(f):
        f.loc[f["key"] == "portfolio", "loss"] *= 1.01
    edit_table(copy / "ylt.parquet", change)
    expect(copy, r"^ylt.parquet: key 'portfolio' AAL \S+ from the table differs from the summary's")


# --- summary.json and premiums.csv ------------------------------------------------------------

def test_summary_keys_that_do_not_add_up(copy):
    summary = json.loads((copy / "summary.json").read_text())
    county = max((k for k in summary if k.startswith("county/")), key=lambda k: summary[k]["aal"])

    def change(doc):   # halve one county's AAL, consistently with its premium
        doc[county]["aal"] /= 2
        doc[county]["premium"]["expected_loss"] /= 2
    edit_json(copy / "summary.json", change)
    expect(copy, r"^summary.json: the 'county' keys' aal add up to \S+, not the portfolio's")


def test_summary_negative_aal(copy):
    def change(doc):
        doc["product/forest"]["aal"] = -1.0
    edit_json(copy / "summary.json", change)
    expect(copy, r"^summary.json: key 'product/forest' aal is -1.0; it must be finite and >= 0$")


def test_summary_tvar_below_var(copy):
    def change(doc):
        doc["portfolio"]["tvar_99"] = doc["portfolio"]["aep"]["100"] / 2
    edit_json(copy / "gul_summary.json", change)
    expect(copy, r"^gul_summary.json: key 'portfolio' TVaR 99% \S+ is below VaR 99% \(AEP 100 yr\)")


def test_negative_premium(copy):
    frame = pd.read_csv(copy / "premiums.csv")
    frame.loc[2, "gross"] = -5.0
    frame.to_csv(copy / "premiums.csv", index=False)
    expect(copy, rf"^premiums.csv: row 4, key '{re.escape(frame['key'][2])}': gross is -5.0")


# --- treaties ---------------------------------------------------------------------------------

def test_ceded_plus_net_is_not_gross(copy):
    def change(doc):
        doc["totals"]["net"]["expected_loss"] *= 1.01
    edit_json(copy / "treaty" / "qs_cat_xl" / "treaty.json", change)
    expect(copy, r"^treaty/qs_cat_xl/treaty.json: ceded \S+ \+ net \S+ = \S+ expected loss, not the gross")


def test_layer_above_its_annual_limit(copy):
    layers = pd.read_csv(copy / "treaty" / "cat_xl_tower" / "layers.csv")
    layers.loc[0, "expected_loss"] = 1.25 * layers.loc[0, "annual_limit"]
    layers.to_csv(copy / "treaty" / "cat_xl_tower" / "layers.csv", index=False)
    expect(copy, r"^treaty/cat_xl_tower/layers.csv: layer 'L1' expected loss 5e\+09 exceeds its annual limit 4e\+09$")


def top_aep(frame):
    """Row of the AEP point at the largest return period (raising it keeps the curve monotone)."""
    return frame.index[(frame["curve"] == "AEP") & (frame["return_period"] == frame["return_period"].max())][0]


def test_treaty_ep_ceded_above_gross(copy):
    def change(f):
        f.loc[top_aep(f), "ceded"] = 1.5 * f.loc[top_aep(f), "gross"]
    edit_table(copy / "treaty" / "qs_cat_xl" / "ep_curves.parquet", change)
    expect(copy, r"^treaty/qs_cat_xl/ep_curves.parquet: ceded AEP \S+ exceeds the gross \S+ at 1000 yr$")


def test_treaty_ep_ceded_above_the_layer_limits(copy):
    def change(f):   # 18 bn of annual limits: 2 and 4 bn with one reinstatement each, 6 bn
        f.loc[top_aep(f), ["gross", "ceded"]] = [4e10, 2e10]
    edit_table(copy / "treaty" / "cat_xl_tower" / "ep_curves.parquet", change)
    expect(copy, r"^treaty/cat_xl_tower/ep_curves.parquet: ceded AEP 2e\+10 at 1000 yr exceeds the layers' "
                 r"total annual limit 1.8e\+10$")
