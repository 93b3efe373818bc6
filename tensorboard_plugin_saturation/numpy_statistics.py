"""The saturation statistics of one layer at one step: the numpy reference.

This module defines the numbers. The TF op (`_tf_statistics.py`) computes the
same ones with TF ops on the device; a parity test runs the edge-case table
below through both.

Every per-activation fact (saturation ends and rule, derivative from the
output, phi, bins) comes from the activation's record in `activations.py`.

`data` holds activations, the outputs of the nonlinearity. Its last axis is
units (channels for conv layers); every other axis is samples. The values are
compared in the compute dtype (float64 data in float64, everything else in
float32) against thresholds rounded to that dtype, so every path agrees on
which value is saturated and which bin it falls in.

Edge cases (each row has a test):

| data                          | result                                                        |
| ----------------------------- | ------------------------------------------------------------- |
| no samples, shape [0, U]      | count 0; shares, moments and phi NaN; histogram and units 0   |
| constant                      | std 0; phi and shares of that value; one histogram bin        |
| all saturated                 | shares sum to 1; every unit 255; stuckUnits = U               |
| NaN and +-Inf                 | counted in `nonfinite`, left out of every other statistic     |
| only non-finite               | as with no samples, but count and nonfinite = number of values |
| one sample, shape [U]         | one sample of U units                                          |
| conv-shaped [N, H, W, C]      | N*H*W samples of C units                                       |
| outside the range             | counted in `outOfRange`; clipped for derivative, phi, bins     |
| rank 0, no units, bad dtype   | ValueError / TypeError naming what was expected                |
"""

import collections

import numpy as np

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation import metadata

Statistics = collections.namedtuple("Statistics", ["layer", "units"])
Statistics.__doc__ = """`layer`: float64 [len(STATS_FIELDS) + bins]; `units`: uint8 [units]."""

_FIELD_INDEX = {name: i for i, name in enumerate(metadata.STATS_FIELDS)}


def compute_dtype(dtype):
    """The dtype statistics of `dtype` data are computed in."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def validate(data):
    """Returns `data` as an ndarray after checking its kind and shape.

    Raises:
      TypeError: `data` is not real numbers.
      ValueError: `data` has rank 0 or no units.
    """
    array = np.asarray(data)
    if array.dtype.kind not in "fiu":
        raise TypeError(
            "saturation data must be real numbers (a float or integer array); "
            "got dtype %s" % array.dtype
        )
    check_shape(array.shape)
    return array


def check_shape(shape):
    """Checks a (static) shape: rank >= 1 and a known, non-zero last axis."""
    if len(shape) == 0:
        raise ValueError(
            "saturation data must have rank >= 1 [..., units]; got shape ()"
        )
    units = shape[-1]
    if units is None:
        raise ValueError(
            "saturation data must have a known last axis (units); got shape %s"
            % (tuple(shape),)
        )
    if units == 0:
        raise ValueError(
            "saturation data must have at least one unit on its last axis; "
            "got shape %s" % (tuple(shape),)
        )


def compute(data, activation="sigmoid", eps=activations_lib.DEFAULT_EPS):
    """Computes the statistics of `data` (see the module docstring).

    Returns:
      A `Statistics` with the `layer` vector (`metadata.STATS_FIELDS`, then the
      histogram counts) and the quantized per-unit saturated shares.
    """
    act = activations_lib.get(activation)
    eps = activations_lib.check_eps(eps)
    array = validate(data)
    dtype = compute_dtype(array.dtype)
    units = array.shape[-1]
    x = array.astype(dtype, copy=False).reshape(-1, units)

    finite = np.isfinite(x)
    low, high = act.saturation_masks(x, eps, dtype, activations_lib.NUMPY_OPS)
    low &= finite
    high &= finite
    saturated = low | high
    unit_finite = finite.sum(axis=0)
    unit_saturated = saturated.sum(axis=0)

    values = x[finite]
    n = values.size
    bins = len(act.edges) - 1
    layer = np.full(len(metadata.STATS_FIELDS) + bins, np.nan)
    put = lambda name, value: layer.__setitem__(_FIELD_INDEX[name], value)
    put("count", x.size)
    put("nonfinite", x.size - n)
    put("stuckUnits", np.count_nonzero((unit_finite > 0) & (unit_saturated == unit_finite)))
    layer[len(metadata.STATS_FIELDS):] = np.bincount(
        np.searchsorted(np.asarray(act.edges[1:-1], dtype), values, side="right"),
        minlength=bins,
    )
    if n:
        clipped = np.clip(values, dtype(act.low), dtype(act.high)).astype(np.float64)
        wide = values.astype(np.float64)
        put("saturatedLow", np.count_nonzero(low) / n)
        put("saturatedHigh", np.count_nonzero(high) / n)
        derivative = act.derivative(clipped, *act.bounds(dtype), activations_lib.NUMPY_OPS)
        put("meanDerivative", np.mean(derivative))
        put("phi", _phi(clipped, act))
        put("mean", np.mean(wide))
        put("std", np.std(wide))
        put("outOfRange", np.count_nonzero(act.out_of_range(values, dtype, activations_lib.NUMPY_OPS)) / n)
    return Statistics(layer=layer, units=quantize_units(unit_saturated, unit_finite))


def quantize_units(unit_saturated, unit_finite):
    """Per-unit saturated share as uint8: 0 = never, 255 = every sample."""
    saturated = np.asarray(unit_saturated, np.float64)
    finite = np.asarray(unit_finite, np.float64)
    share = np.divide(saturated, finite, out=np.zeros_like(saturated), where=finite > 0)
    q = np.round(share * metadata.UNITS_SCALE)
    partial = (share > 0) & (share < 1)
    q[partial] = np.clip(q[partial], 1, metadata.UNITS_SCALE - 1)
    return q.astype(np.uint8)


def field(layer_vector, name):
    """Reads field `name` of a `layer` vector (or of a [steps, ...] matrix)."""
    return np.asarray(layer_vector)[..., _FIELD_INDEX[name]]


def _phi(y, act):
    """phi_B of Rakitianskaia & Engelbrecht (2015), NaN where the record has none.

    phi_B = sum_b |gbar'_b| f_b / sum_b f_b, with gbar'_b the bin mean rescaled
    to [-1, 1]. No bin of a bounded activation straddles the centre of its
    range (an edge sits there): within a bin every rescaled value has one sign,
    |sum| = sum |.|, and phi_B = mean(|rescaled y|) exactly, whatever B.
    """
    if act.phi is None:
        return np.nan
    return np.mean(act.phi(y, activations_lib.NUMPY_OPS))
