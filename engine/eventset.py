"""EventSet: simulated events and their sparse footprints at sites, for one chunk of years.

Layout (plain arrays, CSR by event):

* ``event_id`` int64[E], ``year`` int64[E], ``doy`` int16[E] (day of year, 1..366),
  ``peril`` int16[E] (index into ``perils``); events sorted by (year, doy, event_id);
* ``offsets`` int64[E+1]: footprint entries of event e are ``offsets[e]:offsets[e+1]``;
* ``site`` int32[N]: site index of each entry, strictly increasing within an event;
  ``intensity`` float32[N, M]: one column per measure in ``measures`` (with ``units``); 0 where a
  peril does not produce that measure;
* optional ``probability`` float32[N]: hazard intensity uncertainty (Oasis footprints): a site
  may then appear in consecutive entries with different intensities, each with its probability
  (summing to at most 1 per event and site); ``None`` means every entry is certain;
* optional ``footprint_id`` int64[E]: the footprint an event uses, which secondary-uncertainty
  draws are keyed by; several occurrences (Oasis periods) may share one. ``None``: ``event_id``.

xarray appears only at the edges: NetCDF round trip (:meth:`EventSet.to_netcdf`,
:func:`read_netcdf`) and a streaming Zarr store appended chunk by chunk (:class:`ZarrEventSetWriter`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from engine import dtypes


@dataclass(frozen=True)
class EventSet:
    """One chunk of simulated events with footprints (see module docstring)."""

    event_id: np.ndarray
    year: np.ndarray
    doy: np.ndarray
    peril: np.ndarray
    offsets: np.ndarray
    site: np.ndarray
    intensity: np.ndarray
    perils: tuple
    measures: tuple
    units: tuple
    attrs: dict = field(default_factory=dict)
    probability: np.ndarray | None = None
    footprint_id: np.ndarray | None = None

    def __post_init__(self):
        n_events = len(self.event_id)
        for name in ("year", "doy", "peril"):
            if len(getattr(self, name)) != n_events:
                raise ValueError(f"EventSet.{name} has {len(getattr(self, name))} rows, event_id has {n_events}")
        if len(self.offsets) != n_events + 1 or self.offsets[0] != 0 or self.offsets[-1] != len(self.site):
            raise ValueError("EventSet.offsets must have E+1 entries from 0 to the number of footprint entries")
        if np.any(np.diff(self.offsets) < 0):
            raise ValueError("EventSet.offsets must be non-decreasing")
        if self.intensity.shape != (len(self.site), len(self.measures)):
            raise ValueError(f"EventSet.intensity must be [N={len(self.site)}, M={len(self.measures)}], "
                             f"got {self.intensity.shape}")
        if len(self.units) != len(self.measures):
            raise ValueError("EventSet.units needs one unit per measure")
        if n_events and (self.doy.min() < 1 or self.doy.max() > 366):
            raise ValueError("EventSet.doy must lie in 1..366")
        if self.footprint_id is not None and len(self.footprint_id) != n_events:
            raise ValueError("EventSet.footprint_id needs one id per event")
        if self.probability is not None:
            p = self.probability
            if len(p) != self.n_entries or np.any(~(p > 0)) or np.any(p > 1):
                raise ValueError("EventSet.probability needs one value in (0, 1] per footprint entry")
        if self.n_entries > 1:
            step = np.diff(self.site.astype(np.int64))
            step[self.offsets[1:-1][(self.offsets[1:-1] > 0) & (self.offsets[1:-1] < self.n_entries)] - 1] = 1
            if self.probability is None and np.any(step <= 0):
                raise ValueError("EventSet.site must be strictly increasing within each event (each site once)")
            if self.probability is not None and np.any(step < 0):
                raise ValueError("EventSet.site must be non-decreasing within each event")
        if len(np.unique(self.event_id)) != n_events:
            raise ValueError("EventSet.event_id must be unique")

    @property
    def n_events(self) -> int:
        return len(self.event_id)

    @property
    def n_entries(self) -> int:
        return len(self.site)

    @property
    def rng_ids(self) -> np.ndarray:
        """int64[E]: the id each event's draws are keyed by (``footprint_id`` or ``event_id``)."""
        return self.event_id if self.footprint_id is None else self.footprint_id

    @property
    def entry_probability(self) -> np.ndarray:
        """float32[N]: probability of each entry (ones when certain)."""
        return np.ones(self.n_entries, dtypes.INTENSITY) if self.probability is None else self.probability

    def uncertain_events(self) -> np.ndarray:
        """uint8[E]: 1 for events with any entry of probability below 1."""
        if self.probability is None:
            return np.zeros(self.n_events, np.uint8)
        below = np.concatenate([[0], np.cumsum(self.probability < 1)])
        return (below[self.offsets[1:]] > below[self.offsets[:-1]]).astype(np.uint8)

    @classmethod
    def empty(cls, perils=(), measures=(), units=()) -> "EventSet":
        return cls(np.empty(0, dtypes.EVENT_ID), np.empty(0, dtypes.YEAR), np.empty(0, dtypes.DOY),
                   np.empty(0, dtypes.PERIL), np.zeros(1, dtypes.OFFSET), np.empty(0, dtypes.SITE),
                   np.empty((0, len(measures)), dtypes.INTENSITY), tuple(perils), tuple(measures), tuple(units))

    def sorted(self) -> "EventSet":
        """The same events ordered by (year, doy, event_id), footprints moved with them."""
        order = np.lexsort((self.event_id, self.doy, self.year))
        if np.all(order == np.arange(self.n_events)):
            return self
        lengths = np.diff(self.offsets)[order]
        starts = self.offsets[:-1][order]
        entry = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(dtypes.OFFSET)
        return EventSet(self.event_id[order], self.year[order], self.doy[order], self.peril[order], offsets,
                        self.site[entry], self.intensity[entry], self.perils, self.measures, self.units, dict(self.attrs),
                        None if self.probability is None else self.probability[entry],
                        None if self.footprint_id is None else self.footprint_id[order])

    def to_dataset(self) -> xr.Dataset:
        """Labelled form: dims ``event`` and ``entry``; ``first_entry``/``n_entries`` replace offsets."""
        ds = xr.Dataset(
            {
                "event_id": ("event", self.event_id),
                "year": ("event", self.year),
                "doy": ("event", self.doy),
                "peril": ("event", self.peril),
                "first_entry": ("event", self.offsets[:-1]),
                "n_entries": ("event", np.diff(self.offsets).astype(np.int32)),
                "site": ("entry", self.site),
            },
            attrs={**self.attrs, "perils": list(self.perils), "layout": "CSR by event (qilu EventSet v1)"},
        )
        for m, (name, unit) in enumerate(zip(self.measures, self.units)):
            ds[name] = ("entry", self.intensity[:, m])
            ds[name].attrs["units"] = unit
        if self.probability is not None:
            ds["probability"] = ("entry", self.probability)
        if self.footprint_id is not None:
            ds["footprint_id"] = ("event", self.footprint_id)
        ds.attrs["measures"] = list(self.measures)
        return ds

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> "EventSet":
        """Inverse of :meth:`to_dataset`; entries are re-based so offsets start at 0."""
        measures = tuple(_as_list(ds.attrs.get("measures", [])))
        perils = tuple(_as_list(ds.attrs.get("perils", [])))
        first = ds["first_entry"].values.astype(np.int64)
        counts = ds["n_entries"].values.astype(np.int64)
        base = first[0] if len(first) else 0
        if len(first) and np.any(first - base != np.concatenate([[0], np.cumsum(counts)[:-1]])):
            raise ValueError("event set file: footprints are not contiguous by event (first_entry/n_entries)")
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(dtypes.OFFSET)
        sl = slice(int(base), int(base + offsets[-1]))
        intensity = np.stack([ds[m].values[sl] for m in measures], axis=1) if measures else np.empty((offsets[-1], 0))
        units = tuple(ds[m].attrs.get("units", "") for m in measures)
        attrs = {k: v for k, v in ds.attrs.items() if k not in ("measures", "perils", "layout")}
        probability = ds["probability"].values[sl].astype(dtypes.INTENSITY) if "probability" in ds else None
        footprint_id = ds["footprint_id"].values.astype(dtypes.EVENT_ID) if "footprint_id" in ds else None
        return cls(ds["event_id"].values.astype(dtypes.EVENT_ID), ds["year"].values.astype(dtypes.YEAR),
                   ds["doy"].values.astype(dtypes.DOY), ds["peril"].values.astype(dtypes.PERIL), offsets,
                   ds["site"].values[sl].astype(dtypes.SITE), intensity.astype(dtypes.INTENSITY),
                   perils, measures, units, attrs, probability, footprint_id)

    def to_netcdf(self, path: str | Path) -> None:
        """Write to NetCDF-4 (h5netcdf), atomically: a temporary name, then rename."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        ds = self.to_dataset()
        encoding = {name: {"compression": "gzip", "compression_opts": 4, "shuffle": True} for name in ds.data_vars}
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
        tmp.replace(path)


def _as_list(value):
    if isinstance(value, str):
        return [value]
    return list(np.atleast_1d(value))


def read_netcdf(path: str | Path) -> EventSet:
    """Read an event set written by :meth:`EventSet.to_netcdf`."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return EventSet.from_dataset(ds.load())


