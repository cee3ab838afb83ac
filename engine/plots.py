"""Plots of a run: EP curves (OEP and AEP) for the portfolio and each product."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402

from engine.metrics import ep_curve  # noqa: E402


def plot_ep_curves(curves: dict, n_trials: int, path: Path, title: str = "") -> None:
    """Write OEP and AEP curves to ``path`` (PNG).

    Parameters
    ----------
    curves : dict
        ``{key name: (occurrence_max float64[n], annual_total float64[n])}``, nonzero trial values.
    n_trials : int
        Number of simulated trials (years x samples).
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, basis, col in ((axes[0], "OEP (largest event in a year)", 0), (axes[1], "AEP (annual total)", 1)):
        for name, values in curves.items():
            loss, _, rp = ep_curve(values[col], n_trials)
            if loss.size:
                ax.step(rp, loss / 1e6, where="post", label=name, lw=2.0 if name == "portfolio" else 1.2)
        ax.set_xscale("log")
        ax.set_xlim(1, max(n_trials, 10))
        ax.set_xlabel("return period (years)")
        ax.set_title(basis)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("loss (million CNY)")
    axes[1].legend(fontsize=8, loc="upper left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    tmp = Path(path).with_name(Path(path).name + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def summary_curves(year_rows: dict, key_names, wanted) -> dict:
    """Pick the rows of the ``wanted`` keys from pooled year rows (samples already selected)."""
    out = {}
    for name in wanted:
        if name not in key_names:
            continue
        k = key_names.index(name)
        sel = year_rows["key"] == k
        out[name] = (year_rows["max_event"][sel], year_rows["loss"][sel])
    return out


def default_keys(key_names) -> list:
    """The portfolio and each product (not counties: too many lines to read)."""
    return ["portfolio"] + [k for k in key_names if k.startswith("product/") and "/county/" not in k]
