"""The Dask backend gives the same results as the local run, bit for bit."""
import pandas as pd
import pytest

from runner import run

pytest.importorskip("dask.distributed")


@pytest.mark.slow
def test_dask_local_two_workers_bit_identical_to_local(tmp_path):
    common = ("run.n_years=120", "output.event_set=none", "output.report=false", "run.samples=2",
              "peril=[typhoon,flood,drought]")
    local = run(tmp_path, *common, "run.chunk_years=120", name="local")
    dask = run(tmp_path, *common, "compute=dask_local", "compute.workers=2", "run.chunk_years=25", name="dask")
    for table in ("ylt.parquet", "elt.parquet", "plt.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(local.folder / table), pd.read_parquet(dask.folder / table),
                                      check_exact=True)


def test_workers_build_the_plan_from_shared_storage(tmp_path):
    common = ("run.n_years=60", "output.event_set=none", "output.report=false", "peril=[yellow_river,crop_residual]")
    local = run(tmp_path, *common, "run.chunk_years=60", name="local")
    shared = run(tmp_path, *common, "compute=dask_local", "compute.workers=2", "compute.inputs=shared",
                 f"compute.shared_dir={tmp_path / 'store'}", "run.chunk_years=15", name="shared")
    for table in ("ylt.parquet", "elt.parquet", "plt.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(local.folder / table), pd.read_parquet(shared.folder / table),
                                      check_exact=True)
    assert len(list((tmp_path / "store").glob("portfolio-*.parquet"))) == 1


def test_dask_chunks_sized_from_the_memory_budget(tmp_path):
    import json
    common = ("run.n_years=400", "output.event_set=none", "output.report=false", "peril=[yellow_river,crop_residual]")
    local = run(tmp_path, *common, name="local")
    dask = run(tmp_path, *common, "compute=dask_local", "compute.workers=2", "run.chunk_years=0",
               "run.memory_budget_mb=16", name="budget")
    pd.testing.assert_frame_equal(pd.read_parquet(local.folder / "ylt.parquet"), pd.read_parquet(dask.folder / "ylt.parquet"),
                                  check_exact=True)
    timing = json.loads((dask.folder / "provenance.json").read_text())["timing"]
    assert timing["chunks"] >= 2   # a first chunk of 250 years, then chunks sized from its result


def test_unwritable_shared_dir_is_a_clear_error(tmp_path):
    from engine.config import ConfigError
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="compute.shared_dir"):
        run(tmp_path, "run.n_years=5", "peril=[yellow_river]", "compute=dask_local", "compute.workers=1",
            "compute.inputs=shared", f"compute.shared_dir={blocker / 'sub'}", name="x")
    assert not (tmp_path / "x").exists()


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    from engine.config import ConfigError
    with pytest.raises(ConfigError, match="compute.address"):
        run(tmp_path, "run.n_years=5", "compute=dask", "compute.address=tcp://127.0.0.1:9", name="x")
    assert not (tmp_path / "x").exists()
