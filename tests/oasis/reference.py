"""Run the Oasis LMF Python tools (PyPI ``oasislmf``) on a small model, as an independent reference.

Qilu's parity tests build a tiny model as pandas DataFrames with the Oasis CSV column names, write it
in the folder layout the tools expect with :func:`write_model`, and run the Oasis pipeline with
:func:`run_oasis`::

    evepy -> gulmc -> [fmpy] -> summarypy -> eltpy (SELT, MELT, QELT)
                                          -> pltpy (SPLT, MPLT, QPLT)
                                          -> aalpy (PALT, ALCT)
                                          -> lecpy (EPT, PSEPT)

Layout written by :func:`write_model` (each table as ``.csv`` and, where the tools read one, ``.bin``;
the tools prefer the ``.bin``)::

    <dir>/static/  footprint.bin + footprint.idx (or .bin.z/.idx.z), footprint.csv,
                   vulnerability.bin, vulnerability.csv, damage_bin_dict.bin, damage_bin_dict.csv
    <dir>/input/   events, occurrence, items, coverages, correlations, gulsummaryxref,
                   gul_summary_map.csv, [periods, returnperiods, quantile, event_rates.csv],
                   [fm_programme, fm_policytc, fm_profile, fm_xref, fmsummaryxref, fm_summary_map.csv]

The binaries are made with oasislmf's own converter (``oasislmf.pytools.converters.csvtobin``), so
the byte layout is whatever the installed oasislmf defines. ``docs/oasis.md`` describes every format
and formula. Everything here is test-only: nothing in ``engine/`` imports it, and callers skip with
``pytest.importorskip("oasislmf")`` when the package is absent.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

# Oasis CSV column names, in file order (oasislmf/pytools/common/data.py)
FOOTPRINT_COLS = ["event_id", "areaperil_id", "intensity_bin_id", "probability"]
VULNERABILITY_COLS = ["vulnerability_id", "intensity_bin_id", "damage_bin_id", "probability"]
DAMAGE_BIN_COLS = ["bin_index", "bin_from", "bin_to", "interpolation", "damage_type"]
ITEMS_COLS = ["item_id", "coverage_id", "areaperil_id", "vulnerability_id", "group_id"]
COVERAGES_COLS = ["coverage_id", "tiv"]
CORRELATIONS_COLS = ["item_id", "peril_correlation_group", "damage_correlation_value",
                     "hazard_group_id", "hazard_correlation_value", "source_item_id"]
GULSUMMARYXREF_COLS = ["item_id", "summary_id", "summaryset_id"]
FMSUMMARYXREF_COLS = ["output", "summary_id", "summaryset_id"]
FM_COLS = {
    "fm_programme": ["from_agg_id", "level_id", "to_agg_id"],
    "fm_policytc": ["level_id", "agg_id", "layer_id", "profile_id"],
    "fm_profile": ["profile_id", "calcrule_id", "deductible1", "deductible2", "deductible3",
                   "attachment1", "limit1", "share1", "share2", "share3"],
    "fm_xref": ["output", "agg_id", "layer_id"],
}
DEFAULT_QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)

# the ORD tables run_oasis returns, per run type and summary set: key f"{run_type}_S{set}_{table}"
ORD_TABLES = ("selt", "melt", "qelt", "splt", "mplt", "qplt", "palt", "alct", "ept", "psept")
# lecpy switches: full uncertainty, wheatsheaf (PSEPT), sample mean, wheatsheaf mean; AEP upper, OEP lower
LEC_SWITCHES = ("-F", "-f", "-W", "-w", "-S", "-s", "-M", "-m")


def _csvtobin(file_in: Path, file_out: Path, file_type: str, **kwargs) -> None:
    # imported late so that importing this module never needs oasislmf
    from oasislmf.pytools.converters.csvtobin.manager import csvtobin
    csvtobin(str(file_in), str(file_out), file_type, **kwargs)


def _write_table(folder: Path, name: str, frame: pd.DataFrame, columns: list[str],
                 file_type: str | None = None, sort: list[str] | None = None, **kwargs) -> pd.DataFrame:
    """Write ``frame[columns]`` to ``folder/name.csv`` and, if ``file_type``, to ``name.bin``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; got {list(frame.columns)}")
    table = frame[columns].copy()  # never touch the caller's frame
    if sort:
        table = table.sort_values(sort, kind="stable")
    table.to_csv(folder / f"{name}.csv", index=False)
    if file_type is not None:
        _csvtobin(folder / f"{name}.csv", folder / f"{name}.bin", file_type, **kwargs)
    return table


