"""The chunked run: years in chunks -> :func:`engine.chunk.run_chunk` -> streamed tables -> summary.

Chunk size is ``run.chunk_years`` or, when 0, grown from a small first chunk so that one chunk's
event set and loss tables stay within ``run.memory_budget_mb``. Results never depend on the
chunking: events are keyed by year, draws by (seed, event, risk, sample), and rows are written
in (year, event, key) order.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from engine import eventset as es
from engine.chunk import run_chunk
from engine.invariants import check_chunk, check_run
from engine.outputs import RunFolder
from engine.plan import RunPlan
from engine.plots import default_keys, plot_ep_curves, summary_curves
from engine.provenance import provenance
from engine.summary import ep_frame, premium_frame, summarise_keys, trial_rows
from engine.tables import PREFIX, LossTables

FIRST_CHUNK_YEARS = 250
PLACEHOLDER_WARNING = ("PLACEHOLDER peril(s) {names}: a simple uncalibrated storm model stands in until the "
                       "real peril modules land; losses and premiums are for testing the engine only")


@dataclass
class RunOutput:
    folder: Path
    summary: dict
    seconds: float


def chunk_plan(n_years: int, chunk_years: int):
    """Fixed chunk sizes (``chunk_years > 0``) as (start, stop) year offsets."""
    return [(s, min(s + chunk_years, n_years)) for s in range(0, n_years, chunk_years)]


class _Chunker:
    """Yields (start, stop) offsets; adapts the size to the memory budget when not fixed."""

    def __init__(self, n_years: int, chunk_years: int, budget_bytes: int):
        self.n_years, self.fixed, self.budget = n_years, chunk_years, budget_bytes
        self.size = chunk_years or min(FIRST_CHUNK_YEARS, n_years)
        self.start = 0

    def next(self):
        if self.start >= self.n_years:
            return None
        stop = min(self.start + self.size, self.n_years)
        span = (self.start, stop)
        self.start = stop
        return span

    def observe(self, years: int, nbytes: int) -> None:
        if not self.fixed and years > 0:
            # kernel scratch and the pandas-free tables roughly double the result size at peak
            per_year = max(2 * nbytes / years, 1.0)
            self.size = int(max(1, min(self.budget / per_year, 4 * self.size)))


def _append_years(writers: dict, folder, peril, table) -> None:
    """Stream one chunk of a peril's per-year summary to ``<peril name>_years.parquet``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.Table.from_pandas(table, preserve_index=False)
    if peril.name not in writers:
        name = getattr(peril, "year_table", f"{peril.name}_years.parquet")   # e.g. yellow_river_years.parquet
        if any(Path(w.where).name == name for w in writers.values() if hasattr(w, "where")):
            name = f"{peril.name}_years.parquet"                               # two perils of one kind
        writers[peril.name] = pq.ParquetWriter(folder.path(name), t.schema, compression="zstd")
        writers[peril.name].where = str(folder.path(name))
    writers[peril.name].write_table(t.cast(writers[peril.name].schema))


def _largest_event(result, plan: RunPlan, key: int, best, chosen=None):
    """The chunk's largest event by loss to ``key`` (mean), if larger than ``best``; or the event
    ``chosen`` (an event id) when given (report.html)."""
    from engine.report import LargestEvent

    rows = result.event_rows["il"]
    ev = result.events
    if chosen is not None:
        hits = np.flatnonzero(ev.event_id == int(chosen))
        if hits.size == 0:
            return best
        e = int(hits[0])
        sel = np.flatnonzero((rows["key"] == key) & (rows["event"] == e))
        loss = float(rows["mean"][sel].sum())
    else:
        sel = np.flatnonzero(rows["key"] == key)
        if sel.size == 0:
            return best
        i = sel[np.argmax(rows["mean"][sel])]
        loss = float(rows["mean"][i])
        if best is not None and loss <= best.loss:
            return best
        e = int(rows["event"][i])
    lo, hi = ev.offsets[e], ev.offsets[e + 1]
    sites = ev.site[lo:hi]
    return LargestEvent(int(ev.event_id[e]), int(ev.year[e]), ev.perils[ev.peril[e]] if ev.perils else "",
                        loss, plan.portfolio.sites.lon[sites], plan.portfolio.sites.lat[sites], tuple(ev.measures),
                        tuple(ev.units), ev.intensity[lo:hi].copy())


