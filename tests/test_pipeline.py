"""End-to-end runs of the pipeline on the embedded demo (reduced sizes)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.metrics import RETURN_PERIODS
from runner import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """The same 700-year demo in 1 chunk and in 7 chunks, mean mode and with 3 samples."""
    tmp = tmp_path_factory.mktemp("runs")
    out = {}
    for samples in (0, 3):
        for chunks in (1, 7):
            name = f"s{samples}_c{chunks}"
            out[name] = run(tmp, "run.n_years=700", f"run.chunk_years={700 // chunks}", f"run.samples={samples}",
                            name=name)
    return out


@pytest.mark.parametrize("samples", [0, 3])
@pytest.mark.parametrize("table", ["ylt", "elt", "plt"])
def test_one_chunk_and_seven_chunks_are_bit_identical(demo_runs, samples, table):
    one = pd.read_parquet(demo_runs[f"s{samples}_c1"].folder / f"{table}.parquet")
    seven = pd.read_parquet(demo_runs[f"s{samples}_c7"].folder / f"{table}.parquet")
    assert len(one) > 100
    pd.testing.assert_frame_equal(one, seven, check_exact=True)


def test_summary_is_identical_for_any_chunking(demo_runs):
    a = json.loads((demo_runs["s3_c1"].folder / "summary.json").read_text())
    b = json.loads((demo_runs["s3_c7"].folder / "summary.json").read_text())
    assert a == b


def test_run_folder_contents(demo_runs):
    folder = demo_runs["s0_c1"].folder
    for name in ("config.yaml", "provenance.json", "summary.json", "ylt.parquet", "elt.parquet", "plt.parquet",
                 "eventset.nc", "ep_curves.png"):
        assert (folder / name).is_file(), name
    assert not list(folder.parent.glob(".*partial*"))
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["seed"] == 20231 and len(prov["inputs"]["portfolio"]["sha256"]) == 64
    assert prov["packages"]["numpy"]


def test_summary_has_every_key_and_metric(demo_runs):
    summary = json.loads((demo_runs["s0_c1"].folder / "summary.json").read_text())
    assert summary["_run"]["perils"][:5] == ["typhoon", "flood", "yellow_river", "drought", "crop_residual"] and not summary["_run"]["placeholder_perils"]
    keys = [k for k in summary if k != "_run"]
    assert "portfolio" in keys
    assert {"product/cat_property", "product/crop_full_cost", "product/special_crop", "product/forest"} <= set(keys)
    assert any(k.startswith("county/37") for k in keys)
    assert any(k.startswith("product/crop_full_cost/county/37") for k in keys)
    for k in keys:
        s = summary[k]
        assert set(s) >= {"aal", "aal_se", "oep", "aep", "tvar_99", "n_years", "sum_insured", "premium"}
        assert [int(t) for t in s["oep"]] == list(RETURN_PERIODS) == [int(t) for t in s["aep"]]
        oep = np.array(list(s["oep"].values()))
        aep = np.array(list(s["aep"].values()))
        assert np.all(np.diff(oep) >= 0) and np.all(np.diff(aep) >= 0)   # EP curves monotone
        assert np.all(aep >= oep - 1e-6)                                   # annual total >= largest event
        assert s["n_years"] == 700
        assert set(s["premium"]) >= {"expected_loss", "risk_load", "expenses", "gross", "rate"}
        # crop keys add the premium per mu; full-cost keys the subsidy split
        assert set(s["premium"]) - {"expected_loss", "risk_load", "expenses", "gross", "rate"} <= {
            "insured_mu", "gross_per_mu", "subsidy"}
        assert s["premium"]["gross"] >= s["premium"]["expected_loss"] >= 0


def test_keys_add_up_and_tables_are_consistent(demo_runs):
    folder = demo_runs["s0_c1"].folder
    ylt = pd.read_parquet(folder / "ylt.parquet")
    elt = pd.read_parquet(folder / "elt.parquet")
    summary = json.loads((folder / "summary.json").read_text())
    assert not elt.duplicated(["event_id", "key"]).any()
    assert (elt["mean_loss"] >= 0).all() and (elt["sd_loss"] >= 0).all()
    assert (elt["exposure_value"] > 0).all()
    mean = ylt[ylt["sample"] == -1]
    by_key = mean.groupby("key", observed=True)["loss"].sum() / 700
    for key in ("portfolio", "product/cat_property", "county/370211"):
        assert by_key.get(key, 0.0) == pytest.approx(summary[key]["aal"], rel=1e-12)
    products = [k for k in summary if k.startswith("product/") and "/county/" not in k]
    assert sum(summary[k]["aal"] for k in products) == pytest.approx(summary["portfolio"]["aal"], rel=1e-9)
    counties = [k for k in summary if k.startswith("county/")]
    assert sum(summary[k]["aal"] for k in counties) == pytest.approx(summary["portfolio"]["aal"], rel=1e-9)
    # ELT mean losses sum to the YLT per year
    per_year = elt.merge(pd.read_parquet(folder / "plt.parquet")[["event_id", "year"]].drop_duplicates(), on="event_id")
    assert per_year[per_year["key"] == "portfolio"]["mean_loss"].sum() == pytest.approx(
        mean[mean["key"] == "portfolio"]["loss"].sum(), rel=1e-12)


def test_sampled_run_reports_full_uncertainty(demo_runs):
    summary = json.loads((demo_runs["s3_c1"].folder / "summary.json").read_text())
    assert summary["_run"]["samples"] == 3
    ylt = pd.read_parquet(demo_runs["s3_c1"].folder / "ylt.parquet")
    assert set(ylt["sample"].unique()) == {-1, 1, 2, 3}
    sampled = ylt[(ylt["sample"] > 0) & (ylt["key"] == "portfolio")]["loss"].sum() / (700 * 3)
    assert summary["portfolio"]["aal"] == pytest.approx(sampled, rel=1e-12)


def test_cli_runs_end_to_end(tmp_path):
    """The installed entry point path: python scripts/run.py with overrides, summary printed."""
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "run.py"), "run.n_years=60", f"output.dir={out}",
                           "run.progress=false", "output.event_set=none", "output.plots=false"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "portfolio" in proc.stdout and "PLACEHOLDER" not in proc.stdout
    assert (out / "summary.json").is_file() and not (out / "eventset.nc").exists()


def test_existing_output_is_not_overwritten(tmp_path):
    from engine.cli import run_from_config
    from runner import compose_config

    (tmp_path / "taken").mkdir()
    cfg = compose_config(f"output.dir={tmp_path / 'taken'}", "run.n_years=10", "run.progress=false")
    with pytest.raises(FileExistsError, match="output.overwrite=true"):
        run_from_config(cfg, echo=lambda *a: None)


def test_chunk_function_is_pure_and_picklable(tmp_path):
    """A distributed backend ships ChunkInputs to workers: pickling must not change a result."""
    import pickle

    from engine.chunk import run_chunk
    from engine.config import to_settings
    from engine.plan import build_plan
    from runner import compose_config

    plan = build_plan(to_settings(compose_config(f"output.dir={tmp_path}", "run.samples=2"), tmp_path))
    measures = tuple(dict.fromkeys(m for p in plan.inputs.perils for m in p.measures))
    years = plan.years[10:40]
    a = run_chunk(plan.inputs, years, measures)
    b = run_chunk(pickle.loads(pickle.dumps(plan.inputs)), years, measures)
    for name in a.event_rows["il"]:
        np.testing.assert_array_equal(a.event_rows["il"][name], b.event_rows["il"][name])
    for name in a.year_rows["il"]:
        np.testing.assert_array_equal(a.year_rows["il"][name], b.year_rows["il"][name])
    assert a.events.n_events > 0


def test_footprints_keep_only_sites_that_can_lose():
    # keep_sites drops entries, keeps every event and its order; offsets stay consistent
    from engine import dtypes
    from engine.chunk import keep_sites
    from engine.eventset import EventSet
    ev = EventSet(np.array([1, 2, 3, 4], dtypes.EVENT_ID), np.ones(4, dtypes.YEAR), np.array([5, 6, 7, 8], dtypes.DOY),
                  np.zeros(4, dtypes.PERIL), np.array([0, 2, 2, 5, 5], dtypes.OFFSET), np.array([0, 1, 0, 1, 2], dtypes.SITE),
                  np.arange(5, dtype=dtypes.INTENSITY)[:, None], (), ("x",), ("m",))
    kept = keep_sites(ev, np.array([False, True, True]))
    np.testing.assert_array_equal(kept.offsets, [0, 1, 1, 3, 3])
    np.testing.assert_array_equal(kept.site, [1, 1, 2])
    np.testing.assert_array_equal(kept.intensity[:, 0], [1, 3, 4])
    assert kept.n_events == 4
