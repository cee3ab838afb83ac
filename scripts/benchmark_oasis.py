"""Qilu vs the Oasis LMF Python tools (oasislmf) on the same synthetic Oasis model -> BENCHMARKS.md.

1. A synthetic Oasis model is written straight to the binary files with numpy (layouts in
   docs/oasis.md §2 and engine/oasis/files.py): L locations, one item and one coverage each, each
   location its own areaperil; a few vulnerability functions over 50 intensity bins and 20 damage
   bins (a zero-damage point bin, then 19 equal bins with midpoint interpolation); each event hits a
   contiguous run of about 5% of the locations with random intensity bins (10% of the cells with a
   little hazard uncertainty); P = E periods, each event occurring once in a random period (about
   one event per period, Poisson); a deductible and a limit per item (FM calcrule 1, one level).
   ``--check`` proves the generator on a small model: read back with ``engine.oasis.files`` and
   byte-identical to what ``tests/oasis/reference.write_model`` (CSV + oasislmf ``csvtobin``) writes.
2. For each size, one after the other on the same machine, with numba caches warm:
   * Oasis: the pipeline a real Oasis run (oasislmf ``genbash``) uses for ground-up and insured AAL
     and EP curves: per partition ``evepy | gulmc | tee gul | fmpy`` into FIFOs, ``summarypy`` (gul and
     il, summary set 1 = portfolio) teed into the work folders, then ``aalpy`` (PALT) and ``lecpy``
     (EPT: full uncertainty and sample mean, OEP and AEP, at the return periods of returnperiods.bin);
   * Qilu: ``qilu-run model=oasis`` with the same samples, portfolio key, ``[il, gul]``;
   wall time and peak RSS of the whole process tree (psutil, summed over processes every 50 ms),
   and the results: portfolio AAL (analytical mean and sampled) and EP points.

    python scripts/benchmark_oasis.py --check          # generator checks only
    python scripts/benchmark_oasis.py --quick          # small sizes, prints only
    python scripts/benchmark_oasis.py                  # full sizes, writes BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
BIN = Path(sys.executable).parent           # the console scripts of this interpreter (oasislmf, qilu-run)

RETURN_PERIODS = (1000, 500, 250, 200, 100, 50, 20, 10)   # Qilu's default EP points
EP_POINTS = (10, 100, 250)                                # reported in the tables
SECTION = "Qilu vs oasislmf"

# --- binary record layouts (docs/oasis.md §2; packed, little-endian) -------------------------------
DAMAGE_BIN = np.dtype([("bin_index", "<i4"), ("bin_from", "<f4"), ("bin_to", "<f4"), ("interpolation", "<f4"),
                       ("damage_type", "<i4")])
VULNERABILITY = np.dtype([("vulnerability_id", "<i4"), ("intensity_bin_id", "<i4"), ("damage_bin_id", "<i4"),
                          ("probability", "<f4")])
FOOTPRINT_ROW = np.dtype([("areaperil_id", "<u4"), ("intensity_bin_id", "<i4"), ("probability", "<f4")])
FOOTPRINT_IDX = np.dtype([("event_id", "<i4"), ("offset", "<i8"), ("size", "<i8")])
ITEM = np.dtype([("item_id", "<i4"), ("coverage_id", "<u4"), ("areaperil_id", "<u4"), ("vulnerability_id", "<i4"),
                 ("group_id", "<u4")])
OCCURRENCE = np.dtype([("event_id", "<i4"), ("period_no", "<i4"), ("occ_date_id", "<i4")])
CORRELATION = np.dtype([("item_id", "<i4"), ("peril_correlation_group", "<i4"), ("damage_correlation_value", "<f4"),
                        ("hazard_group_id", "<i4"), ("hazard_correlation_value", "<f4"), ("source_item_id", "<i4")])
FM_PROGRAMME = np.dtype([("from_agg_id", "<i4"), ("level_id", "<i4"), ("to_agg_id", "<i4")])
FM_POLICYTC = np.dtype([("level_id", "<i4"), ("agg_id", "<i4"), ("layer_id", "<i4"), ("profile_id", "<i4")])
FM_PROFILE = np.dtype([("profile_id", "<i4"), ("calcrule_id", "<i4"), ("deductible1", "<f4"), ("deductible2", "<f4"),
                       ("deductible3", "<f4"), ("attachment1", "<f4"), ("limit1", "<f4"), ("share1", "<f4"),
                       ("share2", "<f4"), ("share3", "<f4")])
FM_XREF = np.dtype([("output", "<i4"), ("agg_id", "<i4"), ("layer_id", "<i4")])
SUMMARY_XREF = np.dtype([("item_id", "<i4"), ("summary_id", "<i4"), ("summaryset_id", "<i4")])


# =================================================================================================
# 1. synthetic model
# =================================================================================================

@dataclass(frozen=True)
class ModelSpec:
    """Shape of the synthetic model (E events, L locations, P periods)."""

    n_events: int
    n_locations: int
    n_periods: int | None = None       # default: = n_events (about one event per period)
    n_vulnerabilities: int = 4
    n_damage_bins: int = 20
    n_intensity_bins: int = 50
    hit_fraction: float = 0.05         # mean share of locations an event hits (a contiguous run)
    uncertain_fraction: float = 0.10   # share of hit cells with two intensity bins (0.7 / 0.3)
    seed: int = 2024

    @property
    def periods(self) -> int:
        return self.n_periods or self.n_events


def damage_bins(spec: ModelSpec) -> np.ndarray:
    """Bin 1 = [0, 0] (no damage); bins 2..D split (0, 1] evenly, interpolation at the midpoint."""
    n = spec.n_damage_bins
    edges = np.linspace(0.0, 1.0, n)            # n - 1 equal bins
    bins = np.zeros(n, DAMAGE_BIN)
    bins["bin_index"] = np.arange(1, n + 1)
    bins["bin_from"][1:] = edges[:-1]
    bins["bin_to"][1:] = edges[1:]
    bins["interpolation"][1:] = 0.5 * (edges[:-1] + edges[1:])
    bins["damage_type"] = 0                     # relative (last bin_to <= 1)
    return bins


def vulnerability(spec: ModelSpec) -> np.ndarray:
    """Per (vulnerability, intensity bin): a zero-damage probability and a beta damage density on the bins.

    Mean damage ratio rises with the intensity bin along a logistic curve whose midpoint and slope
    differ by vulnerability; probabilities below 1e-7 are dropped and each row set renormalised.
    """
    from scipy.stats import beta

    g, d = spec.n_intensity_bins, spec.n_damage_bins
    edges = np.linspace(0.0, 1.0, d)
    rows = []
    for v in range(1, spec.n_vulnerabilities + 1):
        mid, slope = 0.45 * g + 4.0 * v, 0.08 * g + 0.5 * v
        for h in range(1, g + 1):
            mdr = 0.02 + 0.9 / (1.0 + np.exp(-(h - mid) / slope))
            conc = 12.0
            pdf = np.diff(beta.cdf(edges, mdr * conc, (1.0 - mdr) * conc))
            p0 = 0.6 * (1.0 - mdr) ** 6                      # chance of no damage at all
            probs = np.concatenate([[p0], (1.0 - p0) * pdf / pdf.sum()])
            probs[probs < 1e-7] = 0.0
            probs = (probs / probs.sum()).astype(np.float32)
            nz = np.flatnonzero(probs)
            block = np.zeros(nz.size, VULNERABILITY)
            block["vulnerability_id"], block["intensity_bin_id"] = v, h
            block["damage_bin_id"], block["probability"] = nz + 1, probs[nz]
            rows.append(block)
    return np.concatenate(rows)


def exposure(spec: ModelSpec) -> dict:
    """Items (one per location = coverage = areaperil = group), TIV, deductible and limit."""
    rng = np.random.default_rng([spec.seed, 1])
    n = spec.n_locations
    ids = np.arange(1, n + 1)
    items = np.zeros(n, ITEM)
    items["item_id"], items["coverage_id"], items["areaperil_id"], items["group_id"] = ids, ids, ids, ids
    items["vulnerability_id"] = rng.integers(1, spec.n_vulnerabilities + 1, n)
    tiv = np.round(rng.lognormal(np.log(1e6), 0.6, n)).astype(np.float32)
    deductible = np.round(tiv * rng.uniform(0.01, 0.05, n)).astype(np.float32)
    limit = np.round(tiv * rng.uniform(0.5, 0.9, n)).astype(np.float32)
    return {"items": items, "tiv": tiv, "deductible": deductible, "limit": limit}


def footprint_chunk(spec: ModelSpec, first: int, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Footprint rows of events ``first..last`` (1-based, inclusive): (event ids, rows per event, rows).

    Event e hits a contiguous run of locations of random length (mean ``hit_fraction * L``) at a
    random start; the intensity bin peaks (at a random level) in the middle of the run, with noise.
    A share ``uncertain_fraction`` of the cells spreads over two adjacent bins (0.7 / 0.3).
    """
    rng = np.random.default_rng([spec.seed, 2, first])
    n_ev, n_loc, g = last - first + 1, spec.n_locations, spec.n_intensity_bins
    mean_hit = max(1.0, spec.hit_fraction * n_loc)
    length = np.clip(np.round(rng.uniform(0.5, 1.5, n_ev) * mean_hit), 1, n_loc).astype(np.int64)
    start = (rng.random(n_ev) * (n_loc - length + 1)).astype(np.int64)      # 0-based
    peak = rng.uniform(0.3, 1.0, n_ev) * g
    cells = int(length.sum())
    ev = np.repeat(np.arange(n_ev), length)
    pos = np.arange(cells) - np.repeat(np.cumsum(length) - length, length)  # 0..length-1 within the event
    x = (pos + 0.5) / length[ev] * 2.0 - 1.0                                # -1..1 across the run
    level = peak[ev] * (1.0 - 0.7 * np.abs(x)) + rng.normal(0.0, 3.0, cells)
    bin_ = np.clip(np.round(level), 1, g).astype(np.int32)
    areaperil = (start[ev] + pos + 1).astype(np.uint32)
    two = rng.random(cells) < spec.uncertain_fraction
    reps = 1 + two.astype(np.int64)
    rows = np.zeros(int(reps.sum()), FOOTPRINT_ROW)
    rows["areaperil_id"] = np.repeat(areaperil, reps)
    rows["intensity_bin_id"] = np.repeat(bin_, reps)
    rows["probability"] = 1.0
    second = np.cumsum(reps)[two] - 1            # the second row of a two-bin cell
    low = np.minimum(bin_[two], g - 1)
    rows["intensity_bin_id"][second - 1], rows["intensity_bin_id"][second] = low, low + 1
    rows["probability"][second - 1], rows["probability"][second] = np.float32(0.7), np.float32(0.3)
    per_event = np.bincount(ev, weights=reps, minlength=n_ev).astype(np.int64)
    return np.arange(first, last + 1, dtype=np.int32), per_event, rows