def combine(parts: list[EventSet]) -> EventSet:
    """Concatenate event sets of the same years from several perils (or several chunks).

    Measures are the union of the parts' measures (0 where a part lacks one); the result is
    sorted by (year, doy, event_id).
    """
    parts = [p for p in parts if p is not None]
    if not parts:
        raise ValueError("combine() needs at least one event set")
    perils = parts[0].perils
    measures, units = [], []
    for p in parts:
        if p.perils != perils:
            raise ValueError(f"event sets index different peril lists: {perils} vs {p.perils}")
        for m, u in zip(p.measures, p.units):
            if m in measures:
                if units[measures.index(m)] != u:
                    raise ValueError(f"measure {m!r} has units {units[measures.index(m)]!r} and {u!r}")
            else:
                measures.append(m)
                units.append(u)
    intensity = np.zeros((sum(p.n_entries for p in parts), len(measures)), dtypes.INTENSITY)
    row = 0
    for p in parts:
        cols = [measures.index(m) for m in p.measures]
        intensity[row:row + p.n_entries][:, cols] = p.intensity
        row += p.n_entries
    shift = np.cumsum([0] + [p.n_entries for p in parts[:-1]])
    offsets = np.concatenate([[0]] + [p.offsets[1:] + s for p, s in zip(parts, shift)]).astype(dtypes.OFFSET)
    any_prob = any(p.probability is not None for p in parts)
    any_fid = any(p.footprint_id is not None for p in parts)
    out = EventSet(np.concatenate([p.event_id for p in parts]), np.concatenate([p.year for p in parts]),
                   np.concatenate([p.doy for p in parts]), np.concatenate([p.peril for p in parts]), offsets,
                   np.concatenate([p.site for p in parts]), intensity, perils, tuple(measures), tuple(units),
                   {k: v for p in parts for k, v in p.attrs.items()},
                   np.concatenate([p.entry_probability for p in parts]) if any_prob else None,
                   np.concatenate([p.rng_ids for p in parts]) if any_fid else None)
    return out.sorted()


