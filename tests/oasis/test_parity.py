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
               "output.ord=true", name="qilu")
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


# ----------------------------------------------------------------------------------------------
# sampled results on a random model: AAL and EP points within Monte-Carlo error
# ----------------------------------------------------------------------------------------------

MC_SAMPLES = 40
MC_PERIODS = 300


def random_model(seed=11, n_events=40, n_areaperils=60, n_periods=MC_PERIODS):
    """A random model with hazard uncertainty, off-centre bin means, 2 items per areaperil, groups of 3."""
    rng = np.random.default_rng(seed)
    edges = np.array([0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0])
    interp = (edges[:-1] + edges[1:]) / 2
    interp[3] = 0.14          # off-centre means (x = 0.4): the linear-density rule inside the bin
    interp[6] = 0.52
    damage_bins = pd.DataFrame({"bin_index": np.arange(1, 11), "bin_from": np.r_[0, edges[:-1]],
                                "bin_to": np.r_[0, edges[1:]], "interpolation": np.r_[0, interp],
                                "damage_type": 1})
    n_int = 6
    rows = []
    for v in (1, 2, 3):
        for h in range(1, n_int + 1):
            # damage shifts up with intensity; vulnerability v scales the shift
            centre = (h - 1) * (0.7 + 0.3 * v) * 1.3
            pdf = np.exp(-0.5 * ((np.arange(10) - centre) / 1.5) ** 2)
            pdf[0] += 1.5 if h == 1 else 0.0
            pdf = np.round(pdf / pdf.sum(), 6)
            pdf[np.argmax(pdf)] += 1.0 - pdf.sum()
            rows += [(v, h, d + 1, p) for d, p in enumerate(pdf) if p > 0]
    vulnerability = pd.DataFrame(rows, columns=["vulnerability_id", "intensity_bin_id", "damage_bin_id", "probability"])
    fp = []
    for e in range(1, n_events + 1):
        hit = np.sort(rng.choice(np.arange(1, n_areaperils + 1), size=25, replace=False))
        peak = rng.integers(2, n_int + 1)
        for ap in hit:
            h = int(np.clip(peak - rng.integers(0, 3), 1, n_int))
            if rng.random() < 0.25 and h < n_int:       # hazard uncertainty over two bins
                p = float(np.round(rng.uniform(0.2, 0.8), 4))
                fp += [(e, ap, h, p), (e, ap, h + 1, round(1 - p, 4))]
            else:
                fp.append((e, ap, h, 1.0))
    footprint = pd.DataFrame(fp, columns=["event_id", "areaperil_id", "intensity_bin_id", "probability"])
    n_items = 2 * n_areaperils
    items = pd.DataFrame({"item_id": np.arange(1, n_items + 1), "coverage_id": np.arange(1, n_items + 1),
                          "areaperil_id": np.repeat(np.arange(1, n_areaperils + 1), 2),
                          "vulnerability_id": rng.integers(1, 4, n_items), "group_id": np.arange(n_items) // 3 + 1})
    tiv = np.round(rng.uniform(1e5, 1e6, n_items), 0)
    occ_events = rng.integers(1, n_events + 1, 2 * n_periods)
    occ_periods = np.sort(rng.integers(1, n_periods + 1, 2 * n_periods))
    occurrence = pd.DataFrame({"event_id": occ_events, "period_no": occ_periods, "occ_year": occ_periods,
                               "occ_month": rng.integers(6, 10, occ_periods.size), "occ_day": rng.integers(1, 29, occ_periods.size)})
    ids = items["item_id"]
    fm = {
        "fm_programme": pd.DataFrame({"from_agg_id": ids, "level_id": 1, "to_agg_id": ids}),
        "fm_policytc": pd.DataFrame({"level_id": 1, "agg_id": ids, "layer_id": 1, "profile_id": ids}),
        "fm_profile": pd.DataFrame({"profile_id": ids, "calcrule_id": 1, "deductible1": np.round(0.02 * tiv),
                                    "limit1": np.round(0.5 * tiv)}),
        "fm_xref": pd.DataFrame({"output": ids, "agg_id": ids, "layer_id": 1}),
    }
    return dict(footprint=footprint, vulnerability=vulnerability, damage_bins=damage_bins,
                events=pd.DataFrame({"event_id": np.arange(1, n_events + 1)}), occurrence=occurrence, items=items,
                coverages=pd.DataFrame({"coverage_id": ids, "tiv": tiv}), fm=fm)


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    root = tmp_path_factory.mktemp("mc")
    model = write_model(root / "model", **random_model(), n_periods=MC_PERIODS)
    oasis = run_oasis(model, samples=MC_SAMPLES)
    qilu = run(root, "model=oasis", f"model.dir={model}", f"run.samples={MC_SAMPLES}", "output.perspectives=[il,gul]",
               "output.keys=[portfolio]", name="qilu")
    return oasis, qilu.folder


def period_sample_losses(oasis, folder, perspective):
    """float64[P, S] annual portfolio losses of both runs (zeros where nothing happened)."""
    splt = oasis[f"{perspective}_S1_splt"]
    splt = splt[splt["SampleId"] > 0]
    ref = np.zeros((MC_PERIODS, MC_SAMPLES))
    np.add.at(ref, (splt["Period"].to_numpy() - 1, splt["SampleId"].to_numpy() - 1), splt["Loss"].to_numpy(np.float64))
    ylt = pd.read_parquet(folder / f"{'gul_' if perspective == 'gul' else ''}ylt.parquet")
    ylt = ylt[(ylt["sample"] > 0) & (ylt["key"] == "portfolio")]
    ours = np.zeros((MC_PERIODS, MC_SAMPLES))
    ours[ylt["year"].to_numpy() - 1, ylt["sample"].to_numpy() - 1] = ylt["loss"].to_numpy()
    return ref, ours


def aal_se(x):
    """SE of the mean over (period, sample) trials from secondary uncertainty. Periods are the same in
    both runs (same occurrence), and an event occurring in several periods has the same draws in each,
    so periods are not independent within a sample; samples are independent replicates of the whole
    run: SE = sd over samples of the per-sample AAL / sqrt(S) (conservative for Oasis' Latin hypercube)."""
    per_sample = x.mean(axis=0)
    return per_sample.std(ddof=1) / np.sqrt(x.shape[1])


@pytest.mark.parametrize("perspective", ["gul", "il"])
def test_sampled_aal_within_monte_carlo_error(sampled, perspective):
    oasis, folder = sampled
    ref, ours = period_sample_losses(oasis, folder, perspective)
    se = np.hypot(aal_se(ref), aal_se(ours))
    assert ref.mean() > 0
    assert abs(ours.mean() - ref.mean()) < 4 * se, (ours.mean(), ref.mean(), se)
    # and Oasis' own PALT agrees with the SPLT we summed
    palt = oasis[f"{perspective}_S1_palt"]
    assert palt[palt["SampleType"] == 2]["MeanLoss"].iloc[0] == pytest.approx(ref.mean(), rel=1e-5)


@pytest.mark.parametrize("perspective", ["gul", "il"])
@pytest.mark.parametrize("return_period", [10, 50])
def test_sampled_ep_points_within_monte_carlo_error(sampled, perspective, return_period):
    oasis, folder = sampled
    ref, ours = period_sample_losses(oasis, folder, perspective)

    def aep(x):  # full-uncertainty AEP: rank N/T of all (period, sample) trials
        return np.sort(x.ravel())[::-1][x.size // return_period - 1]

    rng = np.random.default_rng(5)   # bootstrap over sample indices (independent replicates of the run)
    boot = lambda x: np.std([aep(x[:, rng.integers(0, x.shape[1], x.shape[1])]) for _ in range(300)])  # noqa: E731
    se = np.hypot(boot(ref), boot(ours))
    assert abs(aep(ours) - aep(ref)) < 4 * se, (aep(ours), aep(ref), se)


def test_exposure_from_oed_and_keys_matches_items(tiny, tmp_path):
    """The same six items given as an OED location file plus a keys file: same analytical means."""
    from test_reference import ITEMS, TIV
    oasis, folder = tiny
    model = folder.parent / "model"
    loc = pd.DataFrame({"LocNumber": [f"L{i}" for i in ITEMS["item_id"]], "Latitude": 36.0, "Longitude": 118.0,
                        "BuildingTIV": TIV, "LocDed1Building": DEDUCTIBLE, "LocLimit1Building": LIMIT})
    keys = pd.DataFrame({"LocID": loc["LocNumber"], "PerilID": "WTC", "CoverageTypeID": 1,
                         "AreaPerilID": ITEMS["areaperil_id"], "VulnerabilityID": ITEMS["vulnerability_id"]})
    loc.to_csv(tmp_path / "location.csv", index=False)
    keys.to_csv(tmp_path / "keys.csv", index=False)
    out = run(tmp_path, "model=oasis", f"model.dir={model}", f"model.oed_location={tmp_path / 'location.csv'}",
              f"model.keys={tmp_path / 'keys.csv'}", "output.perspectives=[il,gul]", name="oed")
    for prefix in ("", "gul_"):
        a = item_means(folder, prefix).groupby(level=[0, 1]).first()
        b = item_means(out.folder, prefix).groupby(level=[0, 1]).first()
        a, b = a[a > 0], b[b > 0]
        np.testing.assert_allclose(b.loc[a.index].to_numpy(), a.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("perspective", ["gul", "il"])
def test_ord_exports_match_oasis_analytical_tables(tiny, perspective):
    """Qilu's ORD files (qilu-run ... output.ord=true) against the Oasis tools' ORD files, summary set 1
    (portfolio in both): PALT SampleType 1 and EPT EPCalc 1 (mean damage) agree to float32 precision."""
    oasis, folder = tiny
    ours_palt = pd.read_csv(folder / "ord" / f"{perspective}_S1_palt.csv")
    ref_palt = oasis[f"{perspective}_S1_palt"]
    assert list(ours_palt.columns) == list(ref_palt.columns)
    a = ours_palt[ours_palt["SampleType"] == 1]["MeanLoss"].iloc[0]
    b = ref_palt[ref_palt["SampleType"] == 1]["MeanLoss"].iloc[0]
    assert a == pytest.approx(b, rel=2e-6)
    ours_ept = pd.read_csv(folder / "ord" / f"{perspective}_S1_ept.csv")
    ref_ept = oasis[f"{perspective}_S1_ept"]
    assert list(ours_ept.columns) == list(ref_ept.columns)
    key = ["EPCalc", "EPType", "ReturnPeriod"]
    both = ours_ept[ours_ept["EPCalc"] == 1].merge(ref_ept[ref_ept["EPCalc"] == 1], on=key, suffixes=("", "_ref"))
    assert len(both) >= 4     # OEP, OEP TVaR, AEP, AEP TVaR at the 10-year return period
    np.testing.assert_allclose(both["Loss"], both["Loss_ref"], rtol=2e-6)
