"""Write a what-if track file: a CMA best track moved by a distance (default: Lekima 2019, 50 km west).

    python scripts/make_whatif_track.py --storm 2019/1909 --east-km -50 \
        --out scenarios/tracks/lekima_2019_west50km.csv

The file has the columns of perils/typhoon/trackfile.py (time, lat, lon, pressure_hpa, vmax_ms, grade)
and runs with ``qilu-run scenario=whatif_lekima_west50km`` or any ``peril=[typhoon_track_file]``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from perils.typhoon import besttrack
from perils.typhoon.trackfile import shift_track


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", default="2019/1909", help="year/CMA id of the best track (default Lekima)")
    parser.add_argument("--east-km", type=float, default=-50.0, help="shift east in km (negative: west)")
    parser.add_argument("--north-km", type=float, default=0.0, help="shift north in km (negative: south)")
    parser.add_argument("--out", type=Path, default=Path("scenarios/tracks/lekima_2019_west50km.csv"))
    args = parser.parse_args(argv)
    year, cma_id = (int(x) for x in args.storm.split("/"))
    tracks = besttrack.load_best_tracks()
    rows = tracks[(tracks["year"] == year) & (tracks["cma_id"] == cma_id)].sort_values("time")
    if rows.empty:
        parser.error(f"no CMA best track {args.storm}")
    table = rows[["time", "lat", "lon", "pressure", "wind", "grade"]].rename(
        columns={"pressure": "pressure_hpa", "wind": "vmax_ms"})
    table = shift_track(table, args.east_km, args.north_km).round({"lat": 3, "lon": 3})
    table["time"] = table["time"].dt.strftime("%Y-%m-%d %H:%M")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.insert(0, "storm", f"{rows['name'].iloc[0].title()} {year} shifted {args.east_km:+g} km E {args.north_km:+g} km N")
    table.to_csv(args.out, index=False)
    print(f"wrote {args.out} ({len(table)} points)")
    return args.out


if __name__ == "__main__":
    main()
