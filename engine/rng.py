"""Counter-based random numbers: every draw is a pure function of its key.

Two kinds of stream, both independent of chunking and worker count:

* peril simulation draws per simulated year from ``year_generator(seed, stream, year)``,
  a numpy Generator seeded by the SeedSequence of (seed, stream code, year);
* the loss kernels draw secondary uncertainty from ``uniform(seed, event_id, risk_uid, sample)``,
  a SplitMix64-style hash of the key mapped to a double in (0, 1).
"""
import hashlib

import numpy as np

from engine.jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def stream_code(name: str) -> int:
    """Stable 63-bit code of a stream name (``"typhoon.tracks"``), for seeding."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") >> 1


def year_generator(seed: int, stream: str, year: int) -> np.random.Generator:
    """A Generator for one simulated year of one stream: same key, same numbers."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), stream_code(stream), int(year)])))


def stable_uid(labels) -> np.ndarray:
    """uint64 hash of each label (risk id as text): draws follow the risk, not its row."""
    out = np.empty(len(labels), dtype=np.uint64)
    for i, label in enumerate(labels):
        out[i] = int.from_bytes(hashlib.blake2b(str(label).encode(), digest_size=8).digest(), "little")
    return out


@kernel
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche of a uint64."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@kernel
def pair_key(seed, event_id, risk_uid):
    """uint64 key of (seed, event, risk); samples are drawn from it with :func:`uniform_at`."""
    h = mix64(np.uint64(seed) + _GOLDEN)
    h = mix64(h ^ (np.uint64(event_id) * _GOLDEN))
    return mix64(h ^ np.uint64(risk_uid))


@kernel
def uniform_at(key, sample):
    """Uniform double in (0, 1) for sample number ``sample`` of a pair key (52 random bits).

    52 bits, not 53: (2^53 - 1 + 0.5) / 2^53 would round to exactly 1.0. The key is cast to uint64
    so a key passed from Python (an int) gets unsigned shifts too.
    """
    z = mix64(np.uint64(key) + np.uint64(sample) * _GOLDEN)
    return (np.float64(z >> np.uint64(12)) + 0.5) * (1.0 / 4503599627370496.0)
