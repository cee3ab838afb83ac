"""The Oasis reference runner (tests/oasis/reference.py) on a tiny hand-checkable model.

Model: 3 events, 4 areaperils, 3 intensity bins, 2 vulnerabilities, 5 damage bins, 6 items (one
coverage each) in 2 groups, 10 periods. Event 2 has hazard uncertainty at areaperil 1
(intensity bins 1/2/3 with probability 0.2/0.5/0.3). One FM level: calcrule 1 (deductible 5,000,
limit 60,000) on every item.

Hand values (docs/oasis.md, "gulmc"):
    analytical mean (sidx -1) = TIV * sum_h p_h * sum_d V[h, d] * interpolation_d
    FM mean (il sidx -1)      = min(max(gul_mean - D, 0), L)   (FM applies the terms to the mean)
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("oasislmf")
# oasislmf sets a pandas option that pandas 3 deprecates, at import
pytestmark = pytest.mark.filterwarnings("ignore:The 'mode.chained_assignment' option:Warning")

from reference import run_oasis, write_model  # noqa: E402  (tests/oasis on sys.path)

SAMPLES = 20
DEDUCTIBLE, LIMIT = 5_000.0, 60_000.0

DAMAGE_BINS = pd.DataFrame({
    "bin_index": [1, 2, 3, 4, 5],
    "bin_from": [0.0, 0.0, 0.2, 0.5, 0.8],
    "bin_to": [0.0, 0.2, 0.5, 0.8, 1.0],
    # bin 4's mean is off-centre (x = 0.4): samples inside it use the quadratic rule
    "interpolation": [0.0, 0.1, 0.35, 0.62, 0.9],
})
# V[v][h] = damage pdf over the 5 bins for intensity bin h (1-based)
VULN = {
    1: {1: [0.7, 0.3, 0.0, 0.0, 0.0], 2: [0.2, 0.4, 0.3, 0.1, 0.0], 3: [0.0, 0.1, 0.3, 0.4, 0.2]},
    2: {1: [0.9, 0.1, 0.0, 0.0, 0.0], 2: [0.5, 0.3, 0.2, 0.0, 0.0], 3: [0.1, 0.2, 0.3, 0.3, 0.1]},
}
# (event, areaperil) -> {intensity bin: probability}
FOOTPRINT = {
    (1, 1): {2: 1.0}, (1, 2): {3: 1.0}, (1, 3): {1: 1.0},
    (2, 1): {1: 0.2, 2: 0.5, 3: 0.3}, (2, 4): {2: 1.0},
    (3, 3): {3: 1.0}, (3, 4): {3: 1.0},
}
ITEMS = pd.DataFrame({
    "item_id": [1, 2, 3, 4, 5, 6],
    "coverage_id": [1, 2, 3, 4, 5, 6],
    "areaperil_id": [1, 1, 2, 3, 4, 4],
    "vulnerability_id": [1, 2, 1, 2, 1, 2],
    "group_id": [1, 1, 1, 2, 2, 2],
})
TIV = [100_000.0, 50_000.0, 80_000.0, 120_000.0, 60_000.0, 90_000.0]
OCCURRENCE = pd.DataFrame({  # event 1 twice, event 3 twice; periods 1..10
    "event_id": [1, 2, 1, 3, 3],
    "period_no": [1, 3, 5, 5, 8],
    "occ_year": [1, 3, 5, 5, 8],
    "occ_month": [1, 6, 7, 9, 12],
    "occ_day": [1, 15, 4, 30, 31],
})


def model_tables():
    footprint = pd.DataFrame(
        [(e, ap, h, p) for (e, ap), pdf in FOOTPRINT.items() for h, p in pdf.items()],
        columns=["event_id", "areaperil_id", "intensity_bin_id", "probability"])
    vulnerability = pd.DataFrame(
        [(v, h, d + 1, p) for v, by_h in VULN.items() for h, pdf in by_h.items() for d, p in enumerate(pdf) if p > 0],
        columns=["vulnerability_id", "intensity_bin_id", "damage_bin_id", "probability"])
    n = len(ITEMS)
    fm = {
        "fm_programme": pd.DataFrame({"from_agg_id": ITEMS["item_id"], "level_id": 1, "to_agg_id": ITEMS["item_id"]}),
        "fm_policytc": pd.DataFrame({"level_id": 1, "agg_id": ITEMS["item_id"], "layer_id": 1, "profile_id": 1}),
        "fm_profile": pd.DataFrame({"profile_id": [1], "calcrule_id": [1], "deductible1": [DEDUCTIBLE], "limit1": [LIMIT]}),
        "fm_xref": pd.DataFrame({"output": ITEMS["item_id"], "agg_id": ITEMS["item_id"], "layer_id": np.ones(n, int)}),
    }
    return dict(
        footprint=footprint, vulnerability=vulnerability, damage_bins=DAMAGE_BINS,
        events=pd.DataFrame({"event_id": [1, 2, 3]}), occurrence=OCCURRENCE, items=ITEMS,
        coverages=pd.DataFrame({"coverage_id": range(1, n + 1), "tiv": TIV}), fm=fm)


def hand_mean(item_id: int, event_id: int) -> float:
    """TIV * sum_h p_h * sum_d V[h, d] * interpolation_d for one item and event."""
    item = ITEMS.set_index("item_id").loc[item_id]
    hazard = FOOTPRINT[(event_id, int(item["areaperil_id"]))]
    interp = DAMAGE_BINS["interpolation"].to_numpy()
    mdr = sum(p * float(np.dot(VULN[int(item["vulnerability_id"])][h], interp)) for h, p in hazard.items())
    return TIV[int(item["coverage_id"]) - 1] * mdr


@pytest.fixture(scope="session")
def oasis_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("oasis")
    model = write_model(root / "model", **model_tables(), n_periods=10, return_periods=[10, 5, 2])
    start = time.perf_counter()
    out = run_oasis(model, samples=SAMPLES, work_dir=root / "run")
    return model, out, time.perf_counter() - start


def test_write_model_binaries_round_trip(oasis_run):
    model, _, _ = oasis_run
    from oasislmf.pytools.getmodel.common import EventIndexBin_dtype, Event_dtype, FootprintHeader
    raw = np.fromfile(model / "static" / "footprint.bin", dtype="u1")
    header = raw[:FootprintHeader.itemsize].view(FootprintHeader)[0]
    assert int(header["num_intensity_bins"]) == 3 and int(header["has_intensity_uncertainty"]) & 1 == 1
    index = np.fromfile(model / "static" / "footprint.idx", dtype=EventIndexBin_dtype)
    assert list(index["event_id"]) == [1, 2, 3]
    ev2 = raw[index[1]["offset"]: index[1]["offset"] + index[1]["size"]].view(Event_dtype)
    assert list(ev2["areaperil_id"]) == [1, 1, 1, 4] and np.allclose(ev2["probability"], [0.2, 0.5, 0.3, 1.0])
    occ = np.fromfile(model / "input" / "occurrence.bin", dtype="<i4")
    assert occ[0] == 1 and occ[1] == 10  # date algorithm on, not granular; 10 periods


def test_runner_produces_every_ord_table(oasis_run):
    _, out, seconds = oasis_run
    for run_type in ("gul", "il"):
        for table in ("selt", "melt", "qelt", "splt", "mplt", "qplt", "palt", "alct", "ept", "psept"):
            assert not out[f"{run_type}_S1_{table}"].empty, f"{run_type}_S1_{table} is empty"
    assert list(out["gul_S1_selt"].columns) == ["EventId", "SummaryId", "SampleId", "Loss", "ImpactedExposure"]
    # ~15 s with warm numba caches; the first run on a machine also compiles oasislmf (~80 s)
    print(f"Oasis pipeline: {seconds:.1f}s")


def test_analytical_mean_matches_hand_formula(oasis_run):
    _, out, _ = oasis_run
    gul = out["gul"]
    mean = gul[(gul.sidx == -1)].set_index(["event_id", "item_id"])["loss"]
    # item 1 in event 2: hazard uncertainty 0.2/0.5/0.3 over intensity bins 1/2/3, vulnerability 1
    # damage-ratio means per intensity bin: 0.3*0.1 = 0.030; 0.4*0.1 + 0.3*0.35 + 0.1*0.62 = 0.207;
    # 0.1*0.1 + 0.3*0.35 + 0.4*0.62 + 0.2*0.9 = 0.543
    # mean = 100000 * (0.2*0.030 + 0.5*0.207 + 0.3*0.543) = 100000 * 0.2724 = 27240
    assert hand_mean(1, 2) == pytest.approx(27_240.0)
    assert mean[(2, 1)] == pytest.approx(27_240.0, rel=1e-6)
    for (event_id, item_id), value in mean.items():
        assert value == pytest.approx(hand_mean(item_id, event_id), rel=1e-6)
    # summary set 2 is per item: the MELT analytical row carries the same mean
    melt = out["gul_S2_melt"]
    row = melt[(melt.EventId == 2) & (melt.SummaryId == 1) & (melt.SampleType == 1)]
    assert row["MeanLoss"].iloc[0] == pytest.approx(27_240.0, rel=1e-6)


def test_fm_calcrule_1_applies_to_mean(oasis_run):
    _, out, _ = oasis_run
    il = out["il"]
    mean = il[il.sidx == -1].set_index(["event_id", "item_id"])["loss"]
    for (event_id, item_id), value in mean.items():
        expected = min(max(hand_mean(item_id, event_id) - DEDUCTIBLE, 0.0), LIMIT)
        assert value == pytest.approx(expected, rel=1e-6, abs=1e-3)
    # and to each sample
    gul = out["gul"].set_index(["event_id", "item_id", "sidx"])["loss"]
    samples = il[il.sidx > 0]
    for row in samples.itertuples():
        expected = min(max(gul[(row.event_id, row.item_id, row.sidx)] - DEDUCTIBLE, 0.0), LIMIT)
        assert row.loss == pytest.approx(expected, rel=1e-5, abs=1e-2)


def test_loss_stream_reader_matches_bintocsv(oasis_run, tmp_path):
    model, out, _ = oasis_run
    stream = model.parent / "run" / "work" / "gul.bin"
    from oasislmf.pytools.converters.bintocsv.manager import bintocsv
    bintocsv(str(stream), str(tmp_path / "gul.csv"), "gul")
    theirs = pd.read_csv(tmp_path / "gul.csv")
    ours = out["gul"]
    assert len(ours) == len(theirs) and (ours["sidx"].to_numpy() == theirs["sidx"].to_numpy()).all()
    assert np.allclose(ours["loss"], theirs["loss"], atol=0.01)


def _damage_sample(cdf_pdf: list[float], u: float, tiv: float) -> float:
    """One gulmc damage sample: bin = first cdf >= u, then get_gul's in-bin rule (docs/oasis.md)."""
    cdf = np.cumsum(cdf_pdf)
    cdf = cdf[: int(np.argmax(cdf >= 0.999999940)) + 1]  # gulmc stops at cdf >= 1 - 6e-8 ...
    while len(cdf) > 1 and cdf[-2] == cdf[-1]:          # ... and drops trailing empty bins
        cdf = cdf[:-1]
    k = min(int(np.searchsorted(cdf, u, side="left")), len(cdf) - 1)
    lo, hi = (cdf[k - 1] if k else 0.0), cdf[k]
    b_from, b_to, mean = DAMAGE_BINS.loc[k, ["bin_from", "bin_to", "interpolation"]]
    width, height, r = b_to - b_from, hi - lo, u - lo
    if width == 0:
        return tiv * b_to
    x = (mean - b_from) / width
    if abs(x - 0.5) <= 5e-6:
        return tiv * (b_from + r * width / height)
    a, b = 3 * height * (2 * x - 1) / width**2, 2 * height * (2 - 3 * x) / width
    root = np.sqrt(max(b * b + 4 * a * r, 0.0))
    t = 2 * r / (b + root) if b > 0 else (root - b) / (2 * a)
    return tiv * (b_from + t)


