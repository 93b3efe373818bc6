"""Downsampling by step that keeps the maximum visible.

A series of T points is split into at most `width` contiguous columns of
near-equal size; a column shows the largest value in it, so a short burst of
saturation never disappears when many steps share one pixel.
"""

import numpy as np


def column_starts(count, width):
    """Start indices of min(count, width) contiguous columns over `count` points."""
    if count <= 0:
        return np.zeros(0, np.int64)
    width = max(1, min(int(width), count))
    return (np.arange(width, dtype=np.int64) * count) // width


def column_max(values, starts):
    """Max of each column along the last axis, ignoring NaN (NaN if all NaN)."""
    values = np.asarray(values, np.float64)
    if values.shape[-1] == 0:
        return values
    filled = np.where(np.isnan(values), -np.inf, values)
    result = np.maximum.reduceat(filled, starts, axis=-1)
    return np.where(np.isneginf(result) & ~_any_neginf(values, starts), np.nan, result)


def column_argmax(values, starts):
    """Index of the largest value in each column of a 1-D series (first on ties).

    NaN counts as -inf, so a column of only NaN points at its first index.
    Vectorized: the column maxima by `reduceat`, then the first index per
    column that reaches its maximum.
    """
    values = np.asarray(values, np.float64)
    starts = np.asarray(starts, np.int64)
    if len(starts) == len(values):  # one point per column
        return np.arange(len(values), dtype=np.int64)
    filled = np.where(np.isnan(values), -np.inf, values)
    column = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    hits = np.flatnonzero(filled == np.maximum.reduceat(filled, starts)[column])
    _, first = np.unique(column[hits], return_index=True)
    return hits[first]


def _any_neginf(values, starts):
    return np.logical_or.reduceat(np.isneginf(values), starts, axis=-1)
