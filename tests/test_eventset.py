"""EventSet: CSR layout checks, sorting, combining perils, NetCDF and Zarr round trips."""
import numpy as np
import pytest

from engine.eventset import EventSet, NetcdfEventSetWriter, ZarrEventSetWriter, combine, read_netcdf, read_zarr


def make(event_id, year, doy, peril, lengths, measures=("wind_gust",), units=("m/s",), start_site=0):
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = offsets[-1]
    return EventSet(np.array(event_id, np.int64), np.array(year, np.int64), np.array(doy, np.int16),
                    np.array(peril, np.int16), offsets, (np.arange(n) + start_site).astype(np.int32),
                    (np.arange(n * len(measures)).reshape(n, len(measures)) + 1).astype(np.float32),
                    ("a", "b"), measures, units)


def assert_same(a, b):
    for name in ("event_id", "year", "doy", "peril", "offsets", "site", "intensity"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.measures == b.measures and a.units == b.units and a.perils == b.perils


def test_sorted_moves_footprints_with_their_events():
    ev = make([30, 10, 20], [2, 1, 1], [200, 220, 180], [0, 0, 0], [1, 2, 3])
    s = ev.sorted()
    assert list(s.event_id) == [20, 10, 30]
    # event 20 had entries 3..5, event 10 entries 1..2, event 30 entry 0
    assert list(s.site) == [3, 4, 5, 1, 2, 0]
    assert list(s.offsets) == [0, 3, 5, 6]


def test_combine_unions_measures_with_zeros():
    a = make([1, 5], [1, 2], [200, 200], [0, 0], [2, 1])
    b = make([3], [1], [210], [1], [2], measures=("rain_total", "wind_gust"), units=("mm", "m/s"))
    c = combine([a, b])
    assert c.measures == ("wind_gust", "rain_total")
    assert list(c.event_id) == [1, 3, 5]
    # event 3 came from b: its wind is b's second column, rain its first
    np.testing.assert_array_equal(c.intensity[2:4], b.intensity[:, ::-1])
    np.testing.assert_array_equal(c.intensity[:2, 1], [0, 0])


def test_combine_rejects_unit_clash():
    a = make([1], [1], [200], [0], [1])
    b = make([2], [1], [200], [0], [1], units=("km/h",))
    with pytest.raises(ValueError, match="units"):
        combine([a, b])


@pytest.mark.parametrize("bad, message", [
    (dict(offsets=np.array([0, 1, 5])), "offsets"),
    (dict(doy=np.array([0, 10], np.int16)), "doy"),
    (dict(event_id=np.array([7, 7])), "unique"),
    (dict(intensity=np.zeros((3, 2), np.float32)), "intensity"),
])
def test_layout_errors(bad, message):
    ev = make([1, 2], [1, 1], [100, 101], [0, 0], [1, 2])
    fields = {k: getattr(ev, k) for k in ("event_id", "year", "doy", "peril", "offsets", "site", "intensity",
                                          "perils", "measures", "units")}
    fields.update(bad)
    with pytest.raises(ValueError, match=message):
        EventSet(**fields)


def test_netcdf_round_trip(tmp_path):
    ev = make([1, 2, 9], [1, 1, 3], [100, 101, 250], [0, 1, 1], [2, 0, 3], measures=("w", "r"), units=("m/s", "mm"))
    ev.to_netcdf(tmp_path / "ev.nc")
    assert_same(ev, read_netcdf(tmp_path / "ev.nc"))
    assert not list(tmp_path.glob("*.tmp"))


def test_zarr_append_round_trip(tmp_path):
    a = make([1, 2], [1, 1], [100, 101], [0, 0], [2, 3])
    b = make([7], [2], [150], [1], [4], start_site=10)
    writer = ZarrEventSetWriter(tmp_path / "ev.zarr")
    writer.append(a)
    writer.append(b)
    assert_same(combine([a, b]), read_zarr(tmp_path / "ev.zarr"))


def test_empty_event_set_round_trip(tmp_path):
    ev = EventSet.empty(("a",), ("w",), ("m/s",))
    ev.to_netcdf(tmp_path / "e.nc")
    assert read_netcdf(tmp_path / "e.nc").n_events == 0


def test_netcdf_streaming_writer_round_trip(tmp_path):
    a = make([1, 2], [1, 1], [100, 101], [0, 0], [2, 3])
    b = make([7], [2], [150], [1], [4], start_site=10)
    writer = NetcdfEventSetWriter(tmp_path / "ev.nc")
    writer.append(a)
    writer.append(b)
    writer.close()
    assert_same(combine([a, b]), read_netcdf(tmp_path / "ev.nc"))


def test_hazard_uncertainty_and_footprint_ids_round_trip(tmp_path):
    # event 1: site 0 certain, site 1 at two intensities (0.25 / 0.75); event 2 reuses footprint 1
    ev = EventSet(np.array([11, 12]), np.array([1, 2]), np.array([200, 200], np.int16), np.zeros(2, np.int16),
                  np.array([0, 3, 6]), np.array([0, 1, 1, 0, 1, 1], np.int32),
                  np.array([[5], [3], [7], [5], [3], [7]], np.float32), ("a",), ("w",), ("m/s",),
                  probability=np.array([1, 0.25, 0.75, 1, 0.25, 0.75], np.float32), footprint_id=np.array([1, 1]))
    np.testing.assert_array_equal(ev.uncertain_events(), [1, 1])
    np.testing.assert_array_equal(ev.rng_ids, [1, 1])
    ev.to_netcdf(tmp_path / "u.nc")
    back = read_netcdf(tmp_path / "u.nc")
    assert_same(ev, back)
    np.testing.assert_array_equal(back.probability, ev.probability)
    np.testing.assert_array_equal(back.footprint_id, ev.footprint_id)
    writer = NetcdfEventSetWriter(tmp_path / "s.nc")
    writer.append(ev)
    writer.close()
    np.testing.assert_array_equal(read_netcdf(tmp_path / "s.nc").probability, ev.probability)
    with pytest.raises(ValueError, match="strictly increasing"):
        EventSet(ev.event_id, ev.year, ev.doy, ev.peril, ev.offsets, ev.site, ev.intensity, ev.perils,
                 ev.measures, ev.units)