def test_samples_follow_documented_sampling_rule(oasis_run):
    """Every gulmc sample = hazard bin from the hazard cdf, damage bin and in-bin interpolation."""
    from oasislmf.pytools.gul.random import generate_hash, generate_hash_hazard, random_LatinHypercube_Philox7
    _, out, _ = oasis_run
    gul = out["gul"].set_index(["event_id", "item_id", "sidx"])["loss"]
    for (event_id, areaperil_id), hazard in FOOTPRINT.items():
        for item in ITEMS[ITEMS.areaperil_id == areaperil_id].itertuples():
            # damage and hazard uniforms: one Latin-hypercube vector per (group_id, event_id)
            u_damage = random_LatinHypercube_Philox7(np.array([generate_hash(item.group_id, event_id)]), SAMPLES)[0]
            u_hazard = random_LatinHypercube_Philox7(np.array([generate_hash_hazard(item.group_id, event_id)]), SAMPLES)[0]
            bins_h = sorted(hazard)
            hazard_cdf = np.cumsum([hazard[h] for h in bins_h])
            for s in range(SAMPLES):
                h = bins_h[min(int(np.searchsorted(hazard_cdf, u_hazard[s])), len(bins_h) - 1)] if len(bins_h) > 1 else bins_h[0]
                expected = _damage_sample(VULN[item.vulnerability_id][h], u_damage[s], TIV[item.coverage_id - 1])
                got = gul.get((event_id, item.item_id, s + 1), 0.0)  # losses below 1e-6 are not written
                assert got == pytest.approx(expected, rel=1e-5, abs=0.05)
