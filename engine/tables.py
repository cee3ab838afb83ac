"""Loss tables of a run, streamed chunk by chunk to Parquet, one set per perspective.

Perspective ``il`` (insured loss, after terms) writes ``ylt.parquet``, ``elt.parquet`` and
``plt.parquet``; ``gul`` (ground-up) writes the same tables prefixed ``gul_``. Columns:

* YLT: ``year, sample, key, loss, max_event_loss`` (nonzero rows; sample -1 = analytical mean);
* ELT: ``event_id, source_event_id, peril, key, mean_loss, sd_loss, exposure_value``;
* PLT: ``year, event_id, source_event_id, doy, sample, key, loss``.

``source_event_id`` is the footprint an event uses (the Oasis event id when a model is imported;
otherwise the event id itself).
"""
from __future__ import annotations

import numpy as np

from engine.outputs import TableWriter

PREFIX = {"il": "", "gul": "gul_"}


def table_columns(result, perspective: str, peril_names, samples: int) -> tuple[dict, dict, dict]:
    """ELT, PLT and YLT columns of one chunk and perspective (rows in (year, event, key) order)."""
    ev, rows = result.events, result.event_rows[perspective]
    if samples > 1:
        sd = rows["samples"].std(axis=1, ddof=1)
    elif samples == 1:
        sd = np.zeros(rows["mean"].size)
    else:
        sd = np.sqrt(rows["var"])
    source = ev.rng_ids
    elt = {"event_id": ev.event_id[rows["event"]], "source_event_id": source[rows["event"]],
           "peril": np.asarray(peril_names, dtype=object)[ev.peril[rows["event"]]],
           "key": rows["key"], "mean_loss": rows["mean"], "sd_loss": sd, "exposure_value": rows["exposure"]}
    blocks = [(-1, rows["mean"])] + [(q + 1, rows["samples"][:, q]) for q in range(samples)]
    parts = []
    for sample, loss in blocks:
        nz = loss > 0
        parts.append((rows["event"][nz], np.full(nz.sum(), sample, np.int16), rows["key"][nz], loss[nz]))
    event, sample, key, loss = (np.concatenate([p[i] for p in parts]) for i in range(4))
    order = np.lexsort((key, sample, event))
    event = event[order]
    plt = {"year": ev.year[event], "event_id": ev.event_id[event], "source_event_id": source[event],
           "doy": ev.doy[event], "sample": sample[order], "key": key[order], "loss": loss[order]}
    yr = result.year_rows[perspective]
    ylt = {"year": yr["year"], "sample": yr["sample"], "key": yr["key"], "loss": yr["loss"],
           "max_event_loss": yr["max_event"]}
    return elt, plt, ylt


EMPTY = {
    "elt": {"event_id": np.empty(0, np.int64), "source_event_id": np.empty(0, np.int64),
            "peril": np.empty(0, object), "key": np.empty(0, np.int32), "mean_loss": np.empty(0),
            "sd_loss": np.empty(0), "exposure_value": np.empty(0)},
    "plt": {"year": np.empty(0, np.int64), "event_id": np.empty(0, np.int64), "source_event_id": np.empty(0, np.int64),
            "doy": np.empty(0, np.int16), "sample": np.empty(0, np.int16), "key": np.empty(0, np.int32),
            "loss": np.empty(0)},
    "ylt": {"year": np.empty(0, np.int64), "sample": np.empty(0, np.int16), "key": np.empty(0, np.int32),
            "loss": np.empty(0), "max_event_loss": np.empty(0)},
}


class LossTables:
    """Parquet writers of one perspective's YLT (always), ELT and PLT (if asked)."""

    def __init__(self, folder, perspective: str, key_names, elt: bool, plt: bool):
        prefix = PREFIX[perspective]
        self.perspective = perspective
        self.writers = {"ylt": TableWriter(folder.path(f"{prefix}ylt.parquet"), key_names)}
        if elt:
            self.writers["elt"] = TableWriter(folder.path(f"{prefix}elt.parquet"), key_names)
        if plt:
            self.writers["plt"] = TableWriter(folder.path(f"{prefix}plt.parquet"), key_names)

    def append(self, result, peril_names, samples: int) -> None:
        elt, plt, ylt = table_columns(result, self.perspective, peril_names, samples)
        for name, columns in (("ylt", ylt), ("elt", elt), ("plt", plt)):
            if name in self.writers:
                self.writers[name].append(columns)

    def close(self) -> None:
        for name, writer in self.writers.items():
            writer.close(EMPTY[name])
