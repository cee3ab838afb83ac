"""Checkpoints of finished chunks, so an interrupted run can resume (``run.resume``).

A checkpoint directory belongs to one run fingerprint (resolved config plus input checksums):

* ``manifest.json``: ``{"format": 1, "fingerprint": "<sha256 hex>"}``;
* ``chunk-<start>-<stop>.npz``: the :class:`~engine.chunk.ChunkResult` of ``plan.years[start:stop]``.
  A plain zip of ``.npy`` members (no pickle) named by path (``years``, ``events/site``,
  ``event_rows/il/samples``, ``basis/payout``, ...) plus ``__meta__``, a 0-d string array holding
  JSON: format, fingerprint, span and the result's structure (field order, tuples, attrs, which
  optional fields are None), so a result is rebuilt exactly, dtypes and shapes included.

Every file is written to ``<name>.tmp``, fsynced and renamed, so a crash never leaves a file that
reads as complete. An unreadable chunk (truncated, corrupt, another run's) is treated as absent:
:meth:`Checkpoints.load` warns, deletes it and returns None, and the run recomputes that chunk.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np

from engine.chunk import ChunkResult
from engine.eventset import EventSet
from engine.provenance import file_sha256

FORMAT = 1
MANIFEST = "manifest.json"
META = "__meta__"
CHUNK = re.compile(r"chunk-(\d+)-(\d+)\.npz")
# the only classes a checkpoint may rebuild (named in the JSON, so never import strings)
CLASSES = {"ChunkResult": ChunkResult, "EventSet": EventSet}


class CheckpointError(RuntimeError):
    """A checkpoint directory that cannot be resumed."""


class CheckpointWarning(UserWarning):
    """A saved chunk could not be read and will be recomputed."""


def fingerprint(config_yaml: str, files: dict) -> str:
    """SHA-256 identifying a run's results: the resolved config text and the bytes of each input
    file (``name -> Path``; None or missing paths skipped), names in sorted order. Each part is
    hashed on its own first, so no two different inputs give the same byte stream."""
    digest = hashlib.sha256(hashlib.sha256(config_yaml.encode()).digest())
    for name in sorted(files):
        path = files[name]
        if path is None or not Path(path).exists():
            continue
        digest.update(hashlib.sha256(str(name).encode()).digest())
        digest.update(bytes.fromhex(_path_sha256(Path(path))))
    return digest.hexdigest()


def _path_sha256(path: Path) -> str:
    """A file's SHA-256, or for a directory (a Zarr store) that of its files' relative names and digests."""
    if path.is_file():
        return file_sha256(path)
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(hashlib.sha256(item.relative_to(path).as_posix().encode()).digest())
        digest.update(bytes.fromhex(file_sha256(item)))
    return digest.hexdigest()


class Checkpoints:
    """The finished chunks of one run, saved under ``directory``.

    Parameters
    ----------
    directory : path of the checkpoint folder (created if absent).
    fingerprint : :func:`fingerprint` of the run.
    resume : keep the chunks already saved. They must be this run's: a different fingerprint
        raises :class:`CheckpointError`. False starts afresh, deleting earlier checkpoint files.
    """

    def __init__(self, directory, fingerprint: str, resume: bool = False):
        self.directory = Path(directory)
        self.fingerprint = fingerprint
        manifest = self.directory / MANIFEST
        if resume and manifest.exists():
            try:
                saved = json.loads(manifest.read_text())
            except (OSError, ValueError) as err:
                raise CheckpointError(f"cannot read {manifest} ({err}); delete {self.directory} or run "
                                      f"without run.resume") from None
            if not isinstance(saved, dict) or saved.get("format") != FORMAT or saved.get("fingerprint") != fingerprint:
                raise CheckpointError(
                    f"checkpoints in {self.directory} belong to a different run: the config or the input "
                    f"files changed since they were written, so the run cannot resume from them; delete "
                    f"{self.directory} or run without run.resume")
            return
        self._remove_files()
        self.directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": FORMAT, "fingerprint": fingerprint}, indent=1)
        self._write_atomic(manifest, lambda f: f.write(text.encode()))

    def path(self, span) -> Path:
        start, stop = _span(span)
        return self.directory / f"chunk-{start}-{stop}.npz"

    def save(self, span, result: ChunkResult) -> Path:
        """Write ``result``, the chunk of year offsets ``span`` = (start, stop), atomically."""
        start, stop = _span(span)
        arrays = {}
        meta = {"format": FORMAT, "fingerprint": self.fingerprint, "span": [start, stop],
                "result": _encode(result, "", arrays)}
        arrays[META] = np.array(json.dumps(meta))

        def write(f):
            with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                for name, array in arrays.items():
                    with zf.open(name + ".npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        path = self.path((start, stop))
        self._write_atomic(path, write)
        return path

    def load(self, span) -> ChunkResult | None:
        """The chunk saved for ``span``, exactly as saved; None if absent or unreadable (then with a
        :class:`CheckpointWarning`, and the file is deleted so the recomputed chunk replaces it)."""
        path = self.path(span)
        if not path.exists():
            return None
        try:
            return self._read(path, _span(span))
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as err:
            warnings.warn(f"checkpoint {path} is unreadable ({type(err).__name__}: {err}); recomputing "
                          f"that chunk", CheckpointWarning, stacklevel=2)
            path.unlink(missing_ok=True)
            return None

    def spans(self) -> list:
        """The (start, stop) spans saved, sorted."""
        if not self.directory.is_dir():
            return []
        found = (CHUNK.fullmatch(p.name) for p in self.directory.iterdir())
        return sorted((int(m[1]), int(m[2])) for m in found if m)

    def clear(self) -> None:
        """Delete the checkpoints and the directory (after a successful run). Files the run did not
        write are left in place, with the directory."""
        self._remove_files()
        try:
            self.directory.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            warnings.warn(f"{self.directory} holds files other than checkpoints; left in place", CheckpointWarning,
                          stacklevel=2)

    def _read(self, path: Path, span: tuple) -> ChunkResult:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz[META][()]))
            if meta["format"] != FORMAT or meta["fingerprint"] != self.fingerprint:
                raise ValueError("written by a different run or format")
            if tuple(meta["span"]) != span:
                raise ValueError(f"holds span {tuple(meta['span'])}")
            arrays = {name: npz[name] for name in npz.files if name != META}
        result = _decode(meta["result"], arrays)
        if not isinstance(result, ChunkResult) or len(result.years) != span[1] - span[0]:
            raise ValueError(f"does not hold the {span[1] - span[0]} years of a chunk")
        return result

    def _remove_files(self) -> None:
        """Delete only what this class writes: a wrong ``directory`` never loses a user's files."""
        if not self.directory.is_dir():
            return
        for p in self.directory.iterdir():
            name = p.name.removesuffix(".tmp")
            if p.is_file() and (name == MANIFEST or CHUNK.fullmatch(name)):
                p.unlink()

    def _write_atomic(self, path: Path, write) -> None:
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
            fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _span(span) -> tuple:
    start, stop = (int(x) for x in span)
    if not 0 <= start < stop:
        raise ValueError(f"a chunk span is (start, stop) with 0 <= start < stop, got {span}")
    return start, stop


