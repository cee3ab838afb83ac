"""Price a treaty program on subject losses and write its results (layers.csv, treaty.json, EP curves).

Files, in ``<folder>/`` (written atomically by the caller's RunFolder, or under a run folder's
``treaty/<name>/``):

* ``layers.csv`` — one row per layer: engine.treaty.price.STAT_COLUMNS;
* ``treaty.json`` — the program, the subject, the layer rows, and gross / ceded / net expected loss,
  standard deviation and TVaR 99%;
* ``ep_curves.parquet`` — return period x {gross, ceded, net} OEP (event layers) and AEP;
* ``ep_curves.png`` — gross, ceded and net AEP and OEP.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from engine import metrics
from engine.pricing import PricingBasis
from engine.treaty.price import STAT_COLUMNS, ep_table, layer_statistics
from engine.treaty.program import apply_program, SubjectLosses
from engine.treaty.spec import Treaty


def _occurrence_max(trial, values, n_trials):
    out = np.zeros(n_trials)
    np.maximum.at(out, trial, values)
    return out


def price_treaty(treaty: Treaty, subject: SubjectLosses, basis: PricingBasis) -> dict:
    """Layer statistics, program totals and EP tables (plain data, nothing written)."""
    res = apply_program(treaty, subject)
    rows = [layer_statistics(layer, res.layers[layer.name].ceded_trial, res.layers[layer.name].reinstatement_factor,
                             basis) for layer in treaty.layers]
    T = subject.n_trials

    def stats(x):
        nz = x[x > 0]
        return {"expected_loss": float(x.mean()), "std": float(metrics.annual_std(nz, T, ddof=1)) if T > 1 else 0.0,
                "tvar_99": float(metrics.tvar(nz, T, 0.99))}
    totals = {"gross": stats(res.gross_trial), "ceded": stats(res.ceded_trial), "net": stats(res.net_trial)}
    ceded_event = res.gross_event - res.net_event
    aep = ep_table({"gross": res.gross_trial, "ceded": res.ceded_trial, "net": res.net_trial}, T)
    oep = ep_table({"gross": _occurrence_max(subject.trial, res.gross_event, T),
                    "ceded": _occurrence_max(subject.trial, ceded_event, T),
                    "net": _occurrence_max(subject.trial, res.net_event, T)}, T)
    return {"layers": rows, "totals": totals, "aep": aep, "oep": oep, "n_trials": T,
            "premium": {"pure": float(sum(r["pure_premium"] for r in rows)),
                        "gross": float(sum(r["gross_premium"] for r in rows))}}


def write_treaty(folder: Path, treaty: Treaty, priced: dict, facts: dict) -> None:
    """The files of the module docstring into ``folder`` (which exists)."""
    folder = Path(folder)
    pd.DataFrame(priced["layers"], columns=list(STAT_COLUMNS)).to_csv(folder / "layers.csv", index=False)
    ep = pd.concat([pd.DataFrame(priced["aep"]).assign(curve="AEP"), pd.DataFrame(priced["oep"]).assign(curve="OEP")])
    ep.to_parquet(folder / "ep_curves.parquet", index=False)
    doc = {"treaty": treaty.name, "description": treaty.description, "subject": treaty.subject, **facts,
           "layers": priced["layers"], "totals": priced["totals"], "premium": priced["premium"],
           "note": "OEP net and ceded count event layers only; aggregate covers act on annual totals (AEP)."}
    (folder / "treaty.json").write_text(json.dumps(_clean(doc), indent=2, ensure_ascii=False))
    _plot(folder / "ep_curves.png", priced, treaty.name)


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _plot(path: Path, priced: dict, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, name in zip(axes, ("aep", "oep")):
        table = pd.DataFrame(priced[name])
        for column, style in (("gross", "-"), ("ceded", "--"), ("net", "-.")):
            ax.plot(table["return_period"], table[column] / 1e6, style, marker="o", ms=3, label=column)
        ax.set_xscale("log")
        ax.set_xlabel("return period (years)")
        ax.set_ylabel("loss (M CNY)")
        ax.set_title(f"{title}: {name.upper()}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
