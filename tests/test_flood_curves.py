"""Flood vulnerability curves in engine/data/vulnerability/curves.csv: shape, bounds, sources, coverage."""
import numpy as np
import pandas as pd
import pytest

from engine.vulnerability import DATA_DIR

BUILDINGS = ("residential", "commercial", "industrial", "greenhouse_vegetable", "forest")
CROPS = ("wheat", "maize", "rice", "garlic", "apple")


@pytest.fixture(scope="module")
def curves():
    table = pd.read_csv(DATA_DIR / "curves.csv")
    return table[table["peril"] == "flood"]


def groups(curves):
    return list(curves.groupby(["asset_class", "measure"], sort=True))


def test_every_class_has_a_depth_curve_and_crops_a_duration_curve(curves):
    depth = set(curves.loc[curves["measure"] == "flood_depth", "asset_class"])
    duration = set(curves.loc[curves["measure"] == "flood_duration", "asset_class"])
    assert set(BUILDINGS) | set(CROPS) <= depth
    assert duration == set(CROPS)
    units = curves.groupby("measure")["unit"].unique()
    assert list(units["flood_depth"]) == ["m"] and list(units["flood_duration"]) == ["days"]


def test_curves_are_monotone_bounded_and_sourced(curves):
    for (asset_class, measure), pts in groups(curves):
        x, d, cov = (pts[c].to_numpy(float) for c in ("intensity", "mean_damage_ratio", "cov"))
        assert x[0] == 0.0 and d[0] == 0.0, (asset_class, measure)
        assert np.all(np.diff(x) > 0), (asset_class, measure)
        assert np.all(np.diff(d) >= 0), (asset_class, measure)
        assert np.all((d >= 0) & (d <= 1)) and np.all(cov >= 0), (asset_class, measure)
        source = pts["source"].iloc[0]
        assert isinstance(source, str) and source.startswith(("[S", "[E")), (asset_class, measure)
        assert pts["source"].iloc[1:].isna().all()


def test_crop_depth_and_duration_combine_sensibly(curves):
    """1 - (1 - d_depth)(1 - d_duration) stays in [0, 1], is monotone in both and exceeds each alone."""
    depth_axis, days_axis = np.linspace(0, 6, 61), np.linspace(0, 30, 61)
    for crop in CROPS:
        a = curves[(curves["asset_class"] == crop) & (curves["measure"] == "flood_depth")]
        b = curves[(curves["asset_class"] == crop) & (curves["measure"] == "flood_duration")]
        da = np.interp(depth_axis, a["intensity"], a["mean_damage_ratio"])
        db = np.interp(days_axis, b["intensity"], b["mean_damage_ratio"])
        combined = 1 - (1 - da[:, None]) * (1 - db[None, :])
        assert np.all((combined >= 0) & (combined <= 1))
        assert np.all(np.diff(combined, axis=0) >= -1e-15) and np.all(np.diff(combined, axis=1) >= -1e-15)
        assert np.all(combined >= np.maximum(da[:, None], db[None, :]) - 1e-15)


def test_the_engine_compiles_the_flood_curves():
    from engine.vulnerability import load_vulnerability

    vuln = load_vulnerability()
    row = vuln.perils.index("flood")
    for asset_class in BUILDINGS + CROPS:
        c = vuln.curve_index[row, vuln.classes.index(asset_class)]
        assert c >= 0 and vuln.measures[c] in ("flood_depth", "flood_duration")
        assert np.all(np.diff(vuln.mean[c]) >= -1e-12) and vuln.mean[c].max() <= 1.0
