"""The signals of a probed layer in `keras.ops`, for the JAX and torch probes.

The same numbers as `_probe_tf.py`'s TensorFlow ops (a test pins both to
numpy): the std and max |x| of the layer's input, the kernel's std and its
relative change since the previous log. Everything is reduced in float32 (JAX
computes in float32 unless x64 is on); the host widens the results to
float64. The Glorot std and the learning rate are known on the host.
"""

from keras import ops


def input_scale(inputs):
    """Population std and max |x| of the finite values of a layer's input (float32 scalars).

    Finite data takes four passes; only when a result is not finite are the
    non-finite values masked out and the scale recomputed.
    """
    x = ops.reshape(ops.cast(inputs, "float32"), [-1])
    plain = _scale(x)
    finite = ops.logical_and(ops.isfinite(plain[0]), ops.isfinite(plain[1]))
    return ops.cond(finite, lambda: plain, lambda: _masked_scale(x))


def _scale(x):
    centred = x - ops.mean(x)
    return ops.sqrt(ops.mean(centred * centred)), ops.max(ops.abs(x))


def _masked_scale(x):
    finite = ops.isfinite(x)
    zeros = ops.zeros_like(x)
    n = ops.sum(ops.cast(finite, "float32"))
    mean = ops.sum(ops.where(finite, x, zeros)) / n
    centred = ops.where(finite, x - mean, zeros)
    std = ops.sqrt(ops.sum(centred * centred) / n)
    max_abs = ops.where(n > 0, ops.max(ops.where(finite, ops.abs(x), zeros)), float("nan"))
    return std, max_abs


def kernel_signals(kernel, snapshot):
    """(kernel std, |W - snapshot| / |snapshot|, the new snapshot: a float32 copy of W)."""
    k = ops.cast(kernel, "float32")
    centred = k - ops.mean(k)
    kernel_std = ops.sqrt(ops.mean(centred * centred))
    change = k - snapshot
    ratio = ops.sqrt(ops.sum(change * change) / ops.sum(snapshot * snapshot))
    return kernel_std, ratio, ops.copy(k)