def _add_subsidy_and_mu(plan: RunPlan, summary: dict) -> None:
    """Premium per mu for keys with crop area, and the subsidy split of full-cost products' premiums
    (``premium.subsidy``: central, provincial, county, farmer in CNY)."""
    t = plan.portfolio.table
    mu = np.zeros(len(plan.keys.names))
    if "quantity" in t and "quantity_unit" in t:
        area = np.where(t["quantity_unit"].astype(str).to_numpy() == "mu", pd.to_numeric(t["quantity"], errors="coerce")
                        .fillna(0.0).to_numpy(float), 0.0)
        for a in range(plan.keys.risk_keys.shape[1]):
            np.add.at(mu, plan.keys.risk_keys[:, a], area)
    products = dict(plan.settings.products)
    for k, name in enumerate(plan.keys.names):
        premium = summary[name]["premium"]
        if mu[k] > 0:
            premium["insured_mu"] = float(mu[k])
            premium["gross_per_mu"] = premium["gross"] / mu[k]
        parts = name.split("/")
        product = products.get(parts[1]) if parts[0] == "product" and len(parts) > 1 else None
        rules = getattr(product, "crop_rules", None)
        if rules is not None and rules.subsidy:
            premium["subsidy"] = {part: premium["gross"] * share for part, share in rules.subsidy.items()}


def _price_treaty(plan: RunPlan, folder, treaty) -> dict:
    """Price ``treaty`` on the finished PLT; results in treaty/<name>/. Returns its summary row."""
    from engine.treaty.inputs import from_run_folder
    from engine.treaty.report import price_treaty, write_treaty

    per_risk = any(layer.type in ("surplus", "per_risk_xl") for layer in treaty.layers)
    subject, facts = from_run_folder(folder.tmp, treaty.subject, per_risk=per_risk)
    priced = price_treaty(treaty, subject, plan.settings.pricing)
    out = folder.path(f"treaty/{treaty.name}")
    out.mkdir(parents=True, exist_ok=True)
    write_treaty(out, treaty, priced, facts)
    return {"treaty": treaty.name, "subject": treaty.subject, "ceded_expected_loss": priced["totals"]["ceded"]["expected_loss"],
            "gross_premium": priced["premium"]["gross"]}


def _write_basis_risk(plan: RunPlan, folder, parts) -> list:
    """basis_risk_events.parquet (per event and parametric risk) and basis_risk.csv (statistics);
    returns the per-product rows for summary.json."""
    from engine.basis_risk import basis_risk

    table = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in parts[0]}) if parts else \
        pd.DataFrame({"event_id": [], "year": [], "risk": [], "payout": [], "indemnity": []})
    table["risk"] = table["risk"].astype(np.int64)
    events = table.assign(risk_id=plan.portfolio.table["risk_id"].to_numpy()[table["risk"].to_numpy()])
    events.drop(columns="risk").to_parquet(folder.path("basis_risk_events.parquet"), index=False)
    stats = basis_risk(table, plan.portfolio.table, plan.inputs.parametric.risk, len(plan.years))
    stats.to_csv(folder.path("basis_risk.csv"), index=False)
    overall = stats[stats["county"] == "all"].drop(columns="county")
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
            for row in overall.to_dict("records")]