def _occurrence_columns(occurrence: pd.DataFrame) -> tuple[list[str], dict]:
    """CSV columns and converter flags for the date form the occurrence frame uses."""
    if "occ_date_id" in occurrence.columns:
        return ["event_id", "period_no", "occ_date_id"], {"no_date_alg": True, "granular": False}
    cols = ["event_id", "period_no", "occ_year", "occ_month", "occ_day"]
    if {"occ_hour", "occ_minute"} <= set(occurrence.columns):
        return cols + ["occ_hour", "occ_minute"], {"no_date_alg": False, "granular": True}
    return cols, {"no_date_alg": False, "granular": False}


def write_model(dir, footprint: pd.DataFrame, vulnerability: pd.DataFrame, damage_bins: pd.DataFrame,
                events: pd.DataFrame, occurrence: pd.DataFrame, items: pd.DataFrame,
                coverages: pd.DataFrame, fm: dict | None = None, summary_map: dict | None = None, *,
                n_periods: int | None = None, periods: pd.DataFrame | None = None,
                return_periods=None, quantiles=DEFAULT_QUANTILES, event_rates: pd.DataFrame | None = None,
                correlations: pd.DataFrame | None = None, zip_footprint: bool = False) -> Path:
    """Write an Oasis model and its inputs under ``dir`` (``static/`` and ``input/``).

    Parameters
    ----------
    dir : path
        Model folder; created if absent. Existing files of the same names are overwritten.
    footprint : DataFrame
        ``event_id, areaperil_id, intensity_bin_id, probability``; probabilities of one
        (event, areaperil) sum to 1 (more than one row = hazard uncertainty).
    vulnerability : DataFrame
        ``vulnerability_id, intensity_bin_id, damage_bin_id, probability``; each
        (vulnerability, intensity bin) sums to 1.
    damage_bins : DataFrame
        ``bin_index, bin_from, bin_to, interpolation[, damage_type]`` (damage ratios; damage_type
        defaults to 0 = relative if the last ``bin_to`` <= 1).
    events : DataFrame
        ``event_id``; the order is the order evepy streams them.
    occurrence : DataFrame
        ``event_id, period_no`` and either ``occ_year, occ_month, occ_day[, occ_hour, occ_minute]``
        or ``occ_date_id`` (days, no date algorithm).
    items : DataFrame
        ``item_id, coverage_id, areaperil_id, vulnerability_id, group_id``; optional
        ``hazard_group_id`` (default: = group_id, as Oasis derives both from the location) and
        ``loc_id, building_id`` for the summary maps (default loc_id = coverage_id, building_id = 1).
    coverages : DataFrame
        ``coverage_id, tiv``; coverage ids must be 1..C without gaps (coverages.bin is a bare TIV
        array indexed by coverage_id - 1).
    fm : dict, optional
        ``{"fm_programme", "fm_policytc", "fm_profile", "fm_xref": DataFrame}`` with Oasis columns
        (missing ``deductible2/3, attachment1, share1..3`` in fm_profile default to 0).
    summary_map : dict, optional
        Any of ``"gulsummaryxref"`` (item_id, summary_id, summaryset_id), ``"fmsummaryxref"`` (output,
        summary_id, summaryset_id), ``"gul_summary_map"`` (loc_id, item_id, building_id),
        ``"fm_summary_map"`` (loc_id, output_id, building_id). Default: summary set 1 = whole portfolio
        (summary_id 1), summary set 2 = one summary per item (gul) or per FM output (il).
    n_periods : int, optional
        Number of periods in the occurrence header (default: max ``period_no``).
    periods : DataFrame, optional
        ``period_no, weighting`` for all 1..n_periods (written as periods.bin); absent = uniform.
    return_periods : sequence of int, optional
        Written (sorted descending, as lecpy requires) to returnperiods.bin for ``lecpy -r``.
    quantiles : sequence of float
        Written to quantile.bin for QELT/QPLT.
    event_rates : DataFrame, optional
        ``EventIds, Event_rates`` written to event_rates.csv (MELT EventRate; NaN without it).
    correlations : DataFrame, optional
        Oasis correlations rows; default zero correlation for every item.
    zip_footprint : bool
        Write zlib-compressed ``footprint.bin.z``/``footprint.idx.z`` instead of ``footprint.bin``.

    Returns
    -------
    Path
        The model folder.
    """
    root = Path(dir)
    static, inp = root / "static", root / "input"
    static.mkdir(parents=True, exist_ok=True)
    inp.mkdir(parents=True, exist_ok=True)

    # --- static: footprint, vulnerability, damage bins ---------------------------------------
    vuln = _write_table(static, "vulnerability", vulnerability, VULNERABILITY_COLS,
                        sort=["vulnerability_id", "intensity_bin_id", "damage_bin_id"])
    n_damage_bins = int(damage_bins["bin_index"].max())
    _csvtobin(static / "vulnerability.csv", static / "vulnerability.bin", "vulnerability",
              idx_file_out=None, max_damage_bin_idx=n_damage_bins, no_validation=False,
              suppress_int_bin_checks=True, zip_files=False)
    # gulmc sizes its vulnerability array by the footprint's intensity-bin count: cover both tables
    n_intensity_bins = int(max(footprint["intensity_bin_id"].max(), vuln["intensity_bin_id"].max()))
    fp = _write_table(static, "footprint", footprint, FOOTPRINT_COLS, sort=["event_id", "areaperil_id", "intensity_bin_id"])
    has_uncertainty = bool(fp.groupby(["event_id", "areaperil_id"]).size().max() > 1)
    fp_bin = "footprint.bin.z" if zip_footprint else "footprint.bin"
    fp_idx = "footprint.idx.z" if zip_footprint else "footprint.idx"
    for stale in ("footprint.bin", "footprint.idx", "footprint.bin.z", "footprint.idx.z"):
        (static / stale).unlink(missing_ok=True)
    _csvtobin(static / "footprint.csv", static / fp_bin, "footprint", idx_file_out=str(static / fp_idx),
              zip_files=zip_footprint, max_intensity_bin_idx=n_intensity_bins,
              no_intensity_uncertainty=not has_uncertainty, decompressed_size=zip_footprint, no_validation=False)
    bins = damage_bins.copy()
    if "damage_type" not in bins.columns:
        bins["damage_type"] = 0
    _write_table(static, "damage_bin_dict", bins, DAMAGE_BIN_COLS, "damagebin", sort=["bin_index"], no_validation=False)

    # --- input: events, occurrence, exposure ----------------------------------------------------
    _write_table(inp, "events", events, ["event_id"], "eve")
    occ_cols, occ_flags = _occurrence_columns(occurrence)
    n_periods = int(n_periods if n_periods is not None else occurrence["period_no"].max())
    _write_table(inp, "occurrence", occurrence, occ_cols, "occurrence", no_of_periods=n_periods, **occ_flags)
    _write_table(inp, "items", items, ITEMS_COLS, "items", sort=["item_id"])
    cov = coverages.sort_values("coverage_id", kind="stable")
    if not np.array_equal(cov["coverage_id"].to_numpy(), np.arange(1, len(cov) + 1)):
        raise ValueError("coverages: coverage_id must be 1..C without gaps")
    _write_table(inp, "coverages", cov, COVERAGES_COLS, "coverages")
    if correlations is None:
        correlations = pd.DataFrame({
            "item_id": items["item_id"].to_numpy(),
            "peril_correlation_group": 0, "damage_correlation_value": 0.0,
            "hazard_group_id": (items["hazard_group_id"] if "hazard_group_id" in items else items["group_id"]).to_numpy(),
            "hazard_correlation_value": 0.0, "source_item_id": 0})
    _write_table(inp, "correlations", correlations, CORRELATIONS_COLS, "correlations", sort=["item_id"])

    # --- summaries (gul and, with fm, il) ------------------------------------------------------
    summary_map = dict(summary_map or {})
    item_ids = items["item_id"].to_numpy()
    loc_ids = items["loc_id"].to_numpy() if "loc_id" in items else items["coverage_id"].to_numpy()
    building_ids = items["building_id"].to_numpy() if "building_id" in items else np.ones(len(items), int)
    gulxref = summary_map.get("gulsummaryxref")
    if gulxref is None:
        gulxref = pd.DataFrame({"item_id": np.concatenate([item_ids, item_ids]),
                                "summary_id": np.concatenate([np.ones(len(item_ids), int), item_ids]),
                                "summaryset_id": np.repeat([1, 2], len(item_ids))})
    _write_table(inp, "gulsummaryxref", gulxref, GULSUMMARYXREF_COLS, "gul_summary_xref")
    gul_map = summary_map.get("gul_summary_map")
    if gul_map is None:
        gul_map = pd.DataFrame({"loc_id": loc_ids, "item_id": item_ids, "building_id": building_ids})
    _write_table(inp, "gul_summary_map", gul_map, ["loc_id", "item_id", "building_id"])

    if fm is not None:
        for name, cols in FM_COLS.items():
            frame = fm[name].copy()
            for col in cols:
                if col not in frame.columns and name == "fm_profile":
                    frame[col] = 0.0
            _write_table(inp, name, frame, cols, name)
        outputs = np.sort(fm["fm_xref"]["output"].unique())
        fmxref = summary_map.get("fmsummaryxref")
        if fmxref is None:
            fmxref = pd.DataFrame({"output": np.concatenate([outputs, outputs]),
                                   "summary_id": np.concatenate([np.ones(len(outputs), int), outputs]),
                                   "summaryset_id": np.repeat([1, 2], len(outputs))})
        _write_table(inp, "fmsummaryxref", fmxref, FMSUMMARYXREF_COLS, "fm_summary_xref")
        fm_map = summary_map.get("fm_summary_map")
        if fm_map is None:  # one risk per FM output
            fm_map = pd.DataFrame({"loc_id": outputs, "output_id": outputs, "building_id": 1})
        _write_table(inp, "fm_summary_map", fm_map, ["loc_id", "output_id", "building_id"])

    # --- optional inputs of the output tools -----------------------------------------------------
    for name in ("periods", "returnperiods", "quantile", "event_rates"):
        for ext in (".csv", ".bin"):
            (inp / f"{name}{ext}").unlink(missing_ok=True)
    if periods is not None:
        _write_table(inp, "periods", periods, ["period_no", "weighting"], "periods", sort=["period_no"])
    if return_periods is not None:
        rps = pd.DataFrame({"return_period": sorted({int(r) for r in return_periods}, reverse=True)})
        _write_table(inp, "returnperiods", rps, ["return_period"], "returnperiods")
    if quantiles is not None:
        _write_table(inp, "quantile", pd.DataFrame({"quantile": list(quantiles)}), ["quantile"], "quantile")
    if event_rates is not None:
        _write_table(inp, "event_rates", event_rates, ["EventIds", "Event_rates"])
    return root


