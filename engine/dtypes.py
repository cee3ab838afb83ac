"""Array types and record layouts used across the engine, declared once.

Dimension letters (STYLE.md): E events, N footprint entries (event-site pairs),
S sites, R risks, P policies, Y years, K aggregation keys, M intensity measures,
C vulnerability curves, G intensity bins, D damage bins, Q samples.
"""
import numpy as np

LOSS = np.float64        # money, CNY
RATIO = np.float64       # damage ratios and probabilities in tables
INTENSITY = np.float32   # hazard intensity in a footprint (units per measure)
EVENT_ID = np.int64
YEAR = np.int64
DOY = np.int16           # day of year, 1..366
SITE = np.int32          # site index into the run's Sites table
RISK = np.int32          # risk index into the Portfolio
KEY = np.int32           # aggregation-key index
PERIL = np.int16         # index into the run's peril list
OFFSET = np.int64        # CSR offsets

#: Sample id of the analytical mean (Oasis convention); sampled draws are 1..Q.
MEAN_SAMPLE = -1

#: Event ids encode (year, peril, k): year * EVENTS_PER_YEAR + peril * EVENTS_PER_PERIL + k,
#: so an event id never depends on how years are chunked.
EVENTS_PER_PERIL = 10_000
MAX_PERILS = 100
EVENTS_PER_YEAR = EVENTS_PER_PERIL * MAX_PERILS


def event_ids(year, peril_index, k):
    """Deterministic event ids: int64 from year, peril index (0..99) and the event's rank k in that year."""
    k = np.asarray(k, dtype=np.int64)
    if np.any(k >= EVENTS_PER_PERIL) or np.any(k < 0):
        raise ValueError(f"at most {EVENTS_PER_PERIL} events per peril and year")
    return (np.asarray(year, dtype=np.int64) * EVENTS_PER_YEAR
            + np.int64(peril_index) * EVENTS_PER_PERIL + k)
