"""Dask backend: the run's chunks of years as tasks on a LocalCluster or an existing scheduler.

``compute=dask_local`` starts a LocalCluster of ``compute.workers`` single-threaded worker processes;
``compute=dask compute.address=tcp://host:8786`` uses a running scheduler. Each chunk is
``engine.chunk.run_chunk(inputs, years, measures)``, a pure function, so the results are the same
bit for bit as a local run; they are consumed in chunk order, so the streamed tables are too.
Chunks have a fixed size: ``run.chunk_years``, or with 0 a size set from the first chunk's result so
one chunk fits ``run.memory_budget_mb``.

How the workers get the plan (``compute.inputs``):

* ``scatter``: the client's picklable ``ChunkInputs`` go to every worker once
  (``Client.scatter(broadcast=True)``), through the scheduler: simple, for small and mid-size books;
* ``shared``: the client writes the portfolio as Parquet to ``compute.shared_dir`` (storage every
  worker sees) and sends only the run settings (a few kB); each worker process reads the Parquet and
  builds the plan itself, once per run (:func:`shared_inputs`), so a book of millions of risks never
  passes through the scheduler. Events are never shipped either way: workers simulate each chunk's
  events themselves from (seed, peril, year).
"""
from __future__ import annotations

import os
from contextlib import contextmanager, suppress
from pathlib import Path

import pandas as pd

from engine.chunk import run_chunk

DEFAULT_CHUNK_YEARS = 250
MAX_IN_FLIGHT_PER_WORKER = 2   # bounded memory: at most this many unconsumed chunk results per worker


@contextmanager
def client_for(compute):
    """A dask.distributed Client for the compute config (closes what it started)."""
    from dask.distributed import Client, LocalCluster

    if compute.kind == "dask_local":
        cluster = LocalCluster(n_workers=max(int(compute.workers), 1), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
    else:
        from engine.config import ConfigError
        try:
            client = Client(compute.address, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise ConfigError(f"config key 'compute.address': cannot reach the Dask scheduler at "
                              f"{compute.address} ({err})") from None
        try:
            yield client
        finally:
            client.close()


def dask_results(plan, compute, chunk_years: int, measures, start: int = 0, budget_bytes: int = 0):
    """Yield (span, years, ChunkResult) of every chunk from year offset ``start``, in order, computed on
    the cluster. With ``chunk_years`` 0 the first chunk has :data:`DEFAULT_CHUNK_YEARS` years and the
    others are sized from its result so that one chunk stays within ``budget_bytes`` (as the local
    chunker does; results never depend on chunk sizes)."""
    from dask.distributed import wait  # noqa: F401  (import check: a clear error if dask is missing)

    n_years = len(plan.years)
    with client_for(compute) as client:
        if compute.inputs == "shared":
            task, inputs = run_shared_chunk, write_shared_inputs(plan, compute)
        else:
            task, inputs = run_chunk, client.scatter(plan.inputs, broadcast=True)
        n_workers = max(len(client.scheduler_info()["workers"]), 1)
        limit = MAX_IN_FLIGHT_PER_WORKER * n_workers
        size = int(chunk_years) or DEFAULT_CHUNK_YEARS
        if not chunk_years and budget_bytes and start < n_years:   # size the chunks from a first one
            first = (start, min(start + size, n_years))
            result = client.submit(task, inputs, plan.years[first[0]:first[1]], measures, pure=False).result()
            yield first, plan.years[first[0]:first[1]], result
            per_year = max(2 * result.nbytes / (first[1] - first[0]), 1.0)   # as engine.pipeline._Chunker
            size, start = int(max(1, min(budget_bytes / per_year, 8 * size))), first[1]
        spans = [(s, min(s + size, n_years)) for s in range(start, n_years, size)]
        futures = {}
        for i, (a, b) in enumerate(spans):
            futures[i] = client.submit(task, inputs, plan.years[a:b], measures, pure=False)
            if len(futures) >= limit:
                j = min(futures)
                yield spans[j], plan.years[spans[j][0]:spans[j][1]], futures.pop(j).result()
        for j in sorted(futures):
            yield spans[j], plan.years[spans[j][0]:spans[j][1]], futures.pop(j).result()


# ---- compute.inputs=shared ------------------------------------------------------------------------

_WORKER_INPUTS = {}   # per worker process: recipe key -> ChunkInputs (of the last runs)


def write_shared_inputs(plan, compute) -> tuple:
    """Write the run's portfolio file as Parquet to shared storage (atomically, once per content) and
    return the recipe a worker needs: (content key, settings pointing at the shared Parquet)."""
    import dataclasses
    import hashlib

    from engine.portfolio import read_table

    settings = plan.settings
    root = Path(compute.shared_dir) if compute.shared_dir else Path(settings.output_dir).parent / ".qilu-shared"
    frame = read_table(settings.portfolio_path)
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
                            + "|".join(map(str, frame.columns)).encode()).hexdigest()[:16]
    path = root / f"portfolio-{digest}.parquet"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            root.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        except OSError as err:
            from engine.config import ConfigError
            with suppress(OSError):
                tmp.unlink()
            raise ConfigError(f"config key 'compute.shared_dir': cannot write the shared portfolio to {root} ({err}); "
                              "give a directory every worker can read and this machine can write") from None
    shared = dataclasses.replace(settings, portfolio_path=path)
    return hashlib.sha256((digest + repr(shared)).encode()).hexdigest()[:16], shared


def shared_inputs(recipe):
    """The ChunkInputs of ``recipe``, built on this worker from shared storage (cached per process)."""
    from engine.plan import build_plan

    key, settings = recipe
    if key not in _WORKER_INPUTS:
        while len(_WORKER_INPUTS) >= 2:
            _WORKER_INPUTS.pop(next(iter(_WORKER_INPUTS)))
        _WORKER_INPUTS[key] = build_plan(settings).inputs
    return _WORKER_INPUTS[key]


def run_shared_chunk(recipe, years, measures):
    """:func:`engine.chunk.run_chunk` on the worker-built inputs of ``recipe``."""
    return run_chunk(shared_inputs(recipe), years, measures)