def _tool(name: str) -> str:
    """Path of an oasislmf console script installed beside the running interpreter."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"oasislmf console script {name!r} not found (is oasislmf installed?)")
    return found


def _run(cmd: list[str], cwd: Path) -> None:
    _run_all([cmd], cwd)


def _run_all(cmds: list[list[str]], cwd: Path) -> None:
    """Run independent commands, up to one per core at a time; raise on the first failure."""
    width = max(1, os.cpu_count() or 1)
    for start in range(0, len(cmds), width):
        batch = cmds[start:start + width]
        procs = [subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for cmd in batch]
        stderr = [proc.communicate()[1] for proc in procs]
        for cmd, proc, err in zip(batch, procs, stderr):
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-4000:]}")


def read_loss_stream(path) -> pd.DataFrame:
    """Read a gulmc/fmpy loss stream (binary) into ``event_id, item_id, sidx, loss`` rows.

    For an fmpy stream ``item_id`` is the FM ``output_id``. Layout: int32 stream type, int32 sample
    count, then per item: int32 event_id, int32 item_id, (int32 sidx, float32 loss) pairs ended by
    the pair (0, 0).
    """
    raw = np.fromfile(path, dtype="<i4")
    words, rows, i = raw[2:], [], 0
    floats = words.view("<f4")
    while i < len(words):
        event_id, item_id = int(words[i]), int(words[i + 1])
        i += 2
        while True:
            sidx = int(words[i])
            loss = float(floats[i + 1])
            i += 2
            if sidx == 0:
                break
            rows.append((event_id, item_id, sidx, loss))
    return pd.DataFrame(rows, columns=["event_id", "item_id", "sidx", "loss"])


def _summary_sets(inp: Path, xref_name: str) -> list[int]:
    xref = pd.read_csv(inp / f"{xref_name}.csv")
    return sorted(int(s) for s in xref["summaryset_id"].unique())


def run_oasis(dir, samples: int, seed: int = 0, *, gul_alloc_rule: int = 0, il_alloc_rule: int = 2,
              random_generator: int = 2, loss_threshold: float = 1e-6, confidence: float = 0.95,
              use_return_periods: bool | None = None, effective_damageability: bool = False,
              work_dir=None) -> dict[str, pd.DataFrame]:
    """Run the Oasis pipeline on a model written by :func:`write_model` and read back its outputs.

    Parameters
    ----------
    dir : path
        Model folder (``static/``, ``input/``); never written to.
    samples : int
        gulmc sample count ``-S`` (sidx 1..samples); 0 gives only the analytical sidx -1..-5.
    seed : int
        gulmc has no seed: its random numbers are a fixed hash of (group_id, event_id). ``seed != 0``
        shifts every group_id and hazard_group_id by ``seed * 1_000_003`` in a private copy of the
        inputs, which gives another, equally valid set of streams; ``seed=0`` is exactly Oasis.
    gul_alloc_rule, il_alloc_rule : int
        ``gulmc -a`` (0 none, 1/2 pro-rata TIV cap, 3 multiplicative) and ``fmpy -a`` (0, 1, 2).
    random_generator : int
        ``gulmc --random-generator``: 0 Mersenne Twister, 1 Latin hypercube, 2 (default) Latin
        hypercube on Philox.
    loss_threshold : float
        ``gulmc -L``: samples below it are not written (read as zero downstream).
    confidence : float
        ``aalpy -l`` level of the ALCT confidence interval.
    use_return_periods : bool, optional
        ``lecpy -r`` (losses at the return periods of returnperiods.bin); default: if that file exists.
    effective_damageability : bool
        ``gulmc --effective-damageability`` (sample from the hazard-convolved damage cdf).
    work_dir : path, optional
        Keep the run folder there (default: a temporary folder, removed afterwards).

    Returns
    -------
    dict of DataFrame
        ``"gul"`` (and ``"il"``): the loss stream as ``event_id, item_id, sidx, loss`` (item_id is the
        FM output_id for il); and ``f"{run_type}_S{set}_{table}"`` for every summary set and ORD table
        in :data:`ORD_TABLES` (run_type ``gul`` or ``il``), with the tools' own column names.
    """
    model = Path(dir).resolve()
    tmp = None
    if work_dir is None:
        tmp = tempfile.mkdtemp(prefix="oasis_run_")
        run_dir = Path(tmp)
    else:
        run_dir = Path(work_dir).resolve()
        run_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _run_pipeline(model, run_dir, samples, seed, gul_alloc_rule, il_alloc_rule, random_generator,
                             loss_threshold, confidence, use_return_periods, effective_damageability)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _offset_groups(inp: Path, offset: int) -> None:
    """Shift group_id (items) and hazard_group_id (correlations) by ``offset`` in ``inp``."""
    items = pd.read_csv(inp / "items.csv")
    items["group_id"] = items["group_id"] + offset
    _write_table(inp, "items", items, ITEMS_COLS, "items")
    corr = pd.read_csv(inp / "correlations.csv")
    corr["hazard_group_id"] = corr["hazard_group_id"] + offset
    _write_table(inp, "correlations", corr, CORRELATIONS_COLS, "correlations")


def _run_pipeline(model, run_dir, samples, seed, gul_alloc_rule, il_alloc_rule, random_generator,
                  loss_threshold, confidence, use_return_periods, effective_damageability):
    for sub in ("static", "input"):
        target = run_dir / sub
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
    (run_dir / "static").symlink_to(model / "static", target_is_directory=True)
    # a private copy: fmpy writes its prepared structure (.npy) into the input folder
    shutil.copytree(model / "input", run_dir / "input")
    if seed:
        _offset_groups(run_dir / "input", int(seed) * 1_000_003)
    inp, work, out = run_dir / "input", run_dir / "work", run_dir / "output"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    out.mkdir(exist_ok=True)
    if use_return_periods is None:
        use_return_periods = (inp / "returnperiods.bin").exists()

    _run([_tool("evepy"), "1", "1", "-i", str(inp / "events.bin"), "-o", str(work / "events.bin")], run_dir)
    gulmc = [_tool("gulmc"), "--run-dir", str(run_dir), "-S", str(samples), "-a", str(gul_alloc_rule),
             "-L", repr(float(loss_threshold)), "--random-generator", str(random_generator),
             "-i", str(work / "events.bin"), "-o", str(work / "gul.bin")]
    if effective_damageability:
        gulmc.append("--effective-damageability")
    _run(gulmc, run_dir)
    results = {"gul": read_loss_stream(work / "gul.bin")}
    streams = {"gul": (work / "gul.bin", "gulsummaryxref")}
    if (inp / "fm_programme.bin").exists():
        fmpy = [_tool("fmpy"), "-a", str(il_alloc_rule), "-p", str(inp)]
        _run(fmpy + ["--create-financial-structure-files"], run_dir)
        _run(fmpy + ["-i", str(work / "gul.bin"), "-o", str(work / "il.bin")], run_dir)
        results["il"] = read_loss_stream(work / "il.bin")
        streams["il"] = (work / "il.bin", "fmsummaryxref")

    outputs, tools = {}, []
    for run_type, (stream, xref_name) in streams.items():
        sets = _summary_sets(inp, xref_name)
        summary_args = []
        for s in sets:
            summary_args += [f"-{s}", str(work / f"{run_type}_S{s}_summary.bin")]
        _run([_tool("summarypy"), "-t", run_type, "-p", str(inp), "-i", str(stream), *summary_args], run_dir)
        for s in sets:
            stem = f"{run_type}_S{s}"
            summary = work / f"{stem}_summary.bin"
            files = {t: out / f"{stem}_{t}.csv" for t in ORD_TABLES}
            outputs.update({f"{stem}_{t}": path for t, path in files.items()})
            # aalpy and lecpy glob <run_dir>/work/<subfolder>/*.bin: one folder each
            for sub in ("palt", "lec"):
                (work / f"{stem}_{sub}").mkdir()
                shutil.copy(summary, work / f"{stem}_{sub}" / "P1.bin")
            lec = [_tool("lecpy"), "--run_dir", str(run_dir), "-K", f"{stem}_lec", *LEC_SWITCHES,
                   "-O", str(files["ept"]), "-o", str(files["psept"])] + (["-r"] if use_return_periods else [])
            tools += [
                [_tool("eltpy"), "--run_dir", str(run_dir), "-i", str(summary),
                 "-s", str(files["selt"]), "-m", str(files["melt"]), "-q", str(files["qelt"])],
                [_tool("pltpy"), "--run_dir", str(run_dir), "-i", str(summary),
                 "-s", str(files["splt"]), "-m", str(files["mplt"]), "-q", str(files["qplt"])],
                [_tool("aalpy"), "--run_dir", str(run_dir), "-K", f"{stem}_palt",
                 "-a", str(files["palt"]), "-c", str(files["alct"]), "-l", repr(float(confidence))],
                lec,
            ]
    _run_all(tools, run_dir)
    results.update({key: _read_csv(path) for key, path in outputs.items()})
    return results


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame()
    return pd.read_csv(path)