class NetcdfEventSetWriter:
    """Append event-set chunks to one NetCDF-4 file with unlimited ``event`` and ``entry`` dims.

    Memory stays bounded by a chunk; the file has the layout of :meth:`EventSet.to_dataset` (with a
    global ``first_entry``), so :func:`read_netcdf` reads it back. Call :meth:`close` at the end.
    """

    EVENT_VARS = {"event_id": "i8", "year": "i8", "doy": "i2", "peril": "i2", "first_entry": "i8", "n_entries": "i4"}

    def __init__(self, path: str | Path):
        import h5netcdf

        self.path = Path(path)
        self.file = h5netcdf.File(self.path, "w")
        self.file.dimensions = {"event": None, "entry": None}
        self.n_events = 0
        self.n_entries = 0
        self.measures = None

    def _create(self, events: EventSet) -> None:
        f = self.file
        for name, dtype in self.EVENT_VARS.items():
            f.create_variable(name, ("event",), dtype, chunks=(65536,), compression="gzip", compression_opts=1, shuffle=True)
        f.create_variable("site", ("entry",), "i4", chunks=(1 << 20,), compression="gzip", compression_opts=1, shuffle=True)
        for name, unit in zip(events.measures, events.units):
            v = f.create_variable(name, ("entry",), "f4", chunks=(1 << 20,), compression="gzip", compression_opts=1, shuffle=True)
            v.attrs["units"] = unit
        if events.probability is not None:
            f.create_variable("probability", ("entry",), "f4", chunks=(1 << 20,), compression="gzip", compression_opts=1, shuffle=True)
        if events.footprint_id is not None:
            f.create_variable("footprint_id", ("event",), "i8", chunks=(65536,), compression="gzip", compression_opts=1, shuffle=True)
        f.attrs.update({**{k: v for k, v in events.attrs.items() if isinstance(v, (str, int, float))},
                        "perils": list(events.perils), "measures": list(events.measures),
                        "layout": "CSR by event (qilu EventSet v1)"})
        self.measures = events.measures

    def append(self, events: EventSet) -> None:
        if self.measures is None:
            self._create(events)
        if events.measures != self.measures:
            raise ValueError(f"event-set chunk has measures {events.measures}, the file {self.measures}")
        f, e0, n0 = self.file, self.n_events, self.n_entries
        e1, n1 = e0 + events.n_events, n0 + events.n_entries
        f.resize_dimension("event", e1)
        f.resize_dimension("entry", n1)
        columns = {"event_id": events.event_id, "year": events.year, "doy": events.doy, "peril": events.peril,
                   "first_entry": events.offsets[:-1] + n0, "n_entries": np.diff(events.offsets)}
        for name, values in columns.items():
            f.variables[name][e0:e1] = values
        f.variables["site"][n0:n1] = events.site
        optional = (("probability", events.entry_probability, events.probability, slice(n0, n1)),
                    ("footprint_id", events.rng_ids, events.footprint_id, slice(e0, e1)))
        for name, values, given, rows in optional:
            if name in f.variables:
                f.variables[name][rows] = values
            elif given is not None:
                raise ValueError(f"event-set chunk has {name} but the first chunk did not")
        for m, name in enumerate(events.measures):
            f.variables[name][n0:n1] = events.intensity[:, m]
        self.n_events, self.n_entries = e1, n1

    def close(self) -> None:
        self.file.close()


