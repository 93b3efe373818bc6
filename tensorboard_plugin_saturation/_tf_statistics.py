"""The statistics of `statistics.py`, computed with TF ops where the data lives.

Only the small result (a few dozen float64 numbers and one uint8 per unit)
leaves the device. Every reduction runs along the samples axis first, giving
[units] partial results, which are then combined in float64; counts are exact
int32 sums. The variance is combined per unit with Chan's parallel formula
around a per-unit shift (the first sample), so constant data gives std 0.
"""

import tensorflow as tf

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import statistics


def validate(data):
    """Returns `data` as a tensor after the checks of `statistics.validate`."""
    if not tf.is_tensor(data):
        data = statistics.validate(data)  # same messages for non-tensors
        data = tf.convert_to_tensor(data)
    dtype = data.dtype
    if not (dtype.is_floating or dtype.is_integer) or dtype.is_complex or dtype == tf.bool:
        raise TypeError(
            "saturation data must be real numbers (a float or integer array); "
            "got dtype %s" % dtype.name
        )
    if data.shape.rank is None:
        raise ValueError(
            "saturation data must have a known rank >= 1 [..., units]; got an unknown shape"
        )
    statistics.check_shape(data.shape.as_list())
    return data


def compute(data, act, eps):
    """Returns (layer float64 vector, units uint8 vector) for a validated tensor."""
    dtype = tf.float64 if data.dtype == tf.float64 else tf.float32
    units = data.shape[-1]
    x = tf.reshape(tf.cast(data, dtype), [-1, units])
    low_value = tf.constant(act.low, dtype)
    high_value = tf.constant(act.high, dtype)

    finite = tf.math.is_finite(x)
    if act.name == "relu":
        low = tf.logical_and(finite, x <= 0)
        high = tf.zeros_like(finite)
    else:
        low = tf.logical_and(finite, x < tf.constant(act.low + eps, dtype))
        high = tf.logical_and(finite, x > tf.constant(act.high - eps, dtype))
    out_of_range = tf.logical_and(finite, tf.logical_or(x < low_value, x > high_value))

    def count(mask, axis=None):
        return tf.reduce_sum(tf.cast(mask, tf.int32), axis=axis)

    unit_finite = count(finite, 0)
    unit_saturated = count(tf.logical_or(low, high), 0)
    n = tf.cast(tf.reduce_sum(unit_finite), tf.float64)
    size = tf.cast(tf.size(x), tf.float64)

    zero = tf.zeros_like(x)
    finite_x = tf.where(finite, x, zero)
    clipped = tf.clip_by_value(finite_x, low_value, high_value)
    if act.name == "sigmoid":
        derivative = clipped * (1 - clipped)
    elif act.name == "tanh":
        derivative = 1 - clipped * clipped
    else:
        derivative = tf.cast(clipped > 0, dtype)
    derivative_sum = _sum64(tf.where(finite, derivative, zero))
    if act.name == "relu":
        phi = tf.constant(float("nan"), tf.float64)
    else:
        rescaled = 2 * (clipped - low_value) / (high_value - low_value) - 1
        phi = _sum64(tf.where(finite, tf.abs(rescaled), zero)) / n

    mean, std = _moments(x, finite, unit_finite, n)
    bins = len(act.edges) - 1
    bucket = tf.raw_ops.Bucketize(input=x, boundaries=list(act.edges[1:-1]))
    bucket = tf.where(finite, bucket, bins)  # non-finite: a dropped extra bin
    histogram = tf.math.bincount(
        tf.reshape(bucket, [-1]), minlength=bins + 1, maxlength=bins + 1, dtype=tf.int32
    )[:bins]

    stuck = count(tf.logical_and(unit_finite > 0, unit_saturated == unit_finite))
    fields = {
        "count": size,
        "nonfinite": size - n,
        "saturatedLow": tf.cast(count(low), tf.float64) / n,
        "saturatedHigh": tf.cast(count(high), tf.float64) / n,
        "stuckUnits": tf.cast(stuck, tf.float64),
        "meanDerivative": derivative_sum / n,
        "phi": phi,
        "mean": mean,
        "std": std,
        "outOfRange": tf.cast(count(out_of_range), tf.float64) / n,
    }
    layer = tf.concat(
        [tf.stack([fields[name] for name in metadata.STATS_FIELDS]),
         tf.cast(histogram, tf.float64)],
        axis=0,
    )
    return layer, _quantize_units(unit_saturated, unit_finite)


def _sum64(values):
    """Sums per unit in the compute dtype, then in float64."""
    return tf.reduce_sum(tf.cast(tf.reduce_sum(values, axis=0), tf.float64))


def _moments(x, finite, unit_finite, n):
    """Mean and population std of the finite values (NaN when there are none)."""
    shift = tf.where(finite[:1], x[:1], tf.zeros_like(x[:1]))  # [1, units]
    d = tf.where(finite, x - shift, tf.zeros_like(x))
    unit_n = tf.cast(unit_finite, tf.float64)
    unit_sum = tf.cast(tf.reduce_sum(d, axis=0), tf.float64)
    unit_sq = tf.cast(tf.reduce_sum(d * d, axis=0), tf.float64)
    safe_n = tf.maximum(unit_n, 1.0)
    unit_mean = tf.cast(shift[0], tf.float64) + unit_sum / safe_n
    unit_m2 = tf.maximum(unit_sq - unit_sum * unit_sum / safe_n, 0.0)
    mean = tf.reduce_sum(unit_n * unit_mean) / n
    spread = tf.where(unit_n > 0, unit_mean - mean, tf.zeros_like(unit_mean))
    m2 = tf.reduce_sum(unit_m2) + tf.reduce_sum(unit_n * spread * spread)
    return mean, tf.sqrt(m2 / n)


def _quantize_units(unit_saturated, unit_finite):
    saturated = tf.cast(unit_saturated, tf.float64)
    finite = tf.cast(unit_finite, tf.float64)
    share = tf.where(finite > 0, saturated / tf.maximum(finite, 1.0), tf.zeros_like(finite))
    scale = float(metadata.UNITS_SCALE)
    q = tf.round(share * scale)
    partial = tf.logical_and(share > 0, share < 1)
    q = tf.where(partial, tf.clip_by_value(q, 1.0, scale - 1.0), q)
    return tf.cast(q, tf.uint8)
