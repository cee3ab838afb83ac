"""Kill and resume: a run killed mid-way leaves no run folder that looks complete, and rerun with
run.resume=true computes only the missing chunks and gives results identical to an uninterrupted run."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ARGS = ["peril=[yellow_river,crop_residual,garlic_price]", "run.n_years=400", "run.chunk_years=40",
        "output.event_set=none", "output.report=false", "output.plots=false", "run.progress=false"]


def _qilu(out: Path, *extra, wait=True):
    cmd = [sys.executable, "-c", "from engine.cli import run_main; run_main()", *ARGS, f"output.dir={out}", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if wait:
        text, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, text
        return text
    return proc


def _frames(folder: Path):
    return {name: pd.read_parquet(folder / name) for name in ("ylt.parquet", "elt.parquet", "plt.parquet")}


@pytest.mark.slow
def test_killed_run_resumes_to_identical_results(tmp_path):
    reference = tmp_path / "reference"
    _qilu(reference)
    store = tmp_path / ".qilu-checkpoints"
    assert not any(store.rglob("chunk-*.npz"))   # a finished run removes its checkpoints

    killed = tmp_path / "killed"
    proc = _qilu(killed, wait=False)
    deadline = time.time() + 300
    while len(list(store.rglob("chunk-*.npz"))) < 3:
        assert proc.poll() is None and time.time() < deadline, "the run ended before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    saved = len(list(store.rglob("chunk-*.npz")))
    assert 3 <= saved < 10
    assert not killed.exists()   # only the hidden partial folder: nothing looks complete

    resumed = tmp_path / "resumed"
    text = _qilu(resumed, "run.resume=true")
    assert f"resumed: {saved * 40:,} of 400 years" in text
    a, b = _frames(reference), _frames(resumed)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    sa = json.loads((reference / "summary.json").read_text())
    sb = json.loads((resumed / "summary.json").read_text())
    sa.pop("_run"), sb.pop("_run")
    assert sa == sb
    assert not any(store.rglob("chunk-*.npz"))


def test_resume_without_checkpoints_computes_everything(tmp_path):
    from runner import run

    out = run(tmp_path, *[a for a in ARGS if not a.startswith("run.n_years")], "run.n_years=40", "run.resume=true",
              name="fresh")
    assert json.loads((out.folder / "summary.json").read_text())["_run"]["n_years"] == 40
