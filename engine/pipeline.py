"""The chunked run: years in chunks -> :func:`engine.chunk.run_chunk` -> streamed tables -> summary.

Chunk size is ``run.chunk_years`` or, when 0, grown from a small first chunk so that one chunk's
event set and loss tables stay within ``run.memory_budget_mb``. Results never depend on the
chunking: events are keyed by year, draws by (seed, event, risk, sample), and rows are written
in (year, event, key) order.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine import eventset as es
from engine.chunk import ChunkResult, run_chunk
from engine.invariants import check_chunk
from engine.outputs import RunFolder, TableWriter
from engine.plan import RunPlan
from engine.plots import default_keys, plot_ep_curves, summary_curves
from engine.provenance import provenance
from engine.summary import ep_frame, premium_frame, summarise_keys, trial_rows

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


def _table_columns(plan: RunPlan, result: ChunkResult) -> tuple[dict, dict, dict]:
    """ELT, PLT and YLT columns of one chunk (rows already in (year, event, key) order)."""
    ev, rows, samples = result.events, result.event_rows, plan.inputs.samples
    peril_names = np.array([p.name for p in plan.inputs.perils], dtype=object)
    if samples > 1:
        sd = rows["samples"].std(axis=1, ddof=1)
    elif samples == 1:
        sd = np.zeros(rows["mean"].size)
    else:
        sd = np.sqrt(rows["var"])
    elt = {"event_id": ev.event_id[rows["event"]], "peril": peril_names[ev.peril[rows["event"]]],
           "key": rows["key"], "mean_loss": rows["mean"], "sd_loss": sd, "exposure_value": rows["exposure"]}
    blocks = [(-1, rows["mean"])] + [(q + 1, rows["samples"][:, q]) for q in range(samples)]
    plt_parts = []
    for sample, loss in blocks:
        nz = loss > 0
        plt_parts.append((rows["event"][nz], np.full(nz.sum(), sample, np.int16), rows["key"][nz], loss[nz]))
    event = np.concatenate([p[0] for p in plt_parts])
    order = np.lexsort((np.concatenate([p[2] for p in plt_parts]), np.concatenate([p[1] for p in plt_parts]), event))
    event = event[order]
    plt = {"year": ev.year[event], "event_id": ev.event_id[event], "doy": ev.doy[event],
           "sample": np.concatenate([p[1] for p in plt_parts])[order],
           "key": np.concatenate([p[2] for p in plt_parts])[order],
           "loss": np.concatenate([p[3] for p in plt_parts])[order]}
    yr = result.year_rows
    ylt = {"year": yr["year"], "sample": yr["sample"], "key": yr["key"], "loss": yr["loss"],
           "max_event_loss": yr["max_event"]}
    return elt, plt, ylt


EMPTY = {
    "elt": {"event_id": np.empty(0, np.int64), "peril": np.empty(0, object), "key": np.empty(0, np.int32),
            "mean_loss": np.empty(0), "sd_loss": np.empty(0), "exposure_value": np.empty(0)},
    "plt": {"year": np.empty(0, np.int64), "event_id": np.empty(0, np.int64), "doy": np.empty(0, np.int16),
            "sample": np.empty(0, np.int16), "key": np.empty(0, np.int32), "loss": np.empty(0)},
    "ylt": {"year": np.empty(0, np.int64), "sample": np.empty(0, np.int16), "key": np.empty(0, np.int32),
            "loss": np.empty(0), "max_event_loss": np.empty(0)},
}


def execute(plan: RunPlan, config_yaml: str, echo=print) -> RunOutput:
    """Run all chunks and write the run folder atomically; returns the summary."""
    settings = plan.settings
    cfg = settings.config
    started = time.perf_counter()
    folder = RunFolder(settings.output_dir, overwrite=cfg.output.overwrite)
    try:
        (folder.path("config.yaml")).write_text(config_yaml)
        writers = {"ylt": TableWriter(folder.path("ylt.parquet"), plan.keys.names)}
        if cfg.output.elt:
            writers["elt"] = TableWriter(folder.path("elt.parquet"), plan.keys.names)
        if cfg.output.plt:
            writers["plt"] = TableWriter(folder.path("plt.parquet"), plan.keys.names)
        measures = tuple(dict.fromkeys(m for p in plan.inputs.perils for m in p.measures))
        event_writer = {"zarr": lambda: es.ZarrEventSetWriter(folder.path("eventset.zarr")),
                        "netcdf": lambda: es.NetcdfEventSetWriter(folder.path("eventset.nc")),
                        "none": lambda: None}[cfg.output.event_set]()
        year_parts = []
        n_events = 0
        chunker = _Chunker(len(plan.years), cfg.run.chunk_years, cfg.run.memory_budget_mb * 2**20)
        bar = tqdm(total=len(plan.years), unit="yr", desc="qilu", disable=not cfg.run.progress, leave=False)
        while (span := chunker.next()) is not None:
            years = plan.years[span[0]:span[1]]
            result = run_chunk(plan.inputs, years, measures)
            chunker.observe(len(years), result.nbytes)
            check_chunk(result, plan.keys, [p.name for p in plan.inputs.perils])
            elt, plt, ylt = _table_columns(plan, result)
            writers["ylt"].append(ylt)
            if "elt" in writers:
                writers["elt"].append(elt)
            if "plt" in writers:
                writers["plt"].append(plt)
            year_parts.append(result.year_rows)
            if event_writer is not None:
                event_writer.append(result.events)
            n_events += result.events.n_events
            bar.update(len(years))
        bar.close()
        for name, writer in writers.items():
            writer.close(EMPTY[name])
        if hasattr(event_writer, "close"):
            event_writer.close()

        year_rows = {c: np.concatenate([p[c] for p in year_parts]) for c in year_parts[0]}
        samples = cfg.run.samples
        summary = summarise_keys(year_rows, plan.keys.names, plan.keys.sum_insured, len(plan.years), samples,
                                 settings.pricing)
        placeholder = [p.name for p in plan.inputs.perils if getattr(p, "placeholder", False)]
        run_info = {"n_years": len(plan.years), "samples": samples, "n_events": n_events,
                    "perils": [p.name for p in plan.inputs.perils],
                    "products": [name for name, _ in settings.products],
                    "metric_basis": "full uncertainty (years x samples)" if samples else "analytical mean",
                    "placeholder_perils": placeholder}
        if placeholder:
            run_info["warning"] = PLACEHOLDER_WARNING.format(names=placeholder)
        trials = trial_rows(year_rows, samples)
        n_trials = len(plan.years) * max(samples, 1)
        curve_keys = [k for k, lv in zip(plan.keys.names, plan.keys.levels) if "/" not in lv]
        ep_frame(trials, list(plan.keys.names), curve_keys, n_trials).to_parquet(folder.path("ep_curves.parquet"))
        premium_frame(summary).to_csv(folder.path("premiums.csv"), index=False)
        if cfg.output.plots:
            curves = summary_curves(trials, list(plan.keys.names), default_keys(plan.keys.names), 0)
            title = f"{cfg.portfolio.name}: {len(plan.years):,} years" + (
                f" — PLACEHOLDER peril {', '.join(placeholder)}" if placeholder else "")
            plot_ep_curves(curves, n_trials, folder.path("ep_curves.png"), title)
        seconds = time.perf_counter() - started
        folder.write_json("provenance.json", provenance(plan, seconds))
        folder.write_json("summary.json", {"_run": run_info, **summary})
        final = folder.commit()
    except BaseException:
        folder.abort()
        raise
    return RunOutput(final, summary, seconds)


def load_summary(folder: Path) -> dict:
    return json.loads((Path(folder) / "summary.json").read_text())
