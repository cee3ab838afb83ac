"""Chunk checkpoints: exact round trip of real chunk results, atomic writes, refusal to resume
another run's checkpoints, and recovery from a damaged file."""
import dataclasses

import numpy as np
import pytest

from engine.checkpoint import CheckpointError, Checkpoints, CheckpointWarning, fingerprint
from engine.chunk import ChunkResult, run_chunk
from engine.eventset import EventSet

FP = "f" * 64


@pytest.fixture(scope="session")
def chunks(tmp_path_factory):
    """Real chunk results by span: sampled with index (basis) and carbon covers, analytical mean
    (samples with 0 columns), and one whose events carry footprint probabilities and ids."""
    from engine.config import to_settings
    from engine.plan import build_plan
    from runner import compose_config

    tmp = tmp_path_factory.mktemp("checkpoint_plan")
    # hail_frost + carbon_sink: the cheapest perils that still give parametric and carbon tables
    cfg = compose_config(f"output.dir={tmp / 'out'}", "run.n_years=10", "run.samples=2",
                         "peril=[hail_frost,carbon_sink]")
    plan = build_plan(to_settings(cfg, tmp))
    measures = tuple(dict.fromkeys(m for p in plan.inputs.perils for m in p.measures))
    sampled = run_chunk(plan.inputs, plan.years[2:7], measures)
    mean = run_chunk(dataclasses.replace(plan.inputs, samples=0), plan.years[0:2], measures)
    ev = sampled.events
    uncertain = dataclasses.replace(sampled, events=dataclasses.replace(
        ev, probability=np.full(ev.n_entries, 0.5, ev.intensity.dtype), footprint_id=ev.event_id // 2))
    return {"sampled": ((2, 7), sampled), "mean": ((0, 2), mean), "uncertain": ((2, 7), uncertain)}


def assert_identical(a, b, where="result"):
    """Same types, dict key order, dtypes, shapes and bytes, all the way down."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc") and a.tobytes() == b.tobytes(), where
    elif isinstance(a, (ChunkResult, EventSet)):
        for f in dataclasses.fields(a):
            assert_identical(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_identical(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("case", ["sampled", "mean", "uncertain"])
def test_round_trip_is_bit_identical(tmp_path, chunks, case):
    span, result = chunks[case]
    store = Checkpoints(tmp_path / "ck", FP)
    store.save(span, result)
    loaded = Checkpoints(tmp_path / "ck", FP, resume=True).load(span)
    assert_identical(result, loaded)
    assert loaded.events.n_events > 0 and loaded.event_rows["il"]["mean"].size > 0
    if case == "sampled":
        assert loaded.basis is not None and loaded.carbon is not None
        assert loaded.event_rows["il"]["samples"].shape[1] == 2
    if case == "mean":
        assert loaded.event_rows["il"]["samples"].shape == (loaded.event_rows["il"]["mean"].size, 0)
    if case == "uncertain":
        assert loaded.events.probability is not None and loaded.events.footprint_id is not None


def test_optional_fields_stay_none(tmp_path, chunks):
    span, result = chunks["sampled"]
    bare = dataclasses.replace(result, basis=None, carbon=None)
    store = Checkpoints(tmp_path, FP)
    store.save(span, bare)
    loaded = store.load(span)
    assert loaded.basis is None and loaded.carbon is None and loaded.events.probability is None
    assert_identical(bare, loaded)


def test_spans_sorted_and_tmp_leftovers_ignored(tmp_path, chunks):
    _, result = chunks["mean"]
    store = Checkpoints(tmp_path, FP)
    for span in [(8, 10), (0, 2), (4, 6)]:
        store.save(span, dataclasses.replace(result, years=result.years + span[0]))
    (tmp_path / "chunk-2-4.npz.tmp").write_bytes(b"PK\x03\x04 half a chunk")  # a write cut short
    resumed = Checkpoints(tmp_path, FP, resume=True)
    assert resumed.spans() == [(0, 2), (4, 6), (8, 10)]
    assert resumed.load((2, 4)) is None
    Checkpoints(tmp_path, FP)  # a fresh (non-resume) start forgets everything, leftovers included
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


def test_failed_write_keeps_the_previous_file(tmp_path, chunks):
    span, result = chunks["mean"]
    store = Checkpoints(tmp_path, FP)
    store.save(span, result)
    broken = dataclasses.replace(result, basis={"payout": np.array([object()])})  # cannot be written
    with pytest.raises(ValueError):
        store.save(span, broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunk-0-2.npz", "manifest.json"]
    assert_identical(result, store.load(span))


def test_other_runs_checkpoints_refuse_resume(tmp_path, chunks):
    span, result = chunks["mean"]
    directory = tmp_path / "out.checkpoints"
    Checkpoints(directory, FP).save(span, result)
    with pytest.raises(CheckpointError, match="config or the input files changed") as err:
        Checkpoints(directory, "0" * 64, resume=True)
    assert str(directory) in str(err.value) and "run.resume" in str(err.value)
    assert Checkpoints(directory, FP, resume=True).spans() == [span]  # nothing was deleted
    assert Checkpoints(directory, "0" * 64).spans() == []           # no resume: start afresh


@pytest.mark.parametrize("damage", ["truncated", "bit_flip", "other_run", "wrong_span"])
def test_damaged_chunk_is_recomputed(tmp_path, chunks, damage):
    span, result = chunks["mean"]
    store = Checkpoints(tmp_path, FP)
    path = store.save(span, result)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "bit_flip":  # caught by the zip members' CRC-32
        data = bytearray(path.read_bytes())
        data[data.index(result.event_rows["il"]["mean"].tobytes()) + 3] ^= 1
        path.write_bytes(bytes(data))
    elif damage == "other_run":
        Checkpoints(tmp_path / "other", "0" * 64).save(span, result).replace(path)
    else:
        path.replace(store.path((0, 3)))
        path = store.path((0, 3))
        span = (0, 3)
    with pytest.warns(CheckpointWarning, match=path.name):
        assert store.load(span) is None
    assert not path.exists() and store.spans() == []


def test_clear_removes_only_checkpoints(tmp_path, chunks):
    span, result = chunks["mean"]
    store = Checkpoints(tmp_path / "a", FP)
    store.save(span, result)
    store.clear()
    assert not (tmp_path / "a").exists() and store.load(span) is None
    other = Checkpoints(tmp_path / "b", FP)
    other.save(span, result)
    (tmp_path / "b" / "notes.txt").write_text("mine")
    with pytest.warns(CheckpointWarning, match="left in place"):
        other.clear()
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["notes.txt"]


def test_fingerprint_covers_config_and_file_bytes(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("risk_id,value\n1,100\n")
    b.write_text("x\n")
    base = fingerprint("run:\n  seed: 1\n", {"portfolio": a, "curves": b})
    assert len(base) == 64
    assert fingerprint("run:\n  seed: 1\n", {"curves": b, "portfolio": a}) == base   # order of the dict
    assert fingerprint("run:\n  seed: 1\n", {"portfolio": a, "curves": b, "stages": None,
                                             "extra": tmp_path / "missing.csv"}) == base
    assert fingerprint("run:\n  seed: 2\n", {"portfolio": a, "curves": b}) != base
    assert fingerprint("run:\n  seed: 1\n", {"portfolio": b, "curves": a}) != base   # names matter
    a.write_text("risk_id,value\n1,101\n")
    assert fingerprint("run:\n  seed: 1\n", {"portfolio": a, "curves": b}) != base
