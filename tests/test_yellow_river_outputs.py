"""Yellow River outputs in runs: yellow_river_years.parquet, replay scenarios, chunk invariance."""
import pandas as pd
import pytest

from runner import compose_config, run

COLUMNS = ["year", "regime", "q_huayuankou", "q_gaocun", "q_sunkou", "q_aishan", "q_lijin", "floodplain_flooded",
           "dongping_old_lake_used", "dongping_new_lake_used", "dike_breach", "breach_reach"]


def test_replay_scenarios_compose():
    for year in (1958, 1996):
        cfg = compose_config(f"scenario=replay_yellow_river_{year}")
        assert list(cfg.peril) == [f"yellow_river_{year}"] and cfg.run.n_years == 1 and cfg.output.events


def test_1958_replay_writes_the_year_table(tmp_path):
    out = run(tmp_path, "scenario=replay_yellow_river_1958", "run.n_years=3", "output.report=false")
    years = pd.read_parquet(out.folder / "yellow_river_years.parquet")
    assert list(years.columns) == COLUMNS and len(years) == 3
    assert (years["q_huayuankou"] == 22300.0).all() and years["dongping_old_lake_used"].all()
    assert (years["q_lijin"] < years["q_huayuankou"]).all()      # attenuation downstream


def test_year_table_is_chunk_invariant(tmp_path):
    common = ("peril=[yellow_river]", "peril.yellow_river.regime=regulated", "run.n_years=60", "output.events=true",
              "output.event_set=none", "output.report=false")
    a = run(tmp_path, *common, "run.chunk_years=60", name="a")
    b = run(tmp_path, *common, "run.chunk_years=7", name="b")
    ta, tb = (pd.read_parquet(x.folder / "yellow_river_years.parquet") for x in (a, b))
    pd.testing.assert_frame_equal(ta, tb)
    assert (ta["regime"] == "regulated").all() and len(ta) == 60
