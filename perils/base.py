"""What every peril provides (a Protocol, for type checkers and readers)."""
from typing import Protocol

import numpy as np

from engine.eventset import EventSet
from engine.portfolio import Sites


class Peril(Protocol):
    name: str
    measures: tuple
    units: tuple
    placeholder: bool
    hazard: str          # which vulnerability curves apply (the peril column of curves.csv)

    def events(self, years: np.ndarray, sites: Sites, peril_index: int, seed: int) -> EventSet:
        """Events and footprints at ``sites`` for the simulated ``years`` (int64[Y], ascending).

        Draws for year y come only from ``engine.rng.year_generator(seed, <stream>, y)``, so any
        split of the years into chunks gives the same events; event ids come from
        ``engine.dtypes.event_ids(year, peril_index, k)``.
        """
