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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
BIN = Path(sys.executable).parent           # the console scripts of this interpreter (oasislmf, qilu-run)

RETURN_PERIODS = (1000, 500, 250, 200, 100, 50, 20, 10)   # Qilu's default EP points
EP_POINTS = (10, 100, 250)                                # reported in the tables
SECTION = "Qilu vs oasislmf"

# --- binary record layouts (docs/oasis.md §2; packed, little-endian): the engine's own readers' ---
from engine.oasis.files import (DAMAGE_BIN, FM_POLICYTC, FM_PROFILE, FM_PROGRAMME, FM_XREF,  # noqa: E402
                                FOOTPRINT_IDX, FOOTPRINT_ROW, ITEM, OCCURRENCE, VULNERABILITY)

CORRELATION = np.dtype([("item_id", "<i4"), ("peril_correlation_group", "<i4"), ("damage_correlation_value", "<f4"),
                        ("hazard_group_id", "<i4"), ("hazard_correlation_value", "<f4"), ("source_item_id", "<i4")])
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

    f32 = lambda a: np.asarray(a, np.float32).astype(np.float64)
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
    portfolio = lambda col: pd.DataFrame({col: item_ids, "summary_id": 1, "summaryset_id": 1})
    return {
        "footprint": footprint,
        "vulnerability": pd.DataFrame({c: (f32(vuln[c]) if c == "probability" else vuln[c]) for c in VULNERABILITY.names}),
        "damage_bins": pd.DataFrame({c: (f32(bins[c]) if bins.dtype[c].kind == "f" else bins[c]) for c in DAMAGE_BIN.names}),
        "events": pd.DataFrame({"event_id": np.arange(1, spec.n_events + 1)}),
        "occurrence": pd.DataFrame({"event_id": occ["event_id"], "period_no": occ["period_no"],
                                 "occ_year": occ["period_no"], "occ_month": month, "occ_day": day}),
        "items": items, "coverages": pd.DataFrame({"coverage_id": np.arange(1, n + 1), "tiv": f32(ex["tiv"])}), "fm": fm,
        "summary_map": {"gulsummaryxref": portfolio("item_id"), "fmsummaryxref": portfolio("output")},
        "n_periods": spec.periods, "return_periods": RETURN_PERIODS, "quantiles": None}


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

    busy0 = _busy_cpu_s()
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
    busy = _busy_cpu_s() - busy0
    done.set()
    for r in readers:
        r.join()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = (b"".join(c).decode(errors="replace") for c in (out_chunks, err_chunks))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{stderr[-4000:]}\n{stdout[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall_s": wall, "peak_rss_mb": peak[0] / 2**20, "max_process_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": cpu, "others_cores": max(busy - cpu, 0.0) / wall, "stdout": stdout, "stderr": stderr}


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (all processes, all cores)."""
    import psutil
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0) + getattr(t, "steal", 0.0)


def wait_until_quiet(max_wait: float = 300.0, threshold: float = 0.25) -> float:
    """Wait (up to ``max_wait`` s) until other processes use under ``threshold`` cores over 3 s; the
    machine is shared. Returns the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < max_wait:
        b0 = _busy_cpu_s()
        time.sleep(3.0)
        if (_busy_cpu_s() - b0) / 3.0 < threshold:
            break
    return time.perf_counter() - start


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


QILU_SOURCE = {"root": None}   # None: this checkout's qilu-run; else a `git archive` snapshot (scripts/run.py)


def qilu_entry() -> list[str]:
    """``qilu-run``, or the same entry point (scripts/run.py) of the pinned snapshot."""
    if QILU_SOURCE["root"] is None:
        return [str(BIN / "qilu-run")]
    return [sys.executable, str(Path(QILU_SOURCE["root"]) / "scripts" / "run.py")]


def pin_qilu(work: Path) -> str:
    """Snapshot the committed HEAD (engine/, configs/, scripts/) so concurrent edits cannot change the
    engine mid-benchmark; returns the commit."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    target = work / f"qilu_{sha[:10]}"
    if not (target / "scripts" / "run.py").is_file():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    QILU_SOURCE["root"] = str(target)
    return sha


def qilu_command(model: Path, samples: int, out: Path) -> list[str]:
    return [*qilu_entry(), "model=oasis", f"model.dir={model}", f"run.samples={samples}",
            "output.perspectives=[il,gul]", "output.keys=[portfolio]", "output.plt=false", "output.elt=false",
            "output.event_set=none", "output.plots=false", "run.progress=false", f"output.dir={out}"]


def run_qilu_side(model: Path, out: Path, samples: int, profile: Path | None = None) -> dict:
    if out.exists():
        shutil.rmtree(out)
    cmd = qilu_command(model, samples, out)
    if profile is not None:   # python -m cProfile on the same entry point (scripts/run.py = qilu-run)
        src = Path(QILU_SOURCE["root"] or ROOT)
        cmd = [sys.executable, "-m", "cProfile", "-o", str(profile), str(src / "scripts" / "run.py"),
               *cmd[len(qilu_entry()):]]
    result = monitored(cmd, Path(QILU_SOURCE["root"] or ROOT))
    result["command"] = " ".join(cmd)
    return result


# =================================================================================================
# 3. results of each side: portfolio AAL (analytical and sampled, with Monte-Carlo SE) and EP points
# =================================================================================================

_TOTALS = []


def _summary_totals_kernel():
    if _TOTALS:
        return _TOTALS[0]
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
    _TOTALS.append(totals)
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


def qilu_results(folder: Path, samples: int, n_periods: int, n_boot: int = 100) -> dict:
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


# =================================================================================================
# 4. the benchmark: sizes, repeats, profile, BENCHMARKS.md
# =================================================================================================

def footprint_rows(model: Path) -> int:
    return int(np.fromfile(model / "static" / "footprint.idx", dtype=FOOTPRINT_IDX)["size"].sum()
               // FOOTPRINT_ROW.itemsize)


def _brief(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("stdout", "stderr", "command")}


def measure_pair(model: Path, spec: ModelSpec, samples: int, work: Path, partitions: int) -> dict:
    """One Oasis run then one Qilu run (never concurrently), their results and their agreement."""
    waited = [wait_until_quiet()]
    oasis = run_oasis_side(model, work / "oasis_run", samples, partitions)
    waited.append(wait_until_quiet())
    qilu = run_qilu_side(model, work / "qilu_run", samples)
    o = oasis_results(work / "oasis_run", samples, spec.periods)
    q = qilu_results(work / "qilu_run", samples, spec.periods)
    return {"oasis": _brief(oasis), "qilu": _brief(qilu), "oasis_values": o, "qilu_values": q,
            "agreement": agreement(o, q), "waited_s": waited, "oasis_script": oasis["command"],
            "qilu_command": qilu["command"]}


def profile_qilu(model: Path, samples: int, work: Path, rows: int) -> dict:
    """cProfile of one Qilu run: where the wall time goes (numba kernels count as one call each)."""
    import pstats

    prof = work / "qilu.prof"
    result = run_qilu_side(model, work / "qilu_profile", samples, profile=prof)
    stats = pstats.Stats(str(prof)).stats
    by_name = {}
    for (file, _line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.items():
        name = "/".join(Path(file).parts[-2:]) + f":{func}"
        old = by_name.get(name, (0, 0.0, 0.0))
        by_name[name] = (old[0] + ncalls, old[1] + tottime, max(old[2], cumtime))
    pick = lambda key: by_name.get(key, (0, 0.0, 0.0))
    total = pick("scripts/run.py:<module>")[2]
    execute = pick("engine/pipeline.py:execute")[2]
    kernel = pick("engine/kernels.py:occurrence_losses")
    perspectives = 2
    return {"wall_s": result["wall_s"], "profiled_s": total, "execute_s": execute, "kernel_s": kernel[1],
            "kernel_calls": kernel[0], "events_s": pick("engine/chunk.py:simulate_events")[2],
            "write_results_s": pick("engine/pipeline.py:_write_results")[2],
            "plan_s": pick("oasis/plan.py:build_oasis_plan")[2],
            "draws": rows * samples * perspectives,
            "samples_per_s": rows * samples * perspectives / kernel[1] if kernel[1] else float("nan"),
            "top": sorted(((v[1], k, v[0]) for k, v in by_name.items()), reverse=True)[:8]}


def warm_up(work: Path, partitions: int) -> None:
    """Compile/load every numba cache of both sides on a tiny model (not timed)."""
    spec = ModelSpec(n_events=200, n_locations=500)
    model = write_model(spec, work / "warm_model")
    for samples in (10,):
        run_oasis_side(model, work / "warm_oasis", samples, partitions)
        run_qilu_side(model, work / "warm_qilu", samples)
    oasis_results(work / "warm_oasis", 10, spec.periods)


def engine_state(pinned: str | None) -> str:
    if pinned:
        return f"{pinned[:7]} (a `git archive` snapshot of it, run as `python <snapshot>/scripts/run.py`)"
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "engine", "configs"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return sha + (" plus uncommitted changes to engine/ or configs/" if dirty else "") + " (this checkout)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes; print, do not write BENCHMARKS.md")
    parser.add_argument("--check", action="store_true", help="only check the generator against the references")
    parser.add_argument("--events", type=int, nargs="+", help="event counts (default 1e3 1e4 1e5; quick 1e3 1e4)")
    parser.add_argument("--locations", type=int, help="locations (default 1e4; quick 1e3)")
    parser.add_argument("--samples", type=int, nargs="+", help="sample counts (default 10 100; quick 10)")
    parser.add_argument("--partitions", type=int, default=os.cpu_count(),
                        help="Oasis event partitions (oasislmf's default: one per core)")
    parser.add_argument("--repeats", type=int, help="repeats of the smallest size (default 3; quick 1)")
    parser.add_argument("--profile", action="store_true", help="also cProfile Qilu on the second size's largest "
                        "sample count (default on in full mode)")
    parser.add_argument("--workdir", help="keep models and runs here (default: a temporary folder)")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--json", help="also write every measurement to this JSON file")
    parser.add_argument("--note", action="append", default=[], help="a line appended to the BENCHMARKS section")
    parser.add_argument("--qilu-tree", action="store_true", help="run this checkout's qilu-run (working tree) "
                        "instead of a snapshot of the committed HEAD")
    parser.add_argument("--from-json", help="re-render the section from a --json file of an earlier run (no runs)")
    args = parser.parse_args()

    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        for size in saved["sizes"]:
            size["runs"] = {int(k): v for k, v in size["runs"].items()}
        saved["meta"]["notes"] = saved["meta"].get("notes", []) + args.note
        lines = markdown(saved["meta"], saved["sizes"])
        print("\n".join(lines))
        if not args.quick:
            from benchmark import update_sections
            update_sections(Path(args.output), {SECTION: lines})
            print(f"wrote {args.output}")
        return

    tmp = None
    if args.workdir:
        work = Path(args.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="bench_oasis_")
        work = Path(tmp)
    try:
        check = check_generator(work / "check")
        print("\n".join(check), flush=True)
        if args.check:
            return
        events = args.events or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
        locations = args.locations or (1_000 if args.quick else 10_000)
        sample_counts = args.samples or ([10] if args.quick else [10, 100])
        repeats = args.repeats or (1 if args.quick else 3)
        do_profile = args.profile or not args.quick

        pinned = None if args.qilu_tree else pin_qilu(work)
        print(f"Qilu: {engine_state(pinned)}", flush=True)
        print(f"warming numba caches (Oasis, {args.partitions} partitions, and Qilu) ...", flush=True)
        warm_up(work / "warm", args.partitions)
        sizes = []
        for n_events in events:
            spec = ModelSpec(n_events=n_events, n_locations=locations)
            t0 = time.perf_counter()
            model = write_model(spec, work / f"model_E{n_events}_L{locations}")
            gen_s = time.perf_counter() - t0
            rows = footprint_rows(model)
            size = {"events": n_events, "locations": locations, "periods": spec.periods, "footprint_rows": rows,
                    "generate_s": gen_s, "runs": {}}
            print(f"E={n_events:,} L={locations:,} P={spec.periods:,}: {rows:,} footprint rows, generated in "
                  f"{gen_s:.1f} s", flush=True)
            for samples in sample_counts:
                n = repeats if (n_events == events[0] and samples == sample_counts[0]) else 1
                runs = []
                for _ in range(n):
                    r = measure_pair(model, spec, samples, work / "runs", args.partitions)
                    runs.append(r)
                    a = r["agreement"]
                    print(f"  S={samples:3d}: Oasis {r['oasis']['wall_s']:7.1f} s {r['oasis']['peak_rss_mb']:6.0f} MB | "
                          f"Qilu {r['qilu']['wall_s']:7.1f} s {r['qilu']['peak_rss_mb']:6.0f} MB | "
                          f"x{r['oasis']['wall_s'] / r['qilu']['wall_s']:.2f} | others {r['oasis']['others_cores']:.2f}/"
                          f"{r['qilu']['others_cores']:.2f} cores | AAL mean rel "
                          f"{a['gul']['aal_mean_rel']:.1e}/{a['il']['aal_mean_rel']:.1e}, sampled z "
                          f"{a['gul']['aal_diff_z']:+.2f}/{a['il']['aal_diff_z']:+.2f} (gul/il)", flush=True)
                size["runs"][samples] = runs
            if do_profile and n_events == events[min(1, len(events) - 1)]:
                size["profile"] = profile_qilu(model, sample_counts[-1], work / "runs", rows)
                size["profile"]["samples"] = sample_counts[-1]
                p = size["profile"]
                print(f"  Qilu profile S={sample_counts[-1]}: {p['profiled_s']:.1f} s, occurrence_losses "
                      f"{p['kernel_s']:.1f} s in {p['kernel_calls']} calls ({p['samples_per_s'] / 1e6:.1f} M "
                      "draws/s)", flush=True)
            sizes.append(size)
            shutil.rmtree(work / "runs", ignore_errors=True)
        meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                           f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
                           f"Python {platform.python_version()}",
                "oasislmf": _version("oasislmf"), "numba": _version("numba"), "engine": engine_state(pinned),
                "partitions": args.partitions, "written": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "command": "python scripts/benchmark_oasis.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""),
                "check": check, "notes": args.note}
        if args.json:
            Path(args.json).write_text(json.dumps({"meta": meta, "sizes": sizes}, indent=1, default=_json))
        lines = markdown(meta, sizes)
        print("\n".join(lines))
        if not args.quick:
            from benchmark import update_sections
            update_sections(Path(args.output), {SECTION: lines})
            print(f"wrote {args.output}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _version(name: str) -> str:
    from importlib.metadata import version
    return version(name)


def _json(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(type(obj).__name__)


def _spread(values) -> str:
    values = sorted(values)
    return f"{100 * (values[-1] - values[0]) / values[len(values) // 2]:.0f}%"


def _fmt_m(x: float) -> str:
    return f"{x / 1e6:,.3f}"


def markdown(meta: dict, sizes: list[dict]) -> list[str]:
    out = [
        (f"Command: `{meta['command']}` (written {meta['written']}). Machine: {meta['machine']}; oasislmf "
        f"{meta['oasislmf']}, numba {meta['numba']}; Qilu at commit {meta['engine']}."),
        "",
        ("Model (synthetic, written straight to the Oasis binaries by the script; checked byte-identical to "
        "`tests/oasis/reference.write_model` and read back by `engine.oasis.files`): L locations with one "
        "item, coverage and areaperil each, TIV lognormal around 1 M; 4 vulnerability functions over 50 "
        "intensity bins and 20 damage bins (a zero point bin, 19 equal bins, midpoint interpolation); each "
        "event hits a contiguous run of about 5% of the locations (10% of the cells with two intensity bins, "
        "0.7/0.3); P = E periods, each event once in a random period; per-item deductible (1-5% of TIV) and "
        "limit (50-90%), FM calcrule 1."),
        "",
        (f"Oasis: the pipeline oasislmf generates for gul + il with {meta['partitions']} event partitions "
        "(its default, one per core): `fmpy --create-financial-structure-files`, then per partition "
        "`evepy p N | gulmc --random-generator=2 -S<S> -L1e-06 -a0 | tee fifo/gul_Pp | fmpy -a2 > fifo/il_Pp` "
        "with `summarypy -t gul|il -1` on each stream teed into the work folders, then `aalpy -a` (PALT) and "
        "`lecpy -r -F -f -S -s` (EPT) for gul and il. Qilu: `qilu-run model=oasis model.dir=<dir> "
        "run.samples=<S> output.perspectives=[il,gul] output.keys=[portfolio] output.plt=false output.elt=false "
        "output.event_set=none output.plots=false run.progress=false output.dir=<tmp>` (one process, one "
        "thread). Numba caches warm on both sides (a tiny run first); timed: everything from process start "
        "to exit (imports, reading inputs, all tools, writing outputs). Peak RSS = the largest sum of RSS "
        "over the process tree (psutil, every 50 ms; shared pages count once per process); CPU s = user + "
        "sys of the tree. The two sides run one after the other, never together."),
        "",
        ("Agreement: *mean rel* = |Qilu/Oasis - 1| of the portfolio analytical-mean AAL (Oasis PALT SampleType "
        "1; Qilu YLT sample -1 summed / P), target 1e-5; *sampled z* = (Qilu - Oasis) sampled AAL (PALT "
        "SampleType 2; Qilu summary.json `aal`) over the SE of that difference (secondary-uncertainty noise "
        "of both runs, sd over samples of the per-sample AAL / sqrt(S); the events are common); *EP z* = the "
        "largest |difference| / SE of the full-uncertainty OEP/AEP points (Oasis EPT EPCalc 2 vs Qilu "
        f"summary.json) at {', '.join(map(str, EP_POINTS))} years (SE: bootstrap over Qilu's sample indices, "
        "x sqrt 2); *EP mean rel* = the largest relative difference of the analytical-mean OEP/AEP points "
        "(EPCalc 1 vs Qilu's sample -1 YLT)."),
    ]
    for size in sizes:
        out += ["", (f"### E = {size['events']:,} events x L = {size['locations']:,} locations "
                    f"(P = {size['periods']:,} periods, {size['footprint_rows']:,} footprint rows)"), "",
                ("| samples | Oasis wall s | Qilu wall s | speed-up Oasis/Qilu | Oasis peak RSS MB | Qilu peak RSS MB "
                "| Oasis CPU s | Qilu CPU s | other load, cores O / Q | mean rel gul / il | sampled z gul / il "
                "| EP z max | EP mean rel max |"),
                "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|"]
        for samples, runs in size["runs"].items():
            def med(side, key, runs=runs):
                return float(np.median([r[side][key] for r in runs]))
            r = sorted(runs, key=lambda x: x["qilu"]["wall_s"])[len(runs) // 2]
            a = r["agreement"]
            ep_z = max(abs(v["full_z"]) for k in ("gul", "il") for v in a[k]["ep"].values()
                       if np.isfinite(v["full_z"]))
            ep_rel = max(v["mean_rel"] for k in ("gul", "il") for t, v in a[k]["ep"].items()
                         if int(t.split("_")[1]) <= size["periods"])
            note = f" (median of {len(runs)})" if len(runs) > 1 else ""
            out.append(
                f"| {samples}{note} | {med('oasis', 'wall_s'):.1f} | {med('qilu', 'wall_s'):.1f} | "
                f"{med('oasis', 'wall_s') / med('qilu', 'wall_s'):.2f} | {med('oasis', 'peak_rss_mb'):,.0f} | "
                f"{med('qilu', 'peak_rss_mb'):,.0f} | {med('oasis', 'cpu_s'):.1f} | {med('qilu', 'cpu_s'):.1f} | "
                f"{med('oasis', 'others_cores'):.2f} / {med('qilu', 'others_cores'):.2f} | "
                f"{a['gul']['aal_mean_rel']:.1e} / {a['il']['aal_mean_rel']:.1e} | "
                f"{a['gul']['aal_diff_z']:+.2f} / {a['il']['aal_diff_z']:+.2f} | {ep_z:.2f} | {ep_rel:.1e} |")
        out += ["", "Values (M, portfolio; sampled AAL ± SE of the difference):", "",
                "| samples | perspective | mean AAL Oasis | mean AAL Qilu | sampled AAL Oasis | sampled AAL Qilu | "
                + " | ".join(f"{c.upper()} {t} Oasis / Qilu" for c in ("oep", "aep") for t in EP_POINTS[1:2]) + " |",
                "|---:|---|---:|---:|---:|---:|" + "---:|" * 2]
        for samples, runs in size["runs"].items():
            a = runs[0]["agreement"]
            for kind in ("gul", "il"):
                x = a[kind]
                points = [x["ep"][f"{c}_{t}"] for c in ("oep", "aep") for t in EP_POINTS[1:2]]
                eps = " | ".join(f"{_fmt_m(v['full_oasis'])} / {_fmt_m(v['full_qilu'])}" for v in points)
                out.append(f"| {samples} | {kind} | {_fmt_m(x['aal_mean_oasis'])} | {_fmt_m(x['aal_mean_qilu'])} | "
                           f"{_fmt_m(x['aal_sampled_oasis'])} | {_fmt_m(x['aal_sampled_qilu'])} ± "
                           f"{_fmt_m(x['aal_diff_se'])} | {eps} |")
        multi = {s: runs for s, runs in size["runs"].items() if len(runs) > 1}
        for samples, runs in multi.items():
            walls = {side: [r[side]["wall_s"] for r in runs] for side in ("oasis", "qilu")}
            listed = {side: ", ".join(f"{w:.1f}" for w in v) for side, v in walls.items()}
            out += ["", (f"Noise: S = {samples} run {len(runs)} times: Oasis wall {listed['oasis']} s (spread "
                        f"{_spread(walls['oasis'])}), Qilu {listed['qilu']} s (spread "
                        f"{_spread(walls['qilu'])}); spread = (max - min) / median.")]
        if "profile" in size:
            p = size["profile"]
            out += ["", (f"Where Qilu's time goes (S = {p['samples']}, `python -m cProfile scripts/run.py ...`, "
                        f"{p['profiled_s']:.1f} s profiled): `engine/kernels.py:occurrence_losses` "
                        f"{p['kernel_s']:.1f} s ({100 * p['kernel_s'] / p['profiled_s']:.0f}%) in "
                        f"{p['kernel_calls']} calls (one mean pass and one sampled pass per chunk and per "
                        f"perspective: the ground-up damage of every (event, location) is drawn again for "
                        f"gul and for il), = {p['samples_per_s'] / 1e6:.1f} M draws/s for {p['draws']:,} draws; "
                        f"event building `simulate_events` {p['events_s']:.1f} s; plan (reading the model) "
                        f"{p['plan_s']:.1f} s; metrics and output `_write_results` {p['write_results_s']:.1f} s; "
                        f"the rest (~{p['profiled_s'] - p['execute_s']:.1f} s) is start-up: imports, Hydra, "
                        "config.")]
    others = [r[side]["others_cores"] for s in sizes for runs in s["runs"].values() for r in runs
              for side in ("oasis", "qilu")]
    out += ["", (f"The machine is shared: before each side the script waits until other processes use under "
                f"0.25 cores; during the runs they used {min(others):.2f}-{max(others):.2f} cores on average "
                "(machine busy time minus the run's own CPU time; column *other load*). Goal (issue): Qilu at least 10x faster end to "
                "end for equal results.")]
    for note in meta["notes"]:
        out += ["", note]
    return out


if __name__ == "__main__":
    main()