def _chunk_results(plan: RunPlan, cfg, measures, checkpoints=None, echo=print):
    """(years, ChunkResult) of every chunk in year order: first the chunks an interrupted run saved
    (``run.resume``), then the rest, locally (chunks sized from the memory budget as the run goes)
    or on a Dask cluster (engine/distributed.py). Computed chunks are saved when checkpointing."""
    start = 0
    if checkpoints is not None and cfg.run.resume:
        for span in checkpoints.spans():   # contiguous saved chunks from the first year on
            if span[0] != start:
                break
            result = checkpoints.load(span)
            if result is None:
                break
            yield plan.years[span[0]:span[1]], result
            start = span[1]
        if start:
            echo(f"resumed: {start:,} of {len(plan.years):,} years from checkpoints in {checkpoints.directory}")
    if cfg.compute.kind != "local":
        from engine.distributed import dask_results
        for span, years, result in dask_results(plan, cfg.compute, cfg.run.chunk_years, measures, start,
                                                cfg.run.memory_budget_mb * 2**20):
            if checkpoints is not None:
                checkpoints.save(span, result)
            yield years, result
        return
    chunker = _Chunker(len(plan.years), cfg.run.chunk_years, cfg.run.memory_budget_mb * 2**20)
    chunker.start = start
    while (span := chunker.next()) is not None:
        years = plan.years[span[0]:span[1]]
        result = run_chunk(plan.inputs, years, measures)
        chunker.observe(len(years), result.nbytes)
        if checkpoints is not None:
            checkpoints.save(span, result)
        yield years, result


# keys that change neither a chunk's result nor which results belong together
_NOT_IN_FINGERPRINT = {"run": ("progress", "checkpoint", "resume", "chunk_years", "memory_budget_mb"),
                       "output": ("dir", "overwrite", "report", "plots", "print_keys"), "compute": None}