def occurrence(spec: ModelSpec) -> np.ndarray:
    """Each event once, in a uniformly random period (Poisson counts per period), random day.

    ``occ_date_id`` is Oasis' day number of (year = period, month, day) (docs/oasis.md §2).
    """
    rng = np.random.default_rng([spec.seed, 3])
    e = spec.n_events
    period = rng.integers(1, spec.periods + 1, e)
    month, day = rng.integers(1, 13, e), rng.integers(1, 29, e)
    occ = np.zeros(e, OCCURRENCE)
    occ["event_id"], occ["period_no"] = np.arange(1, e + 1), period
    occ["occ_date_id"] = date_id(period, month, day)
    return occ, month, day


def date_id(year, month, day) -> np.ndarray:
    m = (np.asarray(month, np.int64) + 9) % 12
    y = np.asarray(year, np.int64) - m // 10
    return 365 * y + y // 4 - y // 100 + y // 400 + (m * 306 + 5) // 10 + (np.asarray(day, np.int64) - 1)


def _tofile(path: Path, records: np.ndarray, header=None) -> None:
    with open(path, "wb") as f:
        if header is not None:
            f.write(np.asarray(header, "<i4").tobytes())
        f.write(np.ascontiguousarray(records).tobytes())


def _write_csv(path: Path, columns: dict) -> None:
    import pandas as pd
    pd.DataFrame(columns).to_csv(path, index=False)


