"""Dask backend: the run's chunks of years as tasks on a LocalCluster or an existing scheduler.

``compute=dask_local`` starts a LocalCluster of ``compute.workers`` single-threaded worker processes;
``compute=dask compute.address=tcp://host:8786`` uses a running scheduler. The plan's picklable
``ChunkInputs`` go to every worker once (``Client.scatter(broadcast=True)``); each chunk is
``engine.chunk.run_chunk(inputs, years, measures)``, a pure function, so the results are the same
bit for bit as a local run; they are consumed in chunk order, so the streamed tables are too.
Chunks have a fixed size (``run.chunk_years``, or :data:`DEFAULT_CHUNK_YEARS`).
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

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


def dask_results(plan, compute, chunk_years: int, measures, start: int = 0):
    """Yield (span, years, ChunkResult) of every chunk from year offset ``start``, in order, computed on
    the cluster."""
    from dask.distributed import wait  # noqa: F401  (import check: a clear error if dask is missing)

    size = int(chunk_years) or DEFAULT_CHUNK_YEARS
    spans = [(s, min(s + size, len(plan.years))) for s in range(start, len(plan.years), size)]
    with client_for(compute) as client:
        inputs = client.scatter(plan.inputs, broadcast=True)
        n_workers = max(len(client.scheduler_info()["workers"]), 1)
        limit = MAX_IN_FLIGHT_PER_WORKER * n_workers
        futures = {}
        for i, (a, b) in enumerate(spans):
            futures[i] = client.submit(run_chunk, inputs, plan.years[a:b], measures, pure=False)
            if len(futures) >= limit:
                j = min(futures)
                yield spans[j], plan.years[spans[j][0]:spans[j][1]], futures.pop(j).result()
        for j in sorted(futures):
            yield spans[j], plan.years[spans[j][0]:spans[j][1]], futures.pop(j).result()
