"""Invariants checked on every chunk and run; a violation stops the run with its context.

* losses are finite and >= 0;
* an event's loss on a key never exceeds the key's sum insured (payouts <= limits);
* (event, key) rows are unique, and each year's largest event <= its annual total;
* every key level adds up to the same event total as the first level (to rounding), so no loss is
  lost or counted twice in aggregation.
"""
from __future__ import annotations

import numpy as np


class InvariantError(RuntimeError):
    """A result that must not happen; the message gives peril, chunk, event and key."""


def _where(events, rows, i, key_names, perils, chunk) -> str:
    e = rows["event"][i]
    return (f"chunk years {chunk[0]}..{chunk[1]}, event {events.event_id[e]} (year {events.year[e]}, "
            f"peril {perils[events.peril[e]]}), key {key_names[rows['key'][i]]}")


def check_chunk(result, keys, perils, rel_tol: float = 1e-9) -> None:
    """Raise :class:`InvariantError` if a chunk's tables break an invariant (see module docstring)."""
    for perspective in result.event_rows:
        _check_perspective(result, perspective, keys, perils, rel_tol)


def _check_perspective(result, perspective, keys, perils, rel_tol) -> None:
    key_names, sum_insured = keys.names, keys.sum_insured
    ev, rows, yr = result.events, result.event_rows[perspective], result.year_rows[perspective]
    chunk = (int(result.years[0]), int(result.years[-1])) if len(result.years) else (0, 0)
    where = lambda i: f"{perspective}: " + _where(ev, rows, i, key_names, perils, chunk)  # noqa: E731
    losses = np.column_stack([rows["mean"], rows["samples"]])
    bad = ~np.isfinite(losses).all(axis=1) | (losses < 0).any(axis=1)
    if bad.any():
        raise InvariantError(f"negative or non-finite loss at {where(np.flatnonzero(bad)[0])}")
    # insured losses never exceed the sum insured; ground-up losses never exceed the exposure value
    cap = (sum_insured[rows["key"]] if perspective == "il" else rows["exposure"]) * (1 + rel_tol) + 1e-6
    over = (losses > cap[:, None]).any(axis=1)
    if over.any():
        i = np.flatnonzero(over)[0]
        raise InvariantError(f"loss {losses[i].max():.2f} exceeds its cap {cap[i]:.2f} at {where(i)}")
    code = rows["event"].astype(np.int64) * len(key_names) + rows["key"]
    if np.unique(code).size != code.size:
        raise InvariantError(f"duplicate (event, key) rows in chunk years {chunk}")
    if np.any(yr["max_event"] > yr["loss"] * (1 + rel_tol) + 1e-6):
        raise InvariantError(f"a year's largest event exceeds its annual total in chunk years {chunk}")
    _check_additivity(rows, keys, losses, where, rel_tol)


def _check_additivity(rows, keys, losses, where, rel_tol) -> None:
    """Every level partitions the risks, so each level's keys add up to the same event total."""
    levels = np.array(keys.levels)
    first = levels[0]
    groups = {lv: levels == lv for lv in dict.fromkeys(keys.levels) if lv != first}
    portfolio = levels == first
    event = rows["event"]
    n_events = int(event.max()) + 1 if event.size else 0
    total = np.zeros((n_events, losses.shape[1]))
    is_port = portfolio[rows["key"]]
    total[event[is_port]] = losses[is_port]
    for name, mask in groups.items():
        part = np.zeros_like(total)
        sel = mask[rows["key"]]
        np.add.at(part, event[sel], losses[sel])
        gap = np.abs(part - total) > rel_tol * np.maximum(np.abs(total), 1.0) + 1e-3
        if gap.any():
            e = np.flatnonzero(gap.any(axis=1))[0]
            i = np.flatnonzero((event == e) & is_port)
            i = i[0] if i.size else np.flatnonzero(event == e)[0]
            raise InvariantError(f"'{name}' keys do not add up to '{first}' keys ({part[e].max():.2f} vs "
                                 f"{total[e].max():.2f}) at {where(i)}")