def write_model(spec: ModelSpec, folder, events_per_chunk: int = 20_000) -> Path:
    """Write the synthetic model's binaries (and the two summary-map CSVs) under ``folder``."""
    root = Path(folder)
    static, inp = root / "static", root / "input"
    static.mkdir(parents=True, exist_ok=True)
    inp.mkdir(parents=True, exist_ok=True)

    # static: damage bins, vulnerability (header = max damage bin), footprint (+ index)
    _tofile(static / "damage_bin_dict.bin", damage_bins(spec))
    _tofile(static / "vulnerability.bin", vulnerability(spec), header=[spec.n_damage_bins])
    index, offset, uncertain = [], 8, False
    with open(static / "footprint.bin", "wb") as f:
        f.write(np.array([spec.n_intensity_bins, 0], "<i4").tobytes())   # flags patched below
        for first in range(1, spec.n_events + 1, events_per_chunk):
            last = min(first + events_per_chunk - 1, spec.n_events)
            ids, per_event, rows = footprint_chunk(spec, first, last)
            f.write(rows.tobytes())
            idx = np.zeros(ids.size, FOOTPRINT_IDX)
            idx["event_id"], idx["size"] = ids, per_event * FOOTPRINT_ROW.itemsize
            idx["offset"] = offset + np.cumsum(idx["size"]) - idx["size"]
            offset += int(idx["size"].sum())
            index.append(idx)
            uncertain |= bool(rows.size > per_event.size and np.any(rows["probability"] < 1))
        f.seek(4)
        f.write(np.array([1 if uncertain else 0], "<i4").tobytes())      # bit 0: intensity uncertainty
    _tofile(static / "footprint.idx", np.concatenate(index))

    # input: events, occurrence (date algorithm on, not granular), exposure, correlations
    _tofile(inp / "events.bin", np.arange(1, spec.n_events + 1, dtype="<i4"))
    occ, _, _ = occurrence(spec)
    _tofile(inp / "occurrence.bin", occ, header=[1, spec.periods])
    ex = exposure(spec)
    items, n = ex["items"], spec.n_locations
    _tofile(inp / "items.bin", items)
    _tofile(inp / "coverages.bin", ex["tiv"].astype("<f4"))
    corr = np.zeros(n, CORRELATION)
    corr["item_id"], corr["hazard_group_id"] = items["item_id"], items["group_id"]
    _tofile(inp / "correlations.bin", corr)

    # financial structure: one level, one profile per item (calcrule 1: deductible then limit)
    ids = items["item_id"]
    prog = np.zeros(n, FM_PROGRAMME)
    prog["from_agg_id"], prog["level_id"], prog["to_agg_id"] = ids, 1, ids
    pol = np.zeros(n, FM_POLICYTC)
    pol["level_id"], pol["agg_id"], pol["layer_id"], pol["profile_id"] = 1, ids, 1, ids
    prof = np.zeros(n, FM_PROFILE)
    prof["profile_id"], prof["calcrule_id"] = ids, 1
    prof["deductible1"], prof["limit1"] = ex["deductible"], ex["limit"]
    xref = np.zeros(n, FM_XREF)
    xref["output"], xref["agg_id"], xref["layer_id"] = ids, ids, 1
    for name, rec in (("fm_programme", prog), ("fm_policytc", pol), ("fm_profile", prof), ("fm_xref", xref)):
        _tofile(inp / f"{name}.bin", rec)

    # summaries: set 1 = the portfolio (summary_id 1), for gul and il; a risk = (loc_id, building_id)
    summ = np.zeros(n, SUMMARY_XREF)
    summ["item_id"], summ["summary_id"], summ["summaryset_id"] = ids, 1, 1
    _tofile(inp / "gulsummaryxref.bin", summ)
    _tofile(inp / "fmsummaryxref.bin", summ)          # same layout: output, summary_id, summaryset_id
    _write_csv(inp / "gul_summary_map.csv", {"loc_id": ids, "item_id": ids, "building_id": np.ones(n, int)})
    _write_csv(inp / "fm_summary_map.csv", {"loc_id": ids, "output_id": ids, "building_id": np.ones(n, int)})
    _tofile(inp / "returnperiods.bin", np.array(sorted(RETURN_PERIODS, reverse=True), "<i4"))
    return root


