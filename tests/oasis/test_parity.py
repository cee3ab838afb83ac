"""Qilu on Oasis model files vs the Oasis tools (oasislmf 2.5.8) on the same files.

* Analytical mean (Oasis sidx -1, Qilu sample -1): every (event, item) ground-up and insured loss
  agrees to float32 precision (Oasis computes in float32, Qilu in float64 from the same float32
  inputs: relative tolerance 2e-6, a few float32 ulps).
* Sampled results agree within Monte-Carlo error: both sample the same distributions (hazard bin,
  damage bin, the gulmc rule inside a bin) with different random numbers, so their AAL and EP
  points differ by sampling noise only. Tolerances are 4 standard errors of the difference,
  estimated from the runs themselves (the AAL SE from the spread of per-period losses over samples,
  the EP SE by a bootstrap over sample indices, which are independent replicates of the whole run).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("oasislmf")
pytestmark = pytest.mark.filterwarnings("ignore:The 'mode.chained_assignment' option:Warning")

from reference import run_oasis, write_model  # noqa: E402
from test_reference import DEDUCTIBLE, LIMIT, SAMPLES, model_tables  # noqa: E402

from runner import run  # noqa: E402  (tests/ on sys.path)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("parity")
    model = write_model(root / "model", **model_tables(), n_periods=10, return_periods=[10, 5, 2])
    oasis = run_oasis(model, samples=SAMPLES)
    qilu = run(root, "model=oasis", f"model.dir={model}", f"run.samples={SAMPLES}", "output.perspectives=[il,gul]",
               name="qilu")
    return oasis, qilu.folder


def item_means(folder, prefix):
    elt = pd.read_parquet(folder / f"{prefix}elt.parquet")
    elt = elt[elt["key"].str.startswith("risk/")]
    return pd.Series(elt["mean_loss"].to_numpy(),
                     index=pd.MultiIndex.from_arrays([elt["source_event_id"].to_numpy(),
                                                      elt["key"].str[5:].astype(int).to_numpy()]))


@pytest.mark.parametrize("perspective", ["gul", "il"])
def test_analytical_mean_per_event_and_item(tiny, perspective):
    oasis, folder = tiny
    stream = oasis[perspective]
    ref = stream[stream["sidx"] == -1].set_index(["event_id", "item_id"])["loss"].astype(np.float64)
    ref = ref[ref > 0]
    ours = item_means(folder, "gul_" if perspective == "gul" else "").groupby(level=[0, 1]).first()
    ours = ours[ours > 0]   # the ELT also lists events whose mean is 0 but some sample is not
    assert len(ref) >= 8
    assert set(ref.index) == set(ours.index)
    np.testing.assert_allclose(ours.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=2e-6)


def test_insured_mean_is_terms_on_the_ground_up_mean(tiny):
    _, folder = tiny
    gul = item_means(folder, "gul_").groupby(level=[0, 1]).first()   # one row per occurrence: keep one
    il = item_means(folder, "").groupby(level=[0, 1]).first()
    expected = np.minimum(np.maximum(gul - DEDUCTIBLE, 0.0), LIMIT)
    expected = expected[expected > 0]
    np.testing.assert_allclose(il.loc[expected.index].to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_every_occurrence_of_an_event_has_the_same_losses(tiny):
    _, folder = tiny
    plt = pd.read_parquet(folder / "gul_plt.parquet")
    one = plt[plt["source_event_id"] == 1]           # event 1 occurs in periods 1 and 5
    a = one[one["year"] == 1].sort_values(["sample", "key"])["loss"].to_numpy()
    b = one[one["year"] == 5].sort_values(["sample", "key"])["loss"].to_numpy()
    assert a.size > 0
    np.testing.assert_array_equal(a, b)