class ZarrEventSetWriter:
    """Append event-set chunks to one Zarr store (groups ``events`` and ``footprint``).

    Chunks must arrive in year order for the store to read back sorted; ``first_entry`` is
    global so :func:`read_zarr` restores the CSR layout.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.n_entries = 0
        self.started = False

    def append(self, events: EventSet) -> None:
        ds = events.to_dataset()
        ds["first_entry"] = ds["first_entry"] + self.n_entries
        ev = ds[["event_id", "year", "doy", "peril", "first_entry", "n_entries"]]
        fp = ds.drop_vars(list(ev.data_vars))
        mode = {"mode": "w"} if not self.started else {"append_dim": "event"}
        ev.to_zarr(self.path, group="events", consolidated=False, **mode)
        mode = {"mode": "w"} if not self.started else {"append_dim": "entry"}
        fp.attrs = {}
        fp.to_zarr(self.path, group="footprint", consolidated=False, **mode)
        self.started = True
        self.n_entries += events.n_entries


def read_zarr(path: str | Path) -> EventSet:
    """Read a whole event set written by :class:`ZarrEventSetWriter`."""
    ev = xr.open_zarr(path, group="events", consolidated=False).load()
    fp = xr.open_zarr(path, group="footprint", consolidated=False).load()
    ds = xr.merge([ev, fp], combine_attrs="override")
    ds.attrs = dict(ev.attrs)
    return EventSet.from_dataset(ds)
