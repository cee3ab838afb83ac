"""Flood event generation benchmark -> the "Flood event generation" section of BENCHMARKS.md.

Times :meth:`perils.flood.peril.FloodPeril.events` for N years at the demo portfolio's sites (the
run plan of ``configs/qilu.yaml`` with ``peril=[flood]``), in chunks of 1,000 years as a run does,
after the per-run set-up (margins, copula lattice, site parameters), which is timed separately.

    python scripts/benchmark_flood.py                  # 10,000 years, updates BENCHMARKS.md
    python scripts/benchmark_flood.py --years 1000 --no-write
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

TITLE = "Flood event generation (`python scripts/benchmark_flood.py`)"


def flood_generation(n_years: int, chunk_years: int = 1000) -> dict:
    """Wall time of generating ``n_years`` of flood events at the demo sites."""
    from hydra import compose, initialize_config_dir

    from engine.config import CONFIG_DIR, register_schema, to_settings
    from engine.plan import build_plan

    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="qilu", overrides=["peril=[flood]", "output.dir=/tmp/qilu-bench-unused"])
    plan = build_plan(to_settings(cfg))
    peril, sites = plan.inputs.perils[0], plan.inputs.sites
    t0 = time.perf_counter()
    peril.context(sites)
    setup_s = time.perf_counter() - t0
    n_events = n_entries = n_flooded = 0
    t0 = time.perf_counter()
    for start in range(0, n_years, chunk_years):
        ev = peril.events(plan.years[start:start + chunk_years], sites, 0, plan.inputs.seed)
        n_events += ev.n_events
        n_entries += ev.n_entries
        n_flooded += int((ev.intensity[:, 0] > 0).sum())
    return {"n_years": n_years, "seconds": time.perf_counter() - t0, "setup_s": setup_s, "n_events": n_events,
            "n_entries": n_entries, "n_flooded": n_flooded, "n_sites": len(sites), "n_latent": peril.context(sites).field.n_latent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print only, do not update BENCHMARKS.md")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    r = flood_generation(args.years)
    line = (f"{r['n_years']:,} years of flood events at the {r['n_sites']:,} demo sites: {r['seconds']:.1f} s "
            f"in chunks of 1,000 years ({r['n_events']:,} events with a footprint, {r['n_entries']:,} footprint "
            f"entries of which {r['n_flooded']:,} flooded); set-up {r['setup_s']:.2f} s (GEV margins, "
            f"{r['n_latent']} latent lattice points, site flood parameters). Target (flood issue): under 2 minutes.")
    print(line)
    if args.no_write:
        return
    from benchmark import update_sections

    machine = (f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}. Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.")
    update_sections(Path(args.output), {TITLE: [machine, "", line]})
    print(f"updated {args.output}")


if __name__ == "__main__":
    main()
