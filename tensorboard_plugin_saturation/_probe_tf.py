"""The probe on TensorFlow (Keras 3's TensorFlow backend and tf_keras): one `tf.function`.

The forward pass of the probe batch, the fused statistics op
(`_tf_statistics.compute`) and the signals of every layer are one
`tf.function`, traced once; a layer's input and output are captured as nodes
of the graph being traced (`_probe.capture_calls`).
"""

import tensorflow as tf

from tensorboard_plugin_saturation import _probe
from tensorboard_plugin_saturation import _targets
from tensorboard_plugin_saturation import _tf_statistics


class TFProbe(_probe.BackendProbe):
    """`_probe.Probe`'s compiled part on TensorFlow; see `_probe.backend_probe`."""

    def __init__(self, forward, targets, probe_data, eps):
        super().__init__(forward, targets, probe_data, eps, tf.convert_to_tensor)
        self._kernel_shapes = [_probe.kernel_shape(target) for target in targets]
        # Not converted by autograph, as Keras' own train function: converting the
        # helpers it calls costs seconds of the first log.
        self.function = tf.function(self._compute, autograph=False)

    def compile(self):
        self.function.get_concrete_function(self._probe, self._zero_snapshots())

    def run(self, snapshots):
        results, snapshots = self.function(
            self._probe, self._zero_snapshots() if snapshots is None else snapshots
        )
        return [tuple(t.numpy() for t in result) for result in results], snapshots

    def _zero_snapshots(self):
        return [None if shape is None else tf.zeros(shape, tf.float32) for shape in self._kernel_shapes]

    def _compute(self, probe, snapshots):
        graph = tf.compat.v1.get_default_graph()
        captured = self._capture(
            lambda: self._forward(probe),
            lambda output: getattr(output, "graph", None) is graph,
        )
        learning_rate = _learning_rate(getattr(self._forward.model, "optimizer", None))
        recurrences = {}
        results, new_snapshots = [], []
        for target, snapshot in zip(self._targets, snapshots):
            values, mask, scale = self._values_and_scale(target, captured, recurrences, input_scale, _nan())
            if mask is not None:
                values = tf.boolean_mask(values, mask)
            layer, units = _tf_statistics.compute(_tf_statistics.validate(values), target.activation, self._eps)
            kernel_std, glorot, ratio, kernel = _kernel_signals(
                _probe.target_kernel(target), snapshot, _probe.glorot_shape(target)
            )
            signals = tf.stack(list(scale) + [kernel_std, glorot, ratio, learning_rate])
            results.append((layer, units, signals))
            new_snapshots.append(kernel)
        return results, new_snapshots


def _nan():
    return tf.constant(float("nan"), tf.float64)


def input_scale(inputs):
    """Population std and max |x| of the finite values of a layer's input.

    Reduced in float32 (the input's own precision for float32 models; the
    result is a diagnostic scale, not a statistic of record), then float64.
    Finite data, the common case, takes four passes; only when a result is
    not finite are the non-finite values masked out and the scale recomputed.
    """
    x = tf.reshape(tf.cast(inputs, tf.float32), [-1])
    plain = _scale(x)
    finite = tf.logical_and(tf.math.is_finite(plain[0]), tf.math.is_finite(plain[1]))
    std, max_abs = tf.cond(finite, lambda: plain, lambda: _masked_scale(x))
    return tf.cast(std, tf.float64), tf.cast(max_abs, tf.float64)


def _scale(x):
    centred = x - tf.reduce_mean(x)
    return tf.sqrt(tf.reduce_mean(centred * centred)), tf.reduce_max(tf.abs(x))


def _masked_scale(x):
    finite = tf.math.is_finite(x)
    zeros = tf.zeros_like(x)
    n = tf.cast(tf.reduce_sum(tf.cast(finite, tf.int32)), tf.float32)
    mean = tf.reduce_sum(tf.where(finite, x, zeros)) / n
    centred = tf.where(finite, x - mean, zeros)
    std = tf.sqrt(tf.reduce_sum(centred * centred) / n)
    max_abs = tf.where(n > 0, tf.reduce_max(tf.where(finite, tf.abs(x), zeros)), float("nan"))
    return std, max_abs


def _kernel_signals(kernel, snapshot, glorot_shape):
    """kernelStd, glorotStd (of `glorot_shape`), updateRatio against `snapshot`, and the new snapshot.

    Sums in float32, like the kernel itself, then float64.
    """
    if kernel is None:
        return _nan(), _nan(), _nan(), None
    k = tf.cast(kernel, tf.float32)
    centred = k - tf.reduce_mean(k)
    kernel_std = tf.sqrt(tf.cast(tf.reduce_mean(centred * centred), tf.float64))
    glorot = tf.constant(_targets.glorot_std(glorot_shape), tf.float64)
    change = k - snapshot
    ratio = tf.sqrt(
        tf.cast(tf.reduce_sum(change * change), tf.float64)
        / tf.cast(tf.reduce_sum(snapshot * snapshot), tf.float64)
    )
    return kernel_std, glorot, ratio, tf.identity(k)


def _learning_rate(optimizer):
    """The optimizer's current learning rate (schedules evaluated), or NaN."""
    if optimizer is None:
        return _nan()
    value = getattr(optimizer, "learning_rate", None)
    if value is None:
        return _nan()
    if callable(value) and not tf.is_tensor(value) and not isinstance(value, tf.Variable):
        value = value(optimizer.iterations)  # a tf_keras LearningRateSchedule
    return tf.cast(tf.convert_to_tensor(value), tf.float64)