def run_fingerprint(plan: RunPlan, config_yaml: str) -> str:
    """SHA-256 of what decides the chunks' results: the resolved config (without the keys above), the
    input files, Qilu's own code and data (engine/, perils/, configs/) and the numeric libraries'
    versions."""
    import json

    import yaml

    from engine.checkpoint import fingerprint

    cfg = yaml.safe_load(config_yaml) or {}
    for group, keys in _NOT_IN_FINGERPRINT.items():
        if keys is None:
            cfg.pop(group, None)
        else:
            for k in keys:
                (cfg.get(group) or {}).pop(k, None)
    root = Path(__file__).resolve().parents[1]
    files = {f"code:{p.relative_to(root)}": p for d in ("engine", "perils", "configs") for p in sorted((root / d).rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts}
    files.update({f"input:{k}": v for k, v in plan.input_files.items()})
    from importlib import metadata
    cfg["_packages"] = {}
    for name in ("numpy", "numba", "scipy", "pandas", "statsmodels", "pyarrow", "xarray"):
        try:   # a library upgrade may change the numbers, so it starts a fresh set of checkpoints
            cfg["_packages"][name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return fingerprint(json.dumps(cfg, sort_keys=True, default=str), files)


def _checkpoints(plan: RunPlan, config_yaml: str, echo):
    """The run's checkpoint store (None when run.checkpoint and run.resume are off): one directory per
    fingerprint under the output folder's parent, so a rerun of the same config finds it whatever
    its (time-stamped) output.dir."""
    cfg = plan.settings.config
    if not (cfg.run.checkpoint or cfg.run.resume):
        return None
    from engine.checkpoint import Checkpoints

    fp = run_fingerprint(plan, config_yaml)
    directory = Path(plan.settings.output_dir).parent / ".qilu-checkpoints" / fp[:16]
    if cfg.run.resume and not directory.exists():
        echo(f"run.resume: no checkpoints of this config in {directory.parent}; computing every chunk")
    return Checkpoints(directory, fp, resume=cfg.run.resume)


def execute(plan: RunPlan, config_yaml: str, echo=print) -> RunOutput:
    """Run all chunks and write the run folder atomically; returns the (insured-loss) summary."""
    settings = plan.settings
    cfg = settings.config
    started = time.perf_counter()
    folder = RunFolder(settings.output_dir, overwrite=cfg.output.overwrite)
    checkpoints = None
    try:
        checkpoints = _checkpoints(plan, config_yaml, echo)
        folder.path("config.yaml").write_text(config_yaml)
        perils = [p.name for p in plan.inputs.perils]
        perspectives = [name for name, _, _ in plan.inputs.perspectives]
        tables = {p: LossTables(folder, p, plan.keys.names, cfg.output.elt, cfg.output.plt) for p in perspectives}
        measures = tuple(dict.fromkeys(m for p in plan.inputs.perils for m in p.measures))
        event_writer = {"zarr": lambda: es.ZarrEventSetWriter(folder.path("eventset.zarr")),
                        "netcdf": lambda: es.NetcdfEventSetWriter(folder.path("eventset.nc")),
                        "none": lambda: None}[cfg.output.event_set]()
        track_writer = None
        if cfg.output.tracks:
            import pyarrow as pa
            import pyarrow.parquet as pq
            track_perils = [(i, p) for i, p in enumerate(plan.inputs.perils) if hasattr(p, "tracks")]
        year_writers = {}   # output.events: peril name -> ParquetWriter of <peril>_years.parquet
        year_perils = [p for p in plan.inputs.perils if hasattr(p, "year_summary")] if cfg.output.events else []
        year_parts = {p: [] for p in perspectives}
        basis_parts = []
        carbon = None
        if plan.inputs.carbon is not None:
            from engine.carbon.outputs import CarbonResults
            carbon = CarbonResults(folder, plan)
        largest = None
        top_key = plan.keys.names.index("portfolio") if "portfolio" in plan.keys.names else 0
        n_events = 0
        n_chunks, consume_s = 0, 0.0   # the client's own work per chunk (the scale-out cost model)
        bar = tqdm(total=len(plan.years), unit="yr", desc="qilu", disable=not cfg.run.progress, leave=False)
        for years, result in _chunk_results(plan, cfg, measures, checkpoints, echo):
            t_consume = time.perf_counter()
            check_chunk(result, plan.keys, perils)
            for p in perspectives:
                tables[p].append(result, perils, cfg.run.samples)
                year_parts[p].append(result.year_rows[p])
            if event_writer is not None:
                event_writer.append(result.events)
            if cfg.output.tracks:
                for i, peril in track_perils:
                    table = pa.Table.from_pandas(peril.tracks(years, plan.inputs.seed, i), preserve_index=False)
                    if track_writer is None:
                        track_writer = pq.ParquetWriter(folder.path("tracks.parquet"), table.schema, compression="zstd")
                    track_writer.write_table(table.cast(track_writer.schema))
            for peril in year_perils:
                _append_years(year_writers, folder, peril, peril.year_summary(years, plan.inputs.seed))
            if result.basis is not None:
                basis_parts.append(result.basis)
            if carbon is not None:
                carbon.append(result.carbon)
            if cfg.output.report:
                largest = _largest_event(result, plan, top_key, largest, cfg.output.report_event)
            n_events += result.events.n_events
            bar.update(len(years))
            n_chunks += 1
            consume_s += time.perf_counter() - t_consume
        bar.close()
        for t in tables.values():
            t.close()
        if hasattr(event_writer, "close"):
            event_writer.close()
        if track_writer is not None:
            track_writer.close()
        for writer in year_writers.values():
            writer.close()

        placeholder = [p.name for p in plan.inputs.perils if getattr(p, "placeholder", False)]
        run_info = {"scenario": cfg.scenario.name, "climate": cfg.climate.name, "n_years": len(plan.years), "samples": cfg.run.samples, "n_events": n_events, "perils": perils,
                    "products": list(plan.product_names), "perspectives": perspectives,
                    "metric_basis": "full uncertainty (years x samples)" if cfg.run.samples else "analytical mean",
                    "placeholder_perils": placeholder}
        if placeholder:
            run_info["warning"] = PLACEHOLDER_WARNING.format(names=placeholder)
        if plan.warnings:
            run_info["warnings"] = list(plan.warnings)
        timing = {"chunks": n_chunks, "client_consume_s": round(consume_s, 3),   # in provenance.json:
                  "all_chunks_done_s": round(time.perf_counter() - started, 3)}   # summaries stay reproducible
        if plan.inputs.parametric is not None:
            run_info["basis_risk"] = _write_basis_risk(plan, folder, basis_parts)
        summaries = {}
        for p in perspectives:
            year_rows = {c: np.concatenate([part[c] for part in year_parts[p]]) for c in year_parts[p][0]}
            summaries[p] = _write_results(plan, folder, p, year_rows, placeholder)
            folder.write_json(f"{PREFIX[p]}summary.json", {"_run": {**run_info, "perspective": p}, **summaries[p]})
        if carbon is not None:
            run_info["carbon"] = carbon.close(summaries["il"])
        for treaty in plan.settings.treaties:
            run_info.setdefault("treaties", []).append(_price_treaty(plan, folder, treaty))
        if plan.settings.treaties or carbon is not None:   # treaty and carbon facts join summary.json
            folder.write_json("summary.json", {"_run": {**run_info, "perspective": "il"}, **summaries["il"]})
        check_run(folder.tmp, perspectives)   # a run that breaks an invariant fails, with its context
        if cfg.output.ord:
            from engine.ord import export_ord
            export_ord(folder.tmp, formats=tuple(cfg.output.ord_formats))
        seconds = time.perf_counter() - started
        prov = {**provenance(plan, seconds), "timing": timing}
        folder.write_json("provenance.json", prov)
        if cfg.output.report:
            from engine.report import write_report
            write_report(folder.tmp, summaries["il"], run_info, prov, largest)
        final = folder.commit()
    except BaseException:
        folder.abort()   # the checkpoints stay: run.resume=true picks up from them
        raise
    if checkpoints is not None:
        checkpoints.clear()
        try:
            checkpoints.directory.parent.rmdir()   # .qilu-checkpoints/, when no other run left any
        except OSError:
            pass
    return RunOutput(final, summaries["il"], seconds)


def _write_results(plan: RunPlan, folder: RunFolder, perspective: str, year_rows: dict, placeholder) -> dict:
    """Metrics and premiums per key, full EP curves, premium table and plot of one perspective."""
    cfg, samples, prefix = plan.settings.config, plan.settings.config.run.samples, PREFIX[perspective]
    names = list(plan.keys.names)
    summary = summarise_keys(year_rows, names, plan.keys.sum_insured, len(plan.years), samples, plan.settings.pricing)
    _add_subsidy_and_mu(plan, summary)
    trials = trial_rows(year_rows, samples)
    n_trials = len(plan.years) * max(samples, 1)
    curve_keys = [k for k, lv in zip(names, plan.keys.levels) if "/" not in lv]
    ep_frame(trials, names, curve_keys, n_trials).to_parquet(folder.path(f"{prefix}ep_curves.parquet"))
    premium_frame(summary).to_csv(folder.path(f"{prefix}premiums.csv"), index=False)
    if perspective == "il":
        from engine.allocation import allocate
        allocate(trials, names, plan.keys.levels, plan.keys.sum_insured, len(plan.years), samples,
                 int(plan.years[0]), plan.settings.pricing).to_csv(folder.path("capital_allocation.csv"), index=False)
    if cfg.output.plots:
        curves = summary_curves(trials, names, default_keys(names))
        title = (f"{cfg.portfolio.name}: {len(plan.years):,} years, "
                 f"{'insured' if perspective == 'il' else 'ground-up'} loss"
                 + (f" — PLACEHOLDER peril {', '.join(placeholder)}" if placeholder else ""))
        plot_ep_curves(curves, n_trials, folder.path(f"{prefix}ep_curves.png"), title)
    return summary
