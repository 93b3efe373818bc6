"""The probe on TensorFlow (Keras 3's TensorFlow backend and tf_keras): one `tf.function`.

The forward pass of the probe batch, the statistics and the signals of every
layer are one `tf.function`, traced once; a layer's input and output are
captured as nodes of the graph being traced (`_probe.capture_calls`).

There are two such functions, which compute the same numbers. The first logs
run the plain statistics ops (`_tf_statistics.compute_plain`): the probe is
traced and optimized in a fraction of a second and needs no XLA compilation,
but each value costs about 2.5x the fused pass. The fused probe
(`_tf_statistics.compute`) costs about a second per activation to compile
(trace, graph optimization, XLA) and is then the fastest. The probe moves to
it once its logs have spent in the plain ops as much time as that compilation
is estimated to cost (a ski-rental rule: whatever the length of training, the
probe spends at most about twice what the better choice in hindsight would
have): a short fit never compiles the fused pass, a long one soon does. It
also moves at once when the plain result does not stand (a NaN, an Inf, a
value outside the activation's range), since only the fused graph holds the
fallback for such values. Where XLA or the fused pass does not apply (a GPU,
float64, other activations) both functions run the same generic ops and the
probe stays on the first.
"""

import time

import tensorflow as tf

from tensorboard_plugin_saturation import _probe
from tensorboard_plugin_saturation import _targets
from tensorboard_plugin_saturation import _tf_statistics

# Trace, graph optimization and XLA compilation of the fused pass for one
# activation, as measured on a 2-core CPU (benchmarks/README.md).
FUSED_COMPILE_SECONDS = 1.0


class TFProbe(_probe.BackendProbe):
    """`_probe.Probe`'s compiled part on TensorFlow; see `_probe.backend_probe`."""

    def __init__(self, forward, targets, probe_data, eps):
        super().__init__(forward, targets, probe_data, eps, tf.convert_to_tensor)
        self._kernel_shapes = [_probe.kernel_shape(target) for target in targets]
        # Not converted by autograph, as Keras' own train function: converting the
        # helpers it calls costs seconds of the first log.
        self.functions = {
            "plain": tf.function(self._compute_plain, autograph=False),
            "fused": tf.function(self._compute_fused, autograph=False),
        }
        fused = {t.activation.name for t in targets if _tf_statistics.fused_activation(t.activation)}
        self.switch_seconds = (
            FUSED_COMPILE_SECONDS * len(fused) if fused and _tf_statistics.xla_on_cpu() else float("inf")
        )
        self.implementation = "plain"
        self.plain_seconds = 0.0  # time spent in the plain probe after its first call
        self._plain_calls = 0

    def compile(self):
        self.functions[self.implementation].get_concrete_function(self._probe, self._zero_snapshots())

    def run(self, snapshots):
        snapshots = self._zero_snapshots() if snapshots is None else snapshots
        if self.implementation == "plain":
            start = time.perf_counter()
            results, stands, new_snapshots = self.functions["plain"](self._probe, snapshots)
            if all(bool(s) for s in stands):
                self._plain_calls += 1
                if self._plain_calls > 1:
                    self.plain_seconds += time.perf_counter() - start
                if self.plain_seconds >= self.switch_seconds:
                    self.implementation = "fused"
                return _host(results), new_snapshots
            self.implementation = "fused"
        results, new_snapshots = self.functions["fused"](self._probe, snapshots)
        return _host(results), new_snapshots

    def _zero_snapshots(self):
        return [None if shape is None else tf.zeros(shape, tf.float32) for shape in self._kernel_shapes]

    def _compute_plain(self, probe, snapshots):
        """The probe with the plain statistics ops and input scale, without their
        fallbacks; also returns whether each result stands (see `run`)."""
        stands = []

        def statistics(values, act):
            layer, units, holds = _tf_statistics.compute_plain(values, act, self._eps)
            stands.append(holds)
            return layer, units

        def scale(inputs):
            std, max_abs, finite = _unmasked_scale(inputs)
            stands.append(finite)
            return std, max_abs

        results, new_snapshots = self._compute(probe, snapshots, statistics, scale)
        return results, stands, new_snapshots

    def _compute_fused(self, probe, snapshots):
        def statistics(values, act):
            return _tf_statistics.compute(values, act, self._eps)

        return self._compute(probe, snapshots, statistics, input_scale)

    def _compute(self, probe, snapshots, statistics, scale):
        graph = tf.compat.v1.get_default_graph()
        captured = self._capture(
            lambda: self._forward(probe),
            lambda output: getattr(output, "graph", None) is graph,
        )
        learning_rate = _learning_rate(getattr(self._forward.model, "optimizer", None))
        recurrences = {}
        results, new_snapshots = [], []
        for target, snapshot in zip(self._targets, snapshots):
            values, mask, scales = self._values_and_scale(target, captured, recurrences, scale, _nan())
            if mask is not None:
                values = tf.boolean_mask(values, mask)
            layer, units = statistics(_tf_statistics.validate(values), target.activation)
            kernel_std, glorot, ratio, kernel = _kernel_signals(
                _probe.target_kernel(target), snapshot, _probe.glorot_shape(target)
            )
            signals = tf.stack(list(scales) + [kernel_std, glorot, ratio, learning_rate])
            results.append((layer, units, signals))
            new_snapshots.append(kernel)
        return results, new_snapshots


def _host(results):
    return [tuple(t.numpy() for t in result) for result in results]


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
    std, max_abs = tf.cond(_finite(plain), lambda: plain, lambda: _masked_scale(x))
    return tf.cast(std, tf.float64), tf.cast(max_abs, tf.float64)


def _unmasked_scale(inputs):
    """`input_scale`'s four passes without its fallback: (std, max |x|, whether
    both are finite, i.e. whether they equal `input_scale`'s)."""
    plain = _scale(tf.reshape(tf.cast(inputs, tf.float32), [-1]))
    return tf.cast(plain[0], tf.float64), tf.cast(plain[1], tf.float64), _finite(plain)


def _finite(scale):
    return tf.logical_and(tf.math.is_finite(scale[0]), tf.math.is_finite(scale[1]))


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