def model_frames(spec: ModelSpec) -> dict:
    """The same model as DataFrames with the Oasis CSV columns (for ``reference.write_model``; small sizes)."""
    import pandas as pd

    f32 = lambda a: np.asarray(a, np.float32).astype(np.float64)  # noqa: E731  (exact in CSV)
    ids, per_event, rows = footprint_chunk(spec, 1, spec.n_events)
    footprint = pd.DataFrame({"event_id": np.repeat(ids, per_event), "areaperil_id": rows["areaperil_id"],
                              "intensity_bin_id": rows["intensity_bin_id"], "probability": f32(rows["probability"])})
    vuln = vulnerability(spec)
    bins = damage_bins(spec)
    occ, month, day = occurrence(spec)
    ex = exposure(spec)
    items = pd.DataFrame({c: ex["items"][c] for c in ITEM.names})
    n = spec.n_locations
    item_ids = items["item_id"].to_numpy()
    fm = {
        "fm_programme": pd.DataFrame({"from_agg_id": item_ids, "level_id": 1, "to_agg_id": item_ids}),
        "fm_policytc": pd.DataFrame({"level_id": 1, "agg_id": item_ids, "layer_id": 1, "profile_id": item_ids}),
        "fm_profile": pd.DataFrame({"profile_id": item_ids, "calcrule_id": 1, "deductible1": f32(ex["deductible"]),
                                    "limit1": f32(ex["limit"])}),
        "fm_xref": pd.DataFrame({"output": item_ids, "agg_id": item_ids, "layer_id": 1}),
    }
    portfolio = lambda col: pd.DataFrame({col: item_ids, "summary_id": 1, "summaryset_id": 1})  # noqa: E731
    return dict(
        footprint=footprint,
        vulnerability=pd.DataFrame({c: (f32(vuln[c]) if c == "probability" else vuln[c]) for c in VULNERABILITY.names}),
        damage_bins=pd.DataFrame({c: (f32(bins[c]) if bins.dtype[c].kind == "f" else bins[c]) for c in DAMAGE_BIN.names}),
        events=pd.DataFrame({"event_id": np.arange(1, spec.n_events + 1)}),
        occurrence=pd.DataFrame({"event_id": occ["event_id"], "period_no": occ["period_no"],
                                 "occ_year": occ["period_no"], "occ_month": month, "occ_day": day}),
        items=items, coverages=pd.DataFrame({"coverage_id": np.arange(1, n + 1), "tiv": f32(ex["tiv"])}), fm=fm,
        summary_map={"gulsummaryxref": portfolio("item_id"), "fmsummaryxref": portfolio("output")},
        n_periods=spec.periods, return_periods=RETURN_PERIODS, quantiles=None)


