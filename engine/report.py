"""report.html: one self-contained page per run (inline CSS, PNG figures as data URIs, no scripts
from outside), readable offline and in any browser.

Sections: run facts; summary table (portfolio and products); EP curves (by product, and gross /
ceded / net per treaty); maps of AAL and premium rate by county on the county boundaries; the
hazard of the run's largest event (portfolio loss) at the sites; AAL convergence over the years;
treaty layers and basis risk when present; provenance. A tiny inline script marks the page
``data-report-ok`` once every figure has decoded (tests read it in headless Chromium).
"""
from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}img{max-width:100%}
.facts td{text-align:left}.note{color:#666;font-size:.85em}"""

CHECK = """<script>window.addEventListener('load',function(){var ok=true;
document.querySelectorAll('img').forEach(function(i){if(!(i.complete&&i.naturalWidth>0)){ok=false;}});
document.body.setAttribute('data-report-ok',ok?'yes':'no');});</script>"""


@dataclass(frozen=True)
class LargestEvent:
    """The footprint of the run's largest event (portfolio insured loss), kept during the run."""

    event_id: int
    year: int
    peril: str
    loss: float
    lon: np.ndarray
    lat: np.ndarray
    measures: tuple
    units: tuple
    intensity: np.ndarray    # float32[n, M]


def _png(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _table(frame: pd.DataFrame, formats: dict | None = None) -> str:
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for c in frame.columns:
            v = row[c]
            f = formats.get(c)
            text = f(v) if f and isinstance(v, (int, float, np.floating, np.integer)) and np.isfinite(v) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _m(v):
    return f"{v / 1e6:,.1f}"


def summary_section(summary: dict) -> str:
    rows = []
    for key, s in summary.items():
        if key.startswith("_") or not (key == "portfolio" or (key.startswith("product/") and key.count("/") == 1)):
            continue
        rows.append({"key": key, "sum insured (M)": s["sum_insured"], "AAL (M)": s["aal"], "SE (M)": s["aal_se"],
                     "OEP 100 (M)": s["oep"]["100"] if "100" in s["oep"] else s["oep"][100],
                     "OEP 250 (M)": s["oep"].get("250", s["oep"].get(250)),
                     "AEP 100 (M)": s["aep"].get("100", s["aep"].get(100)),
                     "TVaR99 (M)": s["tvar_99"], "premium (M)": s["premium"]["gross"],
                     "rate (per mille)": 1000 * s["premium"]["rate"] if s["premium"]["rate"] == s["premium"]["rate"] else float("nan")})
    frame = pd.DataFrame(rows)
    fmt = {c: _m for c in frame.columns if "(M)" in c}
    fmt["rate (per mille)"] = lambda v: f"{v:.3f}"
    return _table(frame, fmt)


def ep_section(folder: Path) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = pd.read_parquet(folder / "ep_curves.parquet")
    keys = [k for k in ep["key"].unique() if k == "portfolio" or (k.startswith("product/") and k.count("/") == 1)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, basis in zip(axes, ("OEP", "AEP")):
        for key in keys:
            e = ep[(ep["key"] == key) & (ep["basis"] == basis)]
            ax.plot(e["return_period"], e["loss"] / 1e6, label=key, lw=2 if key == "portfolio" else 1)
        ax.set_xscale("log")
        ax.set_xlim(1, None)
        ax.set_xlabel("return period (years)")
        ax.set_ylabel("loss (M CNY)")
        ax.set_title(f"{basis}, gross of reinsurance")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    out = _png(fig)
    for tdir in sorted((folder / "treaty").glob("*")) if (folder / "treaty").is_dir() else []:
        t = pd.read_parquet(tdir / "ep_curves.parquet")
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
        for ax, curve in zip(axes, ("OEP", "AEP")):
            e = t[t["curve"] == curve]
            for col, style in (("gross", "-"), ("ceded", "--"), ("net", "-.")):
                ax.plot(e["return_period"], e[col] / 1e6, style, marker="o", ms=3, label=col)
            ax.set_xscale("log")
            ax.set_title(f"treaty {tdir.name}: {curve}")
            ax.set_xlabel("return period (years)")
            ax.set_ylabel("M CNY")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        out += _png(fig)
    return out


def county_maps(summary: dict) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    from engine import geo

    county = {int(k.split("/")[1]): s for k, s in summary.items() if k.startswith("county/") and k.count("/") == 1}
    if not county:
        return '<p class="note">No county keys in this run (output.keys without county).</p>'
    rings = geo.load_county_boundaries()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (title, value) in zip(axes, (("AAL (M CNY)", lambda s: s["aal"] / 1e6),
                                         ("premium rate (per mille of sum insured)", lambda s: 1000 * s["premium"]["rate"]))):
        polys, vals, empty = [], [], []
        for code, parts in rings.items():
            v = value(county[code]) if code in county else np.nan
            for ring in parts:
                (polys if np.isfinite(v) else empty).append(ring)
                if np.isfinite(v):
                    vals.append(v)
        ax.add_collection(PolyCollection(empty, facecolors="#eeeeee", edgecolors="white", linewidths=0.2))
        coll = PolyCollection(polys, array=np.array(vals), cmap="viridis", edgecolors="white", linewidths=0.2)
        ax.add_collection(coll)
        ax.autoscale_view()
        ax.set_aspect(1.25)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title)
        fig.colorbar(coll, ax=ax, shrink=0.75)
    return _png(fig)


def event_section(event: LargestEvent | None) -> str:
    if event is None:
        return ('<p class="note">No event to map: the chosen output.report_event is not an event of this run, '
                'or no event caused a portfolio loss.</p>')
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from engine import geo
    shown = [j for j in range(len(event.measures)) if np.any(event.intensity[:, j] > 0)][:4] or [0]
    m = len(shown)
    fig, axes = plt.subplots(1, m, figsize=(5.5 * m, 4.2), squeeze=False)
    rings = geo.load_county_boundaries()
    for ax, j in zip(axes[0], shown):
        for parts in rings.values():
            for ring in parts:
                ax.plot(ring[:, 0], ring[:, 1], color="#bbbbbb", lw=0.3)
        v = event.intensity[:, j].astype(float)
        hit = v > 0
        sc = ax.scatter(event.lon[hit], event.lat[hit], c=v[hit], s=8, cmap="plasma")
        fig.colorbar(sc, ax=ax, shrink=0.75, label=f"{event.measures[j]} ({event.units[j]})")
        ax.set_aspect(1.25)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{event.measures[j]}")
    caption = (f"event {event.event_id} ({event.peril}, year {event.year}): "
               f"portfolio loss {event.loss / 1e6:,.1f} M CNY")
    fig.suptitle(caption)
    return f"<p>{html.escape(caption)}</p>" + _png(fig)


def convergence_section(folder: Path, n_years: int, samples: int) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ylt = pd.read_parquet(folder / "ylt.parquet")
    ylt = ylt[(ylt["key"].astype(str) == "portfolio") & ((ylt["sample"] == -1) if samples == 0 else (ylt["sample"] > 0))]
    q = max(samples, 1)
    first = int(ylt["year"].min()) if len(ylt) else 0
    per_year = np.zeros(n_years)
    if len(ylt):
        idx = (ylt["year"].to_numpy() - first).clip(0, n_years - 1)
        np.add.at(per_year, idx, ylt["loss"].to_numpy() / q)
    n = np.arange(1, n_years + 1)
    mean = np.cumsum(per_year) / n
    var = np.maximum(np.cumsum(per_year ** 2) / n - mean ** 2, 0.0)
    se = np.sqrt(var / np.maximum(n - 1, 1))
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.plot(n, mean / 1e6, label="running AAL")
    ax.fill_between(n, (mean - 2 * se) / 1e6, (mean + 2 * se) / 1e6, alpha=0.25, label="±2 SE")
    ax.set_xscale("log")
    ax.set_xlabel("simulated years")
    ax.set_ylabel("portfolio AAL (M CNY)")
    ax.grid(alpha=0.3)
    ax.legend()
    return _png(fig)


def carbon_section(folder: Path) -> list:
    """Carbon covers: results by county and the premium's sensitivity to the carbon price."""
    counties = pd.read_csv(folder / "carbon_counties.csv")
    cols = ["product", "county", "county_name", "insured_mu", "insured_tco2e", "sum_insured", "expected_loss",
            "expected_tco2e_lost", "gross_premium", "premium_per_mu", "rate"]
    fmt = {c: (lambda v: f"{v:,.0f}") for c in ("insured_mu", "insured_tco2e", "sum_insured", "expected_loss",
                                                 "expected_tco2e_lost", "gross_premium")}
    fmt.update({"premium_per_mu": lambda v: f"{v:.2f}", "rate": lambda v: f"{v:.2%}", "county": lambda v: f"{v:.0f}"})
    sens = pd.read_csv(folder / "carbon_price_sensitivity.csv")
    table = sens.pivot_table(index=["product", "volatility_factor"], columns="level_factor",
                             values="premium_per_mu").reset_index()
    table.columns = [c if isinstance(c, str) else f"price x{c:g}" for c in table.columns]
    sfmt = {c: (lambda v: f"{v:.2f}") for c in table.columns if c.startswith("price")}
    sfmt["volatility_factor"] = lambda v: f"x{v:g}"
    return ["<h2 id='carbon'>Carbon covers by county (CNY)</h2>", _table(counties[cols], fmt),
            "<h3>Premium per mu by carbon-price level (columns) and volatility (rows)</h3>", _table(table, sfmt)]


def write_report(folder: Path, summary: dict, run_info: dict, provenance: dict, largest: LargestEvent | None) -> Path:
    """Write ``folder/report.html`` from the run's files and facts; returns its path."""
    folder = Path(folder)
    facts = {k: run_info.get(k) for k in ("scenario", "climate", "n_years", "samples", "n_events", "perils",
                                           "products", "metric_basis")}
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Qilu run report</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>Qilu run report: {html.escape(str(run_info.get('scenario', '')))}</h1>",
             "<table class='facts'>" + "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                                               for k, v in facts.items()) + "</table>",
             "<h2 id='summary'>Summary</h2>", summary_section(summary),
             "<p class='note'>Insured loss (after policy terms), CNY; OEP/AEP at return periods in years; "
             "premium = technical premium with the run's pricing basis.</p>",
             "<h2 id='ep'>Exceedance-probability curves</h2>", ep_section(folder),
             "<h2 id='maps'>By county</h2>", county_maps(summary),
             "<h2 id='event'>Event hazard (output.report_event, default: the largest portfolio loss)</h2>",
             event_section(largest),
             "<h2 id='convergence'>Convergence</h2>", convergence_section(folder, int(run_info["n_years"]),
                                                                        int(run_info.get("samples", 0)))]
    if run_info.get("treaties"):
        parts.append("<h2 id='treaties'>Reinsurance</h2>")
        for tdir in sorted((folder / "treaty").glob("*")):
            layers = pd.read_csv(tdir / "layers.csv")
            cols = ["layer", "type", "attachment", "limit", "expected_loss", "std", "p_attach", "p_exhaust",
                    "expected_reinstatement_premium", "gross_premium", "rate_on_line"]
            fmt = {c: _m for c in ("attachment", "limit", "expected_loss", "std", "expected_reinstatement_premium",
                                   "gross_premium")}
            fmt.update({c: (lambda v: f"{v:.4f}") for c in ("p_attach", "p_exhaust", "rate_on_line")})
            parts += [f"<h3>{html.escape(tdir.name)} (amounts in M CNY)</h3>", _table(layers[cols], fmt)]
    if (folder / "capital_allocation.csv").is_file():
        alloc = pd.read_csv(folder / "capital_allocation.csv")
        alloc = alloc[alloc["level"] == "product"][["key", "expected_loss", "co_tvar", "allocated_capital",
                                                     "capital_share", "risk_load", "premium_allocated"]]
        fmt = {c: _m for c in ("expected_loss", "co_tvar", "allocated_capital", "risk_load", "premium_allocated")}
        fmt["capital_share"] = lambda v: f"{v:.1%}"
        parts += ["<h2 id='capital'>Capital allocation (co-TVaR, amounts in M CNY)</h2>", _table(alloc, fmt)]
    if (folder / "basis_risk.csv").is_file():
        br = pd.read_csv(folder / "basis_risk.csv")
        br = br[br["county"] == "all"].drop(columns="county")
        parts += ["<h2 id='basis'>Parametric covers: basis risk</h2>",
                  _table(br, {c: (lambda v: f"{v:,.3g}") for c in br.columns if c != "product"})]
    if (folder / "carbon_counties.csv").is_file():
        parts += carbon_section(folder)
    prov = {"git": provenance.get("git"), "created_utc": provenance.get("created_utc"), "seed": provenance.get("seed"),
            "packages": provenance.get("packages"), "inputs": provenance.get("inputs")}
    parts += ["<h2 id='provenance'>Provenance</h2>",
              f"<pre>{html.escape(json.dumps(prov, indent=1, ensure_ascii=False, default=str))}</pre>",
              CHECK, "</body></html>"]
    path = folder / "report.html"
    tmp = folder / "report.html.tmp"
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(path)
    return path