def _encode(value, name: str, arrays: dict) -> dict:
    """JSON description of ``value``; its arrays go to ``arrays`` under path-like names from ``name``."""
    def child(key):
        return f"{name}/{key}" if name else str(key)
    if value is None or isinstance(value, (str, bool, int, float)):
        return {"value": value}
    if isinstance(value, np.ndarray):
        if name in arrays:
            raise ValueError(f"two arrays of a chunk result would both be saved as {name!r}")
        arrays[name] = value
        return {"array": name}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, child(i), arrays) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"checkpoint dict keys must be strings: {name}")
        return {"dict": {k: _encode(v, child(k), arrays) for k, v in value.items()}}
    kind = type(value).__name__
    if dataclasses.is_dataclass(value) and CLASSES.get(kind) is type(value):
        return {"dataclass": kind,
                "fields": {f.name: _encode(getattr(value, f.name), child(f.name), arrays)
                           for f in dataclasses.fields(value)}}
    raise TypeError(f"checkpoint cannot store {name or 'result'} of type {kind}")


def _decode(node: dict, arrays: dict):
    if "dataclass" in node:
        return CLASSES[node["dataclass"]](**{k: _decode(v, arrays) for k, v in node["fields"].items()})
    (kind, body), = node.items()
    if kind == "value":
        return body
    if kind == "array":
        return arrays[body]
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in body)
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in body.items()}
    raise ValueError(f"unknown checkpoint entry {kind!r}")
