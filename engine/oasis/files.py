"""Readers of Oasis model files (``static/`` and ``input/``), binary or CSV, into plain arrays.

Layouts (little-endian, packed records; see docs/oasis.md §2): ``oasis_int`` int32, ``oasis_float``
float32, ``areaperil_id`` uint32. Each reader prefers the ``.bin`` file and falls back to ``.csv``;
a missing file or column raises :class:`OasisFormatError` naming the file and the fix.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd


class OasisFormatError(ValueError):
    """An Oasis model file that cannot be read; the message names the file."""


DAMAGE_BIN = np.dtype([("bin_index", "<i4"), ("bin_from", "<f4"), ("bin_to", "<f4"), ("interpolation", "<f4"),
                       ("damage_type", "<i4")])
VULNERABILITY = np.dtype([("vulnerability_id", "<i4"), ("intensity_bin_id", "<i4"), ("damage_bin_id", "<i4"),
                          ("probability", "<f4")])
VULNERABILITY_NOID = np.dtype([("intensity_bin_id", "<i4"), ("damage_bin_id", "<i4"), ("probability", "<f4")])
VULNERABILITY_IDX = np.dtype([("vulnerability_id", "<i4"), ("offset", "<i8"), ("size", "<i8"), ("original_size", "<i8")])
FOOTPRINT_ROW = np.dtype([("areaperil_id", "<u4"), ("intensity_bin_id", "<i4"), ("probability", "<f4")])
FOOTPRINT_IDX = np.dtype([("event_id", "<i4"), ("offset", "<i8"), ("size", "<i8")])
FOOTPRINT_IDX_D = np.dtype([("event_id", "<i4"), ("offset", "<i8"), ("size", "<i8"), ("d_size", "<i8")])
ITEM = np.dtype([("item_id", "<i4"), ("coverage_id", "<u4"), ("areaperil_id", "<u4"), ("vulnerability_id", "<i4"),
                 ("group_id", "<u4")])
OCCURRENCE = np.dtype([("event_id", "<i4"), ("period_no", "<i4"), ("occ_date_id", "<i4")])
OCCURRENCE_GRANULAR = np.dtype([("event_id", "<i4"), ("period_no", "<i4"), ("occ_date_id", "<i8")])
FM_PROGRAMME = np.dtype([("from_agg_id", "<i4"), ("level_id", "<i4"), ("to_agg_id", "<i4")])
FM_POLICYTC = np.dtype([("level_id", "<i4"), ("agg_id", "<i4"), ("layer_id", "<i4"), ("profile_id", "<i4")])
FM_PROFILE = np.dtype([("profile_id", "<i4"), ("calcrule_id", "<i4"), ("deductible1", "<f4"), ("deductible2", "<f4"),
                       ("deductible3", "<f4"), ("attachment1", "<f4"), ("limit1", "<f4"), ("share1", "<f4"),
                       ("share2", "<f4"), ("share3", "<f4")])
FM_XREF = np.dtype([("output", "<i4"), ("agg_id", "<i4"), ("layer_id", "<i4")])
PERIODS = np.dtype([("period_no", "<i4"), ("weighting", "<f8")])


def _frame(records: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({name: records[name] for name in records.dtype.names})


def _read_csv(path: Path, dtype: np.dtype) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = [c for c in dtype.names if c not in frame.columns]
    if missing:
        raise OasisFormatError(f"{path}: missing column(s) {missing}; expected {list(dtype.names)}")
    bad = frame[list(dtype.names)].isna().any(axis=1).to_numpy()
    if bad.any():
        raise OasisFormatError(f"{path}, row {int(np.flatnonzero(bad)[0]) + 2}: empty value")
    return pd.DataFrame({c: frame[c].to_numpy().astype(dtype[c]) for c in dtype.names})


def _bin_or_csv(folder: Path, name: str, dtype: np.dtype, header_bytes: int = 0) -> pd.DataFrame:
    binary, text = folder / f"{name}.bin", folder / f"{name}.csv"
    if binary.is_file():
        raw = np.fromfile(binary, dtype=np.uint8)[header_bytes:]
        if raw.size % dtype.itemsize:
            raise OasisFormatError(f"{binary}: size is not a whole number of {dtype.itemsize}-byte records")
        return _frame(raw.view(dtype))
    if text.is_file():
        return _read_csv(text, dtype)
    raise OasisFormatError(f"{folder}: neither {name}.bin nor {name}.csv; an Oasis model needs it")


def read_damage_bins(static: Path) -> pd.DataFrame:
    """``damage_bin_dict``: bin_index (1..D, contiguous), bin_from, bin_to, interpolation, damage_type."""
    frame = _bin_or_csv(static, "damage_bin_dict", DAMAGE_BIN).sort_values("bin_index", ignore_index=True)
    if not np.array_equal(frame["bin_index"], np.arange(1, len(frame) + 1)):
        raise OasisFormatError(f"{static}/damage_bin_dict: bin_index must run 1..{len(frame)} without gaps")
    if np.any(frame["bin_from"] > frame["interpolation"]) or np.any(frame["interpolation"] > frame["bin_to"]):
        raise OasisFormatError(f"{static}/damage_bin_dict: need bin_from <= interpolation <= bin_to")
    relative = (frame["damage_type"] == 1) | ((frame["damage_type"] == 0) & (frame["bin_to"].iloc[-1] <= 1.0))
    if not relative.all():
        raise OasisFormatError(f"{static}/damage_bin_dict: only relative damage (a share of TIV, damage_type 0 "
                               "with bin_to <= 1, or 1) is supported; absolute and duration damage are not")
    return frame


def read_vulnerability(static: Path) -> pd.DataFrame:
    """``vulnerability``: vulnerability_id, intensity_bin_id, damage_bin_id, probability."""
    idx = static / "vulnerability.idx"
    if idx.is_file() and (static / "vulnerability.bin").is_file():
        index = np.fromfile(idx, dtype=VULNERABILITY_IDX)
        raw = np.fromfile(static / "vulnerability.bin", dtype=np.uint8)
        parts = []
        for v, off, size in zip(index["vulnerability_id"], index["offset"], index["size"]):
            rows = _frame(raw[off:off + size].view(VULNERABILITY_NOID))
            rows.insert(0, "vulnerability_id", np.int32(v))
            parts.append(rows)
        return pd.concat(parts, ignore_index=True)
    return _bin_or_csv(static, "vulnerability", VULNERABILITY, header_bytes=4)


class Footprint:
    """Random access to an Oasis footprint by event id (``footprint.bin``/``.idx``, zlib ``.z``, or CSV).

    :meth:`rows` returns the event's (areaperil_id, intensity_bin_id, probability) records, sorted by
    areaperil as the format requires. The binary file is memory-mapped, so memory follows the events
    read, not the file.
    """

    def __init__(self, static: Path):
        self.static = Path(static)
        b, i = self.static / "footprint.bin", self.static / "footprint.idx"
        bz, iz = self.static / "footprint.bin.z", self.static / "footprint.idx.z"
        if b.is_file() and i.is_file():
            self._open(b, i, compressed=False)
        elif bz.is_file() and iz.is_file():
            self._open(bz, iz, compressed=True)
        elif (self.static / "footprint.csv").is_file():
            self._open_csv(self.static / "footprint.csv")
        else:
            raise OasisFormatError(f"{self.static}: no footprint.bin/.idx, footprint.bin.z/.idx.z or footprint.csv")

    def _open(self, data: Path, index: Path, compressed: bool) -> None:
        header = np.fromfile(data, dtype="<i4", count=2)
        self.n_intensity_bins = int(header[0])
        self.has_uncertainty = bool(header[1] & 1)
        idx_dtype = FOOTPRINT_IDX_D if header[1] & 2 else FOOTPRINT_IDX
        self.index = np.fromfile(index, dtype=idx_dtype)
        self.data = np.memmap(data, dtype=np.uint8, mode="r")
        self.compressed = compressed
        self.table = None
        order = np.argsort(self.index["event_id"], kind="stable")
        self.index = self.index[order]

    def _open_csv(self, path: Path) -> None:
        frame = _read_csv(path, np.dtype([("event_id", "<i4")] + [(n, FOOTPRINT_ROW[n]) for n in FOOTPRINT_ROW.names]))
        frame = frame.sort_values(["event_id", "areaperil_id", "intensity_bin_id"], kind="stable", ignore_index=True)
        self.table = np.empty(len(frame), FOOTPRINT_ROW)
        for name in FOOTPRINT_ROW.names:
            self.table[name] = frame[name].to_numpy()
        events, starts = np.unique(frame["event_id"].to_numpy(), return_index=True)
        ends = np.append(starts[1:], len(frame))
        self.index = np.empty(len(events), FOOTPRINT_IDX)
        self.index["event_id"], self.index["offset"], self.index["size"] = events, starts, ends - starts
        self.n_intensity_bins = int(frame["intensity_bin_id"].max()) if len(frame) else 0
        self.has_uncertainty = bool(len(frame) and frame.duplicated(["event_id", "areaperil_id"]).any())
        self.compressed = False

    @property
    def event_ids(self) -> np.ndarray:
        return self.index["event_id"]

    def rows(self, event_id: int) -> np.ndarray:
        i = np.searchsorted(self.index["event_id"], event_id)
        if i == len(self.index) or self.index["event_id"][i] != event_id:
            return np.empty(0, FOOTPRINT_ROW)
        off, size = int(self.index["offset"][i]), int(self.index["size"][i])
        if self.table is not None:
            return self.table[off:off + size]
        chunk = bytes(self.data[off:off + size]) if self.compressed else self.data[off:off + size]
        if self.compressed:
            chunk = np.frombuffer(zlib.decompress(chunk), dtype=np.uint8)
        return np.asarray(chunk).view(FOOTPRINT_ROW)


def read_items(inputs: Path) -> pd.DataFrame:
    items = _bin_or_csv(inputs, "items", ITEM).sort_values("item_id", ignore_index=True)
    if items["item_id"].duplicated().any():
        raise OasisFormatError(f"{inputs}/items: duplicate item_id")
    return items


def read_coverages(inputs: Path) -> np.ndarray:
    """float64[C+1]: TIV by coverage_id (index 0 unused)."""
    binary, text = inputs / "coverages.bin", inputs / "coverages.csv"
    if binary.is_file():
        return np.concatenate([[np.nan], np.fromfile(binary, dtype="<f4").astype(np.float64)])
    if text.is_file():
        frame = _read_csv(text, np.dtype([("coverage_id", "<i4"), ("tiv", "<f4")]))
        tiv = np.full(int(frame["coverage_id"].max()) + 1, np.nan)
        tiv[frame["coverage_id"].to_numpy()] = frame["tiv"].to_numpy(np.float64)
        return tiv
    raise OasisFormatError(f"{inputs}: neither coverages.bin nor coverages.csv")


def read_events(inputs: Path) -> np.ndarray | None:
    if (inputs / "events.bin").is_file():
        return np.fromfile(inputs / "events.bin", dtype="<i4")
    if (inputs / "events.csv").is_file():
        return pd.read_csv(inputs / "events.csv")["event_id"].to_numpy(np.int32)
    return None


def _days_to_date(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of Oasis' March-based civil day number (docs/oasis.md §2, occurrence)."""
    days = np.asarray(days, np.int64)
    y = (10000 * days + 14780) // 3652425
    ddd = days - (365 * y + y // 4 - y // 100 + y // 400)
    neg = ddd < 0
    y = np.where(neg, y - 1, y)
    ddd = np.where(neg, days - (365 * y + y // 4 - y // 100 + y // 400), ddd)
    mi = (100 * ddd + 52) // 3060
    month = (mi + 2) % 12 + 1
    year = y + (mi + 2) // 12
    day = ddd - (mi * 306 + 5) // 10 + 1
    return year, month, day


def read_occurrence(inputs: Path, n_periods: int | None = None) -> tuple[pd.DataFrame, int]:
    """Occurrences (event_id, period_no, occ_year, occ_month, occ_day) and the number of periods."""
    binary, text = inputs / "occurrence.bin", inputs / "occurrence.csv"
    if binary.is_file():
        header = np.fromfile(binary, dtype="<i4", count=2)
        date_opts, periods = int(header[0]), int(header[1])
        rec = np.fromfile(binary, dtype=OCCURRENCE_GRANULAR if date_opts & 2 else OCCURRENCE, offset=8)
        days = rec["occ_date_id"].astype(np.int64) // (1440 if date_opts & 2 else 1)
        year, month, day = _days_to_date(days)
        frame = pd.DataFrame({"event_id": rec["event_id"], "period_no": rec["period_no"],
                              "occ_year": year, "occ_month": month, "occ_day": day})
    elif text.is_file():
        frame = pd.read_csv(text)
        need = ["event_id", "period_no", "occ_year", "occ_month", "occ_day"]
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise OasisFormatError(f"{text}: missing column(s) {missing}")
        frame = frame[need]
        periods = int(frame["period_no"].max()) if len(frame) else 0
    else:
        raise OasisFormatError(f"{inputs}: neither occurrence.bin nor occurrence.csv")
    periods = n_periods or periods
    if len(frame) and (frame["period_no"].min() < 1 or frame["period_no"].max() > periods):
        raise OasisFormatError(f"{inputs}/occurrence: period_no must lie in 1..{periods}")
    if (inputs / "periods.bin").is_file():
        weights = np.fromfile(inputs / "periods.bin", dtype=PERIODS)["weighting"]
        if weights.size and not np.allclose(weights, 1.0 / periods, rtol=1e-9):
            raise OasisFormatError(f"{inputs}/periods.bin: non-uniform period weights are not supported")
    return frame, periods


def read_fm(inputs: Path) -> dict | None:
    """The four FM tables as frames, or None when the model has no financial structure."""
    names = {"fm_programme": FM_PROGRAMME, "fm_policytc": FM_POLICYTC, "fm_profile": FM_PROFILE, "fm_xref": FM_XREF}
    present = [n for n in names if (inputs / f"{n}.bin").is_file() or (inputs / f"{n}.csv").is_file()]
    if not present:
        return None
    if len(present) != len(names):
        raise OasisFormatError(f"{inputs}: the financial structure needs all of {list(names)}; found {present}")
    return {n: _bin_or_csv(inputs, n, d) for n, d in names.items()}
