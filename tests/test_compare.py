"""Multirun sweeps of scenarios and qilu-compare lining the runs up."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.compare import compare, main
from runner import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_multirun_then_compare_on_the_demo(tmp_path):
    # the acceptance command, at a reduced size (CI): one process, three jobs, then qilu-compare
    cmd = [sys.executable, str(ROOT / "scripts" / "run.py"), "-m", "scenario=baseline,ssp245_2050,ssp585_2050",
           "run.n_years=60", "run.progress=false", "output.event_set=none", "output.plots=false"]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    folders = sorted((tmp_path / "out").glob("shandong_demo-*"))
    assert [f.name.split("-")[1] for f in folders] == ["baseline", "ssp245_2050", "ssp585_2050"]
    assert not any(p.name.startswith(".") for p in (tmp_path / "out").iterdir())      # nothing half-written
    assert main([str(f) for f in folders] + ["--out", str(tmp_path / "compare.csv")]) == 0
    table = pd.read_csv(tmp_path / "compare.csv")
    assert set(table["label"]) == {"baseline", "ssp245_2050", "ssp585_2050"}
    assert (table.loc[table["label"] == "baseline", "aal_diff"] == 0).all()


def test_compare_differences_by_hand(tmp_path):
    a = run(tmp_path, "run.n_years=30", "output.event_set=none", "output.plots=false", name="a")
    b = run(tmp_path, "run.n_years=30", "run.seed=99", "output.event_set=none", "output.plots=false", name="b")
    table = compare([a.folder, b.folder], keys=("portfolio",))
    assert list(table["label"]) == ["a", "b"]            # same scenario twice: labelled by folder
    base, other = table.iloc[0], table.iloc[1]
    assert other["aal_diff"] == pytest.approx(other["aal"] - base["aal"])
    assert other["aal_pct"] == pytest.approx(100 * (other["aal"] / base["aal"] - 1))
    se = (other["aal_se"] ** 2 + base["aal_se"] ** 2) ** 0.5
    assert bool(other["aal_change_significant"]) == (abs(other["aal_diff"]) > 2 * se)


def test_compare_errors(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert main([str(tmp_path), str(tmp_path / "nothing")]) == 2
    assert "not a finished Qilu run" in capsys.readouterr().err