def check_generator(workdir: Path, spec: ModelSpec | None = None) -> list[str]:
    """(a) read the model back with engine.oasis.files; (b) byte-compare with reference.write_model.

    Returns the report lines; raises AssertionError on a mismatch.
    """
    import pandas as pd

    from engine.oasis import files

    spec = spec or ModelSpec(n_events=60, n_locations=300, n_periods=80)
    ours = write_model(spec, workdir / "generated")
    lines = [f"generator check on E={spec.n_events}, L={spec.n_locations}, P={spec.periods}:"]

    # (a) engine.oasis.files reads it back to the tables the generator meant
    static, inp = ours / "static", ours / "input"
    bins = files.read_damage_bins(static)
    assert np.array_equal(bins["bin_index"], np.arange(1, spec.n_damage_bins + 1))
    vuln = files.read_vulnerability(static)
    expected = vulnerability(spec)
    assert all(np.array_equal(vuln[c].to_numpy(), expected[c]) for c in VULNERABILITY.names)
    fp = files.Footprint(static)
    assert fp.n_intensity_bins == spec.n_intensity_bins and fp.has_uncertainty == (spec.uncertain_fraction > 0)
    ids, per_event, rows = footprint_chunk(spec, 1, spec.n_events)
    starts = np.concatenate([[0], np.cumsum(per_event)])
    for k, e in enumerate(ids):
        got = fp.rows(int(e))
        assert got.tobytes() == rows[starts[k]:starts[k + 1]].tobytes(), f"footprint event {e}"
    items = files.read_items(inp)
    ex = exposure(spec)
    assert all(np.array_equal(items[c].to_numpy(), ex["items"][c]) for c in ITEM.names)
    tiv = files.read_coverages(inp)
    assert np.array_equal(tiv[1:], ex["tiv"].astype(np.float64))
    occ_frame, periods = files.read_occurrence(inp)
    occ, month, day = occurrence(spec)
    assert periods == spec.periods
    assert np.array_equal(occ_frame["occ_year"], occ["period_no"]) and np.array_equal(occ_frame["occ_month"], month)
    assert np.array_equal(occ_frame["occ_day"], day)
    fm = files.read_fm(inp)
    assert np.array_equal(fm["fm_profile"]["deductible1"].to_numpy(), ex["deductible"])
    assert np.array_equal(fm["fm_profile"]["limit1"].to_numpy(), ex["limit"])
    assert np.array_equal(files.read_events(inp), np.arange(1, spec.n_events + 1))
    lines.append("  (a) engine.oasis.files reads back every table exactly (footprint event by event, "
                 "vulnerability, damage bins, items, coverages, occurrence dates, FM terms)")

    # (b) byte-identical to the oasislmf converters via the test helper
    sys.path.insert(0, str(ROOT / "tests" / "oasis"))
    import reference  # the test helper: CSV + oasislmf csvtobin
    theirs = reference.write_model(workdir / "reference", **model_frames(spec))
    compared = []
    for folder in ("static", "input"):
        for path in sorted((theirs / folder).glob("*.bin")) + sorted((theirs / folder).glob("*.idx")):
            mine = ours / folder / path.name
            assert mine.is_file(), f"generator does not write {folder}/{path.name}"
            assert mine.read_bytes() == path.read_bytes(), f"{folder}/{path.name} differs from reference.write_model"
            compared.append(f"{folder}/{path.name}")
    for name in ("gul_summary_map.csv", "fm_summary_map.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(ours / "input" / name), pd.read_csv(theirs / "input" / name))
        compared.append(f"input/{name} (same table)")
    written = {f"{d}/{p.name}" for d in ("static", "input") for p in (ours / d).iterdir()}
    lines.append(f"  (b) byte-identical to tests/oasis/reference.write_model: {len(compared)} files: "
                 + ", ".join(compared))
    missing = written - {c.split(" ")[0] for c in compared}
    if missing:
        lines.append(f"  (not compared: {sorted(missing)})")
    return lines


# =================================================================================================
# 2. running one side: wall time and peak memory of the process tree
# =================================================================================================

def monitored(cmd: list[str], cwd: Path, env: dict | None = None, interval: float = 0.05) -> dict:
    """Run ``cmd``; wall seconds, peak RSS summed over its process tree (psutil polling) and the
    largest single process's max RSS (``wait4``, what ``/usr/bin/time -v`` reports)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, done = [0], threading.Event()

    def poll():
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [root] + root.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            total = 0
            for p in tree:
                try:
                    total += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            peak[0] = max(peak[0], total)
            done.wait(interval)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    out_chunks, err_chunks = [], []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((proc.stdout, out_chunks), (proc.stderr, err_chunks))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    for r in readers:
        r.join()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = (b"".join(c).decode(errors="replace") for c in (out_chunks, err_chunks))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{stderr[-4000:]}\n{stdout[-2000:]}")
    return {"wall_s": wall, "peak_rss_mb": peak[0] / 2**20, "max_process_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime, "stdout": stdout, "stderr": stderr}


def oasis_script(samples: int, partitions: int, gul_alloc_rule: int = 0, il_alloc_rule: int = 2,
                 loss_threshold: float = 1e-6) -> str:
    """The bash script of an Oasis run (as oasislmf's genbash lays it out) for gul + il, summary set 1.

    First ``fmpy --create-financial-structure-files`` (oasislmf's run preparation does this). Per
    partition p: ``evepy p N | gulmc | tee fifo/gul_Pp | fmpy > fifo/il_Pp``; ``summarypy`` reads
    each stream and its summary stream is teed into the aalpy and lecpy work folders. After all
    partitions: ``aalpy`` (PALT) and ``lecpy -r`` (EPT: full uncertainty -F/-f, sample mean -S/-s).
    """
    lines = ["#!/bin/bash", "set -euo pipefail", f'export PATH="{BIN}:$PATH"', "rm -rf fifo work output",
             "mkdir -p fifo output",
             # oasislmf prepares the FM structure (.npy in input/) before the pipeline (generate/losses.py)
             f"fmpy -a{il_alloc_rule} -p input --create-financial-structure-files"]
    pids = []
    for kind in ("gul", "il"):
        lines.append(f"mkdir -p work/{kind}_S1_summaryaalcalc work/{kind}_S1_summaryleccalc")
    for p in range(1, partitions + 1):
        for kind in ("gul", "il"):
            lines.append(f"mkfifo fifo/{kind}_P{p} fifo/{kind}_S1_summary_P{p}")
    for p in range(1, partitions + 1):
        for kind in ("gul", "il"):
            lines.append(f"tee < fifo/{kind}_S1_summary_P{p} work/{kind}_S1_summaryaalcalc/P{p}.bin "
                         f"work/{kind}_S1_summaryleccalc/P{p}.bin > /dev/null & pid{len(pids)}=$!")
            pids.append(len(pids))
            lines.append(f"summarypy -t {kind} -1 fifo/{kind}_S1_summary_P{p} < fifo/{kind}_P{p} & pid{len(pids)}=$!")
            pids.append(len(pids))
    for p in range(1, partitions + 1):
        lines.append(f"( evepy {p} {partitions} | gulmc --random-generator=2 -S{samples} -L{loss_threshold} "
                     f"-a{gul_alloc_rule} | tee fifo/gul_P{p} | fmpy -a{il_alloc_rule} > fifo/il_P{p} ) & "
                     f"pid{len(pids)}=$!")
        pids.append(len(pids))
    lines += [f"wait $pid{i}" for i in pids]
    post = []
    for kind in ("gul", "il"):
        lines.append(f"aalpy -K{kind}_S1_summaryaalcalc -a output/{kind}_S1_palt.csv & post{len(post)}=$!")
        post.append(len(post))
        lines.append(f"lecpy -r -K{kind}_S1_summaryleccalc -F -f -S -s -O output/{kind}_S1_ept.csv & "
                     f"post{len(post)}=$!")
        post.append(len(post))
    lines += [f"wait $post{i}" for i in post]
    return "\n".join(lines) + "\n"


def prepare_oasis_run(model: Path, run_dir: Path, samples: int, partitions: int) -> Path:
    """Run folder: ``static`` linked to the model, a private copy of ``input`` (fmpy writes its prepared
    structure there, as in a real run) and the script. Nothing here is timed."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / "static").symlink_to(model.resolve() / "static", target_is_directory=True)
    shutil.copytree(model / "input", run_dir / "input")
    script = run_dir / "run_oasis.sh"
    script.write_text(oasis_script(samples, partitions))
    return script


def run_oasis_side(model: Path, run_dir: Path, samples: int, partitions: int) -> dict:
    script = prepare_oasis_run(model, run_dir, samples, partitions)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = monitored(["bash", str(script)], run_dir, env)
    result["command"] = script.read_text()
    return result


def qilu_command(model: Path, samples: int, out: Path) -> list[str]:
    return [str(BIN / "qilu-run"), "model=oasis", f"model.dir={model}", f"run.samples={samples}",
            "output.perspectives=[il,gul]", "output.keys=[portfolio]", "output.plt=false", "output.elt=false",
            "output.event_set=none", "output.plots=false", "run.progress=false", f"output.dir={out}"]


def run_qilu_side(model: Path, out: Path, samples: int, profile: Path | None = None) -> dict:
    if out.exists():
        shutil.rmtree(out)
    cmd = qilu_command(model, samples, out)
    if profile is not None:   # python -m cProfile on the same entry point (scripts/run.py = qilu-run)
        cmd = [sys.executable, "-m", "cProfile", "-o", str(profile), str(ROOT / "scripts" / "run.py"), *cmd[1:]]
    result = monitored(cmd, ROOT)
    result["command"] = " ".join(cmd)
    return result


# =================================================================================================
# 3. results of each side: portfolio AAL (analytical and sampled, with Monte-Carlo SE) and EP points
# =================================================================================================

def _summary_totals_kernel():
    from numba import njit

    @njit(cache=False)
    def totals(words, floats, n_samples, out):
        """Sum a summarypy stream by sidx: out[0] += sidx -1 losses, out[s] += sample s losses."""
        i = 3                                    # stream type, sample count, summary set
        n = words.size
        while i < n:
            i += 3                               # event_id, summary_id, exposure
            while True:
                sidx = words[i]
                loss = floats[i + 1]
                i += 2
                if sidx == 0:
                    break
                if sidx == -1:
                    out[0] += loss
                elif 1 <= sidx <= n_samples:
                    out[sidx] += loss
        return out
    return totals


def oasis_results(run_dir: Path, samples: int, n_periods: int) -> dict:
    """PALT, EPT and per-sample AALs (from the summary streams in work/) of an Oasis run."""
    import pandas as pd

    totals = _summary_totals_kernel()
    out = {}
    for kind in ("gul", "il"):
        palt = pd.read_csv(run_dir / "output" / f"{kind}_S1_palt.csv")
        ept = pd.read_csv(run_dir / "output" / f"{kind}_S1_ept.csv")
        sums = np.zeros(samples + 1)
        for path in sorted((run_dir / "work" / f"{kind}_S1_summaryaalcalc").glob("*.bin")):
            raw = np.fromfile(path, dtype="<i4")
            if raw.size > 3:
                totals(raw, raw.view("<f4"), samples, sums)
        per_sample = sums[1:] / n_periods      # each event occurs once: the AAL of each sample
        aal = palt.set_index("SampleType")["MeanLoss"]
        ep = {}
        for calc, name in ((1, "mean"), (2, "full")):
            for ep_type, curve in ((1, "oep"), (3, "aep")):
                rows = ept[(ept["EPCalc"] == calc) & (ept["EPType"] == ep_type)].set_index("ReturnPeriod")["Loss"]
                ep[f"{name}_{curve}"] = {int(t): float(rows.get(t, 0.0)) for t in RETURN_PERIODS}
        out[kind] = {"aal_mean": float(aal.get(1, np.nan)), "aal_sampled": float(aal.get(2, np.nan)),
                     "aal_mean_stream": sums[0] / n_periods,
                     "aal_se_vuln": float(per_sample.std(ddof=1) / np.sqrt(samples)) if samples > 1 else np.nan,
                     "ep": ep}
    return out


def qilu_results(folder: Path, samples: int, n_periods: int, n_boot: int = 40) -> dict:
    """summary.json AAL/EP, the analytical mean from ylt sample -1, per-sample AALs and a bootstrap
    (over sample indices) standard error of the sampled EP points."""
    import pandas as pd

    from engine.metrics import return_period_losses

    out = {}
    rng = np.random.default_rng(11)
    for kind, prefix in (("il", ""), ("gul", "gul_")):
        summary = json.loads((folder / f"{prefix}summary.json").read_text())["portfolio"]
        ylt = pd.read_parquet(folder / f"{prefix}ylt.parquet")
        ylt = ylt[ylt["key"] == "portfolio"]
        mean_rows = ylt[ylt["sample"] == -1]
        sampled = ylt[ylt["sample"] > 0]
        per_sample = np.bincount(sampled["sample"].to_numpy() - 1, weights=sampled["loss"].to_numpy(),
                                 minlength=samples) / n_periods
        ep = {"full_oep": {int(k): float(v) for k, v in summary["oep"].items()},
              "full_aep": {int(k): float(v) for k, v in summary["aep"].items()}}
        for curve, col in (("oep", "max_event_loss"), ("aep", "loss")):
            values = return_period_losses(mean_rows[col].to_numpy(), n_periods, RETURN_PERIODS)
            ep[f"mean_{curve}"] = {int(t): float(v) for t, v in zip(RETURN_PERIODS, values)}
        # bootstrap over sample indices: each sample is an independent replicate of the whole run
        se = {}
        if samples > 1:
            years = sampled["year"].to_numpy() - 1
            cols = sampled["sample"].to_numpy() - 1
            for curve, col in (("oep", "max_event_loss"), ("aep", "loss")):
                dense = np.zeros((n_periods, samples))
                dense[years, cols] = sampled[col].to_numpy()
                ranks = np.array([n_periods * samples // t for t in EP_POINTS])
                boot = np.empty((n_boot, len(EP_POINTS)))
                for b in range(n_boot):
                    flat = dense[:, rng.integers(0, samples, samples)].ravel()
                    part = -np.partition(-flat, ranks - 1)
                    boot[b] = part[ranks - 1]
                se[curve] = {t: float(s) for t, s in zip(EP_POINTS, boot.std(axis=0, ddof=1))}
        out[kind] = {"aal_mean": float(mean_rows["loss"].sum() / n_periods), "aal_sampled": float(summary["aal"]),
                     "aal_se": float(summary["aal_se"]),
                     "aal_se_vuln": float(per_sample.std(ddof=1) / np.sqrt(samples)) if samples > 1 else np.nan,
                     "ep": ep, "ep_se": se}
    return out


def agreement(oasis: dict, qilu: dict) -> dict:
    """Per perspective: analytical AAL relative difference, sampled AAL difference in SEs of the
    difference (vulnerability noise of both runs; the events are common), EP points likewise."""
    rows = {}
    for kind in ("gul", "il"):
        o, q = oasis[kind], qilu[kind]
        se = float(np.hypot(o["aal_se_vuln"], q["aal_se_vuln"]))
        row = {"aal_mean_oasis": o["aal_mean"], "aal_mean_qilu": q["aal_mean"],
               "aal_mean_rel": abs(q["aal_mean"] / o["aal_mean"] - 1.0),
               "aal_sampled_oasis": o["aal_sampled"], "aal_sampled_qilu": q["aal_sampled"],
               "aal_diff_se": se, "aal_diff_z": (q["aal_sampled"] - o["aal_sampled"]) / se,
               "ep": {}}
        for curve in ("oep", "aep"):
            for t in EP_POINTS:
                mean_o, mean_q = o["ep"][f"mean_{curve}"][t], q["ep"][f"mean_{curve}"][t]
                full_o, full_q = o["ep"][f"full_{curve}"][t], q["ep"][f"full_{curve}"][t]
                ep_se = np.sqrt(2.0) * q["ep_se"].get(curve, {}).get(t, np.nan)
                row["ep"][f"{curve}_{t}"] = {
                    "mean_oasis": mean_o, "mean_qilu": mean_q,
                    "mean_rel": abs(mean_q / mean_o - 1.0) if mean_o else abs(mean_q),
                    "full_oasis": full_o, "full_qilu": full_q, "full_se": ep_se,
                    "full_z": (full_q - full_o) / ep_se if ep_se > 0 else np.nan}
        rows[kind] = row
    return rows
