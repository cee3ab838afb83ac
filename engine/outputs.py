"""The run folder: written under a temporary name and renamed into place only when complete.

A killed or failed run leaves at most a hidden ``.<name>.partial-<pid>`` folder, never a folder
that looks finished. Tables are Parquet, streamed chunk by chunk (one row group per chunk), with
the aggregation key stored as a dictionary-encoded string.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COMPLETE_MARKER = "summary.json"


class RunFolder:
    """A run's output folder, built in ``.<name>.partial-<pid>`` and renamed on :meth:`commit`."""

    def __init__(self, final: Path, overwrite: bool = False):
        self.final = Path(final)
        if self.final.exists() and not overwrite:
            raise FileExistsError(f"output folder {self.final} exists; choose another output.dir "
                                  "or set output.overwrite=true")
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.final.parent / f".{self.final.name}.partial-{os.getpid()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()

    def path(self, name: str) -> Path:
        return self.tmp / name

    def write_json(self, name: str, data) -> None:
        tmp = self.path(name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))
        tmp.replace(self.path(name))

    def commit(self) -> Path:
        """Move the finished folder into place (replacing an old run only now, if allowed)."""
        trash = None
        if self.final.exists():
            trash = self.final.parent / f".{self.final.name}.old-{os.getpid()}"
            self.final.rename(trash)
        self.tmp.rename(self.final)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


class TableWriter:
    """Append columns to one Parquet file; ``key`` columns become dictionary strings."""

    def __init__(self, path: Path, key_names):
        self.path = Path(path)
        self.key_dictionary = pa.array(list(key_names), pa.string())
        self.writer = None

    def append(self, columns: dict) -> None:
        arrays, names = [], []
        for name, values in columns.items():
            if name == "key":
                arrays.append(pa.DictionaryArray.from_arrays(pa.array(values, pa.int32()), self.key_dictionary))
            elif np.asarray(values).dtype == object:   # text: typed, so an empty chunk keeps the schema
                arrays.append(pa.array(values, pa.string()))
            else:
                arrays.append(pa.array(values))
            names.append(name)
        table = pa.Table.from_arrays(arrays, names=names)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self.writer.write_table(table)

    def close(self, empty_columns: dict | None = None) -> None:
        if self.writer is None and empty_columns is not None:
            self.append(empty_columns)
        if self.writer is not None:
            self.writer.close()
